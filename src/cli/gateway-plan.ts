/**
 * `mse-conformance gateway init` (a commented starter config) and `mse-conformance gateway plan` (what the
 * gateway must be provisioned with, and what will run or be skipped, without sending anything). Also the
 * feature claims of a run: which checks are not claimed, and the report's outcome per feature.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { RunConfig } from '../checks/config.ts';
import type { RunContext } from '../checks/types.ts';
import { type CheckResult, type RunReport, summarize } from '../core/model.ts';
import { LISTENER_PATHS } from '../listener/index.ts';
import { type ListedCheck, listSuite } from '../runner/run.ts';
import {
  claimedFeatures,
  featureOf,
  featureResults,
  isConfigurationGap,
  loadFeatures,
} from '../spec/features.ts';
import { loadSpec, projectRoot } from '../spec/load.ts';
import { PLACEHOLDERS, triggerGap } from '../triggers/index.ts';
import { UsageError } from './common.ts';
import { type CommonValues, filterPatterns, readConfig } from './run.ts';

export const GATEWAY_SUITE_DIR = 'suites/gateway';

export interface ListenerValues {
  'listener-port'?: string;
  'public-url'?: string;
}

/** --listener-port and --public-url over the config's listener section. */
export function applyListenerOptions(config: RunConfig, values: ListenerValues): RunConfig {
  const listener = { ...config.listener };
  const port = values['listener-port'];
  if (port !== undefined) {
    const n = Number(port);
    if (!/^[0-9]+$/.test(port) || n > 65535)
      throw new UsageError(`--listener-port ${port} is not a port (0-65535)`, 'MSE_USAGE');
    listener.port = n;
  }
  const url = values['public-url'];
  if (url !== undefined) {
    if (!/^https?:\/\/[^/]/.test(url))
      throw new UsageError(`--public-url ${url} must be an http:// or https:// URL`, 'MSE_USAGE');
    listener.publicUrl = url.replace(/\/+$/, '');
  }
  return { ...config, listener };
}

const DELIVERY_LABELS: Record<keyof typeof LISTENER_PATHS, string> = {
  receipt: 'receipts (async-delivery)',
  'sms-mo': 'SMS MO (DELIVERY_SMS)',
  'mms-mo': 'MMS MO (DELIVERY_MMS)',
  'wib-mo': 'WIB MO (WIB_MO)',
  'ussd-event': 'USSD events',
};

/** The lines that say where the gateway delivers, with the credentials it must send (masked). */
export function listenerLines(base: string, config: RunConfig): string[] {
  const c = config.listener.credentials;
  const m = config.listener.moCredentials;
  const lines: string[] = [];
  for (const [kind, path] of Object.entries(LISTENER_PATHS) as [keyof typeof LISTENER_PATHS, string][]) {
    let extra = '';
    if (kind === 'receipt' && (c?.userid || c?.pwd))
      extra = `  with userid=${c.userid ?? ''}&pwd=***** in the query (6.4.1.1; listener.credentials)`;
    if (kind === 'sms-mo' && (m?.user || m?.pwd))
      extra = `  with USER=${m.user ?? ''}&PWD=***** (6.4.5.1; listener.moCredentials)`;
    lines.push(`  ${DELIVERY_LABELS[kind].padEnd(26)} ${base}${path}${extra}`);
  }
  return lines;
}

/** The listener's base URL as the gateway must see it, or a note saying it is not known yet. */
function plannedBase(config: RunConfig): { base: string; note?: string } {
  if (config.listener.publicUrl) return { base: config.listener.publicUrl.replace(/\/+$/, '') };
  const host = config.listener.host ?? '127.0.0.1';
  const port = config.listener.port ?? 0;
  const shown = host === '0.0.0.0' || host === '::' ? '<this host>' : host;
  if (!port)
    return {
      base: `http://${shown}:<port>`,
      note: 'the listener port is chosen at run time: set listener.port (or --listener-port) so the gateway can be provisioned in advance',
    };
  return {
    base: `http://${shown}:${port}`,
    ...(shown === '<this host>'
      ? {
          note: 'the listener binds every address: set listener.publicUrl (or --public-url) to the address the gateway reaches',
        }
      : {}),
  };
}

/** The config key a skip reason names ("profiles.SMS_EMS", "moTrigger.requests.mms", "smtp", ...). */
export function configKeyOf(reason: string): string {
  const m =
    /\b(profiles|moTrigger|scenarios|smtp|trafficProfiles|listener|features)((?:\.[A-Za-z0-9_]+)*)/.exec(
      reason,
    );
  return m ? `${m[1]}${m[2]}` : reason.slice(0, 80);
}

function context(config: RunConfig, values: CommonValues, target: string | undefined): RunContext {
  const { only, skip } = filterPatterns(values);
  return {
    role: 'gateway',
    strict: values.strict === true || config.strict === true,
    only,
    skip,
    target: target ?? config.target ?? 'embedded simulator',
    config,
    secrets: [],
    embedded: !(target ?? config.target),
  };
}

/** Every selected check of the run, with the reason it will be skipped when the config decides it. */
export async function collect(config: RunConfig, values: CommonValues): Promise<ListedCheck[]> {
  const listed = await listSuite({
    suiteDir: GATEWAY_SUITE_DIR,
    context: context(config, values, values.target),
    testTimeoutMs: 60_000,
  });
  if (listed.errors.length) throw new Error(`the suite failed to load: ${listed.errors.join('; ')}`);
  return listed.checks;
}

/** The checks of features the config does not claim (they are not run, and reported as not-claimed). */
export function unclaimedChecks(checks: ListedCheck[], config: RunConfig): ListedCheck[] {
  if (!config.features) return [];
  const features = loadFeatures();
  const claimed = claimedFeatures(config.features, features);
  return checks.filter((c) => !claimed.has(featureOf(c, features)));
}

/** Adds the not-claimed checks and the outcome per feature to a run's report. */
export function completeReport(report: RunReport, config: RunConfig, unclaimed: ListedCheck[]): RunReport {
  const features = loadFeatures();
  const byName = new Map(features.map((f) => [f.id, f.name]));
  const extra: CheckResult[] = unclaimed.map((c) => {
    const feature = featureOf(c, features);
    return {
      id: c.id,
      rule: c.rule,
      section: c.section,
      level: c.level,
      family: c.family,
      ...(c.service ? { service: c.service } : {}),
      ...(c.mode ? { mode: c.mode } : {}),
      ...(c.tags ? { tags: c.tags } : {}),
      requirement: c.requirement,
      verdict: 'not-claimed',
      message: `feature ${byName.get(feature) ?? feature} is not claimed (features in the config)`,
      durationMs: 0,
      exchanges: [],
    };
  });
  const checks = [...report.checks, ...extra].sort((a, b) => a.id.localeCompare(b.id));
  return {
    ...report,
    summary: summarize(checks),
    checks,
    ...(config.implementation ? { implementation: config.implementation } : {}),
    features: featureResults(checks, claimedFeatures(config.features, features), features),
  };
}

type Spec = ReturnType<typeof loadSpec>;
type Service = Spec['services'][number];

/** The plan's listener section: where each delivery kind arrives, and a note when the address is not known. */
function listenerSection(config: RunConfig, base: string, note: string | undefined): string[] {
  const out = [
    `Listener: the gateway delivers here (the suite binds ${config.listener.host ?? '127.0.0.1'}:${config.listener.port ?? 0}):`,
    ...listenerLines(base, config),
  ];
  if (note) out.push(`  note: ${note}`);
  return out;
}

/** What a service's profile is provisioned for: its modes, or the USSD flow it takes part in. */
function modesOf(s: Service | undefined): string {
  if (s && s.kind === 'api') return `modes ${s.modes.allowed.join(', ')}`;
  return s?.kind === 'ussd-event' ? 'USSD events to the listener' : 'USSD commands (mode async)';
}

/** The plan's line for one service under its profile. */
function profileServiceLine(config: RunConfig, id: string, s: Service | undefined, base: string): string {
  const e = config.profiles[id]!;
  const bits = [
    modesOf(s),
    e.billingCode ? `billingCode ${e.billingCode}${e.billingCodeRequired ? ' (required)' : ''}` : '',
    e.shortCode ? `short code ${e.shortCode}` : '',
    e.rate ? `rate ${e.rate.perSecond}/s, burst ${e.rate.burst}` : '',
    s?.modes.allowed.includes('async-delivery') ? `receipts to ${base}${LISTENER_PATHS.receipt}` : '',
  ].filter(Boolean);
  return `    ${id.padEnd(22)} ${bits.join('; ')}`;
}

/** The plan's profiles section: each profile with its services, then the traffic profiles. */
function profilesSection(config: RunConfig, spec: Spec, base: string): string[] {
  const services = new Map(spec.services.map((s) => [s.id, s]));
  const out = ['Profiles: provision each with its password (masked here), services and modes:'];
  const byProfile = new Map<string, string[]>();
  for (const [id, entry] of Object.entries(config.profiles))
    byProfile.set(entry.profile, [...(byProfile.get(entry.profile) ?? []), id]);
  if (!byProfile.size)
    out.push('  (none: every service the suite calls will be skipped; add entries under profiles)');
  for (const [profile, ids] of byProfile) {
    out.push(`  ${profile} (password *****)`);
    for (const id of ids) out.push(profileServiceLine(config, id, services.get(id), base));
  }
  for (const [id, entry] of Object.entries(config.trafficProfiles ?? {}))
    out.push(
      `  ${entry.profile} (password *****): ${id}, traffic checks only, rate ${entry.rate?.perSecond ?? '?'}/s, burst ${entry.rate?.burst ?? '?'}`,
    );
  return out;
}

/** The listener path an MO or USSD-event service delivers to. */
function moPathOf(s: Service): string {
  if (s.kind === 'ussd-event') return LISTENER_PATHS['ussd-event'];
  if (s.group === 'sms') return LISTENER_PATHS['sms-mo'];
  return s.group === 'mms' ? LISTENER_PATHS['mms-mo'] : LISTENER_PATHS['wib-mo'];
}

/** The plan's short codes section: the number each MO service is sent to, and where it must arrive. */
function shortCodesSection(config: RunConfig, spec: Spec, base: string): string[] {
  const out = ['Short codes: MO sent to these numbers must reach the listener:'];
  const moIds = spec.services.filter((s) => s.kind === 'mo-delivery' || s.kind === 'ussd-event');
  for (const s of moIds) {
    const code =
      config.mo?.[s.id]?.shortCode ??
      config.profiles[s.id]?.shortCode ??
      config.moTrigger?.shortNumber ??
      s.inputs.find((i) => i.name === 'BNUM' || i.name === 'short_code')?.sample;
    const configured = config.mo?.[s.id]?.shortCode ?? config.profiles[s.id]?.shortCode;
    out.push(
      `  ${(code ?? '-').padEnd(6)} ${s.id.padEnd(20)} → ${base}${moPathOf(s)}${configured ? '' : ` (default; set profiles.${s.id}.shortCode)`}`,
    );
  }
  return out;
}

/** The plan's MO trigger line. */
function triggerLine(config: RunConfig): string {
  const t = config.moTrigger;
  return `MO trigger: ${
    !t
      ? 'none: MO and USSD-event checks will be skipped (set moTrigger)'
      : t.kind === 'http'
        ? `http, requests for ${Object.keys(t.requests).join(', ')}${(['sms', 'mms', 'wib', 'ussd'] as const).some((k) => triggerGap(t, k)) ? ` (missing kinds are skipped)` : ''}`
        : t.kind === 'command'
          ? `command ${t.command.join(' ')} (fields in ${PLACEHOLDERS.map((p) => p.env).join(', ')})`
          : t.kind === 'manual'
            ? `manual: a person sends each MO from a handset, within ${Math.round((t.windowMs ?? 180_000) / 1000)} s`
            : `simulator-control at ${t.url}`
  }`;
}

/** The plan's scenarios line: how each failure the document shows is provoked. */
function scenariosLine(config: RunConfig): string {
  const scenarios = Object.entries(config.scenarios ?? {});
  return `Scenarios: ${
    scenarios.length
      ? scenarios
          .map(([name, s]) =>
            typeof s === 'string'
              ? `${name} by number ${s}`
              : `${name} by ${[s.number ? `number ${s.number}` : '', s.profiles ? `profiles for ${Object.keys(s.profiles).join(', ')}` : '', s.before ? 'a switch' : ''].filter(Boolean).join(', ')}`,
          )
          .join('; ')
      : 'none (the failures checks will be skipped; set scenarios)'
  }`;
}

/** The plan's features line: what is claimed and what is not. */
function featuresLine(config: RunConfig): string {
  const features = loadFeatures();
  const claimed = claimedFeatures(config.features, features);
  return `Features: claimed ${features
    .filter((f) => claimed.has(f.id))
    .map((f) => f.name)
    .join(', ')}${
    config.features ? '' : ' (no features in the config: every feature is claimed)'
  }; not claimed: ${
    features
      .filter((f) => !claimed.has(f.id))
      .map((f) => f.name)
      .join(', ') || 'none'
  }`;
}

interface SkipGroup {
  count: number;
  reason: string;
  families: Set<string>;
}

interface ChecksTally {
  lines: string[];
  totals: { run: number; skipped: number; unclaimed: number };
  byKey: Map<string, SkipGroup>;
}

/** Per family, what will run, be skipped and is not claimed; the skips grouped by the config key that enables them. */
function tallyChecks(checks: ListedCheck[], config: RunConfig): ChecksTally {
  const unclaimed = new Set(unclaimedChecks(checks, config).map((c) => c.id));
  const families = new Map<string, ListedCheck[]>();
  for (const c of checks) families.set(c.family, [...(families.get(c.family) ?? []), c]);
  const totals = { run: 0, skipped: 0, unclaimed: 0 };
  // The run always has a listener; plan has none, so skips for its absence are not config gaps.
  const skipOf = (c: ListedCheck) =>
    c.skipReason && !/the run has no listener/.test(c.skipReason) ? c.skipReason : undefined;
  const byKey = new Map<string, SkipGroup>();
  const lines = ['Checks by family:'];
  for (const [family, list] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    const notClaimed = list.filter((c) => unclaimed.has(c.id));
    const skipped = list.filter((c) => !unclaimed.has(c.id) && skipOf(c));
    const run = list.length - notClaimed.length - skipped.length;
    totals.run += run;
    totals.skipped += skipped.length;
    totals.unclaimed += notClaimed.length;
    lines.push(
      `  ${family.padEnd(10)} ${String(run).padStart(4)} will run ${String(skipped.length).padStart(5)} skipped ${String(notClaimed.length).padStart(5)} not claimed`,
    );
    for (const c of skipped) {
      const reason = skipOf(c)!;
      const key = configKeyOf(reason);
      const e = byKey.get(key) ?? { count: 0, reason, families: new Set<string>() };
      e.count++;
      e.families.add(family);
      byKey.set(key, e);
    }
  }
  return { lines, totals, byKey };
}

/** The plan's skipped section: each config key with the number of checks it would enable, most first. */
function skippedSection(byKey: Map<string, SkipGroup>): string[] {
  const out = ['Skipped, and the config key that enables them:'];
  if (!byKey.size) out.push('  nothing');
  for (const [key, { count, reason, families: fams }] of [...byKey].sort(
    (a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]),
  ))
    out.push(
      `  ${String(count).padStart(4)}  ${key === reason.slice(0, 80) ? `(does not apply) ${reason}` : `${key}: ${reason}`} [${[...fams].join(', ')}]`,
    );
  return out;
}

/** The plan's checks sections: per family, the skips by config key, and the totals. */
function checksSections(checks: ListedCheck[], config: RunConfig): string[] {
  const { lines, totals, byKey } = tallyChecks(checks, config);
  const gaps = [...byKey.values()]
    .filter((e) => isConfigurationGap(e.reason))
    .reduce((n, e) => n + e.count, 0);
  return [
    ...lines,
    '',
    ...skippedSection(byKey),
    '',
    `${checks.length} checks: ${totals.run} will run, ${totals.skipped} will be skipped (${gaps} for lack of configuration), ${totals.unclaimed} are not claimed; checks that do not apply to an answer are skipped at run time.`,
  ];
}

/** `gateway plan`: what to provision, what will run and what will be skipped, with the key that enables it. */
export async function planLines(values: CommonValues & ListenerValues): Promise<string[]> {
  const config = applyListenerOptions(readConfig(values), values);
  const spec = loadSpec();
  const target = values.target ?? config.target;
  const { base, note } = plannedBase(config);
  const header = `Provisioning plan for ${target ?? 'the embedded simulator (no target in the config)'}${values.config ? ` (config ${values.config})` : ''}; nothing is sent.`;
  const setup = [
    header,
    '',
    ...listenerSection(config, base, note),
    '',
    ...profilesSection(config, spec, base),
    '',
    ...shortCodesSection(config, spec, base),
    '',
    triggerLine(config),
    scenariosLine(config),
    featuresLine(config),
    '',
  ];
  return [...setup, ...checksSections(await collect(config, values), config)];
}

/** The starter config `gateway init` writes: every field explained, every API service listed. */
export function starterConfig(file: string): string {
  const spec = loadSpec();
  const schema = relative(
    dirname(resolve(file)),
    resolve(projectRoot, 'spec', 'schema', 'config.schema.json'),
  );
  const features = loadFeatures().filter((f) => f.level !== 'core');
  const api = spec.services.filter((s) => s.kind === 'api');
  const mo = spec.services.filter((s) => s.kind === 'mo-delivery');
  const j = JSON.stringify;
  const profileLines = api.map(
    (s) =>
      `    ${j(s.id)}: { "profile": ${j(s.id)}, "password": "change-me"${s.billingCode === 'required' ? ', "billingCode": "000000", "billingCodeRequired": true' : ''} },  // ${s.section}`,
  );
  const moLines = mo.map(
    (s, i) =>
      `    ${j(s.id)}: { "shortCode": ${j(s.group === 'wap-wib' ? '3303' : `330${i + 1}`)} }${i === mo.length - 1 ? '' : ','}  // ${s.section}`,
  );
  return `// mse-conformance: run config for testing an MSE gateway (schema: spec/schema/config.schema.json).
// Edit what your gateway has, delete what it does not, then:
//   mse-conformance gateway plan --config ${file}   (prints what to provision; sends nothing)
//   mse-conformance gateway --config ${file}        (runs the suite)
// Comments are allowed in this file; passwords are masked in every report and line printed.
{
  "$schema": ${j(schema.split('\\').join('/'))},
  "version": 1,
  // Base URL of your MSE: the suite calls <target>/MSE/api and <target>/MSE/ussd (also --target).
  "target": "http://127.0.0.1:8080",
  // Your gateway, as the conformance report names it.
  "implementation": { "name": "my-gateway", "version": "0.0.0" },
  // Features you claim (spec/features.yaml); core is always claimed. Checks of the others are "not claimed".
  "features": ${j(features.map((f) => f.id))},
  // Ten-digit test numbers your gateway may send to (6.4.1); the first is used in requests.
  "subscribers": ["1191000000", "1191000001"],
  // The profile provisioned for each service the suite calls (6.2): profile and password, and billingCode
  // with "billingCodeRequired": true where the profile requires one. Services without an entry are skipped.
  "profiles": {
${profileLines.join('\n')}
    // One profile for all six USSD operations (6.4.18-6.4.23), with the USSD short code.
    "USSD": { "profile": "USSD", "password": "change-me", "shortCode": "100" },
    // MO services need only the short number that routes them to the listener (6.4.5: 33NN in trial).
${moLines.join('\n')}
  },
  // Where the suite receives receipts, MO and USSD events. Provision these URLs on the gateway
  // (gateway plan prints them): <publicUrl>/receipt, /mo/sms, /mo/mms, /mo/wib, /ussd.
  "listener": {
    "host": "0.0.0.0",
    "port": 8088,
    "publicUrl": "http://127.0.0.1:8088",
    // What the gateway sends with receipts (userid/pwd, 6.4.1.1) and with SMS MO (USER/PWD, 6.4.5.1).
    "credentials": { "userid": "mse", "pwd": "change-me" },
    "moCredentials": { "user": "mse", "pwd": "change-me" }
  },
  // How the suite makes your gateway originate an MO. kind "http": one request template per MO kind, with
  // placeholders ${PLACEHOLDERS.map((p) => `{${p.name}}`).join(' ')}.
  // Other kinds: "command" (a program, fields in MSE_* variables, exit 0 = injected), "manual" (a person with
  // a handset), "simulator-control" (the reference simulator). Without moTrigger, MO checks are skipped.
  "moTrigger": {
    "kind": "http",
    "requests": {
      "sms": { "method": "POST", "url": "http://127.0.0.1:8080/test/mo-sms", "format": "json",
               "body": { "from": "{from}", "to": "{to}", "text": "{text}" }, "expectStatus": 200 },
      "ussd": { "method": "POST", "url": "http://127.0.0.1:8080/test/ussd", "format": "json",
                "body": { "msisdn": "{msisdn}", "shortCode": "{shortCode}", "event": "{kind}", "value": "{value}",
                          "sessionOwner": "{sessionOwner}" } }
    }
  },
  // Failures the document shows: a test number, a profile per service that always fails so, or a switch
  // ("before"/"after": {"http": {...}} or {"command": [...]}) around the check. Without one, skipped.
  "scenarios": { "silentHandset": "1191000110" },
  "timeouts": { "requestMs": 10000, "syncMs": 90000, "syncLimitMs": 65000, "receiptMs": 30000, "quietMs": 3000, "redeliveryMs": 60000 }
}
`;
}

/** `gateway init [FILE] [--force]`: writes the starter config; refuses to overwrite without --force. */
export function initConfig(file: string, force: boolean): string {
  if (existsSync(file) && !force)
    throw new UsageError(
      `${file} exists: pass --force to overwrite it, or name another file`,
      'MSE_INIT_EXISTS',
    );
  writeFileSync(file, starterConfig(file));
  return file;
}
