/**
 * Flakiness: the full gateway suite against the embedded simulator, run several times through the CLI,
 * verdicts compared per check id; and a scan of the suites and the code they run for fixed sleeps.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { RunReport } from '../../src/core/model.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { runCli } from './secrets.ts';

/**
 * A hash of everything a run executes or reads (suites, src, spec, reporters, fixtures, bin). Others may commit while a
 * long bench runs; verdicts are compared only between runs of the same code, so that a new or changed
 * check is not counted as a flaky one.
 */
export function sourceFingerprint(dirs = ['suites', 'src', 'spec', 'reporters', 'fixtures', 'bin']): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(relative(projectRoot, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  for (const d of dirs) walk(join(projectRoot, d));
  return hash.digest('hex').slice(0, 16);
}

export interface GatewayRunVerdicts {
  /** sourceFingerprint() before and after the run; a run during which they differ is not compared. */
  fingerprint: string;
  changedDuringRun: boolean;
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
    const fingerprint = sourceFingerprint();
    const run = await runCli(['gateway', '--report', 'json', '--out', out, '--quiet']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    return {
      fingerprint,
      changedDuringRun: sourceFingerprint() !== fingerprint,
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
  /** Distinct source fingerprints among the compared runs (1 when nobody changed the code meanwhile). */
  sources: number;
  /** Runs left out because the code changed while they ran. */
  discarded: number;
}

/**
 * `runs` gateway runs compared, `parallel` at a time (each with its own simulator, listener and ports);
 * runs during which the code changed are left out and replaced.
 */
export async function flakiness(
  runs: number,
  parallel = 1,
  maxAttempts = runs + Math.ceil(runs / 2),
): Promise<FlakinessResult> {
  const results: GatewayRunVerdicts[] = [];
  let started = 0;
  // Runs the code changed under are replaced (by default up to half as many again), so that `runs` are compared.
  const worker = async () => {
    while (started < maxAttempts && results.filter((r) => !r.changedDuringRun).length + inFlight() < runs) {
      started++;
      const r = await gatewayVerdicts();
      results.push(r);
    }
  };
  const inFlight = () => started - results.length;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, runs)) }, worker));
  const compared = results.filter((r) => !r.changedDuringRun);
  const groups = new Map<string, GatewayRunVerdicts[]>();
  for (const r of compared) groups.set(r.fingerprint, [...(groups.get(r.fingerprint) ?? []), r]);
  const ids = new Set(compared.flatMap((r) => [...r.verdicts.keys()]));
  const differing: FlakinessResult['differing'] = [];
  for (const id of [...ids].sort()) {
    for (const group of groups.values()) {
      const seen: Record<string, number> = {};
      for (const r of group) {
        const v = r.verdicts.get(id) ?? 'absent';
        seen[v] = (seen[v] ?? 0) + 1;
      }
      if (Object.keys(seen).length > 1) {
        const message = group.map((r) => r.messages.get(id)).find((m) => m);
        differing.push({ id, verdicts: seen, ...(message ? { message } : {}) });
        break;
      }
    }
  }
  return {
    sources: groups.size,
    discarded: results.length - compared.length,
    runs: compared.length,
    checks: ids.size,
    differing,
    codes: compared.map((r) => r.code),
    runMs: compared.map((r) => Math.round(r.ms)),
  };
}

export interface FixedSleep {
  file: string;
  line: number;
  text: string;
  /** Why this timed wait is the behaviour under test rather than a wait for an event (reviewed). */
  allowed?: string;
}

/** Timed waits reviewed and accepted: each names the line it covers and why no event could replace it. */
export const reviewedWaits: { file: string; includes: string; reason: string }[] = [
  {
    file: 'suites/gateway/families/traffic.ts',
    includes: 'setTimeout(resolve, wait)',
    reason:
      'a 9.3 quota refills with time and no event announces it: the check paces its retries one token interval apart, within a deadline',
  },
];

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
            if (patterns.some((re) => re.test(text))) {
              const file = relative(projectRoot, p);
              const reviewed = reviewedWaits.find((w) => w.file === file && text.includes(w.includes));
              found.push({
                file,
                line: i + 1,
                text: text.trim(),
                ...(reviewed ? { allowed: reviewed.reason } : {}),
              });
            }
          });
      }
    }
  };
  for (const d of dirs) walk(join(projectRoot, d));
  return found;
}
