/**
 * Load benchmark (issue 12): a longer Artillery run on loopback against the embedded simulator, SMS_TEXT
 * async-delivery only (every submit owes a receipt), printing the submits per second Artillery sustained
 * with every receipt accounted for by the ledger, and the receipts per second the one sink absorbed. Run
 * standalone with `node bin/run-ts.js bench/load.ts [RATE]`, or call benchLoad() from the bench runner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseMix } from '../src/load/mix.ts';
import type { LoadReport } from '../src/load/report.ts';
import { runLoad } from '../src/load/run.ts';
import { loadSpec } from '../src/spec/load.ts';

export interface LoadBenchResult {
  rate: number;
  sustainSeconds: number;
  requests: number;
  /** Submits per second over Artillery's run (first to last counter). */
  submitsPerSecond: number;
  /** The busiest 10-second period. */
  peakPerSecond: number;
  p99Ms: number;
  errors: number;
  accepted: number;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  receiptLatencyP99Ms: number;
  ok: boolean;
  failures: string[];
}

export async function benchLoad(
  options: { rate?: number; sustainSeconds?: number; log?: (line: string) => void } = {},
): Promise<LoadBenchResult> {
  const spec = loadSpec();
  const rate = options.rate ?? 1200;
  const sustainSeconds = options.sustainSeconds ?? 30;
  const out = mkdtempSync(join(tmpdir(), 'mse-load-bench-'));
  let report: LoadReport | undefined;
  try {
    report = await runLoad({
      spec,
      mix: parseMix(spec, 'SMS_TEXT:async-delivery=1'),
      outDir: out,
      rate,
      phases: { warmupSeconds: 3, rampSeconds: 5, sustainSeconds, beyondSeconds: 0 },
      receiptDeadlineMs: 30_000,
      ...(options.log ? { onLine: options.log } : {}),
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const r = report!;
  return {
    rate,
    sustainSeconds,
    requests: r.artillery.requests,
    submitsPerSecond: r.artillery.meanRate,
    peakPerSecond: r.artillery.peakRate,
    p99Ms: r.artillery.latencyMs.p99,
    errors: Object.values(r.artillery.errors).reduce((s, v) => s + v, 0),
    accepted: r.ledger.accepted,
    expected: r.ledger.receipts.expected,
    received: r.ledger.receipts.received,
    lost: r.ledger.receipts.lost.count,
    duplicated: r.ledger.receipts.duplicated.count,
    receiptLatencyP99Ms: r.ledger.receipts.latencyMs.p99,
    ok: r.ok,
    failures: r.failures,
  };
}

export function formatLoadBench(r: LoadBenchResult): string {
  return [
    `Artillery on loopback, SMS_TEXT async-delivery, target ${r.rate}/s sustained ${r.sustainSeconds} s (after 3 s warm-up, 5 s ramp):`,
    `  submits            ${r.requests} requests, ${r.submitsPerSecond}/s mean, ${r.peakPerSecond}/s busiest 10 s, p99 ${r.p99Ms} ms, ${r.errors} errors`,
    `  receipts           ${r.received} received of ${r.expected} owed (${r.accepted} accepted), ${r.lost} lost, ${r.duplicated} twice, ack → receipt p99 ${r.receiptLatencyP99Ms} ms`,
    `  verdict            ${r.ok ? 'every receipt accounted for' : `FAILED: ${r.failures.join('; ')}`}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[2] ?? process.argv[1] ?? '').href) {
  const rate = Number(process.argv[3] ?? 1200);
  console.log(formatLoadBench(await benchLoad({ rate })));
}
