import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { type Listener, startListener } from '../../src/listener/index.ts';
import { listenerClient } from '../../src/listener/remote.ts';

const listeners: Listener[] = [];
afterAll(async () => {
  for (const l of listeners) await l.close();
});

async function listener(): Promise<Listener> {
  const l = await startListener();
  listeners.push(l);
  return l;
}

function deliver(url: string, method: string, body?: Buffer | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request(url, { method }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end(body);
  });
}

const receipt = (tid: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>0</status-code><profile>P</profile><transaction-id>${tid}</transaction-id></mse-response>`;

describe('listener', () => {
  it('keeps an SMS MO query byte-exact and correlates it by ID', async () => {
    const l = await listener();
    const raw = 'TEXT=Ol%E1+a%E7%E3o&ID=1020606201622668099&ANUM=1191000000&BNUM=3301';
    expect(await deliver(`${l.url}/mo/sms?${raw}`, 'GET')).toBe(200);
    const [d] = await l.waitFor({ kind: 'sms-mo', key: '1020606201622668099', timeoutMs: 1000 });
    expect(d?.rawQuery).toBe(raw);
    expect(d?.method).toBe('GET');
  });

  it('waits for a receipt that arrives later, and gives up at the deadline', async () => {
    const l = await listener();
    const waiting = l.waitFor({ kind: 'receipt', key: '111', timeoutMs: 5000 });
    await deliver(`${l.url}/receipt?userid=u&pwd=p`, 'POST', receipt('111'));
    expect((await waiting).map((d) => d.key)).toEqual(['111']);
    const started = Date.now();
    expect(await l.waitFor({ kind: 'receipt', key: 'none', timeoutMs: 100 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('records a receipt by GET with its profile, and correlates it by the transaction-id of its query', async () => {
    const l = await listener();
    await deliver(`${l.url}/receipt?userid=mse&pwd=x&status-code=0&profile=P&transaction-id=42`, 'GET');
    const [d] = await l.waitFor({ kind: 'receipt', key: '42', timeoutMs: 1000 });
    expect(d).toMatchObject({ method: 'GET', key: '42', profile: 'P' });
    expect(d?.body.length).toBe(0);
  });

  it('stops a wait on evidence that stayed unclaimed, not on a receipt another wait claims in time', async () => {
    const l = await listener();
    const client = listenerClient(l.suiteUrl);
    const sinceAt = Date.now();
    const evidence = { profile: 'P', sinceAt, graceMs: 200 };
    // A receipt of another transaction of the run: a second wait claims it within the grace, so no evidence.
    const first = client.waitWithEvidence({ kind: 'receipt', key: '1', timeoutMs: 60_000, evidence });
    await deliver(`${l.url}/receipt`, 'POST', receipt('2'));
    await client.waitFor({ kind: 'receipt', key: '2', timeoutMs: 1000 });
    const declared = client.waitWithEvidence({ kind: 'receipt', key: '1', timeoutMs: 400, evidence });
    await client.expect('receipt', '3');
    await deliver(`${l.url}/receipt`, 'POST', receipt('3'));
    expect(await declared).toEqual({ found: [], evidence: [] });
    // A receipt whose transaction-id nothing of the run knows ends the first wait long before its deadline.
    await deliver(`${l.url}/receipt`, 'POST', receipt('999'));
    const r = await first;
    expect(r.found).toEqual([]);
    expect(r.evidence.map((d) => d.key)).toEqual(['999']);
    // Another profile's stray receipt is no evidence for P; and only 999 matched nothing the run did.
    await deliver(`${l.url}/receipt`, 'POST', receipt('5').replace('<profile>P<', '<profile>Q<'));
    expect(
      await client.waitWithEvidence({
        kind: 'receipt',
        key: '6',
        timeoutMs: 300,
        evidence: { ...evidence, profile: 'R' },
      }),
    ).toEqual({ found: [], evidence: [] });
    expect((await client.unmatched()).map((d) => d.key)).toEqual(['999', '5']);
  });

  it('answers by rule and by hold/release, over the suite-side API', async () => {
    const l = await listener();
    const client = listenerClient(l.suiteUrl);
    await client.answer({ kind: 'receipt', key: '222', status: 500, times: 1 });
    expect(await deliver(`${l.url}/receipt`, 'POST', receipt('222'))).toBe(500);
    expect(await deliver(`${l.url}/receipt`, 'POST', receipt('222'))).toBe(200);
    const holdId = await client.hold({ kind: 'receipt', contains: '<profile>P</profile>' });
    const held = deliver(`${l.url}/receipt`, 'POST', receipt('333'));
    const other = deliver(`${l.url}/receipt`, 'POST', receipt('444'));
    await client.waitFor({ kind: 'receipt', key: '444', timeoutMs: 1000 });
    await client.release({ holdId, key: '333', status: 503 });
    expect(await held).toBe(503);
    expect(await other).toBe(200);
    expect((await client.waitFor({ kind: 'receipt', key: '333', timeoutMs: 10 }))[0]?.answered).toBe(503);
  });

  it('answers a USSD event with a command and survives bad input', async () => {
    const l = await listener();
    const status = await deliver(`${l.url}/ussd`, 'POST', '<ussd_message_response><head><msisdn>1199998888');
    expect(status).toBe(200);
    expect(await deliver(`${l.url}/__suite/wrong-token/wait`, 'POST', '{')).toBe(200);
    const bad = await new Promise<number>((resolve) => {
      const r = request(`${l.suiteUrl}/wait`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.end('not json');
    });
    expect(bad).toBe(400);
    expect(await deliver(`${l.url}/receipt`, 'POST', receipt('555'))).toBe(200);
  });
});
