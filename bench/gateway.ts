/**
 * Benchmark of the gateway suite: the full run against the embedded reference simulator, as `npm start`
 * does it: how many checks, how long, checks per second, and how much of the run is spent waiting on the
 * listener for receipts and MO deliveries (including the windows that watch for deliveries that must not come).
 * Goal (issue 4): at least 500 checks in under 20 seconds on a 2-core machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gatewayRun } from '../src/cli/gateway.ts';
import { emptyConfig } from '../src/cli/run.ts';
import { configFromSimulator, embeddedProfiles } from '../src/runner/embedded.ts';
import { defaultProfiles, startSimulator } from '../src/simulator/index.ts';
import { type FaultName, startFaultProxy } from '../test/gateway/broken/fault-proxy.ts';
import { freePort } from '../test/ports.ts';

export interface GatewayBenchResult {
  checks: number;
  seconds: number;
  checksPerSecond: number;
  /** Wall time during which at least one check was waiting for a delivery. */
  waitingSeconds: number;
  /** Waits on the listener, and their summed (overlapping) time. */
  waits: number;
  summedWaitSeconds: number;
  conformant: boolean;
}

export async function benchGateway(): Promise<GatewayBenchResult> {
  const started = performance.now();
  const result = await gatewayRun({ quiet: true }, () => {});
  const seconds = (performance.now() - started) / 1000;
  const checks = result.report?.checks.length ?? 0;
  return {
    checks,
    seconds,
    checksPerSecond: checks / seconds,
    waitingSeconds: (result.waits?.wallMs ?? 0) / 1000,
    waits: result.waits?.waits ?? 0,
    summedWaitSeconds: (result.waits?.summedMs ?? 0) / 1000,
    conformant: result.code === 0,
  };
}

export function formatGatewayBench(r: GatewayBenchResult): string {
  return [
    'gateway suite against the embedded simulator',
    `  checks            ${r.checks}${r.conformant ? ' (conformant)' : ' (NONCONFORMANT)'}`,
    `  seconds           ${r.seconds.toFixed(1)} (whole command: simulator, listener, vitest, checks)`,
    `  checks/s          ${r.checksPerSecond.toFixed(0)}`,
    `  waiting           ${r.waitingSeconds.toFixed(1)} s of wall time with a delivery wait pending (${r.waits} waits, ${r.summedWaitSeconds.toFixed(1)} s summed)`,
    `  goal              >= 500 checks in < 20 s: ${r.checks >= 500 && r.seconds < 20 ? 'met' : 'NOT met'}`,
  ].join('\n');
}

/**
 * One whole run at the default timeouts of the config, through the fault proxy in
 * front of the simulator, with `faults` applied to every profile (none: the conforming reference).
 */
export async function receiptsRun(
  faults: FaultName[],
): Promise<{ seconds: number; failing: number; checks: number; failed?: string[] }> {
  const port = await freePort();
  let upstream = '';
  const proxy = await startFaultProxy({
    upstream: () => upstream,
    listener: `http://127.0.0.1:${port}`,
    faults: faults.map((name) => ({ name })),
  });
  const sim = await startSimulator({
    callback: `${proxy.url}/cb`,
    profiles: embeddedProfiles(defaultProfiles(`${proxy.url}/cb`)),
    log: () => {},
    retry: { delaysMs: [50, 200, 1000] },
  });
  upstream = sim.url;
  const dir = mkdtempSync(join(tmpdir(), 'mse-bench-ttv-'));
  try {
    const config = configFromSimulator(emptyConfig(), sim, 'partner@empresa.com.br');
    config.target = proxy.url;
    config.listener = { ...config.listener, host: '127.0.0.1', port };
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const started = performance.now();
    const result = await gatewayRun({ config: file, quiet: true, report: 'json' }, () => {});
    const checks = result.report?.checks ?? [];
    return {
      seconds: (performance.now() - started) / 1000,
      failing: checks.filter((c) => c.verdict === 'fail').length,
      checks: checks.length,
      failed: checks.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.message}`),
    };
  } finally {
    await sim.close();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TimeToVerdictResult {
  conforming: { seconds: number; failing: number; checks: number; failed?: string[] };
  broken: { fault: FaultName; seconds: number; failing: number; checks: number }[];
  /** The slowest broken run over the conforming one (goal <= 2, issue 12). */
  ratio: number;
}

/** Time to verdict on targets whose every receipt comes wrong (by GET, or with a new transaction id). */
export async function benchTimeToVerdict(): Promise<TimeToVerdictResult> {
  const conforming = await receiptsRun([]);
  const broken: TimeToVerdictResult['broken'] = [];
  for (const fault of ['receipt-by-get', 'receipt-new-transaction-id'] as const)
    broken.push({ fault, ...(await receiptsRun([fault])) });
  return { conforming, broken, ratio: Math.max(...broken.map((b) => b.seconds)) / conforming.seconds };
}

export function formatTimeToVerdict(r: TimeToVerdictResult): string {
  return [
    'whole gateway run at the default timeouts, through the fault proxy',
    `  conforming        ${r.conforming.seconds.toFixed(1)} s (${r.conforming.checks} checks, ${r.conforming.failing} failing)`,
    ...r.broken.map(
      (b) => `  ${b.fault.padEnd(17)} ${b.seconds.toFixed(1)} s (${b.checks} checks, ${b.failing} failing)`,
    ),
    // A conforming run with failures makes the ratio meaningless: say which, so the figure is not trusted blindly.
    ...(r.conforming.failed ?? []).slice(0, 3).map((f) => `  conforming run failed ${f.slice(0, 160)}`),
    `  time to verdict broken / conforming ${r.ratio.toFixed(2)} (goal <= 2)${r.ratio <= 2 ? '' : '  ABOVE GOAL'}`,
  ].join('\n');
}

if (process.argv.includes('--time-to-verdict')) {
  console.log(formatTimeToVerdict(await benchTimeToVerdict()));
} else if (import.meta.url === pathToFileURL(process.argv[2] ?? process.argv[1] ?? '').href) {
  console.log(formatGatewayBench(await benchGateway()));
}
