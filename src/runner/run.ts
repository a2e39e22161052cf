/**
 * Runs a conformance suite (a folder of vitest files that register checks) programmatically with vitest,
 * for either role, and returns the CheckResults. The run context reaches the workers through `provide`.
 */
import { createVitest } from 'vitest/node';
import type { CheckMeta, RunContext } from '../checks/types.ts';
import type { CheckResult } from '../core/model.ts';
import { projectRoot } from '../spec/load.ts';
import { CheckCollector } from './reporter.ts';

export interface RunOptions {
  /** Folder of the suite, relative to the project root (`suites/gateway`). */
  suiteDir: string;
  context: RunContext;
  expectations?: Map<string, string>;
  progress?: (line: string) => void;
  /** Default per-check budget (ms). */
  testTimeoutMs: number;
  /** Checks in flight at once within one file; receipts are waited for concurrently. */
  concurrency?: number;
}

export interface RunOutcome {
  checks: CheckResult[];
  /** Errors outside any check (a suite file that failed to load): they make the run nonconformant. */
  errors: string[];
}

/**
 * The installed package runs the suites compiled under dist/ (no TypeScript at run time); a checkout runs
 * them from source, so an edit takes effect without a build.
 */
const compiled = import.meta.url.endsWith('.js');

function vitestOptions(options: RunOptions) {
  return {
    watch: false,
    config: false as const,
    root: projectRoot,
    include: [compiled ? `dist/${options.suiteDir}/**/*.test.js` : `${options.suiteDir}/**/*.test.ts`],
    pool: 'threads' as const,
    maxWorkers: 2,
    isolate: false,
    fileParallelism: true,
    testTimeout: options.testTimeoutMs,
    hookTimeout: options.testTimeoutMs,
    maxConcurrency: options.concurrency ?? 64,
    sequence: { concurrent: true },
    provide: { mseRun: options.context },
    passWithNoTests: true,
  };
}

/** Runs the suite; resolves when every check has a result. */
export async function runSuite(options: RunOptions): Promise<RunOutcome> {
  const collector = new CheckCollector({
    strict: options.context.strict,
    expectations: options.expectations ?? new Map(),
    secrets: options.context.secrets,
    ...(options.progress ? { progress: options.progress } : {}),
  });
  const vitest = await createVitest('test', { ...vitestOptions(options), reporters: [collector] });
  try {
    await vitest.start();
  } finally {
    await vitest.close();
  }
  const order = (a: CheckResult, b: CheckResult) => a.id.localeCompare(b.id);
  return { checks: collector.results.sort(order), errors: collector.errors };
}

/** A collected check, with the reason it will be skipped when that is known before running. */
export type ListedCheck = CheckMeta & { skipReason?: string };

/** Collects the suite without running it: every selected check's metadata (`--list`, `gateway plan`). */
export async function listSuite(options: RunOptions): Promise<{ checks: ListedCheck[]; errors: string[] }> {
  const vitest = await createVitest('test', { ...vitestOptions(options), reporters: [] });
  try {
    const result = await vitest.collect();
    const checks: ListedCheck[] = [];
    const errors: string[] = [];
    for (const module of result.testModules) {
      for (const e of module.errors()) errors.push(`${module.moduleId}: ${e.message}`);
      for (const tc of module.children.allTests()) {
        const { check, skipReason } = tc.meta() as { check?: CheckMeta; skipReason?: string };
        if (check) checks.push(skipReason ? { ...check, skipReason } : check);
      }
    }
    return { checks: checks.sort((a, b) => a.id.localeCompare(b.id)), errors };
  } finally {
    await vitest.close();
  }
}
