/**
 * Hostile requests (issue 7, fuzzing): generated requests with random and missing parameters, every
 * Unicode plane, raw Latin-1 and invalid UTF-8 bytes in the target and the body, extreme lengths,
 * malformed and truncated XML, DOCTYPEs and entity bombs, wrong content types and methods. Sent as raw
 * bytes on node:net. The simulator answers each with an mse-response valid per 6.5.1 (or an HTTP error
 * where no XML can be formed); the listener and the reference partner with an HTTP status; nothing
 * crashes, nothing hangs, and each still serves a valid request afterwards. The long variants are in
 * bench/reliability.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listener, startListener } from '../../src/listener/index.ts';
import { type ReferencePartner, startReferencePartner } from '../../src/partner/reference.ts';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { readMseResponse } from '../../src/xml/mse-response.ts';
import { fuzz, judgeHttp, judgeSimulator, serviceRequestArb } from './fuzz.ts';
import { portOf, requestBytes, sendRaw, ussdNotify } from './helpers.ts';

/** Sized so that each property takes a few seconds on a shared 2-core machine. */
const RUNS = Number(process.env.MSE_FUZZ_RUNS ?? 400);

let sim: Simulator;
let listener: Listener;
let partner: ReferencePartner;
beforeAll(async () => {
  listener = await startListener({ maxBodyBytes: 64 * 1024 });
  sim = await startSimulator({
    smtp: false,
    log: () => {},
    callback: listener.url,
    maxBodyBytes: 64 * 1024,
    syncTimeoutMs: 2_000,
    maxTransactions: 2_000,
  });
  partner = await startReferencePartner({
    credentials: { userid: 'mse', pwd: 'mse-secret' },
    maxBodyBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await sim?.close();
  await listener?.close();
  await partner?.close();
});

async function simulatorServes(): Promise<void> {
  const ok = await sendRaw(
    portOf(sim.url),
    requestBytes({
      method: 'GET',
      target: '/MSE/api?profile=SMS_TEXT&pwd=senha&mode=async-oneway&BNUM=1191000000&TEXT=ol%C3%A1',
    }),
  );
  expect(ok.kind).toBe('response');
  if (ok.kind === 'response') expect(readMseResponse(ok.response.body).statusCode).toBe(0);
  const ussd = await sendRaw(
    portOf(sim.url),
    requestBytes({
      method: 'POST',
      target: '/MSE/ussd',
      headers: [['content-type', 'text/xml; charset=UTF-8']],
      body: ussdNotify(),
    }),
  );
  expect(ussd.kind).toBe('response');
  if (ussd.kind === 'response') expect(readMseResponse(ussd.response.body).statusCode).toBe(0);
}

describe('fuzzing: every generated request is answered well-formed, in time, and the server lives on', () => {
  it('simulator: /MSE/api GET and POST, /MSE/ussd, the control API and unknown paths', async () => {
    const result = await fuzz({
      property: 'simulator',
      port: portOf(sim.url),
      paths: [
        '/MSE/api',
        '/MSE/api',
        '/MSE/api',
        '/MSE/ussd',
        '/MSE/ussd',
        '/__control/mo/sms',
        '/__control/ussd/event',
        '/__control/transactions',
        '/__control/clock/advance',
        '/__control/scenario',
        '/MSE/api/',
        '/mse/api',
      ],
      judge: judgeSimulator,
      numRuns: RUNS,
      stillServing: simulatorServes,
    });
    expect(result.failure).toBeUndefined();
    expect(result.runs).toBe(RUNS);
  });

  it('simulator: every service with generated values, modes and encodings, by GET and POST form', async () => {
    const result = await fuzz({
      property: 'simulator',
      port: portOf(sim.url),
      paths: ['/MSE/api'],
      requests: serviceRequestArb(),
      judge: judgeSimulator,
      numRuns: RUNS,
      stillServing: simulatorServes,
    });
    expect(result.failure).toBeUndefined();
    // Not vacuous: many reached a service's own validation and were accepted or refused there.
    expect(result.statusCounts['200'] ?? 0).toBeGreaterThan(RUNS / 4);
  });

  it("gateway suite's listener: every partner path, the suite API's prefix, anything", async () => {
    const result = await fuzz({
      property: 'listener',
      port: portOf(listener.url),
      paths: [
        '/receipt',
        '/mo/sms',
        '/mo/mms',
        '/mo/wib',
        '/ussd',
        '/',
        '/__suite/00/wait',
        new URL(listener.suiteUrl).pathname.concat('/deliveries'),
      ],
      judge: judgeHttp,
      numRuns: RUNS,
      stillServing: async () => {
        const seen = listener.deliveries().length;
        const ok = await sendRaw(
          portOf(listener.url),
          requestBytes({
            method: 'POST',
            target: '/receipt?userid=mse&pwd=mse-secret',
            body: '<mse-response><status-code>0</status-code><profile>p</profile><transaction-id>1</transaction-id></mse-response>',
          }),
        );
        expect(ok.kind === 'response' && ok.response.status).toBe(200);
        expect(listener.deliveries().length).toBe(seen + 1);
      },
    });
    expect(result.failure).toBeUndefined();
  });

  it('reference partner: receipts, SMS/WIB MO, MMS MO, USSD events, inbox', async () => {
    const result = await fuzz({
      property: 'partner',
      port: portOf(partner.url),
      paths: ['/receipt', '/mo/sms', '/mo/mms', '/mo/wib', '/ussd', '/inbox', '/'],
      judge: judgeHttp,
      numRuns: RUNS,
      stillServing: async () => {
        const ok = await sendRaw(
          portOf(partner.url),
          requestBytes({
            method: 'GET',
            target: '/mo/sms?TEXT=Ol%E1&ID=fz1&ANUM=1191000000&BNUM=3301&USER=mse&PWD=mse-secret',
          }),
        );
        expect(ok.kind === 'response' && ok.response.status).toBe(200);
      },
    });
    expect(result.failure).toBeUndefined();
  });
});
