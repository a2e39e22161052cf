import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyBundle, writeBundle } from '../../src/bundle/index.ts';
import { loadSigningKey, loadVerifyKey, SIGNATURE_FILE, signManifest } from '../../src/bundle/sign.ts';
import { readTar, writeTar } from '../../src/bundle/tar.ts';
import { runGateway } from '../../src/cli/gateway.ts';
import { main } from '../../src/cli/main.ts';
import { type CheckResult, type RunReport, summarize } from '../../src/core/model.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function check(id: string, verdict: CheckResult['verdict']): CheckResult {
  return {
    id,
    rule: 'receipt.partner-answers-200',
    section: '6.4.1.1',
    level: 'MUST',
    family: 'receipts',
    requirement: 'The partner answers a receipt with HTTP 200.',
    verdict,
    durationMs: 3,
    exchanges: [],
  };
}

function report(): RunReport {
  const checks = [check('partner.receipts.a', 'pass'), check('partner.receipts.b', 'fail')];
  return {
    schemaVersion: '1.0.0',
    suite: 'partner',
    suiteVersion: '0.1.0',
    specHash: 'ab'.repeat(32),
    target: 'http://127.0.0.1:1',
    config: {},
    strict: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    summary: summarize(checks),
    checks,
  };
}

function pem(key: KeyObject): string {
  return key.type === 'private'
    ? (key.export({ type: 'pkcs8', format: 'pem' }) as string)
    : (key.export({ type: 'spki', format: 'pem' }) as string);
}

/** The base64 body of a PEM file: what must never appear in any output. */
const body = (text: string) => text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** Runs the CLI in-process; returns the exit code and everything printed. */
async function cli(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(' '));
  };
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, output: lines.join('\n') };
}

/** What a forger does: edit report.json, then rewrite the manifest's hash of it and the manifest's own hash. */
async function forge(dir: string): Promise<void> {
  const reportFile = join(dir, 'report.json');
  const forged = (await readFile(reportFile, 'utf8')).replace('"verdict": "fail"', '"verdict": "pass"');
  const parsed = JSON.parse(forged) as RunReport;
  parsed.summary = summarize(parsed.checks);
  const text = `${JSON.stringify(parsed, null, 2)}\n`;
  await writeFile(reportFile, text);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  manifest.files['report.json'] = sha256(text);
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(dir, 'manifest.json'), manifestText);
  await writeFile(join(dir, 'manifest.sha256'), `${sha256(manifestText)}  manifest.json\n`);
}

describe('signed certification bundles', () => {
  let tmp: string;
  let privateFile: string;
  let publicFile: string;
  let otherPrivate: KeyObject;
  let otherPublicFile: string;
  let secretBody: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mse-sign-'));
    const pair = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    otherPrivate = other.privateKey;
    privateFile = join(tmp, 'bundle-key.pem');
    publicFile = join(tmp, 'bundle-key.pub.pem');
    otherPublicFile = join(tmp, 'other.pub.pem');
    secretBody = body(pem(pair.privateKey));
    await writeFile(privateFile, pem(pair.privateKey), { mode: 0o600 });
    await writeFile(publicFile, pem(pair.publicKey));
    await writeFile(otherPublicFile, pem(other.publicKey));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const signed = async (name: string) => {
    const dir = join(tmp, name);
    await writeBundle(dir, { report: report() }, { signingKey: loadSigningKey(privateFile) });
    return dir;
  };

  it('verifies a signed bundle with the signer public key, and says so', async () => {
    const dir = await signed('good');
    const result = await cli(['verify', dir, '--key', publicFile]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/signature {2}valid \(Ed25519, key [0-9a-f]{16}\)/);
    expect(result.output).toContain('intact     yes');
  });

  it('catches files and manifest rewritten together, which the hashes alone cannot', async () => {
    const dir = await signed('forged');
    await forge(dir);
    const hashesOnly = await cli(['verify', dir]);
    expect(hashesOnly.code, hashesOnly.output).toBe(0);
    expect(hashesOnly.output).toContain('not checked: give --key PUBLIC-KEY');
    const withKey = await cli(['verify', dir, '--key', publicFile]);
    expect(withKey.code, withKey.output).toBe(1);
    expect(withKey.output).toContain('the signature does not match manifest.json');
    expect(withKey.output).toContain('MSE_BUNDLE_SIGNATURE');
  });

  it('catches a forger who re-signs with another key, or removes the signature', async () => {
    const dir = await signed('resigned');
    await forge(dir);
    const manifest = await readFile(join(dir, 'manifest.json'));
    await writeFile(join(dir, SIGNATURE_FILE), signManifest(manifest, otherPrivate));
    // Checked against the forger's own key the forgery holds: the key is what the receiver must trust.
    expect((await cli(['verify', dir, '--key', otherPublicFile])).code).toBe(0);
    const resigned = await cli(['verify', dir, '--key', publicFile]);
    expect(resigned.code).toBe(1);
    expect(resigned.output).toContain('signed by another key');

    await unlink(join(dir, SIGNATURE_FILE));
    const stripped = await cli(['verify', dir, '--key', publicFile]);
    expect(stripped.code).toBe(1);
    expect(stripped.output).toContain('the bundle is unsigned');
  });

  it('says plainly when a bundle is unsigned', async () => {
    const dir = join(tmp, 'unsigned');
    await writeBundle(dir, { report: report() });
    const result = await cli(['verify', dir]);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/signature {2}unsigned: /);
    expect((await verifyBundle(dir)).signature).toEqual({ status: 'unsigned' });
  });

  it('signs a .tar bundle too, and catches a forged archive', async () => {
    const file = join(tmp, 'bundle.tar');
    await writeBundle(file, { report: report() }, { signingKey: loadSigningKey(privateFile) });
    const publicKey = loadVerifyKey(publicFile);
    expect((await verifyBundle(file, { publicKey })).signature?.status).toBe('valid');
    const entries = await readTar(await readFile(file));
    const reportEntry = entries.find((e) => e.path === 'report.json')!;
    reportEntry.data = Buffer.from(
      reportEntry.data.toString('utf8').replace('http://127.0.0.1:1', 'http://x'),
    );
    const manifestEntry = entries.find((e) => e.path === 'manifest.json')!;
    const manifest = JSON.parse(manifestEntry.data.toString('utf8'));
    manifest.files['report.json'] = sha256(reportEntry.data);
    manifestEntry.data = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    entries.find((e) => e.path === 'manifest.sha256')!.data = Buffer.from(
      `${sha256(manifestEntry.data)}  manifest.json\n`,
    );
    await writeFile(file, await writeTar(entries));
    const result = await verifyBundle(file, { publicKey });
    expect(result.intact).toBe(false);
    expect(result.signature?.status).toBe('invalid');
  });

  it('refuses unusable key files with exit 2 and a clear reason, never printing a key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsaFile = join(tmp, 'rsa.pem');
    await writeFile(rsaFile, pem(rsa.privateKey));
    const garbage = join(tmp, 'garbage.pem');
    await writeFile(
      garbage,
      `-----BEGIN PRIVATE KEY-----\n${secretBody.slice(0, 20)}!!\n-----END PRIVATE KEY-----\n`,
    );
    const encrypted = join(tmp, 'encrypted.pem');
    await writeFile(
      encrypted,
      generateKeyPairSync('ed25519').privateKey.export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'pass',
      }) as string,
    );
    const dir = await signed('for-keys');
    const cases: [string[], string][] = [
      [['verify', dir, '--key', join(tmp, 'nope.pem')], 'MSE_KEY_MISSING'],
      [['verify', dir, '--key', rsaFile], 'MSE_KEY_NOT_ED25519'],
      [['verify', dir, '--key', garbage], 'MSE_KEY_INVALID'],
      [['gateway', '--bundle', join(tmp, 'b'), '--sign', publicFile], 'MSE_KEY_NOT_PRIVATE'],
      [['gateway', '--bundle', join(tmp, 'b'), '--sign', encrypted], 'MSE_KEY_ENCRYPTED'],
      [['gateway', '--bundle', join(tmp, 'b'), '--sign', join(tmp, 'nope.pem')], 'MSE_KEY_MISSING'],
      [['gateway', '--sign', privateFile], '--bundle PATH'],
      [['partner', '--bundle', join(tmp, 'b'), '--sign', rsaFile], 'MSE_KEY_NOT_ED25519'],
    ];
    for (const [args, expected] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.output, args.join(' ')).toContain(expected);
      expect(result.output).not.toContain(secretBody.slice(0, 20));
      expect(result.output).not.toContain(body(pem(rsa.privateKey)).slice(20, 60));
    }
  });

  it('gateway --bundle --sign writes a signed bundle that verify --key accepts, with no key in any file', async () => {
    const bundle = join(tmp, 'gateway.tar');
    const lines: string[] = [];
    const code = await runGateway(
      { only: ['gateway.transport.eai-check-credit.*'], bundle, sign: privateFile, quiet: false },
      (l) => lines.push(l),
    );
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toMatch(/bundle: .*gateway\.tar \(verified, signed with key [0-9a-f]{16}\)/);
    expect(lines.join('\n')).not.toContain(secretBody.slice(0, 20));
    const result = await cli(['verify', bundle, '--key', publicFile]);
    expect(result.code, result.output).toBe(0);
    for (const e of await readTar(await readFile(bundle)))
      expect(e.data.toString('latin1'), e.path).not.toContain(secretBody.slice(0, 20));
  });
});
