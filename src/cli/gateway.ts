/**
 * `mse-conformance gateway`: plays the partner against an MSE implementation (the embedded reference
 * simulator when no --target is given), receives its deliveries on a listener of its own, and judges
 * everything against the spec. Exit codes: 0 conformant, 1 nonconformant, 2 usage/config, 3 unreachable.
 */

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderConformance } from '../../reporters/json.ts';
import type { RunConfig } from '../checks/config.ts';
import { claimStatement } from '../core/model.ts';
import { defaultUssdAnswer, type Listener, startListener } from '../listener/index.ts';
import { configFromSimulator, EMBEDDED_TIMEOUTS, embeddedProfiles } from '../runner/embedded.ts';
import { loadSpec } from '../spec/load.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';
import {
  applyListenerOptions,
  collect,
  completeReport,
  GATEWAY_SUITE_DIR,
  initConfig,
  type ListenerValues,
  listenerLines,
  planLines,
  unclaimedChecks,
} from './gateway-plan.ts';
import {
  type CommonValues,
  commonOptions,
  probeReachable,
  type RoleAdapter,
  type RoleRunResult,
  type RoleSession,
  type RoleSetup,
  readConfig,
  runRole,
  secretsOf,
} from './run.ts';

export { GATEWAY_SUITE_DIR };

const HELP = `Usage: mse-conformance gateway [options]
       mse-conformance gateway init [FILE] [--force]
       mse-conformance gateway plan --config FILE [--listener-port N] [--public-url URL]

Plays the partner against an MSE implementation and checks it against the contract in spec/.
Without --target it starts the embedded reference simulator and tests that.

  init   writes a commented starter config (default mse-conformance.jsonc) to edit for your gateway
  plan   prints what the gateway must be provisioned with (listener URLs and credentials, profiles,
         services, modes, short codes, claimed features) and, per check family, what will run and what
         will be skipped with the config key that enables it; sends nothing

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
  --listener-port N    port the listener binds (overrides listener.port), so the gateway can be provisioned
  --public-url URL     URL the gateway delivers to (overrides listener.publicUrl)
  --quiet              no progress or summary on stdout

Exit codes: 0 conformant, 1 nonconformance found, 2 usage or config error, 3 target unreachable.`;

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
  'listener-port': { type: 'string' },
  'public-url': { type: 'string' },
  force: { type: 'boolean' },
} as const;

export interface GatewayValues extends CommonValues, ListenerValues {
  bundle?: string;
  sign?: string;
  force?: boolean;
}

export async function gatewayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, gatewayOptions);
  // `--list | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  const [sub, ...rest] = positionals;
  if (sub === 'init') {
    if (rest.length > 1) throw new UsageError('gateway init takes one file name', 'MSE_USAGE');
    const file = initConfig(rest[0] ?? 'mse-conformance.jsonc', values.force === true);
    console.log(
      `wrote ${file}: edit it for your gateway, then run\n  mse-conformance gateway plan --config ${file}\n  mse-conformance gateway --config ${file}`,
    );
    return ExitCode.Ok;
  }
  if (sub === 'plan') {
    if (!values.config) throw new UsageError('gateway plan needs --config FILE', 'MSE_USAGE');
    for (const line of await planLines(values as GatewayValues)) console.log(line);
    return ExitCode.Ok;
  }
  if (sub !== undefined)
    throw new UsageError(`unknown gateway subcommand ${sub} (init, plan, or options only)`, 'MSE_USAGE');
  return runGateway(values as GatewayValues);
}

/** The whole command, callable from code with parsed values; resolves to the exit code. */
export async function runGateway(
  values: GatewayValues,
  out: (line: string) => void = console.log,
): Promise<number> {
  return (await gatewayRun(values, out)).code;
}

export type GatewayRunResult = RoleRunResult;

/** The command's work, with the report and the listener's wait figures (for the benchmark). */
export async function gatewayRun(
  values: GatewayValues,
  out: (line: string) => void = console.log,
): Promise<GatewayRunResult> {
  return runRole(gatewayRole, values, out);
}

/** The gateway role: it plays the partner, so it receives deliveries on a listener of its own. */
const gatewayRole: RoleAdapter<GatewayValues, undefined> = {
  role: 'gateway',
  suiteDir: GATEWAY_SUITE_DIR,
  readConfig: (values) => applyListenerOptions(readConfig(values), values),
  parse: () => undefined,
  open: (setup, defer) => (setup.values.list ? Promise.resolve(listSession(setup)) : openRun(setup, defer)),
};

type GatewaySetup = RoleSetup<GatewayValues, undefined>;

/** Listing needs no target: every service counts as provisioned so that every check is shown. */
function listSession({ config, target }: GatewaySetup): RoleSession {
  const listConfig: RunConfig = { ...config, profiles: { ...config.profiles } };
  for (const s of loadSpec().services) listConfig.profiles[s.id] ??= { profile: s.id, password: 'listing' };
  listConfig.moTrigger ??= { kind: 'simulator-control', url: 'http://127.0.0.1:1/__control' };
  listConfig.smtp ??= { host: '127.0.0.1', port: 25 };
  return {
    context: { target: target ?? 'embedded simulator', config: listConfig, secrets: [], embedded: !target },
    testTimeoutMs: 60_000,
    bundle: () => ({ rules: [] }),
  };
}

/** Default per-check budget: the longest wait a check may make, plus a margin. */
function testTimeoutMs(cfg: RunConfig): number {
  return (
    Math.max(
      cfg.timeouts.syncMs,
      cfg.timeouts.receiptMs + cfg.timeouts.redeliveryMs,
      cfg.timeouts.requestMs * 4,
      // A person answering USSD sends two MOs in one check.
      cfg.moTrigger?.kind === 'manual' ? 2 * (cfg.moTrigger.windowMs ?? 180_000) : 0,
    ) + 10_000
  );
}

/** The listener, the embedded simulator when there is no target (or the target's probe), and the session. */
async function openRun(
  setup: GatewaySetup,
  defer: (close: () => Promise<void>) => void,
): Promise<RoleSession | { unreachable: string }> {
  const { values, config, target, out } = setup;
  let ussdProfiles: RunConfig['profiles'] = config.profiles;
  const listener = await openListener(setup, () => ussdProfiles);
  defer(() => listener.close());
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
    defer(() => simulator.close());
    runTarget = simulator.url;
    runConfig = configFromSimulator(
      { ...config, timeouts: values.config ? config.timeouts : EMBEDDED_TIMEOUTS },
      simulator,
      `partner@${defaultSmtpDomain}`,
    );
  } else {
    runTarget = target;
    const problem = await probeTarget(target);
    if (problem)
      return {
        unreachable: `mse-conformance gateway: the target ${target} is unreachable: ${problem} (MSE_TARGET_UNREACHABLE). Check --target and that the gateway is running.`,
      };
  }
  ussdProfiles = runConfig.profiles;
  // Checks of features the config does not claim are not run: they are reported as not-claimed.
  const unclaimed = runConfig.features ? unclaimedChecks(await collect(runConfig, values), runConfig) : [];
  const command = reproduceCommand(values);
  return {
    context: {
      target: runTarget,
      config: runConfig,
      secrets: secretsOf(runConfig, headerSecrets(runConfig)),
      listenerUrl: listener.url,
      listenerSuiteUrl: listener.suiteUrl,
      embedded: !target,
    },
    skip: unclaimed.map((c) => c.id),
    testTimeoutMs: testTimeoutMs(runConfig),
    complete: (report) => completeReport(report, runConfig, unclaimed),
    after: async (report) => {
      if (report.features && !values.quiet) out(`features: ${claimStatement(report.features)}`);
      if (values.out) {
        const file = resolve(values.out, 'conformance.json');
        await writeFile(file, renderConformance(report, command));
        if (!values.quiet) out(`conformance report: ${file}`);
      }
    },
    // The matrix lists every rule a check cites (the gateway role has no rules of its own to add).
    bundle: (report) => {
      const cited = new Set(report.checks.map((c) => c.rule));
      return {
        rules: [...loadSpec().rules.values()].filter((r) => cited.has(r.id)),
        conformance: renderConformance(report, command),
      };
    },
    waits: () => listener.waitStats(),
  };
}

/**
 * Starts the listener the gateway delivers to; a port that cannot be bound is a config error. The reply to a
 * USSD event is a command of the partner's own USSD profile (6.4.21); the embedded simulator's profiles are
 * only known once it runs, so the profile is looked up per event.
 */
async function openListener(
  { config, values, target, out }: GatewaySetup,
  profiles: () => RunConfig['profiles'],
): Promise<Listener> {
  const ussdProfile = () => {
    const id = loadSpec().services.find((sv) => sv.kind === 'ussd-command' && profiles()[sv.id])?.id;
    return id ? profiles()[id] : undefined;
  };
  let listener: Listener;
  try {
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
  // Printed before anything is sent, so the URLs can be provisioned on a gateway that needs them.
  if (!values.quiet && target) {
    out(`listener ${listener.url} (the gateway delivers here):`);
    for (const line of listenerLines(listener.url, config)) out(line);
  }
  return listener;
}

/** Values of trigger and switch headers that carry credentials (an API key, a bearer token): masked too. */
function headerSecrets(config: RunConfig): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'headers' && x && typeof x === 'object')
          for (const [name, value] of Object.entries(x as Record<string, string>))
            if (/auth|token|key|secret|cookie|password/i.test(name))
              out.push(value.replace(/^(Bearer|Basic)\s+/i, ''));
        walk(x);
      }
  };
  walk([config.moTrigger, config.scenarios]);
  return out;
}

/** The command line that reproduces the run (the config file by name; options as given). */
function reproduceCommand(values: GatewayValues): string {
  const parts = ['mse-conformance gateway'];
  if (values.target) parts.push(`--target ${values.target}`);
  if (values.config) parts.push(`--config ${values.config}`);
  if (values.strict) parts.push('--strict');
  for (const o of values.only ?? []) parts.push(`--only '${o}'`);
  for (const s of values.skip ?? []) parts.push(`--skip '${s}'`);
  if (values.expectations) parts.push(`--expectations ${values.expectations}`);
  return parts.join(' ');
}
