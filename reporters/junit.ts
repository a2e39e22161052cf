/**
 * JUnit XML, for CI test views: one <testsuite> per check family, one <testcase> per check.
 *
 * The testcase name starts with the citation, `[6.4.1 sms-text.text.max-length MUST] <check id>`, so a CI
 * list shows section and rule without opening anything. Verdicts map to JUnit as follows:
 * - pass, informational: passing testcase (informational carries its observation in <system-out>);
 * - fail: <failure> with the message and every exchange as text;
 * - unexpected-pass: <failure type="unexpected-pass"> (it fails the run, as the exit code does);
 * - non-strict: passing testcase, because the run is not strict and CI should stay green, with the
 *   departure in <system-out> and the property `verdict=non-strict` so it can be found;
 * - skip: <skipped> with the reason;
 * - known-failure: <skipped> with `known failure: <reason>` (pytest reports xfail the same way).
 * Every testcase carries properties verdict, rule, section, level (and service, mode when set).
 * Errors outside any check (RunReport.errors) become <error> testcases of a `<suite>.run` testsuite.
 */
import type { CheckResult, RunReport } from '../src/core/model.ts';
import { exchangeText } from './wire.ts';

/** Characters XML 1.0 cannot carry at all are shown as `\xNN` / `\uNNNN` so the evidence stays visible. */
export function xmlSafe(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML forbids
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (ch) => {
      const code = ch.charCodeAt(0);
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}

export function escapeXml(text: string): string {
  return xmlSafe(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

/** Text content as CDATA; a `]]>` inside is split across two sections. */
export function cdata(text: string): string {
  return `<![CDATA[${xmlSafe(text).replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

export function testcaseName(check: CheckResult): string {
  return `[${check.section} ${check.rule} ${check.level}] ${check.id}`;
}

function evidence(check: CheckResult): string {
  const lines = [`Requirement (${check.section}, ${check.rule}, ${check.level}): ${check.requirement}`];
  if (check.message) lines.push(`Observed: ${check.message}`);
  if (check.expectation) lines.push(`Expectations file: ${check.expectation}`);
  for (const ex of check.exchanges) lines.push('', exchangeText(ex));
  return lines.join('\n');
}

function testcase(check: CheckResult, classname: string): string {
  const props: Record<string, string | undefined> = {
    verdict: check.verdict,
    rule: check.rule,
    section: check.section,
    level: check.level,
    service: check.service,
    mode: check.mode,
  };
  const properties = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => `        <property${attrs({ name, value })}/>`)
    .join('\n');
  const inner: string[] = [`      <properties>\n${properties}\n      </properties>`];
  switch (check.verdict) {
    case 'fail':
      inner.push(
        `      <failure${attrs({ message: check.message ?? 'failed', type: check.level })}>${cdata(evidence(check))}</failure>`,
      );
      break;
    case 'unexpected-pass':
      inner.push(
        `      <failure${attrs({ message: `passed, but listed as a known failure: ${check.expectation ?? ''}`, type: 'unexpected-pass' })}>${cdata(evidence(check))}</failure>`,
      );
      break;
    case 'skip':
    case 'not-claimed':
      inner.push(`      <skipped${attrs({ message: check.message ?? 'skipped' })}/>`);
      break;
    case 'known-failure':
      inner.push(
        `      <skipped${attrs({ message: `known failure: ${check.expectation ?? check.message ?? ''}` })}/>`,
      );
      inner.push(`      <system-out>${cdata(evidence(check))}</system-out>`);
      break;
    case 'non-strict':
      inner.push(
        `      <system-out>${cdata(`NON-STRICT (fails under --strict)\n${evidence(check)}`)}</system-out>`,
      );
      break;
    case 'informational':
      inner.push(`      <system-out>${cdata(`INFORMATIONAL\n${evidence(check)}`)}</system-out>`);
      break;
    case 'pass':
      break;
  }
  return `    <testcase${attrs({ classname, name: testcaseName(check), time: seconds(check.durationMs) })}>\n${inner.join('\n')}\n    </testcase>`;
}

export function renderJunit(report: RunReport): string {
  const families = new Map<string, CheckResult[]>();
  for (const c of report.checks) families.set(c.family, [...(families.get(c.family) ?? []), c]);
  const count = (list: CheckResult[], pred: (c: CheckResult) => boolean) => list.filter(pred).length;
  const isFailure = (c: CheckResult) => c.verdict === 'fail' || c.verdict === 'unexpected-pass';
  const isSkipped = (c: CheckResult) =>
    c.verdict === 'skip' || c.verdict === 'known-failure' || c.verdict === 'not-claimed';
  const suites: string[] = [];
  let id = 0;
  for (const [family, list] of families) {
    const name = `${report.suite}.${family}`;
    const time = list.reduce((t, c) => t + c.durationMs, 0);
    suites.push(
      `  <testsuite${attrs({ id: id++, name, tests: list.length, failures: count(list, isFailure), errors: 0, skipped: count(list, isSkipped), time: seconds(time), timestamp: report.startedAt.replace(/Z$/, '') })}>\n${list.map((c) => testcase(c, name)).join('\n')}\n  </testsuite>`,
    );
  }
  const errors = report.errors ?? [];
  if (errors.length > 0) {
    // Errors outside any check get their own suite, so CI shows them as errors rather than hiding them.
    const name = `${report.suite}.run`;
    const cases = errors.map(
      (e, i) =>
        `    <testcase${attrs({ classname: name, name: `error outside any check #${i + 1}`, time: '0.000' })}>\n      <error${attrs({ message: e.split('\n')[0], type: 'run-error' })}>${cdata(e)}</error>\n    </testcase>`,
    );
    suites.push(
      `  <testsuite${attrs({ id: id++, name, tests: errors.length, failures: 0, errors: errors.length, skipped: 0, time: '0.000', timestamp: report.startedAt.replace(/Z$/, '') })}>\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  const head = attrs({
    name: `mse-conformance ${report.suite} ${report.suiteVersion} (spec ${report.specHash.slice(0, 12)}) against ${report.target}`,
    tests: report.checks.length + errors.length,
    failures: count(report.checks, isFailure),
    errors: errors.length,
    skipped: count(report.checks, isSkipped),
    time: seconds(report.durationMs),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${head}>\n${suites.join('\n')}\n</testsuites>\n`;
}
