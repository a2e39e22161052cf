/**
 * Runs the gateway suite, as a user would (through the CLI), against the reference simulator behind a proxy
 * (the variant proxy, or the fault proxy), and returns the canonical report. Every server it starts is closed
 * before it returns.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../../../src/checks/config.ts';
import { emptyConfig } from '../../../src/cli/run.ts';
import type { RunReport } from '../../../src/core/model.ts';
import { configFromSimulator, embeddedProfiles } from '../../../src/runner/embedded.ts';
import { defaultProfiles, startSimulator } from '../../../src/simulator/index.ts';
import { projectRoot } from '../../../src/spec/load.ts';
import { freePort } from '../../ports.ts';
import { startVariantProxy, type VariantName } from './variant-proxy.ts';

/** A proxy in front of the simulator: it forwards to `upstream()` and delivers `/cb/...` to `listener`. */
export type StartProxy = (options: {
  upstream: () => string;
  listener: string;
}) => Promise<{ url: string; close: () => Promise<void> }>;

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'mse-conformance.js'), 'gateway', ...args],
      { cwd: projectRoot },
    );
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

export function runVariants(variants: VariantName[], args: string[] = []) {
  return runBehind((o) => startVariantProxy({ ...o, variants }), args);
}

export async function runBehind(
  startProxy: StartProxy,
  args: string[] = [],
): Promise<{ code: number; stderr: string; report: RunReport }> {
  const port = await freePort();
  let upstream = '';
  const proxy = await startProxy({ upstream: () => upstream, listener: `http://127.0.0.1:${port}` });
  const dir = mkdtempSync(join(tmpdir(), 'mse-gw-variant-'));
  try {
    const sim = await startSimulator({
      callback: `${proxy.url}/cb`,
      profiles: embeddedProfiles(defaultProfiles(`${proxy.url}/cb`)),
      log: () => {},
      retry: { delaysMs: [50, 200, 1000] },
    });
    try {
      upstream = sim.url;
      // Receipts may come later than the simulator sends them (receipt-slow), and a loaded machine (parallel
      // CI jobs) slows every answer: waits end when the event comes, so generous budgets cost nothing.
      const base: RunConfig = {
        ...emptyConfig(),
        timeouts: {
          requestMs: 20_000,
          syncMs: 30_000,
          syncLimitMs: 25_000,
          receiptMs: 8_000,
          quietMs: 800,
          redeliveryMs: 10_000,
        },
      };
      const config = configFromSimulator(base, sim, 'partner@empresa.com.br');
      config.target = proxy.url;
      config.listener = { ...config.listener, host: '127.0.0.1', port };
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify(config));
      const result = await cli(['--config', file, '--report', 'json', '--out', dir, '--quiet', ...args]);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
      return { code: result.code, stderr: result.stderr, report };
    } finally {
      await sim.close();
    }
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
