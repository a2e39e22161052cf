/**
 * The result of a conformance run, as every reporter reads it. The JSON report is this object
 * (schema: spec/schema/report.schema.json); JUnit, HTML and Markdown are views of it.
 */
/** The requirement level of a rule, in RFC 2119's words: MUST fails, SHOULD is non-strict, MAY informs. */
export type Level = 'MUST' | 'SHOULD' | 'MAY';

export const REPORT_SCHEMA_VERSION = '1.1.0';

/**
 * Verdicts, richer than pass/fail (as Autobahn's):
 * - pass: the target did what the rule requires;
 * - fail: a MUST was broken (or a SHOULD under --strict);
 * - non-strict: a SHOULD was broken and the run is not strict;
 * - skip: the check could not run here (reason in `message`);
 * - known-failure: failed, and the expectations file lists it with a reason;
 * - unexpected-pass: passed although the expectations file lists it as a known failure (fails the run);
 * - informational: observed and recorded, nothing to judge;
 * - not-claimed: the check belongs to a feature the config does not claim (spec/features.yaml), so it was not run.
 */
export type Verdict =
  | 'pass'
  | 'fail'
  | 'non-strict'
  | 'skip'
  | 'known-failure'
  | 'unexpected-pass'
  | 'informational'
  | 'not-claimed';

/** Every verdict, in the order reports show them. */
export const VERDICTS: readonly Verdict[] = [
  'pass',
  'fail',
  'non-strict',
  'skip',
  'known-failure',
  'unexpected-pass',
  'informational',
  'not-claimed',
];

/** Verdicts that make the run nonconformant (exit code 1). */
export const FAILING_VERDICTS: readonly Verdict[] = ['fail', 'unexpected-pass'];

/** One HTTP (or SMTP) message as it crossed the wire; bodies kept as bytes so encodings can be judged. */
export interface WireMessage {
  /** `request` lines: method and URL; `response` lines: status. */
  method?: string;
  url?: string;
  status?: number;
  headers: Record<string, string>;
  /** Body bytes, base64, after secrets are masked. */
  bodyBase64: string;
  /** The body as text when it decodes (UTF-8 or the declared charset), for people to read. */
  bodyText?: string;
}

export interface Exchange {
  /** What this exchange was: `suite → target /MSE/api`, `target → listener receipt`, ... */
  label: string;
  at: string;
  request: WireMessage;
  response?: WireMessage;
  /** When no response came: timeout, connection refused, ... */
  error?: string;
}

/** A check's identity, stated at collection time (test262's front matter, h2spec's Requirement and Desc). */
export interface CheckIdentity {
  /** Stable check id, e.g. `gateway.params.sms-text.text.max-length.outside`. */
  id: string;
  /** Rule id of the catalogue (spec.rules), e.g. `sms-text.text.max-length`. */
  rule: string;
  /** Section of the document that states the rule, e.g. `6.4.1`. */
  section: string;
  level: Level;
  /** Check family: transport, envelope, control, params, modes, results, receipts, mo, ussd, smtp, security, ... */
  family: string;
  service?: string;
  mode?: string;
  tags?: string[];
  /** The requirement in one sentence (h2spec's `Requirement`). */
  requirement: string;
  /** What the check sends or makes happen (h2spec's `Desc`). */
  stimulus?: string;
  /** Where the check's row is defined (`suites/gateway/families/params.ts:142`). */
  row?: string;
}

export interface CheckResult extends CheckIdentity {
  verdict: Verdict;
  /** Why it failed, was skipped, or what was observed. */
  message?: string;
  /** Reason from the expectations file, for known-failure and unexpected-pass. */
  expectation?: string;
  durationMs: number;
  exchanges: Exchange[];
}

export interface RunSummary {
  total: number;
  byVerdict: Record<Verdict, number>;
  conformant: boolean;
}

export interface RunReport {
  schemaVersion: string;
  suite: 'gateway' | 'partner';
  suiteVersion: string;
  /** SHA-256 of spec/ (Spec.hash). */
  specHash: string;
  target: string;
  /** The config the run used, secrets masked. */
  config: unknown;
  strict: boolean;
  startedAt: string;
  durationMs: number;
  summary: RunSummary;
  checks: CheckResult[];
  /**
   * Errors outside any check (a suite file that failed to load, a crash in a hook). Any error makes the
   * run nonconformant (`summary.conformant` false) even when no check failed; reporters show each one.
   */
  errors?: string[];
  /** The gateway under test, as the config names it. */
  implementation?: { name: string; version?: string; vendor?: string; url?: string };
  /** The outcome per feature of spec/features.yaml (gateway role). */
  features?: FeatureResult[];
}

/**
 * A feature's outcome: conformant (claimed, no failure, no check skipped for lack of configuration),
 * nonconformant (a failure), incomplete (claimed, but checks were skipped for lack of configuration: the claim
 * is not proven), not-claimed.
 */
export type FeatureOutcome = 'conformant' | 'nonconformant' | 'incomplete' | 'not-claimed';

export interface FeatureResult {
  id: string;
  name: string;
  level: 'core' | 'extended';
  claimed: boolean;
  outcome: FeatureOutcome;
  checks: number;
  byVerdict: Partial<Record<Verdict, number>>;
  /** For incomplete: the distinct skip reasons, each naming the config key that would let the checks run. */
  gaps?: string[];
}

/** One line a vendor can publish: "conformant: Core, SMS, LBS; incomplete: USSD; not claimed: WIB". */
export function claimStatement(features: FeatureResult[]): string {
  const parts: string[] = [];
  for (const [outcome, label] of [
    ['conformant', 'conformant'],
    ['nonconformant', 'nonconformant'],
    ['incomplete', 'incomplete (checks skipped)'],
    ['not-claimed', 'not claimed'],
  ] as const) {
    const names = features.filter((f) => f.outcome === outcome).map((f) => f.name);
    if (names.length) parts.push(`${label}: ${names.join(', ')}`);
  }
  return parts.join('; ');
}

export function summarize(checks: CheckResult[]): RunSummary {
  const byVerdict: Record<Verdict, number> = {
    pass: 0,
    fail: 0,
    'non-strict': 0,
    skip: 0,
    'known-failure': 0,
    'unexpected-pass': 0,
    informational: 0,
    'not-claimed': 0,
  };
  for (const c of checks) byVerdict[c.verdict]++;
  return { total: checks.length, byVerdict, conformant: FAILING_VERDICTS.every((v) => byVerdict[v] === 0) };
}
