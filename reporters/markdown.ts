/**
 * A summary fit for a CI job summary (GitHub's $GITHUB_STEP_SUMMARY): counts, the conclusion, the
 * failures as a table (capped), and the families that were skipped with their reasons.
 */
import { type CheckResult, claimStatement, type RunReport, VERDICTS } from '../src/core/model.ts';
import { replaceControls } from './wire.ts';

/** Failures listed in the table before "and N more"; the full list is in the other reports. */
export const MARKDOWN_MAX_FAILURES = 50;

/** Text from the target inside a table cell: one line, no HTML, no table or code syntax. */
export function cell(text: string | undefined, max = 200): string {
  if (!text) return '';
  let t = replaceControls(text, () => '')
    .replace(/\s+/g, ' ')
    .trim();
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return t
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([|`*_[\]#!~])/g, '\\$1');
}

function code(text: string): string {
  // Check ids and rule ids are ours, but a backtick would still end the code span.
  return `\`${text.replace(/`/g, "'")}\``;
}

/** Families where every check was skipped, with the distinct reasons. */
export function skippedFamilies(
  checks: CheckResult[],
): { family: string; count: number; reasons: string[] }[] {
  const byFamily = new Map<string, CheckResult[]>();
  for (const c of checks) byFamily.set(c.family, [...(byFamily.get(c.family) ?? []), c]);
  const out: { family: string; count: number; reasons: string[] }[] = [];
  for (const [family, list] of byFamily) {
    if (list.every((c) => c.verdict === 'skip')) {
      out.push({
        family,
        count: list.length,
        reasons: [...new Set(list.map((c) => c.message ?? 'no reason given'))],
      });
    }
  }
  return out.sort((a, b) => a.family.localeCompare(b.family));
}

export function renderMarkdown(report: RunReport, maxFailures = MARKDOWN_MAX_FAILURES): string {
  const conformant = report.summary.conformant && (report.errors ?? []).length === 0;
  const skipped = skippedFamilies(report.checks);
  const lines = [
    ...headerLines(report, conformant),
    ...featureLines(report),
    ...failureLines(report, maxFailures),
    ...errorLines(report, maxFailures),
    ...nonStrictLines(report, maxFailures),
    ...knownLines(report, maxFailures),
    ...skippedFamilyLines(skipped),
    ...otherSkipLines(report, skipped, maxFailures),
  ];
  return `${lines.join('\n')}\n`;
}

/** The title, the target and the verdict counts. */
function headerLines(report: RunReport, conformant: boolean): string[] {
  const lines: string[] = [];
  const { summary } = report;
  const verdictWord = conformant ? '✅ conformant' : '❌ not conformant';
  lines.push(`## MSE conformance — ${report.suite}: ${verdictWord}`);
  lines.push('');
  lines.push(
    `Target ${code(report.target)} · suite ${report.suiteVersion} · spec ${code(report.specHash.slice(0, 12))} · ${report.strict ? 'strict' : 'not strict'} · ${summary.total} checks in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  lines.push('');
  lines.push('| Verdict | Checks |');
  lines.push('|---|---:|');
  for (const v of VERDICTS) lines.push(`| ${v} | ${summary.byVerdict[v]} |`);
  lines.push(`| **total** | **${summary.total}** |`);
  lines.push('');
  lines.push(`**Conformant:** ${conformant ? 'yes' : 'no'}`);
  lines.push('');
  return lines;
}

/** The claimed features and their outcomes, with the gaps of the incomplete ones. */
function featureLines(report: RunReport): string[] {
  const lines: string[] = [];
  const features = report.features ?? [];
  if (features.length > 0) {
    lines.push(`**Features:** ${cell(claimStatement(features), 1000)}`);
    lines.push('');
    lines.push('| Feature | Level | Outcome | Checks | Pass | Fail | Skip |');
    lines.push('|---|---|---|---:|---:|---:|---:|');
    for (const f of features)
      lines.push(
        `| ${cell(f.name)} | ${f.level} | ${f.outcome} | ${f.checks} | ${f.byVerdict.pass ?? 0} | ${(f.byVerdict.fail ?? 0) + (f.byVerdict['unexpected-pass'] ?? 0)} | ${f.byVerdict.skip ?? 0} |`,
      );
    lines.push('');
    for (const f of features.filter((x) => x.outcome === 'incomplete'))
      lines.push(
        `- ${cell(f.name)} is incomplete: ${(f.gaps ?? [])
          .slice(0, 3)
          .map((g) => cell(g))
          .join('; ')}`,
      );
    if (features.some((x) => x.outcome === 'incomplete')) lines.push('');
  }
  return lines;
}

/** The failing checks (and unexpected passes), at most maxFailures of them. */
function failureLines(report: RunReport, maxFailures: number): string[] {
  const lines: string[] = [];
  const failing = report.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'unexpected-pass');
  if (failing.length > 0) {
    lines.push(`### Failures (${failing.length})`);
    lines.push('');
    lines.push('| Check | Rule | Section | Level | Message |');
    lines.push('|---|---|---|---|---|');
    for (const c of failing.slice(0, maxFailures)) {
      const message =
        c.verdict === 'unexpected-pass'
          ? `passed, but the expectations file lists it as a known failure: ${c.expectation ?? ''}`
          : c.message;
      lines.push(`| ${code(c.id)} | ${code(c.rule)} | ${cell(c.section)} | ${c.level} | ${cell(message)} |`);
    }
    if (failing.length > maxFailures) {
      lines.push('');
      lines.push(`…and ${failing.length - maxFailures} more failures; see report.html or report.json.`);
    }
    lines.push('');
  }
  return lines;
}

/** Errors outside any check (a suite file that failed to load). */
function errorLines(report: RunReport, maxFailures: number): string[] {
  const lines: string[] = [];
  const errors = report.errors ?? [];
  if (errors.length > 0) {
    lines.push(`### Errors outside any check (${errors.length})`);
    lines.push('');
    for (const e of errors.slice(0, maxFailures)) lines.push(`- ${cell(e, 500)}`);
    if (errors.length > maxFailures) lines.push(`- …and ${errors.length - maxFailures} more`);
    lines.push('');
  }
  return lines;
}

/** SHOULD-level departures, folded. */
function nonStrictLines(report: RunReport, maxFailures: number): string[] {
  const lines: string[] = [];
  const nonStrict = report.checks.filter((c) => c.verdict === 'non-strict');
  if (nonStrict.length > 0) {
    lines.push(
      `<details><summary>${nonStrict.length} SHOULD-level departures (non-strict; they fail under --strict)</summary>`,
    );
    lines.push('');
    lines.push('| Check | Rule | Section | Message |');
    lines.push('|---|---|---|---|');
    for (const c of nonStrict.slice(0, maxFailures)) {
      lines.push(`| ${code(c.id)} | ${code(c.rule)} | ${cell(c.section)} | ${cell(c.message)} |`);
    }
    if (nonStrict.length > maxFailures) lines.push(`\n…and ${nonStrict.length - maxFailures} more.`);
    lines.push('');
    lines.push('</details>');
    lines.push('');
  }
  return lines;
}

/** Known failures from the expectations file, folded. */
function knownLines(report: RunReport, maxFailures: number): string[] {
  const lines: string[] = [];
  const known = report.checks.filter((c) => c.verdict === 'known-failure');
  if (known.length > 0) {
    lines.push(
      `<details><summary>${known.length} known failures (listed in the expectations file)</summary>`,
    );
    lines.push('');
    lines.push('| Check | Rule | Section | Reason |');
    lines.push('|---|---|---|---|');
    for (const c of known.slice(0, maxFailures)) {
      lines.push(`| ${code(c.id)} | ${code(c.rule)} | ${cell(c.section)} | ${cell(c.expectation)} |`);
    }
    if (known.length > maxFailures) lines.push(`\n…and ${known.length - maxFailures} more.`);
    lines.push('');
    lines.push('</details>');
    lines.push('');
  }
  return lines;
}

/** Families of which every check was skipped, with their reasons. */
function skippedFamilyLines(skipped: ReturnType<typeof skippedFamilies>): string[] {
  const lines: string[] = [];
  if (skipped.length > 0) {
    lines.push('### Skipped families');
    lines.push('');
    for (const s of skipped) {
      lines.push(
        `- **${cell(s.family)}** (${s.count} checks): ${s.reasons
          .slice(0, 3)
          .map((r) => cell(r))
          .join('; ')}`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** Skips inside families that otherwise ran, grouped by rule: one line per rule, not one per check. */
function otherSkipLines(
  report: RunReport,
  skipped: ReturnType<typeof skippedFamilies>,
  maxFailures: number,
): string[] {
  const lines: string[] = [];
  const fullySkipped = new Set(skipped.map((s) => s.family));
  const groups = new Map<string, CheckResult[]>();
  for (const c of report.checks) {
    if (c.verdict !== 'skip' || fullySkipped.has(c.family)) continue;
    const key = `${c.family}\u0000${c.rule}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  if (groups.size > 0) {
    lines.push(
      `<details><summary>${[...groups.values()].reduce((n, g) => n + g.length, 0)} other skipped checks, by rule</summary>`,
    );
    lines.push('');
    for (const list of [...groups.values()].slice(0, maxFailures)) {
      const first = list[0]!;
      lines.push(
        `- ${cell(first.family)} · ${code(first.rule)} (${cell(first.section)}): ${list.length} check${list.length === 1 ? '' : 's'}, e.g. ${cell(first.message ?? 'no reason given')}`,
      );
    }
    if (groups.size > maxFailures) lines.push(`- …and ${groups.size - maxFailures} more rules`);
    lines.push('');
    lines.push('</details>');
    lines.push('');
  }
  return lines;
}
