import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { query, readMse } from './helpers.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const sms = { profile: 'SMS_TEXT', pwd: 'senha', mode: 'async-oneway', BNUM: '1191000000', TEXT: 'x' };

describe('traffic limits (9.3)', () => {
  it('a token bucket per profile and service answers 429 beyond the burst and refills with time', async () => {
    sim = await startSimulator({
      clock: 'virtual',
      smtp: false,
      log: () => {},
      profiles: [{ id: 'LIMITED', service: 'SMS_TEXT', password: 'senha', rate: { perSecond: 2, burst: 3 } }],
    });
    const send = async () =>
      readMse(await (await fetch(`${sim!.url}/MSE/api?${query({ ...sms, profile: 'LIMITED' })}`)).text());
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await send()).statusCode);
    expect(codes).toEqual([0, 0, 0, Status.throttled, Status.throttled]);
    await sim.advance(500);
    expect((await send()).statusCode).toBe(0);
    expect((await send()).statusCode).toBe(Status.throttled);
  });
});

describe('transaction ids (9.3)', () => {
  it('are 19 digits and unique', async () => {
    sim = await startSimulator({ smtp: false, log: () => {} });
    const ids = new Set<string>();
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const r = readMse(await (await fetch(`${sim!.url}/MSE/api?${query(sms)}`)).text());
        expect(r.transactionId).toMatch(/^[0-9]{19}$/);
        ids.add(r.transactionId!);
      }),
    );
    expect(ids.size).toBe(200);
  });
});

describe('SMTP AUTD (chapter 10)', () => {
  it('authenticates by the sender domain, reads the number from "for <...>" and sends the SMS', async () => {
    sim = await startSimulator({ log: () => {}, smtp: { port: 0 } });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: sim.smtp!.port,
      secure: false,
      ignoreTLS: true,
    });
    const raw = readFileSync(join(projectRoot, 'fixtures/document/10.1-notification.eml'), 'utf8');
    const info = await transport.sendMail({
      envelope: { from: 'usuarioTeste@empresa.com.br', to: ['1191110000@empresa.com.br'] },
      raw,
    });
    expect(info.response).toMatch(/^250 /);
    const t = sim.transactions().find((x) => x.kind === 'smtp')!;
    expect(t.execution?.parameters).toContainEqual({ name: 'BNUM', value: '1191110000' });
    expect(t.execution?.parameters).toContainEqual({ name: 'SMPP_MESSAGE_STATUS', value: 'DELIVRD' });

    await expect(
      transport.sendMail({
        envelope: { from: 'a@outra.com.br', to: ['x@y'] },
        raw: raw.replace('From: usuarioTeste@empresa.com.br', 'From: a@outra.com.br'),
      }),
    ).rejects.toThrow(/535/);
    await expect(
      transport.sendMail({
        envelope: { from: 'usuarioTeste@empresa.com.br', to: ['x@y'] },
        raw: raw.replace('1191110000@', '119111000@'),
      }),
    ).rejects.toThrow(/550.*FOR/);
    transport.close();
  });

  it('compares only the first 20 characters after "@" (10.1)', async () => {
    sim = await startSimulator({
      log: () => {},
      smtp: { port: 0, domains: [{ domain: 'minha-empresa.claro.com.br' }] },
    });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: sim.smtp!.port,
      secure: false,
      ignoreTLS: true,
    });
    const raw = readFileSync(join(projectRoot, 'fixtures/document/10.1-notification.eml'), 'utf8').replace(
      'From: usuarioTeste@empresa.com.br',
      'From: x@minha-empresa.claro.net',
    );
    const info = await transport.sendMail({
      envelope: { from: 'x@minha-empresa.claro.net', to: ['y@z'] },
      raw,
    });
    expect(info.response).toMatch(/^250 /);
    transport.close();
  });
});

describe('HTTPS', () => {
  it('serves the API over TLS with a given certificate', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'mse-sim-tls-'));
    try {
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            join(dir, 'key.pem'),
            '-out',
            join(dir, 'cert.pem'),
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
          ],
          { stdio: 'ignore' },
        );
      } catch {
        ctx.skip('openssl is not available to make a self-signed certificate');
      }
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      sim = await startSimulator({
        smtp: false,
        log: () => {},
        tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') },
      });
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(
            `${sim!.url}/MSE/api?${query(sms)}`,
            { ca: cert, checkServerIdentity: () => undefined },
            (res) => {
              let b = '';
              res.on('data', (c) => (b += c));
              res.on('end', () => resolve(b));
            },
          )
          .on('error', reject);
      });
      expect(readMse(body).statusCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
