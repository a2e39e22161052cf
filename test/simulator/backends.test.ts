import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeCgiBytes,
  decodeImeiBytes,
  encodeCgiBytes,
  encodeImeiBytes,
} from '../../src/simulator/backends.ts';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { query, readMse, startReceiver } from './helpers.ts';

let sim: Simulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startSimulator({ callback: receiver.url, clock: 'virtual', smtp: false, log: () => {} });
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

const sync = async (profile: string, params: Record<string, string>) =>
  readMse(
    await (
      await fetch(`${sim.url}/MSE/api?${query({ profile, pwd: 'senha', mode: 'sync', ...params })}`)
    ).text(),
  );

describe('simulated back-ends', () => {
  it('subscriber directory: PRE/POS, technology, PF/PJ, credit, unknown and inactive lines', async () => {
    expect((await sync('SYS_CTN_INFO_TYPE', { CTN: '1191000000' })).parameters).toEqual({
      SUBSCRIBER_TYPE: 'POS',
      TECNOLOGY: 'GSM',
      STATUS: 'A',
      CUSTOMER_TYPE: 'PF',
    });
    expect((await sync('SYS_CTN_INFO_TYPE', { CTN: '1191000013' })).parameters.CUSTOMER_TYPE).toBe('PJ');
    expect((await sync('SYS_CTN_INFO', { CTN: '1191000011' })).parameters).toMatchObject({
      SUBSCRIBER_TYPE: 'PRE',
      TECNOLOGY: 'TDMA',
    });
    expect((await sync('EAI_CHECK_CREDIT', { CTN: '1191000010', AMOUNT: '50' })).parameters).toMatchObject({
      IS_PREPAID: 'true',
      HAS_CREDIT: 'true',
    });
    expect((await sync('EAI_CHECK_CREDIT', { CTN: '1191000010', AMOUNT: '51' })).parameters.HAS_CREDIT).toBe(
      'false',
    );
    for (const ctn of ['1191000019', '1191000014']) {
      const r = await sync('SYS_CTN_INFO', { CTN: ctn });
      expect(r.statusCode).toBe(Status.unknownSubscriber);
      expect(r.hasParameters).toBe(false);
      expect(r.errorMessage).toContain(ctn);
    }
  });

  it('LBS_TRANSLATOR answers the document cell; LBS_TRANSLATOR_BYTES decodes CGI bytes to the same cell', async () => {
    const expected = {
      LATITUDE: '-22.0584166667',
      LONGITUDE: '-46.9794166667',
      AZIMUTE: '0.0',
      RADIUS: '4000.0',
    };
    expect(
      (await sync('LBS_TRANSLATOR', { MCC: '724', MNC: '05', LAC: '219', CELLID: '100' })).parameters,
    ).toEqual(expected);
    expect(encodeCgiBytes('724', '05', 219, 100)).toBe('27F45000DB0064');
    expect(decodeCgiBytes('27F45000DB0064')).toBe('724/5/219/100');
    expect((await sync('LBS_TRANSLATOR_BYTES', { CGIBYTES: '27F45000DB0064' })).parameters).toEqual(expected);
    expect((await sync('LBS_TRANSLATOR_BYTES', { CGIBYTES: 'nothex' })).statusCode).toBe(Status.parameter);
  });

  it('IMEI_TRANSLATOR uses the TAC table (35220601 is a sonyericsson K790i)', async () => {
    expect((await sync('IMEI_TRANSLATOR', { IMEI: '352206012229529' })).parameters).toEqual({
      IMEI: '352206012229529',
      MODELMANUFACTURER: 'sonyericsson',
      MODELNAME: 'K790i',
      TAC: '35220601',
    });
    expect(decodeImeiBytes(encodeImeiBytes('352206012229529'))).toBe('352206012229529');
  });

  it('torpedo services: IMEI with the 15th digit 0, and 110 "No Device Response" for a silent handset', async () => {
    const ask = async (profile: string, ctn: string) => {
      const from = receiver.received.length;
      const ack = readMse(
        await (
          await fetch(
            `${sim.url}/MSE/api?${query({ profile, pwd: 'senha', mode: 'async-delivery', CTN: ctn })}`,
          )
        ).text(),
      );
      expect(ack.statusCode).toBe(0);
      await sim.advance(1000);
      return readMse(receiver.received.slice(from)[0]!.body.toString('utf8'));
    };
    expect((await ask('IMEI_TORPEDO', '1191000000')).parameters.IMEI).toBe('352206012229520');
    for (const profile of ['IMEI_TORPEDO', 'LBS_TORPEDO']) {
      const failed = await ask(profile, '1191000110');
      expect(failed.statusCode).toBe(Status.noDeviceResponse);
      expect(failed.errorMessage).toBe('No Device Response');
      expect(failed.hasParameters).toBe(false);
    }
  });

  it('offers are kept per subscriber; protocols are numbered', async () => {
    expect((await sync('OFFER_INSERT', { CTN: '1191000000', OFFERS: '124565;231546' })).statusCode).toBe(0);
    expect((await sync('OFFER_DELETE', { CTN: '1191000000', OFFERS: '124565' })).statusCode).toBe(0);
    const offers = (await (await fetch(`${sim.controlUrl}/offers`)).json()) as Record<string, string[]>;
    expect(offers['1191000000']).toEqual(['231546']);
    const { loadSpec } = await import('../../src/spec/load.ts');
    const entry = loadSpec().services.find((s) => s.id === 'GERAR_PROTOCOLO')!;
    const base = Object.fromEntries(
      entry.inputs.filter((i) => i.name !== 'NUMERO_PROTOCOLO').map((i) => [i.name, i.sample]),
    );
    const a = (await sync('GERAR_PROTOCOLO', base)).parameters.NUMERO_PROTOCOLO;
    const b = (await sync('GERAR_PROTOCOLO', base)).parameters.NUMERO_PROTOCOLO;
    expect(a).toMatch(/^[0-9]+$/);
    expect(Number(b)).toBe(Number(a) + 1);
    expect(
      (await sync('GERAR_PROTOCOLO', { ...base, NUMERO_PROTOCOLO: '777' })).parameters.NUMERO_PROTOCOLO,
    ).toBe('777');
  });

  it('billing records a charge with the billing code', async () => {
    const r = await sync('SYS_CHARGE_SUBSCRIB', { CTN: '1191000000', billingCode: '000000' });
    expect(r.statusCode).toBe(0);
    const charges = (await (await fetch(`${sim.controlUrl}/billing`)).json()) as {
      transactionId: string;
      billingCode: string;
    }[];
    expect(charges.find((c) => c.transactionId === r.transactionId)?.billingCode).toBe('000000');
  });

  it('GET /__control/transactions/ID returns one timeline; profiles are listed with passwords masked', async () => {
    const r = await sync('SYS_CTN_INFO', { CTN: '1191000000' });
    const t = (await (await fetch(`${sim.controlUrl}/transactions/${r.transactionId}`)).json()) as {
      request: { params: Record<string, string> };
      execution: unknown;
    };
    expect(t.request.params.pwd).toBe('***');
    expect(t.execution).toBeDefined();
    const profiles = await (await fetch(`${sim.controlUrl}/profiles`)).text();
    expect(profiles).not.toContain('senha');
    expect(profiles).not.toContain('mse-secret');
  });
});

describe('conditional inputs (requiredWhen)', () => {
  it('an input required by another input’s value is refused with 12 when missing', async () => {
    const { loadSpec } = await import('../../src/spec/load.ts');
    const cases = loadSpec()
      .services.filter((s) => s.kind === 'api')
      .flatMap((s) => s.inputs.filter((i) => i.requiredWhen).map((i) => [s, i] as const));
    for (const [service, input] of cases) {
      const when = input.requiredWhen!;
      const trigger = when.equals?.[0] ?? service.inputs.find((i) => i.name === when.input)!.sample;
      const params: Record<string, string> = {};
      for (const i of service.inputs) if (i.required) params[i.name] = i.sample;
      params[when.input] = trigger;
      const r = await sync(service.id, params);
      expect(r.statusCode, `${service.id}.${input.name}`).toBe(Status.parameter);
      expect(r.errorMessage).toContain(`[`);
    }
  });
});
