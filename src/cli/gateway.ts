/**
 * `mse-conformance gateway`: plays the partner against an MSE implementation (the embedded reference
 * simulator when no --target is given), receives its deliveries on a listener of its own, and judges
 * everything against the spec. Exit codes: 0 conformant, 1 nonconformant, 2 usage/config, 3 unreachable.
 */

import { createPublicKey } from 'node:crypto';
import { resolve } from 'node:path';
import { verifyBundle, writeBundle } from '../bundle/index.ts';
import type { RunConfig } from '../checks/config.ts';
import type { RunContext } from '../checks/types.ts';
import type { RunReport } from '../core/model.ts';
import { defaultUssdAnswer, type Listener, startListener } from '../listener/index.ts';
import { magicNumbers } from '../simulator/backends.ts';
import type { ProfileConfig } from '../simulator/index.ts';
import { loadSpec } from '../spec/load.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';
import {
  type CommonValues,
  checkTargetUrl,
  commonOptions,
  execute,
  filterPatterns,
  probeReachable,
  readConfig,
  secretsOf,
} from './run.ts';
import { bundleLine, signingKeyOption } from './verify.ts';

export const GATEWAY_SUITE_DIR = 'suites/gateway';

const HELP = `Usage: mse-conformance gateway [options]

Plays the partner against an MSE implementation and checks it against the contract in spec/.
Without --target it starts the embedded reference simulator and tests that.

Options:
  --target URL         base URL of the MSE under test (the suite calls URL/MSE/api and URL/MSE/ussd)
  --config FILE        run config (spec/schema/config.schema.json): profiles, numbers, listener, timeouts
  --only PATTERN       run only matching checks (repeatable, comma-separated): a glob on the check id,
                       or family:, service:, mode:, rule:, tag:, level: followed by a glob
  --skip PATTERN       leave matching checks out (same patterns)
  --strict             SHOULD-level departures fail the run
  --list               print every check id with its rule, section and level, without running
  --expectations FILE  known failures by check id (spec/schema/expectations.schema.json)
  --report FORMATS     json,junit,html,md (default: all four)
  --out DIR            write the reports there
  --bundle PATH        write a certification bundle (a directory, or a tar archive if PATH ends in .tar);
                       check it later with: mse-conformance verify PATH
  --sign KEY           sign the bundle's manifest with this Ed25519 private key (PEM file);
                       check it with: mse-conformance verify PATH --key PUBLIC-KEY
  --quiet              no progress or summary on stdout

Exit codes: 0 conformant, 1 nonconformance found, 2 usage or config error, 3 target unreachable.`;

/** The run config of the embedded simulator, built from its own profiles (so every service is provisioned). */
export function configFromSimulator(
  base: RunConfig,
  sim: {
    controlUrl: string;
    smtp?: { host: string; port: number };
    profiles: {
      id: string;
      service: string;
      password: string;
      billingCode?: string;
      shortNumber?: string;
      delivery?: { userid?: string; pwd?: string };
      mo?: { user?: string; pwd?: string };
      rate?: { perSecond: number; burst: number };
    }[];
  },
  smtpFrom: string,
): RunConfig {
  const config: RunConfig = {
    ...base,
    profiles: {},
    listener: { ...base.listener },
    moTrigger: { kind: 'simulator-control', url: sim.controlUrl },
  };
  // The simulator's magic numbers (src/simulator/backends.ts), on the prefix of the run's test subscribers.
  const prefix = (base.subscribers[0] ?? '1191000000').slice(0, 6);
  const magic = (kind: string) => magicNumbers.find((m) => m.subscriber === kind)?.suffix;
  const silent = magic('silent-device');
  const unknown = magic('unknown');
  config.scenarios = {
    ...(silent ? { silentHandset: `${prefix}${silent}` } : {}),
    ...(unknown ? { unknownSubscriber: `${prefix}${unknown}` } : {}),
    ...base.scenarios,
  };
  for (const p of sim.profiles) {
    const entry = {
      profile: p.id,
      password: p.password,
      ...(p.billingCode ? { billingCode: p.billingCode, billingCodeRequired: true } : {}),
      ...(p.shortNumber ? { shortCode: p.shortNumber } : {}),
      ...(p.rate ? { rate: p.rate } : {}),
    };
    // A rate-limited profile is for the traffic checks alone: every other check keeps an unlimited one.
    if (p.rate) {
      config.trafficProfiles = { ...config.trafficProfiles, [p.service]: entry };
      continue;
    }
    config.profiles[p.service] = entry;
    if (p.delivery && (p.delivery.userid || p.delivery.pwd))
      config.listener.credentials = {
        ...(p.delivery.userid ? { userid: p.delivery.userid } : {}),
        ...(p.delivery.pwd ? { pwd: p.delivery.pwd } : {}),
      };
    if (p.mo && (p.mo.user || p.mo.pwd))
      config.listener.moCredentials = {
        ...(p.mo.user ? { user: p.mo.user } : {}),
        ...(p.mo.pwd ? { pwd: p.mo.pwd } : {}),
      };
  }
  if (sim.smtp) config.smtp = { host: sim.smtp.host, port: sim.smtp.port, from: smtpFrom };
  return config;
}

/**
 * The embedded simulator's profiles: its defaults, plus one profile with a small traffic limit (9.3) for the
 * traffic checks, on a sync service so that each refused or accepted request is judged from its answer alone.
 */
export function embeddedProfiles(
  defaults: ProfileConfig[],
  rate: { perSecond: number; burst: number } = { perSecond: 5, burst: 3 },
): ProfileConfig[] {
  const services = new Map(loadSpec().services.map((s) => [s.id, s]));
  const base = defaults.find((p) => {
    const s = services.get(p.service);
    return s?.kind === 'api' && s.modes.allowed.includes('sync') && !p.billingCode;
  });
  if (!base) return defaults;
  return [...defaults, { ...base, id: `${base.service}_LIMITED`, rate }];
}

/** Timeouts for the embedded simulator: it answers in milliseconds, so the run need not wait long. */
const EMBEDDED_TIMEOUTS: RunConfig['timeouts'] = {
  // Waits end as soon as the event comes, so generous deadlines cost nothing on a healthy run and keep a
  // loaded machine (parallel CI jobs) from turning slowness into failures. Only quietMs is always spent.
  requestMs: 15_000,
  syncMs: 20_000,
  receiptMs: 15_000,
  quietMs: 800,
  redeliveryMs: 15_000,
};

/**
 * Can a connection to the target be opened, within the probe's own budget (not the request timeout)? Only
 * when it cannot is the target unreachable (exit code 3); a slow gateway runs its checks.
 */
export async function probeTarget(target: string): Promise<string | undefined> {
  return probeReachable(`${target}${loadSpec().protocol.endpoints.api}`);
}

export const gatewayOptions = {
  ...commonOptions,
  bundle: { type: 'string' },
  sign: { type: 'string' },
} as const;

export interface GatewayValues extends CommonValues {
  bundle?: string;
  sign?: string;
}

export async function gatewayCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, gatewayOptions);
  // `--list | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  return runGateway(values as GatewayValues);
}

/** The whole command, callable from code with parsed values; resolves to the exit code. */
export async function runGateway(
  values: GatewayValues,
  out: (line: string) => void = console.log,
): Promise<number> {
  return (await gatewayRun(values, out)).code;
}

export interface GatewayRunResult {
  code: number;
  report?: RunReport;
  /** Time checks spent waiting on the listener for deliveries (receipts, MO, absence windows). */
  waits?: { waits: number; summedMs: number; wallMs: number };
}

/** The command's work, with the report and the listener's wait figures (for the benchmark). */
export async function gatewayRun(
  values: GatewayValues,
  out: (line: string) => void = console.log,
): Promise<GatewayRunResult> {
  const config = readConfig(values);
  // A bad key file is a usage error before the run, not a surprise after it.
  const signingKey = signingKeyOption(values.bundle, values.sign);
  const { only, skip } = filterPatterns(values);
  const strict = values.strict === true || config.strict === true;
  const targetOption = values.target ?? config.target;
  const target = targetOption ? checkTargetUrl(targetOption) : undefined;
  const testTimeoutMs = (cfg: RunConfig) =>
    Math.max(
      cfg.timeouts.syncMs,
      cfg.timeouts.receiptMs + cfg.timeouts.redeliveryMs,
      cfg.timeouts.requestMs * 4,
    ) + 10_000;

  if (values.list) {
    // Listing needs no target: every service counts as provisioned so that every check is shown.
    const listConfig: RunConfig = { ...config, profiles: { ...config.profiles } };
    for (const s of loadSpec().services) listConfig.profiles[s.id] ??= { profile: s.id, password: 'listing' };
    listConfig.moTrigger ??= { kind: 'simulator-control', url: 'http://127.0.0.1:1/__control' };
    listConfig.smtp ??= { host: '127.0.0.1', port: 25 };
    const context: RunContext = {
      role: 'gateway',
      strict,
      only,
      skip,
      target: target ?? 'embedded simulator',
      config: listConfig,
      secrets: [],
      embedded: !target,
    };
    return execute({
      role: 'gateway',
      suiteDir: GATEWAY_SUITE_DIR,
      values,
      context,
      testTimeoutMs: 60_000,
      out,
    });
  }

  let listener: Listener | undefined;
  let sim: { close(): Promise<void> } | undefined;
  let ussdProfiles: RunConfig['profiles'] = config.profiles;
  try {
    try {
      // The reply to a USSD event is a command of the partner's own USSD profile (6.4.21); the embedded
      // simulator's profiles are only known once it runs, so the profile is looked up per event.
      const ussdProfile = () => {
        const id = loadSpec().services.find((sv) => sv.kind === 'ussd-command' && ussdProfiles[sv.id])?.id;
        return id ? ussdProfiles[id] : undefined;
      };
      listener = await startListener({
        host: config.listener.host ?? '127.0.0.1',
        port: config.listener.port ?? 0,
        ussdAnswer: (event) => defaultUssdAnswer(event, ussdProfile()?.profile, ussdProfile()?.password),
        ...(config.listener.publicUrl ? { publicUrl: config.listener.publicUrl } : {}),
      });
    } catch (error) {
      throw new UsageError(
        `cannot start the listener on ${config.listener.host ?? '127.0.0.1'}:${config.listener.port ?? 0} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): choose another listener.port in the config`,
        'MSE_LISTENER_BIND',
      );
    }
    let runConfig = config;
    let runTarget: string;
    if (!target) {
      const { startSimulator, defaultSmtpDomain, defaultProfiles } = await import('../simulator/index.ts');
      const simulator = await startSimulator({
        callback: listener.url,
        profiles: embeddedProfiles(defaultProfiles(listener.url)),
        log: () => {},
        retry: { delaysMs: [50, 200, 1000] },
      });
      sim = simulator;
      runTarget = simulator.url;
      runConfig = configFromSimulator(
        { ...config, timeouts: values.config ? config.timeouts : EMBEDDED_TIMEOUTS },
        simulator,
        `partner@${defaultSmtpDomain}`,
      );
    } else {
      runTarget = target;
      const problem = await probeTarget(target);
      if (problem) {
        console.error(
          `mse-conformance gateway: the target ${target} is unreachable: ${problem} (MSE_TARGET_UNREACHABLE). Check --target and that the gateway is running.`,
        );
        return { code: ExitCode.Unreachable };
      }
    }
    ussdProfiles = runConfig.profiles;
    const context: RunContext = {
      role: 'gateway',
      strict,
      only,
      skip,
      target: runTarget,
      config: runConfig,
      secrets: secretsOf(runConfig),
      listenerUrl: listener.url,
      listenerSuiteUrl: listener.suiteUrl,
      embedded: !target,
    };
    const result = await execute({
      role: 'gateway',
      suiteDir: GATEWAY_SUITE_DIR,
      values,
      context,
      testTimeoutMs: testTimeoutMs(runConfig),
      out,
    });
    if (values.bundle && result.report) {
      const path = resolve(values.bundle);
      // The matrix lists every rule a check cites (the gateway role has no rules of its own to add).
      const cited = new Set(result.report.checks.map((c) => c.rule));
      const rules = [...loadSpec().rules.values()].filter((r) => cited.has(r.id));
      await writeBundle(
        path,
        { report: result.report, config: runConfig, secrets: context.secrets, rules },
        signingKey ? { signingKey } : {},
      );
      const check = await verifyBundle(path, signingKey ? { publicKey: createPublicKey(signingKey) } : {});
      if (!values.quiet) out(bundleLine(path, check));
    }
    return { ...result, waits: listener.waitStats() };
  } finally {
    await sim?.close();
    await listener?.close();
  }
}
