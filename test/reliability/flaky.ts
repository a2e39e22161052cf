/**
 * Flakiness: the full gateway suite against the embedded simulator, run several times through the CLI,
 * verdicts compared per check id; and a scan of the suites and the code they run for fixed sleeps.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { RunReport } from '../../reporters/model.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { runCli } from './secrets.ts';

export interface GatewayRunVerdicts {
  code: number;
  ms: number;
  verdicts: Map<string, string>;
  /** The message of every check whose verdict is not pass (what decided it). */
  messages: Map<string, string>;
}

/** One full gateway run (embedded simulator, JSON report); the verdict of every check by id. */
export async function gatewayVerdicts(): Promise<GatewayRunVerdicts> {
  const out = mkdtempSync(join(tmpdir(), 'mse-flaky-'));
  try {
    const run = await runCli(['gateway', '--report', 'json', '--out', out, '--quiet']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    return {
      code: run.code,
      ms: run.ms,
      verdicts: new Map(report.checks.map((c) => [c.id, c.verdict])),
      messages: new Map(
        report.checks
          .filter((c) => c.verdict !== 'pass')
          .map((c) => [c.id, String(c.message ?? '').slice(0, 300)]),
      ),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export interface FlakinessResult {
  runs: number;
  checks: number;
  /** Check ids whose verdict was not the same in every run, with the verdicts seen. */
  differing: { id: string; verdicts: Record<string, number>; message?: string }[];
  codes: number[];
  runMs: number[];
}

/** `runs` gateway runs, `parallel` at a time (each with its own simulator, listener and ports). */
export async function flakiness(runs: number, parallel = 1): Promise<FlakinessResult> {
  const results: GatewayRunVerdicts[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      next++;
      results.push(await gatewayVerdicts());
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, runs)) }, worker));
  const ids = new Set(results.flatMap((r) => [...r.verdicts.keys()]));
  const differing: FlakinessResult['differing'] = [];
  for (const id of [...ids].sort()) {
    const seen: Record<string, number> = {};
    for (const r of results) {
      const v = r.verdicts.get(id) ?? 'absent';
      seen[v] = (seen[v] ?? 0) + 1;
    }
    if (Object.keys(seen).length > 1) {
      const message = results.map((r) => r.messages.get(id)).find((m) => m);
      differing.push({ id, verdicts: seen, ...(message ? { message } : {}) });
    }
  }
  return {
    runs: results.length,
    checks: ids.size,
    differing,
    codes: results.map((r) => r.code),
    runMs: results.map((r) => Math.round(r.ms)),
  };
}

export interface FixedSleep {
  file: string;
  line: number;
  text: string;
}

/**
 * Waits that are sleeps: a timer whose only job is to resolve a promise after a fixed time
 * (`setTimeout(resolve, 500)`, `new Promise((r) => setTimeout(r, n))`, timers/promises, sleep helpers).
 * Timers that bound an event-driven wait (a deadline that settles a race) are not sleeps.
 */
export function findFixedSleeps(dirs = ['suites', 'src', 'reporters']): FixedSleep[] {
  const patterns = [
    /setTimeout\(\s*(r|res|resolve|done|ok|next)\s*,/,
    /setTimeout\(\s*\(\)\s*=>\s*(r|res|resolve|done|ok|next)\(\s*\)\s*,/,
    /from ['"](node:)?timers\/promises['"]/,
    /\bawait\s+(sleep|delay|wait)\(\s*\d/,
    /Atomics\.wait\(/,
  ];
  const found: FixedSleep[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        if (f !== 'node_modules') walk(p);
      } else if (p.endsWith('.ts')) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((text, i) => {
            if (patterns.some((re) => re.test(text)))
              found.push({ file: relative(projectRoot, p), line: i + 1, text: text.trim() });
          });
      }
    }
  };
  for (const d of dirs) walk(join(projectRoot, d));
  return found;
}
