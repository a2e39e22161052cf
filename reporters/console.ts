/** Terminal output for the CLI: one line per check as it finishes, and the summary at the end. */
import { type CheckResult, type RunReport, VERDICTS, type Verdict } from '../src/core/model.ts';

export interface ConsoleOptions {
  /** Colour the output; default: stdout is a TTY and NO_COLOR is unset (https://no-color.org). */
  color?: boolean;
  /** At most this many failures are listed in full (default 50). */
  maxFailures?: number;
}

export function colorEnabled(stream: { isTTY?: boolean } = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return Boolean(stream.isTTY) && (noColor === undefined || noColor === '');
}

const SGR: Record<Verdict, string> = {
  pass: '32',
  fail: '31;1',
  'non-strict': '33',
  skip: '2',
  'known-failure': '35',
  'unexpected-pass': '31;1',
  informational: '36',
  'not-claimed': '2',
};

const LABEL: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  'non-strict': 'NON-STRICT',
  skip: 'SKIP',
  'known-failure': 'KNOWN-FAIL',
  'unexpected-pass': 'UNEXPECTED-PASS',
  informational: 'INFO',
  'not-claimed': 'NOT-CLAIMED',
};

function paint(text: string, verdict: Verdict, color: boolean): string {
  return color ? `\u001b[${SGR[verdict]}m${text}\u001b[0m` : text;
}

/** Control characters from the target must not drive the terminal. */
function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?').replace(/\s*\n\s*/g, ' ');
}

/** One progress line for a finished check. */
export function formatCheckLine(check: CheckResult, options: ConsoleOptions = {}): string {
  const color = options.color ?? colorEnabled();
  const head = `${paint(LABEL[check.verdict].padEnd(10), check.verdict, color)} ${check.id}`;
  const cite = `[${check.section} ${check.rule} ${check.level}]`;
  const tail = check.verdict === 'pass' || !check.message ? '' : ` — ${clean(check.message)}`;
  return `${head} ${cite}${tail}`;
}

/** Counts by verdict, the conclusion, and the failures with id, rule, section and message. */
export function formatSummaryLines(report: RunReport, options: ConsoleOptions = {}): string[] {
  const color = options.color ?? colorEnabled();
  const max = options.maxFailures ?? 50;
  const { summary } = report;
  const lines: string[] = [];
  const counts = VERDICTS.filter((v) => summary.byVerdict[v] > 0).map((v) =>
    paint(`${summary.byVerdict[v]} ${v}`, v, color),
  );
  lines.push(
    `${report.suite} suite against ${clean(report.target)}: ${summary.total} checks in ${(report.durationMs / 1000).toFixed(1)} s${report.strict ? ' (strict)' : ''}`,
  );
  lines.push(`  ${counts.join(', ') || 'no checks'}`);
  const failing = report.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'unexpected-pass');
  if (failing.length > 0) {
    lines.push('');
    lines.push(`Failures (${failing.length}):`);
    for (const c of failing.slice(0, max)) {
      lines.push(`  ${paint(LABEL[c.verdict], c.verdict, color)} ${c.id}`);
      lines.push(`      rule ${c.rule} (section ${c.section}, ${c.level})`);
      const why =
        c.verdict === 'unexpected-pass'
          ? `listed as a known failure (${c.expectation ?? 'no reason given'}) but passed`
          : c.message;
      if (why) lines.push(`      ${clean(why)}`);
    }
    if (failing.length > max) lines.push(`  … and ${failing.length - max} more (see the reports)`);
  }
  const errors = report.errors ?? [];
  if (errors.length > 0) {
    lines.push('');
    lines.push(`Errors outside any check (${errors.length}):`);
    for (const e of errors.slice(0, max)) lines.push(`  ${paint('ERROR', 'fail', color)} ${clean(e)}`);
    if (errors.length > max) lines.push(`  … and ${errors.length - max} more (see the reports)`);
  }
  lines.push('');
  const why = [
    `${failing.length} failing check(s)`,
    ...(errors.length > 0 ? [`${errors.length} error(s) outside any check`] : []),
  ].join(', ');
  lines.push(
    summary.conformant && errors.length === 0
      ? paint('CONFORMANT: no failures', 'pass', color)
      : paint(`NONCONFORMANT: ${why}`, 'fail', color),
  );
  return lines;
}
