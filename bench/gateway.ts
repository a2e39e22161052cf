/**
 * Benchmark of the gateway suite: the full run against the embedded reference simulator, as `npm start`
 * does it: how many checks, how long, checks per second, and how much of the run is spent waiting on the
 * listener for receipts and MO deliveries (including the windows that watch for deliveries that must not come).
 * Goal (issue 4): at least 500 checks in under 20 seconds on a 2-core machine.
 */
import { pathToFileURL } from 'node:url';
import { gatewayRun } from '../src/cli/gateway.ts';

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

if (import.meta.url === pathToFileURL(process.argv[2] ?? process.argv[1] ?? '').href) {
  console.log(formatGatewayBench(await benchGateway()));
}
