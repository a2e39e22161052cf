import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { validateXml } from '../../src/xml/validate.ts';
import { rawRequest, readMse } from './helpers.ts';

let sim: Simulator;
const lines: string[] = [];
beforeAll(async () => {
  sim = await startSimulator({
    clock: 'virtual',
    smtp: false,
    maxBodyBytes: 8192,
    log: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await sim.close();
});

/** Every answer is a valid mse-response with a status code, whatever came in. */
function expectMseResponse(status: number, body: string) {
  expect([200, 405, 413]).toContain(status);
  const v = validateXml(body, 'mse-response');
  expect(v.ok, body).toBe(true);
  expect(readMse(body).statusCode).toBeTypeOf('number');
}

const token = fc.oneof(
  fc.constantFrom(
    'profile',
    'pwd',
    'password',
    'mode',
    'billingCode',
    'TEXT',
    'BNUM',
    'CTN',
    '%',
    '%E7',
    '%C3',
    '+',
    '=',
    '&',
    '%00',
    '%ZZ',
  ),
  fc.constantFrom('SMS_TEXT', 'senha', 'async-oneway', 'sync', 'assync-delivery', '1191000000'),
  fc.string({ maxLength: 12 }),
);

describe('random input never crashes the simulator (fast-check)', () => {
  it('random queries on /MSE/api', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 14 }), async (parts) => {
        const q = encodeURI(parts.join('')).replace(/%25/g, '%');
        const r = await rawRequest(`${sim.url}/MSE/api?${q}`).catch(() => undefined);
        // The client itself may refuse to send some targets; what is sent must be answered.
        if (r) expectMseResponse(r.status, r.body);
      }),
      { numRuns: 150 },
    );
  });

  it('random POST bodies and content types on /MSE/api and /MSE/ussd', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/MSE/api', '/MSE/ussd'),
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/x-www-form-urlencoded; charset=ISO-8859-1',
          'text/xml',
          'text/xml; charset=UTF-16',
          'application/json',
          'x/y; charset=nope',
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
          fc
            .constantFrom(
              '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
              '<ussd_message_request><head><profile>USSD_MENU</profile></head></ussd_message_request>',
              'profile=SMS_TEXT&pwd=senha&mode=sync&TEXT=%FF',
            )
            .map((s) => new TextEncoder().encode(s)),
        ),
        async (path, contentType, body) => {
          const r = await rawRequest(`${sim.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': contentType },
            body: Buffer.from(body),
          });
          expectMseResponse(r.status, r.body);
          expect(r.body).not.toContain('root:');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('still serves and never logged a stack trace or a password', async () => {
    const r = await rawRequest(
      `${sim.url}/MSE/api?profile=SMS_TEXT&pwd=senha&mode=async-oneway&BNUM=1191000000&TEXT=ok`,
    );
    expect(readMse(r.body).statusCode).toBe(0);
    const log = lines.join('\n');
    expect(log).not.toMatch(/\n\s+at /);
    expect(log).not.toContain('internal error');
  });
});
