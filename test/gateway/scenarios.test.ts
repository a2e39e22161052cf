/**
 * Failure scenarios reached by a switch: an http request turns the silent handset on for the check's number
 * before the check and off after it (here the simulator's control API; a gateway has its own). A switch that
 * does not make the handset silent must fail the 110 checks, or the test could not fail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/model.ts';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { freePort } from '../ports.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-scenarios-'));
const sims: Simulator[] = [];
afterAll(async () => {
  for (const s of sims) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'mse-conformance.js'), 'gateway', ...args],
      {
        stdio: 'ignore',
      },
    );
    child.on('close', (code) => resolve(code ?? -1));
  });
}

async function withSwitch(
  name: string,
  on: unknown,
  extra: string[] = [],
): Promise<{ code: number; report: RunReport }> {
  const port = await freePort();
  const sim = await startSimulator({ callback: `http://127.0.0.1:${port}`, smtp: false, log: () => {} });
  sims.push(sim);
  const action = (body: unknown) => ({ http: { method: 'POST', url: `${sim.controlUrl}/scenario`, body } });
  const config = {
    version: 1,
    target: sim.url,
    profiles: {
      LBS_TORPEDO: { profile: 'LBS_TORPEDO', password: 'senha' },
      IMEI_TORPEDO: { profile: 'IMEI_TORPEDO', password: 'senha' },
    },
    listener: { host: '127.0.0.1' },
    scenarios: { silentHandset: { number: '1191000077', before: action(on), after: action({}) } },
    timeouts: { requestMs: 15000, syncMs: 20000, receiptMs: 15000, quietMs: 500, redeliveryMs: 15000 },
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(config));
  const out = join(dir, name);
  const code = await run([
    '--config',
    join(dir, `${name}.json`),
    '--listener-port',
    String(port),
    '--only',
    'rule:*.failure.110',
    ...extra,
    '--out',
    out,
    '--report',
    'json',
    '--quiet',
  ]);
  return { code, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport };
}

describe('a scenario switched on around the check', () => {
  it('provokes 110 on the number it names, and is undone after', async () => {
    const { code, report } = await withSwitch('on', {
      subscribers: [{ ctn: '1191000077', deviceAnswers: false }],
    });
    expect(report.checks.map((c) => [c.id, c.verdict])).toEqual(report.checks.map((c) => [c.id, 'pass']));
    expect(report.checks).toHaveLength(4);
    expect(code).toBe(0);
    const labels = report.checks[0]!.exchanges.map((e) => e.label);
    expect(labels[0]).toBe('suite → scenario switch silentHandset on');
    expect(labels.at(-1)).toBe('suite → scenario switch silentHandset off');
    expect(await (await fetch(`${sims[0]!.controlUrl}/scenario`)).json()).toEqual({});
  }, 120_000);

  // 110 is SHOULD (errata.failure-codes-from-examples): the departure is a failure under --strict.
  it('a switch that changes nothing fails the 110 checks (--strict)', async () => {
    const { code, report } = await withSwitch('noop', {}, ['--strict']);
    expect(code).toBe(1);
    const statusChecks = report.checks.filter((c) => c.id.endsWith('.status-code'));
    expect(statusChecks.map((c) => c.verdict)).toEqual(['fail', 'fail']);
  }, 120_000);
});
