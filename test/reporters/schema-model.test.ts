/**
 * report.schema.json must describe model.ts exactly. Each key list below is checked against the model
 * at compile time (a key added to the model and missing here is a type error) and against the schema here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  CheckResult,
  Exchange,
  RunReport,
  RunSummary,
  Verdict,
  WireMessage,
} from '../../src/core/model.ts';
import { FAILING_VERDICTS } from '../../src/core/model.ts';
import { projectRoot } from '../../src/spec/load.ts';

/** Compiles only when `Keys` names every key of `T` (and nothing else). */
function keysOf<T>() {
  return <const Keys extends readonly (keyof T)[]>(
    keys: Keys &
      ([Exclude<keyof T, Keys[number]>] extends [never]
        ? unknown
        : { missing: Exclude<keyof T, Keys[number]> }),
  ) => keys;
}

const runReportKeys = keysOf<RunReport>()([
  'schemaVersion',
  'suite',
  'suiteVersion',
  'specHash',
  'target',
  'config',
  'strict',
  'startedAt',
  'durationMs',
  'summary',
  'checks',
  'errors',
  'implementation',
  'features',
]);
const summaryKeys = keysOf<RunSummary>()(['total', 'byVerdict', 'conformant']);
const checkKeys = keysOf<CheckResult>()([
  'id',
  'rule',
  'section',
  'level',
  'family',
  'service',
  'mode',
  'tags',
  'requirement',
  'stimulus',
  'row',
  'verdict',
  'message',
  'expectation',
  'durationMs',
  'exchanges',
]);
const exchangeKeys = keysOf<Exchange>()(['label', 'at', 'request', 'response', 'error']);
const wireKeys = keysOf<WireMessage>()(['method', 'url', 'status', 'headers', 'bodyBase64', 'bodyText']);
const verdicts: Record<Verdict, true> = {
  pass: true,
  fail: true,
  'non-strict': true,
  skip: true,
  'known-failure': true,
  'unexpected-pass': true,
  informational: true,
  'not-claimed': true,
};

const schema = JSON.parse(await readFile(join(projectRoot, 'spec/schema/report.schema.json'), 'utf8'));
const sorted = (xs: readonly string[]) => [...xs].sort();

describe('report.schema.json matches src/core/model.ts', () => {
  it('has exactly the model keys at every level', () => {
    expect(sorted(Object.keys(schema.properties))).toEqual(sorted(runReportKeys));
    expect(sorted(Object.keys(schema.$defs.summary.properties))).toEqual(sorted(summaryKeys));
    expect(sorted(Object.keys(schema.$defs.check.properties))).toEqual(sorted(checkKeys));
    expect(sorted(Object.keys(schema.$defs.exchange.properties))).toEqual(sorted(exchangeKeys));
    expect(sorted(Object.keys(schema.$defs.wireMessage.properties))).toEqual(sorted(wireKeys));
  });

  it('has exactly the model verdicts', () => {
    expect(sorted(schema.$defs.verdict.enum)).toEqual(sorted(Object.keys(verdicts)));
    expect(sorted(schema.$defs.summary.properties.byVerdict.required)).toEqual(sorted(Object.keys(verdicts)));
    for (const v of FAILING_VERDICTS) expect(schema.$defs.verdict.enum).toContain(v);
  });
});
