/**
 * The certification bundle: the evidence of one run, in one place, with a manifest of SHA-256 hashes
 * so that whoever receives it can tell whether anything was altered since it was written.
 *
 * Layout (a directory, or the same files in a tar archive when the name ends in `.tar`):
 *   manifest.json        bundle version, suite, target, spec hash, and the SHA-256 of every other file
 *   manifest.sha256      the SHA-256 of manifest.json (an edit of the manifest alone is detected)
 *   manifest.sig         with --sign: an Ed25519 signature of manifest.json (sign.ts)
 *   report.json          the canonical JSON report of the run
 *   suite.json           suite name and version, report schema version, spec hash, node version, time
 *   config.json          the run's config, passwords masked
 *   coverage.json        rule id -> section, level, and the checks that cite it with their verdicts
 *   conformance.json     the conformance report: the outcome per claimed feature (gateway role)
 *   exchanges/NNNN.json  every check's exchanges (request and response bytes), secrets masked
 *
 * The hashes detect alteration, not a forger who rewrites the files and the manifest together; the
 * signature does, when verify is given the signer's public key.
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { renderJson } from '../../reporters/json.ts';
import { maskReport } from '../../reporters/secrets.ts';
import { type CheckResult, type RunReport, summarize, type Verdict } from '../core/model.ts';
import { maskSecrets, maskText, normalizeSecrets, redactConfig } from '../core/secrets.ts';
import { projectRoot } from '../spec/load.ts';
import type { Rule } from '../spec/types.ts';
import { checkSignature, SIGNATURE_FILE, type SignatureStatus, signManifest } from './sign.ts';
import { readTar, writeTar } from './tar.ts';

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};
let validators: { manifest: Validate; report: Validate } | undefined;

/** The manifest's schema (beside this file) and the report's (spec/schema/report.schema.json), compiled once. */
function schemaValidators() {
  if (!validators) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats.default(ajv);
    const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as object;
    validators = {
      manifest: ajv.compile(read(fileURLToPath(new URL('./manifest.schema.json', import.meta.url)))),
      report: ajv.compile(read(join(projectRoot, 'spec', 'schema', 'report.schema.json'))),
    };
  }
  return validators;
}

const schemaErrors = (v: Validate) =>
  (v.errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim())
    .join('; ');

export const BUNDLE_VERSION = '1';
const MANIFEST = 'manifest.json';
const MANIFEST_HASH = 'manifest.sha256';

export interface Manifest {
  bundleVersion: string;
  suite: RunReport['suite'];
  suiteVersion: string;
  specHash: string;
  target: string;
  createdAt: string;
  algorithm: 'sha256';
  /** Path (with `/`) → hex SHA-256 of the file's bytes, for every file but the manifest and its hash. */
  files: Record<string, string>;
}

export interface CoverageEntry {
  section: string;
  level: string;
  text?: string;
  checks: { id: string; verdict: Verdict }[];
}

export interface BundleInput {
  report: RunReport;
  /** The config as the run used it; it is redacted before it is written. */
  config?: unknown;
  /** Every secret of the run (passwords), masked in every file in case one escaped. */
  secrets?: readonly string[];
  /** Rules the suite's role is meant to cover: they appear in the matrix even when no check cites them. */
  rules?: Iterable<Rule>;
  /** The conformance report a vendor publishes (reporters/json.ts renderConformance), as conformance.json. */
  conformance?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The rule coverage matrix: every rule a check cites, plus every rule of `rules` (uncovered ones with no checks). */
export function coverageMatrix(
  checks: CheckResult[],
  rules: Iterable<Rule> = [],
): Record<string, CoverageEntry> {
  const matrix: Record<string, CoverageEntry> = {};
  for (const rule of rules)
    matrix[rule.id] = { section: rule.section, level: rule.level, text: rule.text, checks: [] };
  for (const c of checks) {
    matrix[c.rule] ??= { section: c.section, level: c.level, checks: [] };
    matrix[c.rule]!.checks.push({ id: c.id, verdict: c.verdict });
  }
  return Object.fromEntries(Object.entries(matrix).sort(([a], [b]) => a.localeCompare(b)));
}

/** The bundle's files, in memory: path → bytes (manifest last). */
export function bundleFiles(input: BundleInput, createdAt = new Date().toISOString()): Map<string, Buffer> {
  const secrets = normalizeSecrets([...(input.secrets ?? [])]);
  // Both maskers: the reporters' one knows every encoded form of a known secret, the run's one also masks
  // credential fields (pwd=, <password>) whatever their value.
  const clean = (text: string) => maskSecrets(maskText(text, secrets), secrets);
  const report = maskReport(input.report, secrets);
  const files = new Map<string, Buffer>();
  const put = (path: string, text: string) => files.set(path, Buffer.from(clean(text), 'utf8'));
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

  put('report.json', renderJson(report));
  put(
    'suite.json',
    json({
      suite: report.suite,
      suiteVersion: report.suiteVersion,
      reportSchemaVersion: report.schemaVersion,
      specHash: report.specHash,
      target: report.target,
      strict: report.strict,
      node: process.version,
      createdAt,
    }),
  );
  put('config.json', json(redactConfig(input.config ?? report.config ?? {})));
  put('coverage.json', json(coverageMatrix(report.checks, input.rules)));
  if (input.conformance) put('conformance.json', input.conformance);
  const width = String(report.checks.length).length;
  report.checks.forEach((check, i) => {
    if (check.exchanges.length === 0) return;
    const name = `exchanges/${String(i + 1).padStart(Math.max(4, width), '0')}.json`;
    put(
      name,
      json({ check: check.id, rule: check.rule, verdict: check.verdict, exchanges: check.exchanges }),
    );
  });

  const manifest: Manifest = {
    bundleVersion: BUNDLE_VERSION,
    suite: report.suite,
    suiteVersion: report.suiteVersion,
    specHash: report.specHash,
    target: clean(report.target),
    createdAt,
    algorithm: 'sha256',
    files: Object.fromEntries([...files].map(([path, data]) => [path, sha256(data)])),
  };
  const manifestBytes = Buffer.from(json(manifest), 'utf8');
  files.set(MANIFEST, manifestBytes);
  files.set(MANIFEST_HASH, Buffer.from(`${sha256(manifestBytes)}  ${MANIFEST}\n`, 'utf8'));
  return files;
}

export interface WriteOptions {
  /** Ed25519 private key: manifest.json is signed into manifest.sig. */
  signingKey?: KeyObject;
}

/** Writes the bundle as a directory, or as a tar archive when `path` ends in `.tar`. Returns the file list. */
export async function writeBundle(
  path: string,
  input: BundleInput,
  options: WriteOptions = {},
): Promise<string[]> {
  const files = bundleFiles(input);
  if (options.signingKey) files.set(SIGNATURE_FILE, signManifest(files.get(MANIFEST)!, options.signingKey));
  if (path.endsWith('.tar')) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await writeTar([...files].map(([p, data]) => ({ path: p, data }))));
  } else {
    // A bundle directory holds only what the manifest lists: stale files of an earlier run would fail verify.
    await rm(path, { recursive: true, force: true });
    for (const [p, data] of files) {
      const file = join(path, ...p.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, data);
    }
  }
  return [...files.keys()];
}

export interface VerifyResult {
  /** Every hash matches, and the signature too when a public key was given. */
  intact: boolean;
  /** What was altered, missing or added; empty when intact. */
  problems: string[];
  /** Whether the manifest is signed, and with a public key, whether the signature holds. */
  signature?: SignatureStatus;
  manifest?: Manifest;
  report?: RunReport;
  coverage?: Record<string, CoverageEntry>;
}

async function readBundle(path: string): Promise<Map<string, Buffer>> {
  const info = await stat(path);
  const files = new Map<string, Buffer>();
  if (info.isDirectory()) {
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else files.set(relative(path, full).split(sep).join('/'), await readFile(full));
      }
    };
    await walk(path);
  } else {
    for (const e of await readTar(await readFile(path))) files.set(e.path, e.data);
  }
  return files;
}

export interface VerifyOptions {
  /** The signer's Ed25519 public key: the bundle must be signed with its private half. */
  publicKey?: KeyObject;
}

/**
 * Checks every hash of the manifest and the manifest's own hash, and the signature (with a public key);
 * lists everything that does not match.
 */
export async function verifyBundle(path: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  let files: Map<string, Buffer>;
  try {
    files = await readBundle(path);
  } catch (error) {
    return { intact: false, problems: [`cannot read the bundle: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  const manifestBytes = files.get(MANIFEST);
  if (!manifestBytes) return { intact: false, problems: [`${MANIFEST} is missing`] };
  const recorded = files.get(MANIFEST_HASH)?.toString('utf8').trim().split(/\s+/)[0];
  if (recorded === undefined) problems.push(`${MANIFEST_HASH} is missing`);
  else if (recorded !== sha256(manifestBytes))
    problems.push(`${MANIFEST} was altered (its SHA-256 differs from ${MANIFEST_HASH})`);

  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
    if (!manifest || typeof manifest.files !== 'object' || manifest.files === null)
      throw new Error('no files');
  } catch {
    return { intact: false, problems: [...problems, `${MANIFEST} is not a bundle manifest`] };
  }
  const { manifest: manifestValid, report: reportValid } = schemaValidators();
  if (!manifestValid(manifest))
    problems.push(`${MANIFEST} does not match its schema: ${schemaErrors(manifestValid)}`);
  for (const [p, hash] of Object.entries(manifest.files)) {
    const data = files.get(p);
    if (!data) problems.push(`${p} is missing`);
    else if (sha256(data) !== hash) problems.push(`${p} was altered (SHA-256 differs from the manifest)`);
  }
  for (const p of files.keys())
    if (p !== MANIFEST && p !== MANIFEST_HASH && p !== SIGNATURE_FILE && !(p in manifest.files))
      problems.push(`${p} is not listed in the manifest (added after the bundle was written)`);

  let report: RunReport | undefined;
  const reportBytes = files.get('report.json');
  if (reportBytes) {
    try {
      report = JSON.parse(reportBytes.toString('utf8')) as RunReport;
      if (!reportValid(report))
        problems.push(
          `report.json does not match spec/schema/report.schema.json: ${schemaErrors(reportValid)}`,
        );
      if (report.suite !== manifest.suite || report.specHash !== manifest.specHash)
        problems.push('report.json and manifest.json disagree on the suite or the spec hash');
      const summary = summarize(report.checks ?? []);
      if (JSON.stringify(summary) !== JSON.stringify(report.summary))
        problems.push("report.json's summary does not match its checks");
    } catch {
      problems.push('report.json is not valid JSON');
      report = undefined;
    }
  }
  const signature = checkSignature(manifestBytes, files.get(SIGNATURE_FILE), options.publicKey);
  if (signature.status === 'invalid') problems.push(`signature: ${signature.reason}`);
  else if (options.publicKey && signature.status === 'unsigned')
    problems.push(
      `the bundle is unsigned (no ${SIGNATURE_FILE}), but a public key was given to check it with`,
    );
  const result: VerifyResult = { intact: problems.length === 0, problems, signature, manifest };
  const coverageBytes = files.get('coverage.json');
  if (coverageBytes)
    try {
      result.coverage = JSON.parse(coverageBytes.toString('utf8')) as Record<string, CoverageEntry>;
    } catch {
      problems.push('coverage.json is not valid JSON');
      result.intact = false;
    }
  if (report) result.report = report;
  return result;
}
