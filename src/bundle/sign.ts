/**
 * Ed25519 signatures over a bundle's manifest.json (node:crypto, no network, no key service). The
 * manifest lists the SHA-256 of every other file, so one signature covers the whole bundle: whoever
 * rewrites files and manifest together cannot make the signature match without the private key.
 *
 * Keys are PEM files (PKCS#8 private, SPKI public), as `openssl genpkey -algorithm ed25519` writes them.
 * Neither a key nor any part of it is ever printed: errors name the file and what is wrong with it, and
 * a key is shown only by its id (the SHA-256 of its public half).
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const SIGNATURE_FILE = 'manifest.sig';

/** The contents of manifest.sig. */
export interface SignatureRecord {
  algorithm: 'ed25519';
  /** The file the signature is over. */
  signed: 'manifest.json';
  /** SHA-256 (hex) of the signer's public key (SPKI DER): which key to check with. */
  keyId: string;
  /** Base64 of the 64-byte Ed25519 signature of manifest.json's bytes. */
  signature: string;
}

export type SignatureStatus =
  | { status: 'unsigned' }
  /** Signed, but no public key was given to check it with. */
  | { status: 'not-checked'; keyId: string }
  | { status: 'valid'; keyId: string }
  | { status: 'invalid'; reason: string; keyId?: string };

/** A key file that cannot be used; `code` is stable, the message names the file and never the key. */
export class KeyFileError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'KeyFileError';
    this.code = code;
  }
}

const HOW_TO_MAKE =
  'make a pair with: openssl genpkey -algorithm ed25519 -out bundle-key.pem && openssl pkey -in bundle-key.pem -pubout -out bundle-key.pub.pem';

function readKeyFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(
      code === 'ENOENT' ? 'MSE_KEY_MISSING' : 'MSE_KEY_UNREADABLE',
      code === 'ENOENT'
        ? `no ${what} at ${file}; ${HOW_TO_MAKE}`
        : `cannot read the ${what} ${file} (${code ?? 'error'})`,
    );
  }
  if (!text.includes('-----BEGIN '))
    throw new KeyFileError('MSE_KEY_INVALID', `${file} is not a PEM key file; ${HOW_TO_MAKE}`);
  return text;
}

function requireEd25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new KeyFileError(
      'MSE_KEY_NOT_ED25519',
      `${file} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; bundles are signed with Ed25519 keys; ${HOW_TO_MAKE}`,
    );
  return key;
}

/** The private key for `--sign FILE`. */
export function loadSigningKey(file: string): KeyObject {
  const text = readKeyFile(file, 'signing key');
  if (/-----BEGIN PUBLIC KEY-----/.test(text) && !/PRIVATE KEY-----/.test(text))
    throw new KeyFileError(
      'MSE_KEY_NOT_PRIVATE',
      `${file} is a public key; signing needs the private key (the public one is for verify --key)`,
    );
  if (/ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new KeyFileError(
      'MSE_KEY_ENCRYPTED',
      `${file} is encrypted with a passphrase; give an unencrypted key (keep it in a CI secret or a file only the run can read)`,
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new KeyFileError('MSE_KEY_INVALID', `${file} is not a readable private key; ${HOW_TO_MAKE}`);
  }
  return requireEd25519(key, file);
}

/** The public key for `verify --key FILE`; a private key file is accepted too (its public half is used). */
export function loadVerifyKey(file: string): KeyObject {
  const text = readKeyFile(file, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new KeyFileError('MSE_KEY_INVALID', `${file} is not a readable public key; ${HOW_TO_MAKE}`);
  }
  return requireEd25519(key, file);
}

/** The id a key is known by: SHA-256 of its public half, hex. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** manifest.sig's bytes for the manifest's bytes. */
export function signManifest(manifest: Buffer, privateKey: KeyObject): Buffer {
  const record: SignatureRecord = {
    algorithm: 'ed25519',
    signed: 'manifest.json',
    keyId: keyId(privateKey),
    signature: sign(null, manifest, privateKey).toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
}

/** Reads manifest.sig (if any) and, given a public key, checks it against the manifest's bytes. */
export function checkSignature(
  manifest: Buffer,
  signatureFile: Buffer | undefined,
  publicKey?: KeyObject,
): SignatureStatus {
  if (!signatureFile) return { status: 'unsigned' };
  let record: Partial<SignatureRecord>;
  try {
    record = JSON.parse(signatureFile.toString('utf8')) as Partial<SignatureRecord>;
  } catch {
    return { status: 'invalid', reason: `${SIGNATURE_FILE} is not valid JSON` };
  }
  if (
    record?.algorithm !== 'ed25519' ||
    typeof record.keyId !== 'string' ||
    typeof record.signature !== 'string'
  )
    return { status: 'invalid', reason: `${SIGNATURE_FILE} is not an Ed25519 signature record` };
  const id = record.keyId;
  if (!publicKey) return { status: 'not-checked', keyId: id };
  const expected = keyId(publicKey);
  if (id !== expected)
    return {
      status: 'invalid',
      keyId: id,
      reason: `signed by another key (${short(id)}), not by the key given (${short(expected)})`,
    };
  const signature = Buffer.from(record.signature, 'base64');
  let holds = false;
  try {
    holds = signature.length === 64 && verify(null, manifest, publicKey, signature);
  } catch {
    holds = false;
  }
  if (!holds)
    return {
      status: 'invalid',
      keyId: id,
      reason: 'the signature does not match manifest.json: the manifest or the signature was altered',
    };
  return { status: 'valid', keyId: id };
}

/** A key id as shown to people: enough of it to tell keys apart. */
export function short(id: string): string {
  return id.slice(0, 16);
}
