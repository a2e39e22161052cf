/**
 * Artillery, an optional peer dependency: found in the project's (or the user's) node_modules, run with
 * telemetry off, and its JSON output (one file per worker or machine) merged into the figures the report
 * needs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The release this project runs: the last one that runs on Node 20 (later ones need Node 22). */
export const ARTILLERY_VERSION = '2.0.21';

export class ArtilleryMissing extends Error {
  readonly code = 'MSE_LOAD_ARTILLERY_MISSING';
  constructor() {
    super(
      `load --run needs the artillery package, an optional peer dependency left out of the default install: npm install --no-save artillery@${ARTILLERY_VERSION}`,
    );
  }
}

/** The path of Artillery's CLI entry, or ArtilleryMissing. */
export function artilleryBin(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('artillery/package.json');
    return join(dirname(pkg), 'bin', 'run');
  } catch {
    throw new ArtilleryMissing();
  }
}

/**
 * Runs `artillery run --output JSON SCRIPT` in `cwd`, telemetry off and its PostHog client stubbed out
 * (no-telemetry.cjs); resolves with its exit code.
 */
export function runArtillery(options: {
  script: string;
  output: string;
  cwd: string;
  env: Record<string, string>;
  onLine?: (line: string) => void;
}): Promise<number> {
  const bin = artilleryBin();
  return new Promise((resolve, reject) => {
    const noTelemetry = fileURLToPath(new URL('./no-telemetry.cjs', import.meta.url));
    const args = ['--require', noTelemetry, bin, 'run', '--output', options.output, options.script];
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const lines = (chunk: Buffer) => {
      tail += chunk.toString('utf8');
      const parts = tail.split('\n');
      tail = parts.pop() ?? '';
      for (const l of parts) options.onLine?.(l);
    };
    child.stdout.on('data', lines);
    child.stderr.on('data', lines);
    child.on('error', reject);
    child.on('close', (code) => {
      if (tail) options.onLine?.(tail);
      resolve(code ?? 1);
    });
  });
}

interface Summary {
  count: number;
  p50?: number;
  median?: number;
  p95: number;
  p99: number;
  max: number;
}

interface ArtilleryJson {
  aggregate: {
    counters?: Record<string, number>;
    summaries?: Record<string, Summary>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  };
  intermediate?: {
    period?: number | string;
    counters?: Record<string, number>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  }[];
}

export interface ArtilleryFigures {
  files: number;
  requests: number;
  responses: number;
  /** Requests per second over the whole run (first to last counter). */
  meanRate: number;
  /** The busiest reporting period's (10 s, or less at the end) requests per second, all files added up. */
  peakRate: number;
  /** Response time in ms: p50 averaged by count, p95, p99 and max the worst of the files. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  codes: Record<string, number>;
  /** Errors by kind (ETIMEDOUT, ECONNRESET, ...), as Artillery names them. */
  errors: Record<string, number>;
  /** The processor's counters (mse.*). */
  checks: Record<string, number>;
  vusersFailed: number;
}

/** Figures of one or more Artillery JSON outputs (one per worker or machine), merged. */
export function mergeArtillery(files: string[]): ArtilleryFigures {
  const reports = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ArtilleryJson);
  const counters: Record<string, number> = {};
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let weighted = 0;
  let counted = 0;
  const latency = { p50: 0, p95: 0, p99: 0, max: 0 };
  const periods = new Map<string, { requests: number; first: number; last: number }>();
  for (const r of reports) {
    for (const [k, v] of Object.entries(r.aggregate.counters ?? {})) counters[k] = (counters[k] ?? 0) + v;
    if (r.aggregate.firstCounterAt !== undefined) first = Math.min(first, r.aggregate.firstCounterAt);
    if (r.aggregate.lastCounterAt !== undefined) last = Math.max(last, r.aggregate.lastCounterAt);
    const s = r.aggregate.summaries?.['http.response_time'];
    if (s) {
      weighted += (s.p50 ?? s.median ?? 0) * s.count;
      counted += s.count;
      latency.p95 = Math.max(latency.p95, s.p95);
      latency.p99 = Math.max(latency.p99, s.p99);
      latency.max = Math.max(latency.max, s.max);
    }
    for (const p of r.intermediate ?? []) {
      const key = String(p.period ?? '');
      const q = periods.get(key) ?? {
        requests: 0,
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
      };
      q.requests += p.counters?.['http.requests'] ?? 0;
      if (p.firstCounterAt !== undefined) q.first = Math.min(q.first, p.firstCounterAt);
      if (p.lastCounterAt !== undefined) q.last = Math.max(q.last, p.lastCounterAt);
      periods.set(key, q);
    }
  }
  latency.p50 = counted ? Number((weighted / counted).toFixed(1)) : 0;
  const requests = counters['http.requests'] ?? 0;
  const seconds = last > first ? (last - first) / 1000 : 0;
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(counters)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  // Artillery reports every 10 s; a shorter period (the last, or a short run) counts over its own span.
  const peak = Math.max(
    0,
    ...[...periods.values()].map((q) => q.requests / Math.min(10, Math.max(1, (q.last - q.first) / 1000))),
  );
  return {
    files: files.length,
    requests,
    responses: counters['http.responses'] ?? 0,
    meanRate: seconds ? Math.round(requests / seconds) : 0,
    peakRate: Math.round(peak),
    latencyMs: latency,
    codes: pick('http.codes.'),
    errors: pick('errors.'),
    checks: pick('mse.'),
    vusersFailed: counters['vusers.failed'] ?? 0,
  };
}
