import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageMatrix, verifyBundle, writeBundle } from '../../src/bundle/index.ts';
import { readTar, writeTar } from '../../src/bundle/tar.ts';
import { type CheckResult, type RunReport, summarize } from '../../src/core/model.ts';

const PASSWORD = 'Tr0ub4dor&3';
const PROFILE_PWD = 'bae2000xyz';

function check(id: string, rule: string, verdict: CheckResult['verdict']): CheckResult {
  const body = Buffer.from(
    `<mse-response><status-code>0</status-code></mse-response> pwd ${PASSWORD}`,
    'utf8',
  );
  return {
    id,
    rule,
    section: '6.4.1.1',
    level: 'MUST',
    family: 'receipts',
    requirement: 'The partner answers a receipt with HTTP 200.',
    verdict,
    durationMs: 3,
    exchanges: [
      {
        label: 'suite → partner receipt',
        at: '2026-01-01T00:00:00.000Z',
        request: {
          method: 'POST',
          url: `http://127.0.0.1:1/receipt?userid=mse&pwd=${encodeURIComponent(PASSWORD)}`,
          headers: { 'content-type': 'text/xml' },
          bodyBase64: body.toString('base64'),
          bodyText: body.toString('utf8'),
        },
        response: { status: 200, headers: {}, bodyBase64: Buffer.from('OK').toString('base64') },
      },
    ],
  };
}

function sampleReport(): RunReport {
  const checks = [
    check('partner.receipts.a', 'receipt.partner-answers-200', 'pass'),
    check('partner.receipts.b', 'receipt.partner-answers-200', 'fail'),
    check('partner.mo.c', 'sms-mo.latin1', 'pass'),
  ];
  return {
    schemaVersion: '1.1.0',
    suite: 'partner',
    suiteVersion: '0.1.0',
    specHash: 'ab'.repeat(32),
    target: 'http://127.0.0.1:1',
    config: { credentials: { userid: 'mse', pwd: PASSWORD } },
    strict: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    summary: summarize(checks),
    checks,
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

describe('certification bundle', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mse-bundle-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  const input = () => ({
    report: sampleReport(),
    config: {
      target: 'x',
      credentials: { userid: 'mse', pwd: PASSWORD },
      profiles: [{ password: PROFILE_PWD }],
    },
    secrets: [PASSWORD, PROFILE_PWD],
  });

  it('writes a directory that verifies, with the layout the manifest lists', async () => {
    const dir = join(tmp, 'ok');
    await writeBundle(dir, input());
    const files = await listFiles(dir);
    expect(files).toEqual(
      expect.arrayContaining([
        'manifest.json',
        'manifest.sha256',
        'report.json',
        'suite.json',
        'config.json',
        'coverage.json',
        'exchanges/0001.json',
      ]),
    );
    const result = await verifyBundle(dir);
    expect(result.problems).toEqual([]);
    expect(result.intact).toBe(true);
    expect(result.report?.summary.byVerdict.fail).toBe(1);
  });

  it('holds no password in any file, not even inside base64 bodies', async () => {
    const dir = join(tmp, 'secrets');
    await writeBundle(dir, input());
    for (const f of await listFiles(dir)) {
      const text = await readFile(join(dir, f), 'utf8');
      for (const secret of [PASSWORD, PROFILE_PWD, encodeURIComponent(PASSWORD)])
        expect(text, f).not.toContain(secret);
      for (const b64 of text.match(/"bodyBase64": "([^"]*)"/g) ?? []) {
        const decoded = Buffer.from(b64.split('"')[3]!, 'base64').toString('utf8');
        expect(decoded, f).not.toContain(PASSWORD);
      }
    }
  });

  it('detects one altered byte in any file', async () => {
    const dir = join(tmp, 'byte');
    await writeBundle(dir, input());
    for (const f of await listFiles(dir)) {
      const path = join(dir, f);
      const original = await readFile(path);
      const altered = Buffer.from(original);
      altered[Math.floor(altered.length / 2)]! ^= 0x01;
      await writeFile(path, altered);
      const result = await verifyBundle(dir);
      expect(result.intact, f).toBe(false);
      expect(result.problems.join('\n'), f).toMatch(/altered|not a bundle manifest|not valid JSON/);
      await writeFile(path, original);
    }
    expect((await verifyBundle(dir)).intact).toBe(true);
  });

  it('detects a removed file, an added file and an edited manifest', async () => {
    const dir = join(tmp, 'edits');
    await writeBundle(dir, input());
    await unlink(join(dir, 'coverage.json'));
    expect((await verifyBundle(dir)).problems).toContain('coverage.json is missing');

    await writeBundle(dir, input());
    await writeFile(join(dir, 'extra.txt'), 'x');
    expect((await verifyBundle(dir)).problems.join()).toMatch(/extra.txt is not listed/);

    await writeBundle(dir, input());
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.target = 'http://elsewhere';
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    expect((await verifyBundle(dir)).problems.join()).toMatch(/manifest.json was altered/);

    await writeBundle(dir, input());
    await unlink(join(dir, 'manifest.json'));
    expect((await verifyBundle(dir)).intact).toBe(false);
  });

  it('writes a .tar archive that verifies, and detects a byte altered inside it', async () => {
    const file = join(tmp, 'bundle.tar');
    await writeBundle(file, input());
    expect((await verifyBundle(file)).intact).toBe(true);
    const archive = await readFile(file);
    const entries = await readTar(archive);
    const report = entries.find((e) => e.path === 'report.json')!;
    report.data[10]! ^= 0x01;
    await writeFile(file, await writeTar(entries));
    const result = await verifyBundle(file);
    expect(result.intact).toBe(false);
    expect(result.problems).toContain('report.json was altered (SHA-256 differs from the manifest)');
  });

  it('refuses what is not a bundle, and a damaged archive, without throwing', async () => {
    const empty = join(tmp, 'empty');
    await writeFile(join(tmp, 'not-a-bundle.tar'), Buffer.alloc(1024, 1));
    expect((await verifyBundle(join(tmp, 'not-a-bundle.tar'))).problems.join()).toMatch(
      /cannot read the bundle/,
    );
    await writeBundle(empty, input());
    await unlink(join(empty, 'manifest.json'));
    await unlink(join(empty, 'manifest.sha256'));
    expect((await verifyBundle(empty)).problems).toEqual(['manifest.json is missing']);
    const file = join(tmp, 'damaged.tar');
    await writeBundle(file, input());
    const archive = await readFile(file);
    archive[0]! ^= 0x20;
    await writeFile(file, archive);
    expect((await verifyBundle(file)).problems.join()).toMatch(/damaged tar header/);
  });

  it('builds a coverage matrix with uncovered rules', () => {
    const matrix = coverageMatrix(sampleReport().checks, [
      { id: 'zz.uncovered', section: '6.4.5.1', level: 'SHOULD', text: 't', tags: [], origin: 'rules.yaml' },
    ]);
    expect(matrix['receipt.partner-answers-200']!.checks.map((c) => c.verdict)).toEqual(['pass', 'fail']);
    expect(matrix['zz.uncovered']!.checks).toEqual([]);
  });
});
