import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { query, readMse, startReceiver } from './helpers.ts';

let sim: Simulator | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = undefined;
  receiver = undefined;
});

const sms = (bnum: string, mode = 'async-delivery') =>
  query({ profile: 'SMS_TEXT', pwd: 'senha', mode, BNUM: bnum, TEXT: 'teste', ANUM: '3301' });

async function submit(s: Simulator, qs: string) {
  return readMse(await (await fetch(`${s.url}/MSE/api?${qs}`)).text());
}

describe('receipt delivery (6.4.1.1, 7.1.2)', () => {
  it('retries after a non-200 and delivers exactly once after the 200', async () => {
    receiver = await startReceiver({ statuses: [500, 503, 200] });
    sim = await startSimulator({
      callback: receiver.url,
      clock: 'virtual',
      smtp: false,
      receiptDelayMs: 20,
      retry: { delaysMs: [100, 500, 2000] },
      log: () => {},
    });
    const ack = await submit(sim, sms('1191000000'));
    expect(ack.statusCode).toBe(Status.ok);
    await sim.advance(20);
    expect(receiver.received).toHaveLength(1);
    await sim.advance(99);
    expect(receiver.received).toHaveLength(1);
    await sim.advance(1);
    expect(receiver.received).toHaveLength(2);
    await sim.advance(500);
    expect(receiver.received).toHaveLength(3);
    await sim.advance(60_000);
    await sim.idle();
    expect(receiver.received).toHaveLength(3);
    const bodies = receiver.received.map((r) => readMse(r.body.toString('utf8')));
    for (const b of bodies) expect(b.transactionId).toBe(ack.transactionId);
    const t = sim.transactions().find((x) => x.transactionId === ack.transactionId)!;
    expect(t.delivery).toBe('delivered');
    expect(t.deliveries.map((d) => d.httpStatus)).toEqual([500, 503, 200]);
    expect(Buffer.from(t.deliveries[0]!.requestBase64, 'base64').toString()).toContain(ack.transactionId!);
    expect(t.deliveries[0]!.url).toContain('pwd=***');
  });

  it('retries after 204 too: only 200 counts as delivered', async () => {
    receiver = await startReceiver({ statuses: [204, 200] });
    sim = await startSimulator({
      callback: receiver.url,
      clock: 'virtual',
      smtp: false,
      retry: { delaysMs: [100] },
      log: () => {},
    });
    await submit(sim, sms('1191000000'));
    await sim.advance(20);
    await sim.advance(100);
    await sim.advance(10_000);
    expect(receiver.received).toHaveLength(2);
    expect(sim.transactions()[0]!.delivery).toBe('delivered');
  });

  it('gives up after the last retry and records it', async () => {
    receiver = await startReceiver({ statuses: [500] });
    sim = await startSimulator({
      callback: receiver.url,
      clock: 'virtual',
      smtp: false,
      retry: { delaysMs: [10, 20] },
      log: () => {},
    });
    await submit(sim, sms('1191000000'));
    await sim.advance(10_000);
    expect(receiver.received).toHaveLength(3);
    const t = sim.transactions()[0]!;
    expect(t.delivery).toBe('given-up');
    expect(t.notes.join(' ')).toContain('given up after 3 attempt');
  });

  it('async-oneway never delivers a receipt', async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ callback: receiver.url, clock: 'virtual', smtp: false, log: () => {} });
    const ack = await submit(sim, sms('1191000000', 'async-oneway'));
    expect(ack.statusCode).toBe(Status.ok);
    await sim.advance(60_000);
    await sim.idle();
    expect(receiver.received).toHaveLength(0);
  });

  it('SMSC outcomes follow the magic numbers: MSGSTATUS 2 only for DELIVRD, no-answer gives SMPP_COMMAND_STATUS', async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ callback: receiver.url, clock: 'virtual', smtp: false, log: () => {} });
    const cases: [string, Record<string, string | undefined>][] = [
      ['1191000000', { SMPP_MESSAGE_STATUS: 'DELIVRD', MSGSTATUS: '2' }],
      ['1191000001', { SMPP_MESSAGE_STATUS: 'EXPIRED', MSGSTATUS: '7' }],
      ['1191000002', { SMPP_MESSAGE_STATUS: 'UNDELIV', MSGSTATUS: '7' }],
      ['1191000003', { SMPP_MESSAGE_STATUS: 'UNKNOWN', MSGSTATUS: '7' }],
      ['1191000004', { SMPP_MESSAGE_STATUS: 'REJECTD', MSGSTATUS: '7' }],
      ['1191000005', { SMPP_COMMAND_STATUS: '0', SMPP_MESSAGE_STATUS: undefined, MSGSTATUS: '7' }],
    ];
    for (const [bnum] of cases) await submit(sim, sms(bnum));
    await sim.advance(1000);
    await sim.idle();
    expect(receiver.received).toHaveLength(cases.length);
    for (const [bnum, expected] of cases) {
      const receipt = receiver.received
        .map((r) => readMse(r.body.toString('utf8')))
        .find((r) => r.parameters.ANUM === bnum)!;
      expect(receipt.parameters.BNUM).toBe('3301');
      for (const [name, value] of Object.entries(expected))
        expect(receipt.parameters[name], `${bnum} ${name}`).toBe(value);
    }
  });

  it('a scenario overrides the SMSC outcome, and a seeded mix repeats', async () => {
    receiver = await startReceiver();
    sim = await startSimulator({ callback: receiver.url, clock: 'virtual', smtp: false, log: () => {} });
    const set = await fetch(`${sim.controlUrl}/scenario`, {
      method: 'POST',
      body: JSON.stringify({ smsc: { numbers: { '1191234567': 'REJECTD' } } }),
    });
    expect(set.status).toBe(200);
    await submit(sim, sms('1191234567'));
    await sim.advance(100);
    expect(readMse(receiver.received[0]!.body.toString()).parameters.SMPP_MESSAGE_STATUS).toBe('REJECTD');
    const bad = await fetch(`${sim.controlUrl}/scenario`, {
      method: 'POST',
      body: JSON.stringify({ smsc: { outcome: 'LOST' } }),
    });
    expect(bad.status).toBe(400);

    const draw = async () => {
      await fetch(`${sim!.controlUrl}/scenario`, {
        method: 'POST',
        body: JSON.stringify({ smsc: { mix: { DELIVRD: 1, EXPIRED: 1 }, seed: 7 } }),
      });
      const from = receiver!.received.length;
      for (let i = 0; i < 12; i++) await submit(sim!, sms(`11912000${String(i + 10).padStart(2, '0')}`));
      await sim!.advance(100);
      return receiver!.received
        .slice(from)
        .map((r) => readMse(r.body.toString()).parameters.SMPP_MESSAGE_STATUS);
    };
    const first = await draw();
    expect(new Set(first).size).toBe(2);
    expect(await draw()).toEqual(first);
  });

  it('a scenario delay holds the receipt back and moves FINALDATE', async () => {
    receiver = await startReceiver();
    sim = await startSimulator({
      callback: receiver.url,
      clock: 'virtual',
      smtp: false,
      receiptDelayMs: 0,
      log: () => {},
    });
    await fetch(`${sim.controlUrl}/scenario`, {
      method: 'POST',
      body: JSON.stringify({ smsc: { delays: { '1191000000': 5 * 60_000 } } }),
    });
    await submit(sim, sms('1191000000'));
    await sim.advance(5 * 60_000 - 1);
    expect(receiver.received).toHaveLength(0);
    await sim.advance(1);
    expect(receiver.received).toHaveLength(1);
    const p = readMse(receiver.received[0]!.body.toString()).parameters;
    expect(Number(p.FINALDATE) - Number(p.INITIALDATE)).toBeGreaterThanOrEqual(4);
  });

  it('sync answers with the timeout status when the back-end is slower than the limit', async () => {
    sim = await startSimulator({ clock: 'virtual', smtp: false, syncTimeoutMs: 1000, log: () => {} });
    const pending = fetch(
      `${sim.url}/MSE/api?${query({ profile: 'SYS_CTN_INFO', pwd: 'senha', mode: 'sync', CTN: '1191000006' })}`,
    );
    // The request must reach the server before the clock moves; poll the timeline, with a deadline.
    const deadline = Date.now() + 5000;
    while (!sim.transactions().length && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    await sim.advance(1000);
    const r = readMse(await (await pending).text());
    expect(r.statusCode).toBe(Status.syncTimeout);
    expect(r.errorMessage).toContain('1000 ms');
  });
});
