import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type VerifyResult, verifyBundle } from '../bundle/index.ts';
import { KeyFileError, loadSigningKey, loadVerifyKey, type SignatureStatus, short } from '../bundle/sign.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const HELP = `Usage: mse-conformance verify BUNDLE [--key PUBLIC-KEY]

Checks a certification bundle written by \`mse-conformance partner --bundle\` (or gateway): every file's
SHA-256 against manifest.json, and manifest.json against manifest.sha256. Prints the run's summary and
whether the bundle is signed.

Hashes alone detect accidental change, not someone who rewrites files and manifest together. A bundle
written with --sign KEY carries an Ed25519 signature of its manifest: give the signer's public key (PEM)
with --key and verify fails unless the bundle was signed by that key and not altered since.

  --key FILE   the signer's Ed25519 public key (PEM); the bundle must be signed with its private half

Exit codes: 0 intact (and, with --key, signed by that key), 1 altered or not signed by that key,
2 usage error (no bundle, unusable key file).`;

/** A key file turned into a usage error: exit 2, the file named, the key never shown. */
function usable<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof KeyFileError) throw new UsageError(error.message, error.code);
    throw error;
  }
}

/** `--sign KEY` of gateway and partner: the private key, loaded before the run; it needs --bundle. */
export function signingKeyOption(
  bundle: string | undefined,
  sign: string | undefined,
): KeyObject | undefined {
  if (sign === undefined) return undefined;
  if (!bundle) throw new UsageError('--sign KEY signs a bundle: give --bundle PATH too');
  return usable(() => loadSigningKey(sign));
}

export function signatureLine(signature: SignatureStatus | undefined): string {
  switch (signature?.status) {
    case 'valid':
      return `valid (Ed25519, key ${short(signature.keyId)})`;
    case 'not-checked':
      return `present (Ed25519, key ${short(signature.keyId)}), not checked: give --key PUBLIC-KEY to check it`;
    case 'invalid':
      return `INVALID: ${signature.reason} (MSE_BUNDLE_SIGNATURE)`;
    default:
      return 'unsigned: the hashes show accidental change only, not who wrote the bundle (sign with --sign KEY)';
  }
}

/** The line gateway and partner print after writing a bundle. */
export function bundleLine(path: string, check: VerifyResult): string {
  if (!check.intact) return `bundle: ${path} (NOT intact: ${check.problems.join('; ')})`;
  const signed =
    check.signature?.status === 'valid' ? `, signed with key ${short(check.signature.keyId)}` : '';
  return `bundle: ${path} (verified${signed})`;
}

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    key: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one bundle (a directory or a .tar file)');
  const path = positionals[0]!;
  if (!existsSync(path))
    throw new UsageError(`no bundle at ${path}: give the path --bundle wrote`, 'MSE_BUNDLE_MISSING');
  const keyFile = values.key;
  const publicKey = keyFile === undefined ? undefined : usable(() => loadVerifyKey(keyFile));

  const result = await verifyBundle(path, publicKey ? { publicKey } : {});
  const report = result.report;
  const manifest = result.manifest;
  if (manifest) {
    console.log(`bundle     ${path}`);
    console.log(`suite      ${manifest.suite} ${manifest.suiteVersion}`);
    console.log(`spec hash  ${manifest.specHash}`);
    console.log(`target     ${manifest.target}`);
    console.log(`written    ${manifest.createdAt}`);
  }
  if (report?.summary) {
    const counts = Object.entries(report.summary.byVerdict)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ');
    console.log(`checks     ${report.summary.total} (${counts})`);
    console.log(`conformant ${report.summary.conformant ? 'yes' : 'no'}`);
  }
  if (result.coverage) {
    const entries = Object.values(result.coverage);
    const covered = entries.filter((e) => e.checks.length > 0).length;
    console.log(
      `rules      ${covered} covered by checks, ${entries.length - covered} listed without a check`,
    );
  }
  if (manifest) console.log(`signature  ${signatureLine(result.signature)}`);
  if (result.intact) {
    console.log(`intact     yes (${Object.keys(manifest?.files ?? {}).length} files match the manifest)`);
    return ExitCode.Ok;
  }
  const signatureOnly = result.problems.every((p) => p.startsWith('signature:') || p.includes('unsigned'));
  console.log(
    signatureOnly
      ? 'intact     NO: the signature does not hold for the key given (MSE_BUNDLE_SIGNATURE)'
      : 'intact     NO: the bundle was altered (MSE_BUNDLE_ALTERED)',
  );
  for (const p of result.problems) console.log(`  - ${p}`);
  return ExitCode.Nonconformant;
}
