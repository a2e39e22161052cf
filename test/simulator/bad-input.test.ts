import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { query, rawRequest, readMse } from './helpers.ts';

let sim: Simulator;
const lines: string[] = [];
beforeAll(async () => {
  sim = await startSimulator({
    clock: 'virtual',
    smtp: false,
    maxBodyBytes: 4096,
    log: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await sim.close();
});

const good = { profile: 'SMS_TEXT', pwd: 'senha', mode: 'async-oneway', BNUM: '1191000000', TEXT: 'teste' };
const ussdHead = (extra = '') =>
  `<head><profile>USSD_MENU</profile><password>senha</password><msisdn>1199998888</msisdn><short_code>100</short_code><mode>async</mode>${extra}</head>`;
const notify = (content: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ussd_message_request>${ussdHead()}<command><notify><content>${content}</content></notify></command></ussd_message_request>`;

async function stillServing() {
  const r = readMse(await (await fetch(`${sim.url}/MSE/api?${query(good)}`)).text());
  expect(r.statusCode).toBe(Status.ok);
}

describe('bad input gets the documented error and the server keeps serving', () => {
  it('wrong password: 401, the password never echoed or logged', async () => {
    const r = readMse(
      await (await fetch(`${sim.url}/MSE/api?${query({ ...good, pwd: 'hunter2-secret' })}`)).text(),
    );
    expect(r.statusCode).toBe(Status.auth);
    expect(JSON.stringify(r)).not.toContain('hunter2-secret');
    expect(lines.join('\n')).not.toContain('hunter2-secret');
    expect(JSON.stringify(sim.transactions())).not.toContain('hunter2-secret');
    await stillServing();
  });

  it('unknown profile: 401 naming it; missing profile: 12', async () => {
    const r = readMse(
      await (await fetch(`${sim.url}/MSE/api?${query({ ...good, profile: 'NOPE' })}`)).text(),
    );
    expect(r.statusCode).toBe(Status.auth);
    expect(r.profile).toBe('NOPE');
    const { profile: _p, ...noProfile } = good;
    const m = readMse(await (await fetch(`${sim.url}/MSE/api?${query(noProfile)}`)).text());
    expect(m.statusCode).toBe(Status.parameter);
    expect(m.errorMessage).toContain('[profile]');
    await stillServing();
  });

  it('unknown mode spelling: 405; missing mode: 12', async () => {
    expect(
      readMse(await (await fetch(`${sim.url}/MSE/api?${query({ ...good, mode: 'fast' })}`)).text())
        .statusCode,
    ).toBe(Status.mode);
    const { mode: _m, ...noMode } = good;
    expect(readMse(await (await fetch(`${sim.url}/MSE/api?${query(noMode)}`)).text()).errorMessage).toContain(
      '[mode]',
    );
  });

  it('the password alias "password" is accepted, unknown extra parameters are ignored', async () => {
    const { pwd: _p, ...rest } = good;
    const r = readMse(
      await (
        await fetch(
          `${sim.url}/MSE/api?${query({ ...rest, password: 'senha', FOO: 'bar', zzz: '1' })}&__proto__=x&toString=y&constructor=z`,
        )
      ).text(),
    );
    expect(r.statusCode).toBe(Status.ok);
  });

  it('wrong method: HTTP 405 with an mse-response', async () => {
    for (const method of ['PUT', 'DELETE']) {
      const r = await rawRequest(`${sim.url}/MSE/api?${query(good)}`, { method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, POST');
      expect(readMse(r.body).errorMessage).toContain(method);
    }
    const u = await rawRequest(`${sim.url}/MSE/ussd`, { method: 'GET' });
    expect(u.status).toBe(405);
    await stillServing();
  });

  it('oversized body: HTTP 413 saying the cap', async () => {
    const body = `TEXT=${'a'.repeat(10_000)}`;
    const r = await rawRequest(`${sim.url}/MSE/api?${query(good)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(r.status).toBe(413);
    const m = readMse(r.body);
    expect(m.statusCode).toBe(Status.bodyTooLarge);
    expect(m.errorMessage).toContain('4096');
    await stillServing();
  });

  it('POST form body in ISO-8859-1 is decoded by its charset; a body lying about UTF-8 is refused', async () => {
    const { TEXT: _t, ...rest } = good;
    const latin = Buffer.concat([Buffer.from('TEXT='), Buffer.from([0x61, 0xe7, 0xe3, 0x6f])]);
    const ok = await rawRequest(`${sim.url}/MSE/api?${query(rest)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=ISO-8859-1' },
      body: latin,
    });
    expect(readMse(ok.body).statusCode).toBe(Status.ok);
    const t = sim.transactions().find((x) => x.transactionId === readMse(ok.body).transactionId)!;
    expect(t.request?.params?.TEXT).toBe('ação');
    const lying = await rawRequest(`${sim.url}/MSE/api?${query(rest)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: Buffer.concat([Buffer.from('TEXT=%E7')]),
    });
    expect(readMse(lying.body).statusCode).toBe(Status.badXml);
    const unknown = await rawRequest(`${sim.url}/MSE/api?${query(rest)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=KOI8-R' },
      body: 'TEXT=x',
    });
    expect(readMse(unknown.body).statusCode).toBe(Status.badXml);
    await stillServing();
  });

  it('query values are decoded byte-exactly in UTF-8: %XX and + as space', async () => {
    const base = 'profile=SMS_TEXT&pwd=senha&mode=async-oneway&BNUM=1191000000';
    const r = readMse(await (await fetch(`${sim.url}/MSE/api?${base}&TEXT=a%C3%A7%C3%A3o+j%C3%A1`)).text());
    expect(sim.transactions().find((x) => x.transactionId === r.transactionId)!.request?.params?.TEXT).toBe(
      'ação já',
    );
    const plain = readMse(await (await fetch(`${sim.url}/MSE/api?${base}&TEXT=abc`)).text());
    expect(
      sim.transactions().find((x) => x.transactionId === plain.transactionId)!.request?.params?.TEXT,
    ).toBe('abc');
    const latin = readMse(await (await fetch(`${sim.url}/MSE/api?${base}&TEXT=%E7`)).text());
    expect(latin.statusCode).toBe(Status.ok);
  });

  it('a query or form body that is not UTF-8 and declares no charset is read as ISO-8859-1, and the timeline says so', async () => {
    // A WIB push as public gateways send it: the WML percent-encoded in ISO-8859-1 (6.4.15 declares it).
    const wml =
      '%3C%3Fxml+version%3D%221.0%22+encoding%3D%22ISO-8859-1%22%3F%3E%3Cwml%3Ea%E7%E3o%3C%2Fwml%3E';
    const r = readMse(
      await (
        await fetch(
          `${sim.url}/MSE/api?profile=WIB_PUSH&pwd=senha&mode=async-oneway&MSISDN=1191000000&WML=${wml}`,
        )
      ).text(),
    );
    expect(r.statusCode).toBe(Status.ok);
    const t = sim.transactions().find((x) => x.transactionId === r.transactionId)!;
    expect(t.request?.params?.WML).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><wml>ação</wml>');
    expect(t.request?.charset?.query).toBe('ISO-8859-1');
    expect(t.notes.join('\n')).toContain('query read as ISO-8859-1');
    const utf8 = readMse(await (await fetch(`${sim.url}/MSE/api?${query(good)}&X=%C3%A7`)).text());
    expect(
      sim.transactions().find((x) => x.transactionId === utf8.transactionId)!.request?.charset?.query,
    ).toBe('UTF-8');
    const { TEXT: _t, ...rest } = good;
    const form = await rawRequest(`${sim.url}/MSE/api?${query(rest)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'TEXT=a%E7%E3o',
    });
    const f = readMse(form.body);
    expect(f.statusCode).toBe(Status.ok);
    const ft = sim.transactions().find((x) => x.transactionId === f.transactionId)!;
    expect(ft.request?.params?.TEXT).toBe('ação');
    expect(ft.request?.charset).toEqual({ query: 'UTF-8', body: 'ISO-8859-1' });
  });

  it('a refusal echoes the profile and its error-message is whole, never cut', async () => {
    const { TEXT: _t, ...rest } = good;
    const lying = await rawRequest(`${sim.url}/MSE/api?${query(rest)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: `TEXT=${'x'.repeat(300)}%E7`,
    });
    const m = readMse(lying.body);
    expect(m.statusCode).toBe(Status.badXml);
    expect(m.profile).toBe('SMS_TEXT');
    expect(m.errorMessage).toMatch(/parameter TEXT is not valid UTF-8 .*declare charset=ISO-8859-1/);
    expect(m.errorMessage).not.toContain('…');
    const long = readMse(
      await (await fetch(`${sim.url}/MSE/api?${query({ ...good, BNUM: '9'.repeat(500) })}`)).text(),
    );
    expect(long.statusCode).toBe(Status.parameter);
    expect(long.profile).toBe('SMS_TEXT');
    expect(long.errorMessage).toMatch(/\(6\.4\.[0-9.]+\)$/);
    expect(long.errorMessage!.length).toBeLessThan(300);
    const badMethod = await rawRequest(`${sim.url}/MSE/api?${query(good)}`, { method: 'PUT' });
    expect(readMse(badMethod.body).profile).toBe('SMS_TEXT');
  });

  it('POST may carry parameters in the query and the body together', async () => {
    const r = await rawRequest(`${sim.url}/MSE/api?${query({ profile: 'SMS_TEXT', pwd: 'senha' })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: query({ mode: 'async-oneway', BNUM: '1191000000', TEXT: 'x' }),
    });
    expect(readMse(r.body).statusCode).toBe(Status.ok);
  });

  it('malformed XML, DOCTYPE and entities on /MSE/ussd: 415, never expanded', async () => {
    const post = (body: string | Buffer) =>
      rawRequest(`${sim.url}/MSE/ussd`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
    const malformed = readMse((await post('<ussd_message_request><head>')).body);
    expect(malformed.statusCode).toBe(Status.badXml);
    const doctype = readMse(
      (
        await post(
          `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>${notify('&e;').replace(/^<\?xml[^>]*\?>/, '')}`,
        )
      ).body,
    );
    expect(doctype.statusCode).toBe(Status.badXml);
    expect(doctype.errorMessage).not.toContain('boom');
    const lyingEncoding = readMse(
      (await post(Buffer.concat([Buffer.from(notify('x').replace('>x<', '>')), Buffer.from([0xe7])]))).body,
    );
    expect([Status.badXml, Status.parameter]).toContain(lyingEncoding.statusCode);
    const latinBytes = Buffer.from(notify('ação'), 'latin1');
    expect(readMse((await post(latinBytes)).body).statusCode).toBe(Status.badXml);
    await stillServing();
  });

  it('a valid USSD notify is accepted after all that', async () => {
    const r = await rawRequest(`${sim.url}/MSE/ussd`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: notify('Saldo R$37,9'),
    });
    expect(readMse(r.body).statusCode).toBe(Status.ok);
  });

  it('unknown paths get 404 and no stack trace anywhere', async () => {
    const r = await rawRequest(`${sim.url}/nope`);
    expect(r.status).toBe(404);
    expect(lines.join('\n')).not.toMatch(/\n\s+at /);
  });
});
