/**
 * `mse-conformance spec coverage` is the gate of "every observable rule is checked": it exits 0 on the project
 * as it stands, and 1 as soon as an observable rule has no check. The computation itself is src/spec/coverage.ts.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeCoverage, parseCheckList } from '../../src/spec/coverage.ts';
import { defaultFixturesDir, defaultSpecDir, loadSpec, projectRoot } from '../../src/spec/load.ts';

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

function copySpec(change: (specDir: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'mse-coverage-'));
  workDirs.push(root);
  cpSync(defaultSpecDir, join(root, 'spec'), { recursive: true });
  cpSync(defaultFixturesDir, join(root, 'fixtures'), { recursive: true });
  change(join(root, 'spec'));
  return join(root, 'spec');
}

function coverage(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'mse-conformance.js'), 'spec', 'coverage', ...args],
      {
        cwd: projectRoot,
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const extraRule = `
- id: transport.coverage-probe
  section: "6.1"
  level: MUST
  text: A rule written for this test, which no check cites.
  tags: [transport]
`;

describe('mse-conformance spec coverage', { timeout: 180_000 }, () => {
  it('exits 0: every observable rule of the spec is cited by a check of either suite', async () => {
    const result = await coverage([]);
    expect(result.err).toBe('');
    expect(result.out).not.toContain('NO CHECK');
    expect(result.out).toMatch(/\d+ rules: \d+ observable, every one cited by a check; \d+ unobservable/);
    expect(result.out).toMatch(
      /from mse-conformance gateway --list \(\d+ checks\), mse-conformance partner --list/,
    );
    expect(result.code).toBe(0);
  });

  it('exits 1 and names the rule when an observable rule has no check', async () => {
    const spec = copySpec((d) => appendFileSync(join(d, 'rules.yaml'), extraRule));
    const text = await coverage(['--spec', spec, '--manifest', '--uncited']);
    expect(text.out).toContain('transport.coverage-probe');
    expect(text.out).toContain('NO CHECK: A rule written for this test');
    expect(text.code).toBe(1);
    const json = await coverage(['--spec', spec, '--manifest', '--uncited', '--json']);
    const report = JSON.parse(json.out) as { gaps: number; rules: { id: string; gap: boolean }[] };
    expect(report.gaps).toBe(1);
    expect(report.rules.map((r) => r.id)).toEqual(['transport.coverage-probe']);
    expect(json.code).toBe(1);
  });

  it('lets a rule go without a check only with a stated reason', async () => {
    const reasoned = copySpec((d) =>
      appendFileSync(
        join(d, 'rules.yaml'),
        extraRule.replace(
          'tags: [transport]',
          'tags: [transport, unobservable]\n  unobservable: nothing of it reaches either side of the interface',
        ),
      ),
    );
    const ok = await coverage(['--spec', reasoned, '--manifest', '--json']);
    const report = JSON.parse(ok.out) as { gaps: number; rules: { id: string; unobservable?: string }[] };
    expect(report.rules.find((r) => r.id === 'transport.coverage-probe')?.unobservable).toMatch(
      /either side/,
    );
    expect(report.gaps).toBe(0);
    expect(ok.code).toBe(0);
    // The tag without the reason, or the reason without the tag, is an invalid spec (exit 2).
    const bare = copySpec((d) =>
      appendFileSync(
        join(d, 'rules.yaml'),
        extraRule.replace('tags: [transport]', 'tags: [transport, unobservable]'),
      ),
    );
    expect((await coverage(['--spec', bare, '--manifest'])).code).toBe(2);
    const untagged = copySpec((d) => {
      const file = join(d, 'services', 'mms-mt.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('  - unobservable\n', ''));
    });
    const result = await coverage(['--spec', untagged, '--manifest']);
    expect(result.err).toMatch(/spec is invalid/);
    expect(result.code).toBe(2);
  });
});

describe('computeCoverage', () => {
  const spec = loadSpec();
  const [observable] = [...spec.rules.values()].filter((r) => !r.unobservable);
  const [unobservable] = [...spec.rules.values()].filter((r) => r.unobservable);

  it('cites per role, reports unknown rules, and counts only observable rules as gaps', () => {
    const listed = [
      ...parseCheckList(`gateway.x.one\t${observable!.id}\t6.1\tMUST\nnot a check line\n`, 'gateway'),
      ...parseCheckList(
        `partner.x.two\t${observable!.id}\t6.1\tMUST\npartner.x.three\tno.such-rule\t6.1\tMUST\n`,
        'partner',
      ),
    ];
    const report = computeCoverage(spec, listed);
    const entry = report.rules.find((r) => r.rule.id === observable!.id)!;
    expect(entry.checks).toEqual({ gateway: ['gateway.x.one'], partner: ['partner.x.two'] });
    expect(entry.gap).toBe(false);
    expect(report.unknownRules).toEqual([{ check: 'partner.x.three', rule: 'no.such-rule' }]);
    expect(report.rules.find((r) => r.rule.id === unobservable!.id)?.gap).toBe(false);
    expect(report.cited).toBe(1);
    expect(report.gaps).toBe(report.observable - 1);
    expect(report.total).toBe(spec.rules.size);
  });
});

// control.service-parameters.upper-case is a convention of the document's naming: the spec data keeps it.
describe('service parameter names', () => {
  it('are upper case for every query input (the USSD elements are the exception)', () => {
    const spec = loadSpec();
    const rule = spec.rules.get('control.service-parameters.upper-case');
    expect(rule?.unobservable).toBeTruthy();
    const lower = spec.services
      .filter((s) => s.kind === 'api' || s.kind === 'mo-delivery')
      .flatMap((s) => s.inputs.filter((i) => (i.in ?? 'query') === 'query').map((i) => `${s.id} ${i.name}`))
      .filter((name) => name.split(' ')[1] !== name.split(' ')[1]!.toUpperCase());
    expect(lower).toEqual([]);
  });
});
