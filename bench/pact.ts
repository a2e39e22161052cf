/**
 * Pact Verifier time per interaction over the exported pacts (partner -> MSE) against the simulator.
 * The lead's bench/index.ts divides the gateway suite's time per check by this figure.
 *
 *   node bin/run-ts.js bench/pact.ts [runs]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier } from '@pact-foundation/pact';
import { exportPacts } from '../src/pact/export.ts';
import { startSimulator } from '../src/simulator/index.ts';

export interface PactBenchResult {
  interactions: number;
  runs: number;
  /** Wall time of each whole verification, in milliseconds. */
  runMs: number[];
  medianMs: number;
  /** Median run time divided by the number of interactions. */
  perInteractionMs: number;
}

export interface PactBenchOptions {
  runs?: number;
  /**
   * Base URL of a simulator already running (the same one the gateway suite is timed against). Its profiles
   * must match the pacts: the simulator's default profiles do (one per service, password senha).
   */
  simulatorUrl?: string;
}

export async function benchPact(options: PactBenchOptions = {}): Promise<PactBenchResult> {
  process.env.PACT_DO_NOT_TRACK = 'true';
  const runs = options.runs ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'mse-pact-bench-'));
  const exported = exportPacts(dir);
  const simulator = options.simulatorUrl
    ? undefined
    : await startSimulator({
        profiles: exported.profiles.map((p) => ({ ...p })),
        smtp: false,
        log: () => {},
      });
  const url = options.simulatorUrl ?? simulator!.url;
  const runMs: number[] = [];
  const interactions = (JSON.parse(readFileSync(exported.files[0]!, 'utf8')) as { interactions: unknown[] })
    .interactions.length;
  try {
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await new Verifier({
        provider: 'mse',
        providerBaseUrl: url,
        pactUrls: [exported.files[0]!],
        logLevel: 'error',
      }).verifyProvider();
      runMs.push(performance.now() - start);
    }
  } finally {
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...runMs].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)]!;
  return { interactions, runs, runMs, medianMs, perInteractionMs: medianMs / interactions };
}

const entry = process.argv.slice(1).find((a) => a.endsWith('.ts'));
if (entry && resolve(entry) === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3);
  const r = await benchPact({ runs });
  console.log(
    `pact verifier: ${r.interactions} interactions, median ${r.medianMs.toFixed(0)} ms over ${r.runs} runs ` +
      `(${r.runMs.map((m) => m.toFixed(0)).join(', ')}), ${r.perInteractionMs.toFixed(1)} ms per interaction`,
  );
}
