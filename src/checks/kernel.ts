/**
 * Worker side of the runner: turns check definitions into vitest tests at collection time. The test body is
 * a thin wrapper (test262 style): it runs the check, records what it observed on the task's meta, and fails
 * the vitest test only when the verdict will be a failure, so vitest's view and the report agree.
 */
import { inject, test } from 'vitest';
import type { Exchange } from '../core/model.ts';
import { maskSecrets } from '../core/secrets.ts';
import type { Rule, Service } from '../spec/types.ts';
import { selected } from './filters.ts';
import type { CheckMeta, CheckRecord, Role, RunContext } from './types.ts';
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

export interface MetaOptions {
  service?: Service;
  mode?: string;
  variant?: string;
  tags?: string[];
  /** What the check sends, when its family's description does not say it well enough. */
  stimulus?: string;
}

/** Describes what a family's checks send, from a check's metadata: each suite keeps its table of these. */
export type StimulusOf = (meta: CheckMeta) => string;

/**
 * A check's metadata from its rule in the catalogue (an unknown rule fails at collection time), for either
 * role: the id is `<role>.<family>[.<service>].<rule, less what the service or family already says>[.<variant>]`.
 */
export function checkMeta(
  rules: ReadonlyMap<string, Rule>,
  role: Role,
  family: string,
  rule: string,
  options: MetaOptions = {},
  stimulusOf?: StimulusOf,
): CheckMeta {
  const r = rules.get(rule);
  if (!r)
    throw new Error(
      `${role} check of family ${family} cites rule ${rule}, which the catalogue does not have`,
    );
  const own = `${role}.`;
  let tail = rule.startsWith(own) ? rule.slice(own.length) : rule;
  if (options.service && tail.startsWith(`${options.service.slug}.`))
    tail = tail.slice(options.service.slug.length + 1);
  else if (tail.startsWith(`${family}.`)) tail = tail.slice(family.length + 1);
  if (tail.startsWith(own)) tail = tail.slice(own.length);
  const m: CheckMeta = {
    id: [role, family, options.service?.slug, tail, options.variant].filter(Boolean).join('.'),
    rule,
    section: r.section,
    level: r.level,
    family,
    requirement: r.text,
    tags: [...new Set([...(r.tags ?? []), ...(options.tags ?? [])])],
  };
  if (options.service) m.service = options.service.id;
  if (options.mode) m.mode = options.mode;
  const stimulus = options.stimulus ?? stimulusOf?.(m);
  if (stimulus) m.stimulus = stimulus;
  return m;
}

/**
 * A check definition whose metadata records where its row is: the row the metadata already names (a table row,
 * `rows.ts`), else the first frame of the call stack outside the kernel and the suites' harnesses.
 */
export function defineCheck(
  meta: CheckMeta,
  run: CheckDefinition['run'],
  extra: { skipReason?: string | undefined; timeoutMs?: number | undefined } = {},
): CheckDefinition {
  const row = meta.row ?? callerRow();
  const def: CheckDefinition = { meta: row ? { ...meta, row } : meta, run };
  if (extra.skipReason) def.skipReason = extra.skipReason;
  if (extra.timeoutMs) def.timeoutMs = extra.timeoutMs;
  return def;
}

/**
 * Where the caller's row is written: the first frame of the call stack outside the kernel, the suites'
 * harnesses and row runners (a family file), as `suites/<role>/families/<file>.ts:<line>`.
 */
export function callerRow(): string | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    const m = /((?:suites|src)\/[^\s():]+\.[jt]s):(\d+)/.exec(line.replace(/\\/g, '/'));
    if (!m) continue;
    const file = m[1]!.replace(/^(.*\/)?(suites|src)\//, '$2/');
    if (/^src\/checks\/|\/(harness|rows)\.[jt]s$/.test(file)) continue;
    return `${file}:${m[2]}`;
  }
  return undefined;
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
