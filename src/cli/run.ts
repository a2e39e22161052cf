/**
 * CLI plumbing shared by `mse-conformance gateway` and `mse-conformance partner`: the common options, the
 * config and expectations files, the run itself (or `--list`), the reports and the exit code.
 */
import { createPublicKey } from 'node:crypto';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { verifyBundle, writeBundle } from '../bundle/index.ts';
import {
  DEFAULT_SUBSCRIBERS,
  DEFAULT_TIMEOUTS,
  expectationFor,
  loadConfig,
  loadExpectations,
  type RunConfig,
} from '../checks/config.ts';
import { splitPatterns, validatePattern } from '../checks/filters.ts';
import type { Role, RunContext } from '../checks/types.ts';
import { FAILING_VERDICTS, REPORT_SCHEMA_VERSION, type RunReport, summarize } from '../core/model.ts';
import { collectSecrets, maskSecrets, redactConfig } from '../core/secrets.ts';
import { version } from '../core/version.ts';
import { type Delivery, deliveryExchange } from '../listener/index.ts';
import { listenerClient } from '../listener/remote.ts';
import { listSuite, runSuite } from '../runner/run.ts';
import { loadSpec } from '../spec/load.ts';
import type { Rule } from '../spec/types.ts';
import { ExitCode, UsageError } from './common.ts';
import { bundleLine, signingKeyOption } from './verify.ts';

/** Options every role's command accepts (node:util parseArgs form). */
export const commonOptions = {
  target: { type: 'string' },
  config: { type: 'string' },
  only: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  strict: { type: 'boolean' },
  list: { type: 'boolean' },
  expectations: { type: 'string' },
  report: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CommonValues {
  target?: string;
  config?: string;
  only?: string[];
  skip?: string[];
  strict?: boolean;
  list?: boolean;
  expectations?: string;
  report?: string;
  out?: string;
  quiet?: boolean;
}

export function emptyConfig(): RunConfig {
  return {
    version: 1,
    timeouts: { ...DEFAULT_TIMEOUTS },
    subscribers: [...DEFAULT_SUBSCRIBERS],
    profiles: {},
    listener: {},
  };
}

export function readConfig(values: CommonValues): RunConfig {
  return values.config ? loadConfig(resolve(values.config)) : emptyConfig();
}

export function filterPatterns(values: CommonValues): { only: string[]; skip: string[] } {
  const only = splitPatterns(values.only);
  const skip = splitPatterns(values.skip);
  for (const p of [...only, ...skip]) {
    const problem = validatePattern(p);
    if (problem) throw new UsageError(problem, 'MSE_USAGE');
  }
  return { only, skip };
}

export function checkTargetUrl(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`--target ${target} is not a URL (expected http(s)://host:port)`, 'MSE_USAGE');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--target ${target} must be an http:// or https:// URL`, 'MSE_USAGE');
  return target.replace(/\/+$/, '');
}

/**
 * The reachability probe's own budget: how long a connection may take to open. It is not the request timeout,
 * which bounds an answer: a slow target is reachable, and its slowness is for the checks to judge.
 */
export const PROBE_BUDGET_MS = 5_000;

/**
 * Whether a TCP connection to the URL's host and port opens within `budgetMs`: undefined when it does, else why
 * not (refused, unknown host, no route, timed out). Only this is "unreachable" (exit 3); an HTTP answer that is
 * slow, or no HTTP at all, is left to the checks, which then run and say so.
 */
export function probeReachable(url: string, budgetMs = PROBE_BUDGET_MS): Promise<string | undefined> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      done(problem);
    };
    const timer = setTimeout(
      () => finish(`no connection to ${u.host} within ${budgetMs} ms (timeout)`),
      budgetMs,
    );
    socket.once('connect', () => finish(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(`no connection to ${u.host} (${e.code ?? e.message})`),
    );
  });
}

export interface ExecuteOptions {
  role: Role;
  suiteDir: string;
  values: CommonValues;
  context: RunContext;
  /** Default per-check budget. */
  testTimeoutMs: number;
  out: (line: string) => void;
  /** Completes the report before it is printed and written (the gateway role adds the feature claims). */
  complete?: (report: RunReport) => RunReport | Promise<RunReport>;
}

/**
 * Lists or runs the suite with the given context, writes the reports and returns the exit code:
 * 0 conformant, 1 nonconformant (a failing verdict, or a suite file that failed to load).
 */
export async function execute(options: ExecuteOptions): Promise<{ code: number; report?: RunReport }> {
  const { values, context, out } = options;
  if (values.list) {
    const listed = await listSuite({
      suiteDir: options.suiteDir,
      context,
      testTimeoutMs: options.testTimeoutMs,
    });
    // id, rule, section, level (the manifest's columns), then what the check sends and where its row is.
    for (const c of listed.checks)
      out(`${c.id}\t${c.rule}\t${c.section}\t${c.level}\t${c.stimulus ?? ''}\t${c.row ?? ''}`);
    for (const e of listed.errors) console.error(`error: ${e}`);
    return { code: listed.errors.length ? ExitCode.Nonconformant : ExitCode.Ok };
  }
  const expectations = values.expectations
    ? loadExpectations(resolve(values.expectations))
    : new Map<string, string>();
  const formats = await parseFormats(values.report);
  const started = Date.now();
  if (!values.quiet)
    out(`${options.role} suite against ${context.target}${context.strict ? ' (strict)' : ''}`);
  const outcome = await runSuite({
    suiteDir: options.suiteDir,
    context,
    expectations,
    testTimeoutMs: options.testTimeoutMs,
    ...(context.config.concurrency ? { concurrency: context.config.concurrency } : {}),
    ...(values.quiet ? {} : { progress: out }),
  });
  await completeUnmatched(outcome.checks, context);
  // A run that judged nothing must not read as conformant: a mistyped --only would pass CI silently.
  if (outcome.checks.length === 0 && outcome.errors.length === 0)
    throw new UsageError(
      'no check matches --only/--skip: nothing was judged (see --list for the check ids)',
      'MSE_NO_CHECKS',
    );
  let report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    suite: options.role,
    suiteVersion: version(),
    specHash: loadSpec().hash,
    target: context.target,
    config: redactConfig(context.config),
    strict: context.strict,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: summarize(outcome.checks),
    checks: outcome.checks,
    ...(outcome.errors.length ? { errors: outcome.errors } : {}),
  };
  if (options.complete) report = await options.complete(report);
  if (outcome.errors.length) report.summary.conformant = false;
  const reporters = await import('../../reporters/index.ts');
  if (!values.quiet) {
    out('');
    for (const line of reporters.formatSummaryLines(report)) out(line);
  }
  // An expectation that matches no check of this run is stale (renamed check, or filtered out): say so.
  if (!values.quiet)
    for (const pattern of expectations.keys())
      if (!outcome.checks.some((c) => expectationFor(new Map([[pattern, '']]), c.id) !== undefined))
        out(`warning: the expectations file lists ${pattern}, which matches no check of this run`);
  const outDir = values.out ? resolve(values.out) : undefined;
  if (outDir && formats.length) {
    const written = await reporters.writeReports(report, formats, outDir, context.secrets);
    if (!values.quiet) out(`reports: ${written.join(', ')}`);
  }
  const failing =
    outcome.checks.some((c) => FAILING_VERDICTS.includes(c.verdict)) || outcome.errors.length > 0;
  return { code: failing ? ExitCode.Nonconformant : ExitCode.Ok, report };
}

/** The rule of the check that lists, when the run ends, the deliveries that matched nothing (INTERPRETING 3). */
const UNMATCHED_RULE = 'deliveries.unmatched';
const UNMATCHED_SHOWN = 10;

/**
 * Completes the unmatched-deliveries check once every other check is done: only then is a delivery no check
 * matched, and whose key no acknowledgement gave, known to belong to no request of the run. Informational
 * with the deliveries (their exchanges recorded) when there are some; skip otherwise.
 */
async function completeUnmatched(checks: RunReport['checks'], context: RunContext): Promise<void> {
  const check = checks.find((c) => c.rule === UNMATCHED_RULE);
  if (!check || !context.listenerSuiteUrl) return;
  let unmatched: Delivery[];
  try {
    unmatched = await listenerClient(context.listenerSuiteUrl).unmatched();
  } catch (error) {
    check.verdict = 'skip';
    check.message = `the listener could not list its deliveries (${(error as Error).message})`;
    return;
  }
  if (!unmatched.length) {
    check.verdict = 'skip';
    check.message = 'every delivery the listener received matched a request of the run';
    check.exchanges = [];
    return;
  }
  const describe = (d: Delivery) =>
    `a ${d.kind === 'other' ? 'delivery' : d.kind} by ${d.method} to ${maskSecrets(d.url, context.secrets).slice(0, 120)}${
      d.key !== undefined ? ` (key ${d.key})` : ''
    }${d.profile !== undefined ? ` naming profile ${d.profile}` : ''}`;
  const shown = unmatched.slice(0, UNMATCHED_SHOWN);
  check.verdict = 'informational';
  check.message = `${unmatched.length} deliver${unmatched.length === 1 ? 'y' : 'ies'} matched no request of the run: ${shown
    .map(describe)
    .join('; ')}${unmatched.length > shown.length ? `; and ${unmatched.length - shown.length} more` : ''}`;
  check.exchanges = shown.map((d) =>
    deliveryExchange(d, context.listenerUrl, context.secrets, `target → listener ${d.kind} (unmatched)`),
  );
}

async function parseFormats(csv: string | undefined) {
  const reporters = await import('../../reporters/index.ts');
  return csv ? reporters.parseReportFormats(csv) : [...reporters.REPORT_FORMATS];
}

/** Every secret of the config, to mask wherever it appears. */
export function secretsOf(config: RunConfig, extra: (string | undefined)[] = []): string[] {
  return [...new Set([...collectSecrets(config), ...extra.filter((s): s is string => !!s)])];
}

/** What a role's run needs from the role; the sequence itself (config, filters, run, reports, bundle) is runRole's. */
export interface RoleAdapter<V extends CommonValues, P> {
  role: Role;
  suiteDir: string;
  /** The run config: --config with the role's own overriding options applied. */
  readConfig(values: V): RunConfig;
  /** The role's own options, checked after the common ones and before --target (usage errors). */
  parse(values: V, config: RunConfig): P;
  /**
   * Starts what the run tests when there is no target (the embedded role), or probes the target given, and
   * registers with `defer` what must be closed when the run ends. A target that cannot be reached gives
   * the line to print instead of a session.
   */
  open(
    setup: RoleSetup<V, P>,
    defer: (close: () => Promise<void>) => void,
  ): Promise<RoleSession | Unreachable>;
}

export interface RoleSetup<V extends CommonValues, P> {
  values: V;
  config: RunConfig;
  /** --target (or the config's target), checked; undefined when the role starts its own. */
  target: string | undefined;
  options: P;
  out: (line: string) => void;
}

interface Unreachable {
  unreachable: string;
}

/** A run opened by a role: its context and what it adds to the common sequence. */
export interface RoleSession {
  context: Omit<RunContext, 'role' | 'strict' | 'only' | 'skip'>;
  /** Checks left out besides --skip (the gateway's unclaimed features). */
  skip?: string[];
  /** Default per-check budget. */
  testTimeoutMs: number;
  complete?: ExecuteOptions['complete'];
  /** Outputs of the role once the reports are written (before the bundle). */
  after?(report: RunReport): Promise<void>;
  /** What the certification bundle holds besides the report and config. */
  bundle(report: RunReport): { rules: Rule[]; conformance?: string };
  /** Figures of the run for the benchmark. */
  waits?(): RoleRunResult['waits'];
}

export interface RoleRunResult {
  code: number;
  report?: RunReport;
  /** Time checks spent waiting on the listener for deliveries (receipts, MO, absence windows). */
  waits?: { waits: number; summedMs: number; wallMs: number };
}

/**
 * The run of a role from its options to its exit code: config, filters, the target (started or probed by the
 * adapter), the suite, the reports, the bundle (written, signed and verified), and closing what was started.
 */
export async function runRole<V extends CommonValues & { bundle?: string; sign?: string }, P>(
  adapter: RoleAdapter<V, P>,
  values: V,
  out: (line: string) => void,
): Promise<RoleRunResult> {
  const config = adapter.readConfig(values);
  // A bad key file is a usage error before the run, not a surprise after it.
  const signingKey = signingKeyOption(values.bundle, values.sign);
  const { only, skip } = filterPatterns(values);
  const strict = values.strict === true || config.strict === true;
  const options = adapter.parse(values, config);
  const targetOption = values.target ?? config.target;
  const target = targetOption ? checkTargetUrl(targetOption) : undefined;
  const closers: (() => Promise<void>)[] = [];
  try {
    const session = await adapter.open({ values, config, target, options, out }, (close) => {
      closers.unshift(close);
    });
    if ('unreachable' in session) {
      console.error(session.unreachable);
      return { code: ExitCode.Unreachable };
    }
    const context: RunContext = {
      role: adapter.role,
      strict,
      only,
      skip: [...skip, ...(session.skip ?? [])],
      ...session.context,
    };
    const result = await execute({
      role: adapter.role,
      suiteDir: adapter.suiteDir,
      values,
      context,
      testTimeoutMs: session.testTimeoutMs,
      out,
      ...(session.complete ? { complete: session.complete } : {}),
    });
    if (result.report) await session.after?.(result.report);
    if (values.bundle && result.report) {
      const path = resolve(values.bundle);
      const { rules, conformance } = session.bundle(result.report);
      await writeBundle(
        path,
        {
          report: result.report,
          config: context.config,
          secrets: context.secrets,
          rules,
          ...(conformance !== undefined ? { conformance } : {}),
        },
        signingKey ? { signingKey } : {},
      );
      const check = await verifyBundle(path, signingKey ? { publicKey: createPublicKey(signingKey) } : {});
      if (!values.quiet) out(bundleLine(path, check));
    }
    const waits = session.waits?.();
    return { ...result, ...(waits ? { waits } : {}) };
  } finally {
    for (const close of closers) await close();
  }
}
