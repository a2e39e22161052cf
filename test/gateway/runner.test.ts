import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectationFor, validateConfig } from '../../src/checks/config.ts';
import { matchesPattern, selected } from '../../src/checks/filters.ts';
import type { CheckMeta } from '../../src/checks/types.ts';
import { decideVerdict } from '../../src/checks/verdict.ts';
import { UsageError } from '../../src/core/errors.ts';
import { maskBytes, maskSecrets, redactConfig } from '../../src/core/secrets.ts';
import { projectRoot } from '../../src/spec/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta: CheckMeta = {
  id: 'gateway.params.sms-text.text.max-length.outside-1',
  rule: 'sms-text.text.max-length',
  section: '6.4.1',
  level: 'MUST',
  family: 'params',
  service: 'SMS_TEXT',
  mode: 'async-oneway',
  tags: ['input', 'length'],
  requirement: 'TEXT holds at most 160 characters.',
};

function cli(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'mse-conformance.js'), 'gateway', ...args],
      { stdio: 'ignore' },
    );
    child.on('close', (code) => resolve(code ?? -1));
  });
}

describe('verdicts', () => {
  it('MUST fails, SHOULD is non-strict unless strict, expectations turn failures and passes around', () => {
    expect(decideVerdict('fail', 'MUST', false)).toBe('fail');
    expect(decideVerdict('fail', 'SHOULD', false)).toBe('non-strict');
    expect(decideVerdict('fail', 'SHOULD', true)).toBe('fail');
    expect(decideVerdict('fail', 'MUST', false, 'ticket 1')).toBe('known-failure');
    expect(decideVerdict('pass', 'MUST', false, 'ticket 1')).toBe('unexpected-pass');
    expect(decideVerdict('skip', 'MUST', true)).toBe('skip');
  });
});

describe('filters', () => {
  it('matches id globs and field patterns', () => {
    expect(matchesPattern(meta, 'gateway.params.*')).toBe(true);
    expect(matchesPattern(meta, 'params')).toBe(true);
    expect(matchesPattern(meta, 'service:SMS_*')).toBe(true);
    expect(matchesPattern(meta, 'rule:*.max-length')).toBe(true);
    expect(matchesPattern(meta, 'tag:length')).toBe(true);
    expect(matchesPattern(meta, 'mode:sync')).toBe(false);
    expect(selected(meta, ['family:params'], ['level:MUST'])).toBe(false);
    expect(selected(meta, [], [])).toBe(true);
  });
  it('lists expectations by exact id or glob', () => {
    const e = new Map([['gateway.params.sms-text.*', 'known']]);
    expect(expectationFor(e, meta.id)).toBe('known');
    expect(expectationFor(e, 'gateway.transport.x')).toBeUndefined();
  });
});

describe('secrets', () => {
  it('masks known values, credential fields of the protocol and config secrets', () => {
    const text =
      'GET /MSE/api?profile=P&pwd=s%C3%A9nha&mode=sync\n<password>x1</password>\nAuthorization: Basic abc';
    const masked = maskSecrets(text, ['sénha']);
    expect(masked).not.toContain('s%C3%A9nha');
    expect(masked).not.toContain('x1');
    expect(masked).not.toContain('Basic abc');
    expect(maskBytes(Buffer.from('userid=u&pwd=topsecret'), ['topsecret']).toString()).not.toContain(
      'topsecret',
    );
    const config = redactConfig({
      profiles: { A: { profile: 'A', password: 'pw' } },
      listener: { credentials: { pwd: 'd' } },
    });
    expect(JSON.stringify(config)).not.toMatch(/"pw"|"d"/);
  });
});

describe('config', () => {
  it('names the JSON path and the problem, and applies defaults', () => {
    expect(() => validateConfig({ version: 2 }, 'c.json')).toThrow(/c\.json: \/version: must be 1/);
    expect(() => validateConfig({ version: 1, profiles: { SMS_TEXT: { profile: 'P' } } }, 'c.json')).toThrow(
      UsageError,
    );
    const c = validateConfig({ version: 1 }, 'c.json');
    expect(c.timeouts.receiptMs).toBeGreaterThan(0);
    expect(c.subscribers.length).toBeGreaterThan(0);
  });
  it('exits 2 on a bad config and 3 on an unreachable target', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version": 1, "bogus": true}');
    expect(await cli(['--config', bad])).toBe(2);
    expect(await cli(['--only', 'nofield:x'])).toBe(2);
    expect(await cli(['--target', 'http://127.0.0.1:9', '--only', 'family:transport'])).toBe(3);
  });

  it('exits 2 when the filters leave no check to run, rather than calling nothing conformant', async () => {
    expect(
      await cli(['--only', 'gateway.no-such-family.*', '--report', 'json', '--out', join(dir, 'none')]),
    ).toBe(2);
  });
});
