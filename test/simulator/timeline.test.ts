/**
 * What a timeline shows is what happened: the simulator keeps an answer as the fields it was rendered from
 * and an execution as its output values, and renders them again when read. These tests hold the rendering
 * to the bytes on the wire, in memory and through the control API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { query, readMse } from './helpers.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const good = { profile: 'SMS_TEXT', pwd: 'senha', mode: 'async-oneway', BNUM: '1191000000', TEXT: 'teste' };

async function send(s: Simulator, params: Record<string, string>) {
  const text = await (await fetch(`${s.url}/MSE/api?${query(params)}`)).text();
  const transactionId = readMse(text).transactionId;
  const t = s.transactions().find((x) => x.transactionId === transactionId);
  if (!t) throw new Error(`no timeline for ${transactionId}`);
  return { text, t };
}

async function viaControl(s: Simulator, id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${s.url}/__control/transactions/${id}`)).json()) as Record<string, unknown>;
}

describe('a transaction timeline', () => {
  it('shows the body that was sent, for an acknowledgement, a sync answer and a refusal', async () => {
    sim = await startSimulator({ smtp: false, log: false });
    const cases = [
      good,
      { profile: 'SYS_CTN_INFO', pwd: 'senha', mode: 'sync', CTN: '1191000000' },
      { ...good, pwd: 'wrong' },
    ];
    for (const params of cases) {
      const { text, t } = await send(sim, params);
      expect(t.response?.body).toBe(text);
      const shown = await viaControl(sim, t.transactionId);
      expect((shown.response as { body: string }).body).toBe(text);
      expect(JSON.stringify(shown)).not.toContain('"answered"');
    }
  });

  it('lists the execution parameters of a sync answer as it sent them, and those of an async one', async () => {
    sim = await startSimulator({ smtp: false, log: false });
    const { text, t } = await send(sim, {
      profile: 'SYS_CTN_INFO',
      pwd: 'senha',
      mode: 'sync',
      CTN: '1191000000',
    });
    const sent = readMse(text);
    const asSent = sent.names.map((name) => ({ name, value: String(sent.parameters[name]) }));
    expect(asSent.length).toBeGreaterThan(0);
    expect(t.execution?.parameters).toEqual(asSent);
    const shown = await viaControl(sim, t.transactionId);
    expect((shown.execution as { parameters: unknown }).parameters).toEqual(asSent);
    expect(Object.keys(shown.execution as object)).toEqual(['statusCode', 'parameters']);

    const async = await send(sim, good);
    expect(async.t.execution?.statusCode).toBe(Status.ok);
    expect(async.t.execution?.parameters).toContainEqual({ name: 'ANUM', value: '1191000000' });
  });

  it('keeps the parameters as read, the password masked, and a parameter named __proto__ as data', async () => {
    sim = await startSimulator({ smtp: false, log: false });
    const { t } = await send(sim, { ...good, __proto__x: '1', constructor: 'c' });
    expect(t.request?.params).toMatchObject({ pwd: '***', BNUM: '1191000000', constructor: 'c' });
    const raw = await fetch(`${sim.url}/MSE/api?${query(good)}&__proto__=polluted`);
    expect(readMse(await raw.text()).statusCode).toBe(Status.ok);
    const last = sim.transactions().at(-1)!;
    expect(Object.hasOwn(last.request!.params!, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(last.request!.params!, '__proto__')?.value).toBe('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A plain query is split directly, any other decoded: both read the same parameters.
    for (const extra of ['&&=empty-name&flag', '&&=empty-name&flag&X=%41']) {
      const r = readMse(await (await fetch(`${sim.url}/MSE/api?${query(good)}${extra}`)).text());
      expect(r.statusCode).toBe(Status.ok);
      expect(sim.transactions().at(-1)!.request!.params).toMatchObject({ '': 'empty-name', flag: '' });
    }
  });

  it('writes a log line per transaction to a log function, and none with log: false', async () => {
    const lines: string[] = [];
    sim = await startSimulator({ smtp: false, log: (line) => lines.push(line) });
    await send(sim, good);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /api GET \/MSE\/api profile=SMS_TEXT service=SMS_TEXT mode=async-oneway status=0/,
    );
    await sim.close();
    sim = await startSimulator({ smtp: false, log: false });
    const { t } = await send(sim, good);
    expect(t.response?.statusCode).toBe(Status.ok);
  });

  it('keeps none with maxTransactions: 0, and every path still answers (an MO refusal notes on its own timeline)', async () => {
    // The callback is never called: the MO is refused before any delivery.
    sim = await startSimulator({
      smtp: false,
      log: false,
      maxTransactions: 0,
      callback: 'http://127.0.0.1:9',
    });
    const ack = readMse(await (await fetch(`${sim.url}/MSE/api?${query(good)}`)).text());
    expect(ack.statusCode).toBe(Status.ok);
    const mo = await fetch(`${sim.url}/__control/mo/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'not-a-number', to: '3301', text: 'oi' }),
    });
    expect(mo.status).toBe(400);
    expect(((await mo.json()) as { message: string }).message).toMatch(/ANUM/);
    expect(sim.transactions()).toEqual([]);
  });
});
