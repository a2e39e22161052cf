/**
 * Secrets (issue 7): the full gateway suite and the full partner suite run through the CLI with known,
 * distinctive passwords in the config (profile passwords, the delivery and MO credentials, the partner's
 * credentials and USSD profile password); then every report, bundle file, console line and simulator log
 * line is searched for each password in every spelling it can take (raw, percent-encoded as UTF-8 and
 * ISO-8859-1, form-encoded, XML- and JSON-escaped, base64, and inside decoded base64 bodies): none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyConfig } from '../../src/cli/run.ts';
import { configFromSimulator } from '../../src/runner/embedded.ts';
import { defaultProfiles, defaultSmtpDomain, startSimulator } from '../../src/simulator/index.ts';
import { freePort } from '../ports.ts';
import { findLeaks, findLeaksInFiles, runCli } from './secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Distinctive, and with characters that change under every encoding (space, +, #, &, ç, é). */
const secret = (tag: string) => `Zq7 ${tag}+sëcrét#ç&9`;

describe('secrets never leave the run', () => {
  it('gateway suite, every service, distinctive passwords: zero occurrences anywhere', async () => {
    const listenerPort = await freePort();
    const callback = `http://127.0.0.1:${listenerPort}`;
    const deliveryPwd = secret('rcpt');
    const moPwd = secret('mo');
    const profiles = defaultProfiles(callback).map((p, i) => ({
      ...p,
      password: secret(`p${i}`),
      ...(p.delivery ? { delivery: { ...p.delivery, pwd: deliveryPwd } } : {}),
      ...(p.mo ? { mo: { ...p.mo, pwd: moPwd } } : {}),
    }));
    const simLog: string[] = [];
    const sim = await startSimulator({
      profiles,
      log: (l) => simLog.push(l),
      retry: { delaysMs: [50, 200, 1000] },
    });
    const base = emptyConfig();
    base.timeouts = {
      requestMs: 5_000,
      syncMs: 10_000,
      syncLimitMs: 8_000,
      receiptMs: 5_000,
      quietMs: 800,
      redeliveryMs: 5_000,
    };
    base.listener = { host: '127.0.0.1', port: listenerPort };
    const config = { ...configFromSimulator(base, sim, `partner@${defaultSmtpDomain}`), target: sim.url };
    const configFile = join(dir, 'gateway.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const out = join(dir, 'gateway-reports');
    const secrets = [...new Set([...profiles.map((p) => p.password), deliveryPwd, moPwd])];
    try {
      const run = await runCli([
        'gateway',
        '--config',
        configFile,
        '--report',
        'json,junit,html,md',
        '--out',
        out,
      ]);
      // The run happened in full (reports written, checks ran); its verdict is not the point here.
      expect([0, 1], run.stderr.slice(-2000)).toContain(run.code);
      expect(run.stdout).toMatch(/reports: /);
      const leaks = [
        ...findLeaks('stdout', run.stdout, secrets),
        ...findLeaks('stderr', run.stderr, secrets),
        ...findLeaks('simulator log', simLog.join('\n'), secrets),
        ...findLeaksInFiles([out], secrets),
      ];
      expect(leaks.slice(0, 5)).toEqual([]);
      // Not vacuous: the passwords did travel (the simulator accepted requests made with them).
      expect(sim.transactions().filter((t) => t.response?.statusCode === 0).length).toBeGreaterThan(100);
    } finally {
      await sim.close();
    }
  }, 240_000);

  it('partner suite with credentials and a bundle: zero occurrences anywhere', async () => {
    const pwd = secret('partner');
    const ussdPassword = secret('ussd');
    const configFile = join(dir, 'partner.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        version: 1,
        partner: { credentials: { userid: 'mse-cert', pwd } },
        profiles: { USSD_MENU: { profile: 'ACME_USSD', password: ussdPassword } },
      }),
    );
    const out = join(dir, 'partner-reports');
    const bundle = join(dir, 'evidence.tar');
    const bundleDir = join(dir, 'evidence');
    const secrets = [pwd, ussdPassword];
    const run = await runCli([
      'partner',
      '--config',
      configFile,
      '--report',
      'json,junit,html,md',
      '--out',
      out,
      '--bundle',
      bundle,
    ]);
    expect(run.code, `${run.stdout.slice(-1500)}\n${run.stderr.slice(-1500)}`).toBe(0);
    expect(run.stdout).toMatch(/bundle: .*verified/);
    const runDir = await runCli([
      'partner',
      '--config',
      configFile,
      '--report',
      'json',
      '--bundle',
      bundleDir,
    ]);
    expect(runDir.code).toBe(0);
    const leaks = [
      ...findLeaks('stdout', run.stdout + runDir.stdout, secrets),
      ...findLeaks('stderr', run.stderr + runDir.stderr, secrets),
      ...findLeaksInFiles([out, bundle, bundleDir], secrets),
    ];
    expect(leaks.slice(0, 5)).toEqual([]);
  }, 240_000);

  it('the search finds a password in each spelling (control: the zeros above are not vacuous)', () => {
    const s = secret('ctl');
    const spellings = [
      `pwd=${s}`,
      `pwd=${encodeURIComponent(s)}`,
      `pwd=${new URLSearchParams({ x: s }).toString().slice(2)}`,
      'PWD=Zq7%20ctl%2Bs%EBcr%E9t%23%E7%269',
      `<password>${s.replace('&', '&amp;')}</password>`,
      JSON.stringify({ pwd: s }),
      JSON.stringify({ bodyBase64: Buffer.from(`x=1&pwd=${encodeURIComponent(s)}&y=2`).toString('base64') }),
    ];
    for (const text of spellings) expect(findLeaks('control', text, [s]).length, text).toBeGreaterThan(0);
  });
});
