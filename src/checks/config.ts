/**
 * The run config (spec/schema/config.schema.json), shared by the gateway and partner roles: loading,
 * validation with errors that name the file, the JSON path and the problem, and defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.ts';
import { loadFeatures } from '../spec/features.ts';
import { loadSpec, projectRoot } from '../spec/load.ts';
import {
  type ActionConfig,
  MO_KINDS,
  type MoTriggerConfig,
  PLACEHOLDERS,
  unknownPlaceholders,
} from '../triggers/index.ts';

export interface ProfileEntry {
  profile: string;
  password: string;
  billingCode?: string;
  billingCodeRequired?: boolean;
  shortCode?: string;
  /** The traffic limit provisioned for the profile (9.3). */
  rate?: { perSecond: number; burst: number };
}

/** What an MO service needs (6.4.5, 6.4.7, 6.4.14, 6.4.18): its short number; no profile is called. */
export interface MoEntry {
  shortCode?: string;
}

/** How a failure scenario is reached: a number, a dedicated profile per service, a switch around the check. */
export interface ScenarioConfig {
  number?: string;
  profiles?: Record<string, ProfileEntry>;
  before?: ActionConfig;
  after?: ActionConfig;
}

export const SCENARIO_NAMES = [
  'silentHandset',
  'slowBackend',
  'unknownSubscriber',
  'inactiveSubscriber',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The key of profiles that provisions all six USSD operations at once. */
export const USSD_PROFILE_KEY = 'USSD';

export interface RunConfig {
  version: 1;
  target?: string;
  strict?: boolean;
  /** Checks in flight at once per worker (default 64). */
  concurrency?: number;
  timeouts: {
    requestMs: number;
    syncMs: number;
    syncLimitMs: number;
    receiptMs: number;
    quietMs: number;
    redeliveryMs: number;
  };
  subscribers: string[];
  profiles: Record<string, ProfileEntry>;
  listener: {
    host?: string;
    port?: number;
    publicUrl?: string;
    credentials?: { userid?: string; pwd?: string };
    moCredentials?: { user?: string; pwd?: string };
  };
  /** MO services' provisioning (short codes), by service id; filled from profiles by validateConfig. */
  mo?: Record<string, MoEntry>;
  moTrigger?: MoTriggerConfig;
  /** How to provoke the failures the document shows (the failures family); a string is a number. */
  scenarios?: Partial<Record<ScenarioName, string | ScenarioConfig>>;
  /** Claimed features (spec/features.yaml); absent: every feature. */
  features?: string[];
  implementation?: { name: string; version?: string; vendor?: string; url?: string };
  /** Profiles with a rate, used only by the traffic checks (9.3). */
  trafficProfiles?: Record<string, ProfileEntry>;
  smtp?: { host: string; port: number; from?: string };
  partner?: Record<string, unknown>;
}

export const DEFAULT_TIMEOUTS: RunConfig['timeouts'] = {
  requestMs: 10_000,
  syncMs: 90_000,
  syncLimitMs: 65_000,
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
  const problems = [...triggerProblems(raw), ...scenarioProblems(raw), ...featureProblems(raw)];
  const {
    profiles,
    mo,
    problems: profileProblems,
  } = normalizeProfiles((raw.profiles ?? {}) as Record<string, Partial<ProfileEntry>>);
  problems.push(...profileProblems);
  if (problems.length)
    throw new UsageError(
      `the config is not usable:\n${problems
        .slice(0, 8)
        .map((p) => `  ${where}: ${p}`)
        .join('\n')}`,
      'MSE_CONFIG_INVALID',
    );
  return {
    ...raw,
    version: 1,
    timeouts: { ...DEFAULT_TIMEOUTS, ...raw.timeouts },
    subscribers: raw.subscribers ?? DEFAULT_SUBSCRIBERS,
    profiles,
    ...(Object.keys(mo).length ? { mo } : {}),
    listener: raw.listener ?? {},
  };
}

/**
 * Profiles in the document's shape: one USSD entry for the six USSD operations, MO services with only their
 * short code. Services the suite calls must have profile and password; an unknown key is most likely a typo.
 */
export function normalizeProfiles(input: Record<string, Partial<ProfileEntry>>): {
  profiles: Record<string, ProfileEntry>;
  mo: Record<string, MoEntry>;
  problems: string[];
} {
  const services = loadSpec().services;
  const byId = new Map(services.map((s) => [s.id, s]));
  const problems: string[] = [];
  const merged: Record<string, Partial<ProfileEntry>> = {};
  const ussd = input[USSD_PROFILE_KEY];
  if (ussd)
    for (const s of services)
      if (s.kind === 'ussd-command' || s.kind === 'ussd-event') merged[s.id] = { ...ussd };
  for (const [id, entry] of Object.entries(input)) {
    if (id === USSD_PROFILE_KEY) continue;
    if (!byId.has(id)) {
      problems.push(
        `/profiles/${id}: no service ${id} in spec/services (use a service id such as ${services
          .slice(0, 3)
          .map((s) => s.id)
          .join(', ')}, or ${USSD_PROFILE_KEY} for all USSD operations)`,
      );
      continue;
    }
    merged[id] = { ...merged[id], ...entry };
  }
  const profiles: Record<string, ProfileEntry> = {};
  const mo: Record<string, MoEntry> = {};
  for (const [id, entry] of Object.entries(merged)) {
    const kind = byId.get(id)!.kind;
    const called = kind === 'api' || kind === 'ussd-command';
    if (kind === 'mo-delivery' || kind === 'ussd-event')
      mo[id] = entry.shortCode !== undefined ? { shortCode: entry.shortCode } : {};
    if (entry.profile !== undefined && entry.password !== undefined) profiles[id] = entry as ProfileEntry;
    else if (called) {
      const from = ussd && kind === 'ussd-command' && !input[id] ? USSD_PROFILE_KEY : id;
      problems.push(
        `/profiles/${from}: missing "${entry.profile === undefined ? 'profile' : 'password'}": ${id} is called by the suite, so its entry needs profile and password`,
      );
    }
  }
  return { profiles, mo, problems };
}

/** The MO service's entry: its short code, from profiles in either shape. */
export function moEntry(config: RunConfig, serviceId: string): MoEntry | undefined {
  return config.mo?.[serviceId] ?? config.profiles[serviceId];
}

function triggerProblems(raw: Partial<RunConfig>): string[] {
  const t = raw.moTrigger;
  if (!t) return [];
  const known = PLACEHOLDERS.map((p) => `{${p.name}}`).join(' ');
  const out: string[] = [];
  if (t.kind === 'http')
    for (const kind of MO_KINDS) {
      const r = t.requests[kind];
      if (!r) continue;
      const bad = unknownPlaceholders(r);
      if (bad.length)
        out.push(`/moTrigger/requests/${kind}: unknown placeholder {${bad.join('}, {')}} (known: ${known})`);
      out.push(...bodyProblems(r, `/moTrigger/requests/${kind}`));
    }
  if (t.kind === 'command') {
    const bad = unknownPlaceholders(t.command);
    if (bad.length)
      out.push(`/moTrigger/command: unknown placeholder {${bad.join('}, {')}} (known: ${known})`);
  }
  return out;
}

function bodyProblems(r: { format?: string; body?: unknown }, path: string): string[] {
  if (r.body === undefined) return [];
  const format = r.format ?? (typeof r.body === 'string' ? 'text' : 'json');
  if ((format === 'xml' || format === 'text') && typeof r.body !== 'string')
    return [`${path}/body: a ${format} body is a string template`];
  if (
    format === 'form' &&
    (typeof r.body !== 'object' ||
      r.body === null ||
      Array.isArray(r.body) ||
      Object.values(r.body).some((v) => typeof v !== 'string'))
  )
    return [`${path}/body: a form body is an object of strings (field name → template)`];
  return [];
}

const SCENARIO_PLACEHOLDERS = new Set(['scenario', 'service', 'number']);

function scenarioProblems(raw: Partial<RunConfig>): string[] {
  const out: string[] = [];
  for (const [name, s] of Object.entries(raw.scenarios ?? {})) {
    if (typeof s === 'string') continue;
    if (!s.number && !s.profiles && !s.before)
      out.push(`/scenarios/${name}: give a number, profiles, or a before switch (with after to undo it)`);
    for (const side of ['before', 'after'] as const) {
      const a = s[side];
      if (!a) continue;
      const http = 'http' in a && a.http;
      const command = 'command' in a && a.command;
      if (!!http === !!command) out.push(`/scenarios/${name}/${side}: give either http or command`);
      const bad = unknownPlaceholders(a, SCENARIO_PLACEHOLDERS);
      if (bad.length)
        out.push(
          `/scenarios/${name}/${side}: unknown placeholder {${bad.join('}, {')}} (known: {scenario} {service} {number})`,
        );
      if (http) out.push(...bodyProblems(http, `/scenarios/${name}/${side}/http`));
    }
    for (const id of Object.keys(s.profiles ?? {})) {
      const p = s.profiles?.[id];
      if (!p?.profile || !p.password)
        out.push(`/scenarios/${name}/profiles/${id}: a dedicated profile needs profile and password`);
    }
  }
  return out;
}

function featureProblems(raw: Partial<RunConfig>): string[] {
  if (!raw.features) return [];
  const known = loadFeatures().map((f) => f.id);
  return raw.features
    .filter((f) => !known.includes(f))
    .map((f) => `/features: unknown feature "${f}" (spec/features.yaml has ${known.join(', ')})`);
}

/** The scenario as an object, whatever form the config gave it in. */
export function scenarioOf(config: RunConfig, name: ScenarioName): ScenarioConfig | undefined {
  const s = config.scenarios?.[name];
  return typeof s === 'string' ? { number: s } : s;
}

/** JSON with comments (as `gateway init` writes it) or YAML, by the file's extension. */
export function parseConfigText(text: string, file: string): unknown {
  if (/\.ya?ml$/i.test(file)) return parseYaml(text);
  return JSON.parse(stripJsonComments(text));
}

/** Removes // and /* *\/ comments outside strings (a URL's // stays), keeping line numbers. */
export function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop - 1;
    } else out += c;
  }
  return out;
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
    value = parseConfigText(text, file);
  } catch (error) {
    throw new UsageError(
      `${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
      'MSE_CONFIG_SYNTAX',
    );
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
