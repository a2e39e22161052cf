/**
 * The run config (spec/schema/config.schema.json), shared by the gateway and partner roles: loading,
 * validation with errors that name the file, the JSON path and the problem, and defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { UsageError } from '../core/errors.ts';
import { projectRoot } from '../spec/load.ts';

export interface ProfileEntry {
  profile: string;
  password: string;
  billingCode?: string;
  billingCodeRequired?: boolean;
  shortCode?: string;
  /** The traffic limit provisioned for the profile (9.3). */
  rate?: { perSecond: number; burst: number };
}

export interface RunConfig {
  version: 1;
  target?: string;
  strict?: boolean;
  /** Checks in flight at once per worker (default 64). */
  concurrency?: number;
  timeouts: { requestMs: number; syncMs: number; receiptMs: number; quietMs: number; redeliveryMs: number };
  subscribers: string[];
  profiles: Record<string, ProfileEntry>;
  listener: {
    host?: string;
    port?: number;
    publicUrl?: string;
    credentials?: { userid?: string; pwd?: string };
    moCredentials?: { user?: string; pwd?: string };
  };
  moTrigger?: { kind: 'simulator-control'; url: string; shortNumber?: string };
  /** Subscribers that provoke the failures the document shows (the failures family). */
  scenarios?: { silentHandset?: string; unknownSubscriber?: string };
  /** Profiles with a rate, used only by the traffic checks (9.3). */
  trafficProfiles?: Record<string, ProfileEntry>;
  smtp?: { host: string; port: number; from?: string };
  partner?: Record<string, unknown>;
}

export const DEFAULT_TIMEOUTS: RunConfig['timeouts'] = {
  requestMs: 10_000,
  syncMs: 65_000,
  receiptMs: 30_000,
  quietMs: 3_000,
  redeliveryMs: 60_000,
};

export const DEFAULT_SUBSCRIBERS = ['1191000000', '1191000001'];

let validator: ReturnType<Ajv2020['compile']> | undefined;
const schemaFile = join(projectRoot, 'spec', 'schema', 'config.schema.json');

function describe(e: ErrorObject): string {
  const path = e.instancePath || '/';
  if (e.keyword === 'additionalProperties')
    return `${path}: unknown property "${String(e.params.additionalProperty)}"`;
  if (e.keyword === 'required')
    return `${path}: missing required property "${String(e.params.missingProperty)}"`;
  if (e.keyword === 'const') return `${path}: must be ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'propertyNames')
    return `${path}: property name "${String(e.params.propertyName)}" is not allowed`;
  return `${path}: ${e.message ?? e.keyword}`;
}

/** Validates a parsed config; throws UsageError (exit 2) naming the file, the JSON path and the problem. */
export function validateConfig(value: unknown, where: string): RunConfig {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: false });
    validator = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
  }
  if (!validator(value)) {
    const problems = (validator.errors ?? [])
      .filter((e) => e.keyword !== 'if')
      .slice(0, 8)
      .map((e) => `  ${where}: ${describe(e)}`);
    throw new UsageError(
      `the config does not match spec/schema/config.schema.json:\n${problems.join('\n')}`,
      'MSE_CONFIG_INVALID',
    );
  }
  const raw = value as Partial<RunConfig>;
  return {
    ...raw,
    version: 1,
    timeouts: { ...DEFAULT_TIMEOUTS, ...raw.timeouts },
    subscribers: raw.subscribers ?? DEFAULT_SUBSCRIBERS,
    profiles: raw.profiles ?? {},
    listener: raw.listener ?? {},
  };
}

export function loadConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the config file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      'MSE_CONFIG_MISSING',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON: ${(error as Error).message}`, 'MSE_CONFIG_SYNTAX');
  }
  return validateConfig(value, file);
}

/** Expectations file (spec/schema/expectations.schema.json): check id or glob → reason. */
export function loadExpectations(file: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `cannot read the expectations file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'MSE_EXPECTATIONS_INVALID',
    );
  }
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(
    JSON.parse(
      readFileSync(join(projectRoot, 'spec', 'schema', 'expectations.schema.json'), 'utf8'),
    ) as object,
  );
  if (!validate(value))
    throw new UsageError(
      `the expectations file does not match spec/schema/expectations.schema.json:\n${(validate.errors ?? [])
        .slice(0, 8)
        .map((e) => `  ${file}: ${describe(e)}`)
        .join('\n')}`,
      'MSE_EXPECTATIONS_INVALID',
    );
  return new Map(Object.entries((value as { knownFailures: Record<string, string> }).knownFailures));
}

/** The expectation (reason) that lists a check id, exactly or by glob. */
export function expectationFor(expectations: Map<string, string>, id: string): string | undefined {
  const exact = expectations.get(id);
  if (exact !== undefined) return exact;
  for (const [pattern, reason] of expectations)
    if (pattern.includes('*') || pattern.includes('?')) {
      const re = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      if (re.test(id)) return reason;
    }
  return undefined;
}
