/**
 * Worker side of the runner: turns check definitions into vitest tests at collection time. The test body is
 * a thin wrapper (test262 style): it runs the check, records what it observed on the task's meta, and fails
 * the vitest test only when the verdict will be a failure, so vitest's view and the report agree.
 */
import { inject, test } from 'vitest';
import type { Exchange } from '../core/model.ts';
import { maskSecrets } from '../core/secrets.ts';
import { selected } from './filters.ts';
import type { CheckMeta, CheckRecord, RunContext } from './types.ts';
import { failsTest } from './verdict.ts';

/** Thrown by `ctx.skip`: the check cannot run here (the reason says why). */
export class SkipCheck extends Error {
  override name = 'SkipCheck';
}

/** Thrown by `ctx.inform`: the check observed something worth reporting, with nothing to judge. */
export class InformCheck extends Error {
  override name = 'InformCheck';
}

/**
 * Thrown by `ctx.cannotJudge`: a precondition governed by another rule did not hold (the answer was no XML, a
 * valid request was refused, ...), so this check has nothing of its own rule to judge. Reported as
 * informational, never as a failure: a departure fails the checks of its own rule only.
 */
export class CannotJudge extends Error {
  override name = 'CannotJudge';
}

/** A departure from the rule the check verifies; the message says what was expected and what came. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
}

export interface CheckContext {
  meta: CheckMeta;
  run: RunContext;
  record(exchange: Exchange): void;
  skip(reason: string): never;
  inform(message: string): never;
  fail(message: string): never;
  /** Reports that this check cannot judge its rule because another rule's precondition failed first. */
  cannotJudge(reason: string): never;
  /** Fails with `message` unless `condition` holds. */
  check(condition: unknown, message: string): asserts condition;
}

export interface CheckDefinition {
  meta: CheckMeta;
  /** Known at collection time (service not provisioned, no MO trigger, ...): the check is reported as skipped. */
  skipReason?: string;
  /** Per-check time budget; the run's default otherwise. */
  timeoutMs?: number;
  run(ctx: CheckContext): Promise<void> | void;
}

/** The run context, as the runner provided it. */
export function runContext(): RunContext {
  return inject('mseRun');
}

/**
 * Runs one check and records what it observed: the one executor, used by the vitest wrapper below and by any
 * in-process runner. Secrets are masked in the message; exchanges are masked where they are recorded.
 */
export async function executeCheck(
  def: CheckDefinition,
  run: RunContext,
  record: CheckRecord = { outcome: 'pass', exchanges: [] },
): Promise<CheckRecord> {
  const ctx: CheckContext = {
    meta: def.meta,
    run,
    record: (exchange) => record.exchanges.push(exchange),
    skip: (reason) => {
      throw new SkipCheck(reason);
    },
    inform: (message) => {
      throw new InformCheck(message);
    },
    fail: (message) => {
      throw new CheckFailure(message);
    },
    cannotJudge: (reason) => {
      throw new CannotJudge(reason);
    },
    check(condition, message) {
      if (!condition) throw new CheckFailure(message);
    },
  };
  try {
    if (def.skipReason) throw new SkipCheck(def.skipReason);
    await def.run(ctx);
  } catch (error) {
    const message = maskSecrets(error instanceof Error ? error.message : String(error), run.secrets);
    record.message = message;
    if (error instanceof SkipCheck) record.outcome = 'skip';
    else if (error instanceof InformCheck) record.outcome = 'informational';
    else if (error instanceof CannotJudge) {
      record.outcome = 'informational';
      record.message = `cannot judge: ${message}`;
    } else {
      record.outcome = 'fail';
      if (!(error instanceof CheckFailure)) record.message = `the check could not complete: ${message}`;
    }
  }
  return record;
}

/** Registers the selected definitions as vitest tests. Returns how many were registered. */
export function registerChecks(definitions: CheckDefinition[], run: RunContext = runContext()): number {
  const seen = new Set<string>();
  let n = 0;
  for (const def of definitions) {
    if (seen.has(def.meta.id)) throw new Error(`check id ${def.meta.id} is registered twice`);
    seen.add(def.meta.id);
    if (!selected(def.meta, run.only, run.skip)) continue;
    n++;
    // The reason known at collection time travels with the test, so `gateway plan` can list it unrun.
    const meta = def.skipReason ? { check: def.meta, skipReason: def.skipReason } : { check: def.meta };
    const options = def.timeoutMs ? { meta, timeout: def.timeoutMs } : { meta };
    test(def.meta.id, options, async ({ task, skip }) => {
      const record: CheckRecord = { outcome: 'pass', exchanges: [] };
      task.meta.record = record;
      await executeCheck(def, run, record);
      if (record.outcome === 'skip') skip(record.message);
      else if (record.outcome === 'fail' && failsTest(def.meta.level, run.strict))
        throw new Error(record.message);
    });
  }
  return n;
}
