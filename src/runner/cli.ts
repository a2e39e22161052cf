/**
 * CLI plumbing shared by `mse-conformance gateway` and `mse-conformance partner`: the common options, the
 * config and expectations files, the run itself (or `--list`), the reports and the exit code.
 */
import { resolve } from 'node:path';
import { FAILING_VERDICTS, REPORT_SCHEMA_VERSION, type RunReport, summarize } from '../../reporters/model.ts';
import { ExitCode, UsageError } from '../cli/common.ts';
import { version } from '../cli/main.ts';
import { collectSecrets, redactConfig } from '../secrets.ts';
import { loadSpec } from '../spec/load.ts';
import {
  DEFAULT_SUBSCRIBERS,
  DEFAULT_TIMEOUTS,
  expectationFor,
  loadConfig,
  loadExpectations,
  type RunConfig,
} from './config.ts';
import { splitPatterns, validatePattern } from './filters.ts';
import { listSuite, runSuite } from './run.ts';
import type { Role, RunContext } from './types.ts';

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
    for (const c of listed.checks) out(`${c.id}\t${c.rule}\t${c.section}\t${c.level}`);
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

async function parseFormats(csv: string | undefined) {
  const reporters = await import('../../reporters/index.ts');
  return csv ? reporters.parseReportFormats(csv) : [...reporters.REPORT_FORMATS];
}

/** Every secret of the config, to mask wherever it appears. */
export function secretsOf(config: RunConfig, extra: (string | undefined)[] = []): string[] {
  return [...new Set([...collectSecrets(config), ...extra.filter((s): s is string => !!s)])];
}
