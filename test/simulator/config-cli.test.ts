import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSimulatorConfig } from '../../src/simulator/config.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { query, readMse } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-sim-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('simulator configuration file', () => {
  it('accepts YAML profiles and starts with them', async () => {
    const file = write(
      'ok.yaml',
      `version: 1
smtp: false
profiles:
  - id: MEU_SMS
    service: SMS_TEXT
    password: segredo
    modes: [async-oneway]
scenario:
  smsc: { outcome: EXPIRED }
`,
    );
    const { options } = loadSimulatorConfig(file);
    const sim = await startSimulator({ ...options, log: () => {} });
    try {
      const ok = readMse(
        await (
          await fetch(
            `${sim.url}/MSE/api?${query({ profile: 'MEU_SMS', pwd: 'segredo', mode: 'async-oneway', BNUM: '1191000000', TEXT: 'x' })}`,
          )
        ).text(),
      );
      expect(ok.statusCode).toBe(0);
      // The profile narrows the service's modes.
      const narrowed = readMse(
        await (
          await fetch(
            `${sim.url}/MSE/api?${query({ profile: 'MEU_SMS', pwd: 'segredo', mode: 'async-delivery', BNUM: '1191000000', TEXT: 'x' })}`,
          )
        ).text(),
      );
      expect(narrowed.statusCode).toBe(405);
    } finally {
      await sim.close();
    }
  });

  it('reports the file, the path and the problem', () => {
    const file = write(
      'bad.json',
      JSON.stringify({
        port: 'x',
        profiles: [{ id: 'a', service: 'SMS_TEXT', password: 'p', modes: ['fast'] }],
      }),
    );
    expect(() => loadSimulatorConfig(file)).toThrow(/bad\.json: \/port: must be integer/);
    expect(() => loadSimulatorConfig(file)).toThrow(
      /\/profiles\/0\/modes\/0: must be equal to one of the allowed values/,
    );
    const unknown = write('unknown.yaml', 'profiles:\n  - { id: a, service: NOPE, password: p }\n');
    expect(() => loadSimulatorConfig(unknown)).toThrow(/\/profiles\/0\/service: NOPE is not a service/);
    expect(() => loadSimulatorConfig(write('broken.yaml', 'profiles: [\n'))).toThrow(/not valid YAML/);
  });
});

function run(args: string[], until?: RegExp): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin/mse-conformance.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${out}${err}`));
    }, 30_000);
    child.stdout.on('data', (c) => {
      out += c;
      if (!signalled && until?.test(out)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('mse-conformance simulate', () => {
  it('prints its addresses and stops cleanly on SIGTERM', async () => {
    const r = await run(['simulate', '--port', '0', '--smtp-port', '0', '--quiet'], /Stop with/);
    expect(r.out).toMatch(/API\s+http:\/\/127\.0\.0\.1:\d+\/MSE\/api/);
    expect(r.out).toMatch(/control\s+http:\/\/127\.0\.0\.1:\d+\/__control/);
    expect(r.out).toMatch(/SMTP\s+smtp:\/\/127\.0\.0\.1:\d+/);
    expect(r.out).toContain('SIGTERM: stopping');
    expect(r.code).toBe(0);
  });

  it('exits 2 on a configuration error', async () => {
    const file = write('cli-bad.json', '{"profiles": 3}');
    const r = await run(['simulate', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('MSE_CONFIG_INVALID');
    expect(r.err).toContain('/profiles');
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('mse-conformance simulate inject', () => {
  it('injects an SMS MO through the control API of a running simulator', async () => {
    const { startReceiver } = await import('./helpers.ts');
    const { simulateCommand } = await import('../../src/cli/simulate.ts');
    const receiver = await startReceiver();
    const sim = await startSimulator({
      callback: receiver.url,
      smtp: false,
      receiptDelayMs: 0,
      log: () => {},
    });
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      const code = await simulateCommand([
        'inject',
        'sms',
        '--control',
        sim.controlUrl,
        '--from',
        '1191000000',
        '--to',
        '3301',
        '--text',
        'oi ç',
      ]);
      expect(code).toBe(0);
      expect(JSON.parse(printed.join('\n')).transactionId).toMatch(/^[0-9]{19}$/);
      await receiver.waitFor(1);
      expect(receiver.received[0]!.target).toContain('TEXT=oi+%E7');
      expect(
        await simulateCommand([
          'inject',
          'sms',
          '--control',
          sim.controlUrl,
          '--from',
          '1',
          '--to',
          '9999',
          '--text',
          'x',
        ]),
      ).toBe(2);
    } finally {
      console.log = log;
      await sim.close();
      await receiver.close();
    }
  });
});
