/**
 * How an observed outcome becomes a verdict (spec/INTERPRETING.md): MUST failures fail; SHOULD failures are
 * non-strict unless the run is strict; MAY failures are informational; the expectations file turns a listed
 * failure into known-failure, and a listed check that passes into unexpected-pass (which fails the run).
 * The level alone decides: an errata entry's strictness reaches a verdict through the level of the rules that
 * rest on it, which the spec loader holds to it (a strict-only reading is SHOULD at most; `checkReadings`).
 */
import type { Verdict } from '../core/model.ts';
import type { Level } from '../spec/types.ts';
import type { Outcome } from './types.ts';

export function decideVerdict(
  outcome: Outcome,
  level: Level,
  strict: boolean,
  expectation?: string,
): Verdict {
  if (outcome === 'skip') return 'skip';
  if (outcome === 'informational') return 'informational';
  if (outcome === 'pass') return expectation !== undefined ? 'unexpected-pass' : 'pass';
  if (expectation !== undefined) return 'known-failure';
  if (level === 'MUST') return 'fail';
  if (level === 'SHOULD') return strict ? 'fail' : 'non-strict';
  return 'informational';
}

/** Whether the check body should fail its vitest test (so vitest's own view agrees with the verdict). */
export function failsTest(level: Level, strict: boolean): boolean {
  return level === 'MUST' || (level === 'SHOULD' && strict);
}
