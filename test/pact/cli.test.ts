import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { docsCommand } from '../../src/cli/docs.ts';
import { pactCommand } from '../../src/cli/pact.ts';
import { UsageError } from '../../src/core/errors.ts';
import type { PactFile } from '../../src/pact/export.ts';
import { loadSpec } from '../../src/spec/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-pact-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pact and docs commands', () => {
  it('refuse a missing --out or subcommand with a usage error (exit code 2 in main)', async () => {
    await expect(pactCommand(['export'])).rejects.toBeInstanceOf(UsageError);
    await expect(pactCommand(['--out', dir])).rejects.toBeInstanceOf(UsageError);
    await expect(docsCommand([])).rejects.toBeInstanceOf(UsageError);
  });

  it('pact export writes one partner -> MSE interaction per service the partner calls over HTTP', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await pactCommand(['export', '--out', dir, '--password', 'p4ss'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(existsSync(join(dir, 'partner-mse.json'))).toBe(true);
    const pact = JSON.parse(readFileSync(join(dir, 'partner-mse.json'), 'utf8')) as PactFile;
    const calls = loadSpec().services.filter(
      (s) => s.direction === 'partner-to-mse' && (s.kind === 'api' || s.kind === 'ussd-command'),
    );
    expect(pact.interactions.map((i) => i.description.split(' ')[0]).sort()).toEqual(
      calls.map((s) => s.id).sort(),
    );
    const api = pact.interactions.find((i) => i.request.query);
    expect(api?.request.query?.pwd).toEqual(['p4ss']);
  });
});
