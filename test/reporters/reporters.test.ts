import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatSummaryLines,
  parseReportFormats,
  REPORT_FORMATS,
  writeReports,
} from '../../reporters/index.ts';
import { renderMarkdown } from '../../reporters/markdown.ts';
import { REPORT_SCHEMA_VERSION, type RunReport, summarize } from '../../src/core/model.ts';
import { maskSecretBytes as maskBytes, MASK as SECRET_MASK, secretForms } from '../../src/core/secrets.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { buildFixtureReport, LATIN1_PASSWORD, PASSWORD, SECRETS } from './fixture.ts';

const schema = JSON.parse(await readFile(join(projectRoot, 'spec/schema/report.schema.json'), 'utf8'));

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

/** Every way a password could show up in a text output. */
function leaks(text: string): string[] {
  return SECRETS.flatMap((s) => secretForms(s)).filter((form) => text.includes(form));
}

let dir: string;
let outputs: Record<string, string>;
let paths: string[];
const report = buildFixtureReport();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mse-reporters-'));
  paths = await writeReports(report, [...REPORT_FORMATS], dir, SECRETS);
  outputs = {};
  for (const p of paths) outputs[basename(p)] = await readFile(p, 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseReportFormats', () => {
  it('accepts a comma-separated list, spaces, case, duplicates and "all"', () => {
    expect(parseReportFormats('json,junit')).toEqual(['json', 'junit']);
    expect(parseReportFormats(' HTML , md,html ')).toEqual(['html', 'md']);
    expect(parseReportFormats('all')).toEqual(['json', 'junit', 'html', 'md']);
  });
  it('names the unknown format and the choices', () => {
    expect(() => parseReportFormats('json,xml')).toThrow(
      /Unknown report format 'xml'.*json, junit, html, md/,
    );
    expect(() => parseReportFormats('json,xml')).toThrow(
      expect.objectContaining({ code: 'MSE_REPORT_FORMAT' }),
    );
    expect(() => parseReportFormats(' , ')).toThrow(/at least one format/);
  });
});

describe('writeReports', () => {
  it('writes one file per format and returns their paths in order', () => {
    expect(paths.map((p) => basename(p))).toEqual(['report.json', 'junit.xml', 'report.html', 'summary.md']);
  });

  it('writes only the formats asked for', async () => {
    const only = await mkdtemp(join(tmpdir(), 'mse-reporters-md-'));
    try {
      const written = await writeReports(report, ['md'], join(only, 'nested'));
      expect(written.map((p) => basename(p))).toEqual(['summary.md']);
    } finally {
      await rm(only, { recursive: true, force: true });
    }
  });
});

describe('JSON report', () => {
  it('is the RunReport itself, with schemaVersion, and validates against report.schema.json', () => {
    const parsed = JSON.parse(outputs['report.json']!) as RunReport;
    expect(Object.keys(parsed)[0]).toBe('schemaVersion');
    expect(parsed.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(parsed.checks.map((c) => c.id)).toEqual(report.checks.map((c) => c.id));
    expect(parsed.summary).toEqual(summarize(report.checks));
    const validate = validator();
    expect(validate(parsed), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('the schema pins the version and refuses what the model does not allow', () => {
    expect(schema.properties.schemaVersion.const).toBe(REPORT_SCHEMA_VERSION);
    const validate = validator();
    const bad = structuredClone(report) as unknown as { checks: Record<string, unknown>[] };
    bad.checks[0]!.verdict = 'passed';
    expect(validate(bad)).toBe(false);
    const extra = structuredClone(report) as unknown as Record<string, unknown>;
    extra.unexpected = true;
    expect(validate(extra)).toBe(false);
    const noBody = structuredClone(report);
    delete (
      noBody.checks[0]!.exchanges[0]!.request as Partial<(typeof noBody.checks)[0]['exchanges'][0]['request']>
    ).bodyBase64;
    expect(validate(noBody)).toBe(false);
  });

  it('keeps Latin-1 bytes exactly (masking re-encodes only around the password)', () => {
    const parsed = JSON.parse(outputs['report.json']!) as RunReport;
    const mo = parsed.checks.find((c) => c.id === 'gateway.mo.sms.latin1')!;
    const body = Buffer.from(mo.exchanges[0]!.request.bodyBase64, 'base64');
    expect(body.equals(Buffer.from(`TEXT=Ação é órfã&PWD=${SECRET_MASK}`, 'latin1'))).toBe(true);
  });
});

describe('JUnit report', () => {
  const parse = () =>
    new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', processEntities: true }).parse(
      outputs['junit.xml']!,
    );

  it('is well-formed XML', () => {
    expect(XMLValidator.validate(outputs['junit.xml']!)).toBe(true);
  });

  it('has one testsuite per family and one testcase per check, named with section, rule and level', () => {
    const doc = parse();
    const suites = [doc.testsuites.testsuite].flat();
    expect(suites.map((s: { name: string }) => s.name).sort()).toEqual(
      [
        'gateway.envelope',
        'gateway.modes',
        'gateway.mo',
        'gateway.params',
        'gateway.results',
        'gateway.smtp',
      ].sort(),
    );
    const cases = suites.flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Record<
      string,
      unknown
    >[];
    expect(cases).toHaveLength(report.checks.length);
    for (const c of report.checks) {
      const tc = cases.find((t) => t.name === `[${c.section} ${c.rule} ${c.level}] ${c.id}`);
      expect(tc, c.id).toBeDefined();
      expect(tc!.classname).toBe(`gateway.${c.family}`);
    }
    expect(doc.testsuites.tests).toBe(String(report.checks.length));
    expect(doc.testsuites.failures).toBe('3');
    expect(doc.testsuites.skipped).toBe('3');
  });

  it('maps verdicts: failure with the exchanges, skipped with the reason, non-strict passes with a note', () => {
    const doc = parse();
    const cases = [doc.testsuites.testsuite]
      .flat()
      .flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Record<string, Record<string, string>>[];
    const byId = (id: string) => cases.find((t) => String(t.name).endsWith(` ${id}`))!;
    const failure = byId('gateway.params.sms-text.text.max-length.outside').failure!;
    expect(failure.message).toContain('expected status-code 12');
    // The exchange is in the failure text, and a `]]>` from the target survived the CDATA split.
    expect(failure['#text']).toContain('POST http://127.0.0.1:8080/MSE/api');
    expect(failure['#text']).toContain('<error-message><script>window.__pwned = 1</script>');
    expect(failure['#text']).toContain(']]>&amp;');
    expect(byId('gateway.smtp.autd.delivered').skipped!.message).toContain('no SMTP address');
    expect(byId('gateway.envelope.transaction-id.unique').skipped!.message).toContain(
      'known failure: our gateway',
    );
    expect(byId('gateway.envelope.xml-declaration').failure!.type).toBe('unexpected-pass');
    const nonStrict = byId('gateway.modes.sms-text.sync.accepted');
    expect(nonStrict.failure).toBeUndefined();
    expect(nonStrict['system-out']).toContain('NON-STRICT');
    expect(byId('gateway.mo.sms.latin1').failure!['#text']).toContain('timeout after 5000 ms');
  });

  it('carries no character XML forbids', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(outputs['junit.xml']).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(outputs['junit.xml']).toContain('\\x01');
  });
});

describe('Markdown summary', () => {
  const md = () => outputs['summary.md']!;
  it('states the counts, the conclusion, the failures with rule and section, and skipped families', () => {
    expect(md()).toContain('**Conformant:** no');
    expect(md()).toMatch(/\| fail \| 2 \|/);
    expect(md()).toContain(
      '`gateway.params.sms-text.text.max-length.outside` | `sms-text.text.max-length` | 6.4.1 | MUST',
    );
    expect(md()).toContain('`gateway.mo.sms.latin1`');
    expect(md()).toContain('`gateway.envelope.xml-declaration`');
    expect(md()).toMatch(/\*\*smtp\*\* \(2 checks\): no SMTP address in the config/);
    expect(md()).toContain('1 known failures');
    expect(md()).toContain('our gateway reuses ids after restart (TICKET-12)');
  });
  it('groups skips inside families that otherwise ran by rule', () => {
    const partly = buildFixtureReport();
    const template = partly.checks[0]!;
    partly.checks.push(
      ...[1, 2, 3].map((i) => ({
        ...template,
        id: `gateway.control.billing.${i}`,
        family: 'params',
        rule: 'control.billing-code',
        section: '6.2',
        verdict: 'skip' as const,
        message: `profile ${i} does not require billingCode`,
      })),
    );
    partly.summary = summarize(partly.checks);
    const text = renderMarkdown(partly);
    expect(text).toContain('3 other skipped checks, by rule');
    expect(text).toContain(
      'params · `control.billing-code` (6.2): 3 checks, e.g. profile 1 does not require billingCode',
    );
  });

  it('renders no HTML from the target', () => {
    expect(md()).not.toContain('<script>');
    expect(md()).not.toContain('<img');
    expect(md()).toContain('&lt;script&gt;');
  });
  it('caps the failure table and says how many more', () => {
    const many = buildFixtureReport();
    const template = many.checks[1]!;
    many.checks = Array.from({ length: 70 }, (_, i) => ({ ...template, id: `gateway.params.x${i}` }));
    many.summary = summarize(many.checks);
    const text = renderMarkdown(many);
    expect(text).toContain('`gateway.params.x49`');
    expect(text).not.toContain('`gateway.params.x50`');
    expect(text).toContain('…and 20 more failures');
  });
});

describe('console summary', () => {
  it('lists counts and failures with id, rule, section and message; no colour unless asked', () => {
    const lines = formatSummaryLines(report, { color: false });
    const text = lines.join('\n');
    expect(text).toContain('9 checks');
    expect(text).toContain('2 fail');
    expect(text).toContain('gateway.params.sms-text.text.max-length.outside');
    expect(text).toContain('rule sms-text.text.max-length (section 6.4.1, MUST)');
    expect(text).toContain('NONCONFORMANT: 3 failing check(s)');
    // Escape sequences from the target must not reach the terminal.
    expect(text).not.toContain('\u001b');
    expect(formatSummaryLines(report, { color: true }).join('\n')).toContain('\u001b[31;1m');
  });
});

describe('secrets', () => {
  it('no password, in any encoding, in any output or in any decoded body', () => {
    for (const [name, text] of Object.entries(outputs)) expect(leaks(text), name).toEqual([]);
    const parsed = JSON.parse(outputs['report.json']!) as RunReport;
    for (const c of parsed.checks) {
      for (const ex of c.exchanges) {
        for (const m of [ex.request, ex.response]) {
          if (!m) continue;
          const bytes = Buffer.from(m.bodyBase64, 'base64');
          for (const s of SECRETS) {
            for (const form of secretForms(s)) {
              expect(bytes.includes(Buffer.from(form, 'utf8')), `${c.id} ${form}`).toBe(false);
              expect(bytes.includes(Buffer.from(form, 'latin1')), `${c.id} ${form}`).toBe(false);
            }
          }
        }
      }
    }
    expect(outputs['report.json']).toContain(SECRET_MASK);
  });

  it('the fixture really carries the passwords: without the secrets list they leak', async () => {
    const leaky = await mkdtemp(join(tmpdir(), 'mse-reporters-leak-'));
    try {
      for (const p of await writeReports(report, ['json', 'junit', 'html', 'md'], leaky)) {
        if (!p.endsWith('summary.md')) expect(leaks(await readFile(p, 'utf8')), p).not.toEqual([]);
      }
    } finally {
      await rm(leaky, { recursive: true, force: true });
    }
  });

  it('masks bytes in UTF-8, Latin-1 and percent-encoded forms', () => {
    const body = Buffer.concat([
      Buffer.from(`a=${LATIN1_PASSWORD}&`, 'latin1'),
      Buffer.from(`b=${LATIN1_PASSWORD}&c=${encodeURIComponent(LATIN1_PASSWORD)}&d=`, 'utf8'),
      Buffer.from(new URLSearchParams({ x: PASSWORD }).toString(), 'ascii'),
    ]);
    expect(maskBytes(body, SECRETS).toString('latin1')).toBe(
      ['a', 'b', 'c', 'd=x'].map((k) => `${k}=${SECRET_MASK}`).join('&'),
    );
  });
});

describe('errors outside any check', () => {
  it('every format shows them and none calls the run conformant', async () => {
    const withErrors = buildFixtureReport();
    withErrors.checks = withErrors.checks.filter((c) => c.verdict === 'pass');
    withErrors.summary = summarize(withErrors.checks);
    withErrors.errors = ['suites/gateway/receipts.test.ts failed to load: <TypeError> x is undefined ]]>'];
    withErrors.summary.conformant = false;
    const out = await mkdtemp(join(tmpdir(), 'mse-reporters-errors-'));
    try {
      const [json, junit, html, md] = await Promise.all(
        (await writeReports(withErrors, [...REPORT_FORMATS], out)).map((p) => readFile(p, 'utf8')),
      );
      const validate = validator();
      expect(validate(JSON.parse(json!)), JSON.stringify(validate.errors)).toBe(true);
      expect(XMLValidator.validate(junit!)).toBe(true);
      expect(junit).toMatch(/<testsuites [^>]*tests="2" failures="0" errors="1"/);
      expect(junit).toContain(
        '<error message="suites/gateway/receipts.test.ts failed to load: &lt;TypeError&gt;',
      );
      expect(html).toContain('Errors outside any check (1)');
      expect(html).toContain('&lt;TypeError&gt;');
      expect(html).toContain('not conformant');
      expect(md).toContain('**Conformant:** no');
      expect(md).toContain('### Errors outside any check (1)');
      const lines = formatSummaryLines(withErrors, { color: false }).join('\n');
      expect(lines).toContain('NONCONFORMANT: 0 failing check(s), 1 error(s) outside any check');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('secrets that are words of the formats themselves', () => {
  it('a password like "pass", "name" or "12" masks data but never breaks JSON, XML or the HTML script', async () => {
    const wordy = buildFixtureReport();
    const check = wordy.checks[1]!;
    check.message = 'echoed name pass 12 in the error-message';
    const out = await mkdtemp(join(tmpdir(), 'mse-reporters-words-'));
    try {
      const secrets = ['pass', 'name', 'time', '12', 'testcase'];
      const [json, junit, html] = await Promise.all(
        (await writeReports(wordy, ['json', 'junit', 'html'], out, secrets)).map((p) => readFile(p, 'utf8')),
      );
      const parsed = JSON.parse(json!) as RunReport;
      expect(parsed.checks[1]!.message).toBe(
        `echoed ${SECRET_MASK} ${SECRET_MASK} ${SECRET_MASK} in the error-message`,
      );
      expect(parsed.durationMs).toBe(1234);
      expect(XMLValidator.validate(junit!)).toBe(true);
      expect(junit).toContain(
        '<testcase classname="gateway.params" name="[6.4.1 sms-text.text.max-length MUST]',
      );
      expect(junit).toContain(
        `Observed: echoed ${SECRET_MASK} ${SECRET_MASK} ${SECRET_MASK} in the error-message`,
      );
      // The report's own markup, style and script are untouched (the script is allowed by its hash).
      expect(html).toContain('class="badge v-pass"');
      expect(html).toContain("var state={verdicts:{},family:'',service:null,mode:null,q:''};");
      expect(html).toContain(`echoed ${SECRET_MASK} ${SECRET_MASK} ${SECRET_MASK} in the error-message`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('credential fields are masked whatever their value, even when no secret is listed', async () => {
    const report = buildFixtureReport();
    report.checks[0]!.exchanges[0]!.request.url =
      'http://127.0.0.1:8080/MSE/api?profile=1&pwd=unlisted-1&mode=sync';
    report.checks[0]!.exchanges[0]!.request.headers.authorization = 'Basic dW5saXN0ZWQ6MQ==';
    const out = await mkdtemp(join(tmpdir(), 'mse-reporters-fields-'));
    try {
      const [json] = await writeReports(report, ['json'], out);
      const text = await readFile(json!, 'utf8');
      expect(text).not.toContain('unlisted-1');
      expect(text).not.toContain('dW5saXN0ZWQ6MQ==');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
