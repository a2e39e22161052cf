import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPartner } from '../../src/cli/partner.ts';
import { verifyCommand } from '../../src/cli/verify.ts';
import type { RunReport } from '../../src/core/model.ts';
import { startReferencePartner } from '../../src/partner/reference.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { type BrokenPartner, startBrokenPartner } from './broken.ts';

const PASSWORD = 'cli-partner-secret-9';

describe('mse-conformance partner', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mse-partner-cli-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('certifies the embedded reference partner on the real runner, with reports and a bundle verify accepts', async () => {
    const out = join(tmp, 'reports');
    const bundle = join(tmp, 'bundle');
    const configFile = join(tmp, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        version: 1,
        timeouts: { requestMs: 5000 },
        partner: { credentials: { userid: 'mse', pwd: PASSWORD } },
      }),
    );
    const lines: string[] = [];
    const code = await runPartner({ config: configFile, out, bundle }, (l) => lines.push(l));
    expect(code, lines.join('\n')).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as RunReport;
    expect(report.suite).toBe('partner');
    expect(report.summary.byVerdict.fail).toBe(0);
    expect(report.summary.byVerdict.pass).toBeGreaterThan(60);
    expect(report.checks.every((c) => c.rule && c.section)).toBe(true);
    expect(await readdir(out)).toEqual(
      expect.arrayContaining(['report.json', 'junit.xml', 'report.html', 'summary.md']),
    );

    expect(await verifyCommand([bundle])).toBe(0);
    // No password anywhere in the bundle: the text, or the bytes of any recorded body.
    const files = (await readdir(bundle, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    for (const f of files) {
      const text = await readFile(join(f.parentPath, f.name), 'utf8');
      expect(text, f.name).not.toContain(PASSWORD);
      for (const m of text.matchAll(/"bodyBase64": "([^"]*)"/g))
        expect(Buffer.from(m[1]!, 'base64').toString('latin1'), f.name).not.toContain(PASSWORD);
    }
    const reportFile = join(bundle, 'report.json');
    const original = await readFile(reportFile);
    await writeFile(reportFile, original.toString('utf8').replace('"fail": 0', '"fail": 1'));
    expect(await verifyCommand([bundle])).toBe(1);
  });

  it('takes endpoint URLs one by one, skipping the checks of the endpoints not given', async () => {
    const partner = await startReferencePartner();
    try {
      const out = join(tmp, 'endpoints');
      const code = await runPartner(
        {
          receipts: partner.receiptsUrl,
          mo: partner.moUrl,
          out,
          report: 'json',
          quiet: true,
          skip: ['family:receipts'],
        },
        () => {},
      );
      expect(code).toBe(0);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as RunReport;
      expect(report.target).toContain(partner.moUrl);
      const sms = report.checks.filter((c) => c.service === 'DELIVERY_SMS');
      expect(sms.length).toBeGreaterThan(5);
      expect(sms.every((c) => c.verdict === 'pass')).toBe(true);
      const ussd = report.checks.filter((c) => c.family === 'ussd');
      expect(ussd.length).toBeGreaterThan(0);
      expect(ussd.every((c) => c.verdict === 'skip' && /--ussd/.test(c.message ?? ''))).toBe(true);
      expect(report.checks.some((c) => c.family === 'receipts')).toBe(false);
    } finally {
      await partner.close();
    }
  });

  it('--serve runs the reference partner until SIGINT, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'mse-conformance.js'), 'partner', '--serve', '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const m = /reference partner at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${out}`)));
      });
      const res = await fetch(`${url}/mo/sms?TEXT=Ol%E1&ID=1&BNUM=3301`);
      expect(res.status).toBe(200);
      expect(await (await fetch(`${url}/inbox`)).text()).toContain('Olá');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('runs the checks of a slow partner and reports it slow (SHOULD: non-strict); only a partner no connection reaches is unreachable (exit 3)', async () => {
    // Answers every request after 1.5 s, beyond the run's request timeout and the answer budget (both 1 s).
    const slow = createServer((req, res) => {
      req.resume();
      const timer = setTimeout(() => res.end('OK'), 1_500);
      res.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    try {
      const configFile = join(tmp, 'slow.json');
      await writeFile(
        configFile,
        JSON.stringify({ version: 1, timeouts: { requestMs: 1000 }, partner: { answerBudgetMs: 1000 } }),
      );
      const out = join(tmp, 'slow');
      const code = await runPartner(
        {
          config: configFile,
          target: url,
          out,
          report: 'json',
          quiet: true,
          only: ['rule:partner.answer.time-budget'],
        },
        () => {},
      );
      expect(code).toBe(0);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as RunReport;
      expect(report.checks.length).toBeGreaterThan(0);
      for (const c of report.checks) {
        expect(c.verdict).toBe('non-strict');
        expect(c.message).toMatch(/did not answer .* within 1000 ms .*slow, not unreachable/);
      }
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await runPartner({ target: closedUrl, quiet: true, report: 'json' }, () => {})).toBe(3);
  });

  describe('against a broken partner', () => {
    let partner: BrokenPartner;
    beforeAll(async () => {
      partner = await startBrokenPartner('answers-204');
    });
    afterAll(() => partner.close());

    it('exits 1 and names the failing checks in the report', async () => {
      const out = join(tmp, 'broken');
      const code = await runPartner(
        { target: partner.url, out, report: 'json', quiet: true, only: ['family:receipts'] },
        () => {},
      );
      expect(code).toBe(1);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as RunReport;
      expect(report.checks.length).toBeGreaterThan(10);
      expect(report.checks.every((c) => c.verdict === 'fail' && c.family === 'receipts')).toBe(true);
      expect(report.checks[0]!.message).toMatch(/HTTP 204/);
    });
  });
});
