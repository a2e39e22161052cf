/**
 * The two reference implementations against each other: the simulator (the MSE) delivers receipts, SMS MO,
 * MMS MO and USSD events to the reference partner, which must take every one of them as the suite expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMseClient } from '../../src/partner/mse-client.ts';
import { type ReferencePartner, startReferencePartner } from '../../src/partner/reference.ts';
import {
  defaultDeliveryUser,
  defaultPassword,
  type Simulator,
  startSimulator,
} from '../../src/simulator/index.ts';

describe('simulator → reference partner', () => {
  let partner: ReferencePartner;
  let sim: Simulator;
  beforeAll(async () => {
    // The USSD profile the simulator provisions by default: the MSE authenticates the reply command (6.4.18).
    partner = await startReferencePartner({
      credentials: { ...defaultDeliveryUser },
      ussdProfile: { profile: 'USSD_MENU', password: defaultPassword },
    });
    sim = await startSimulator({ callback: partner.url, log: () => {}, smtp: false, receiptDelayMs: 1 });
  });
  afterAll(async () => {
    await sim?.close();
    await partner?.close();
  });

  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${sim.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('takes the receipt of an async-delivery SMS', async () => {
    const res = await fetch(
      `${sim.url}/MSE/api?profile=SMS_TEXT&pwd=senha&mode=async-delivery&BNUM=1191000000&ANUM=3301&TEXT=Ol%C3%A1`,
    );
    const ack = await res.text();
    const tid = /<transaction-id>([^<]+)</.exec(ack)?.[1];
    expect(tid, ack).toBeDefined();
    await sim.idle();
    const receipt = partner.inbox().find((d) => d.kind === 'receipt' && d.key === tid);
    expect(receipt?.fields['status-code']).toBe('0');
    const attempts = sim.transactions().find((t) => t.transactionId === tid)?.deliveries ?? [];
    expect(attempts.map((a) => a.httpStatus)).toEqual([200]);
  });

  it('takes an SMS MO in ISO-8859-1, byte for byte', async () => {
    const text = 'Ação: você é ótimo, irmã! çãõéêáó & 1+1';
    const { transactionId } = await control('/mo/sms', { from: '1191000000', to: '3301', text });
    await sim.idle();
    const mo = partner.inbox().find((d) => d.kind === 'sms-mo' && d.key === transactionId);
    expect(mo?.fields.TEXT).toBe(text);
    expect(mo?.fields.BNUM).toBe('3301');
  });

  it('takes an MMS MO', async () => {
    await control('/mo/mms', {
      from: '1191000000',
      to: '3302',
      mms: 'Subject: teste\nContent-Type: text/plain\n\nolá',
    });
    await sim.idle();
    expect(partner.inbox().some((d) => d.kind === 'mms-mo' && d.fields.subject === 'teste')).toBe(true);
  });

  it('takes a WIB MO with the IMEI translated into MSEIMEI parameters', async () => {
    await control('/mo/wib', { params: { IMEI: '3522060122295200', OPCAO: 'saldo' } });
    await sim.idle();
    const wib = partner.inbox().find((d) => d.kind === 'wib-mo');
    expect(wib?.fields.OPCAO).toBe('saldo');
    expect(wib?.fields.MSEIMEI).toMatch(/^[0-9]{14}0$/);
  });

  it('as a partner application: sends an SMS through the MSE client and gets its receipt', async () => {
    const mse = createMseClient({ baseUrl: sim.url, profile: 'SMS_TEXT', password: defaultPassword });
    const ack = await mse.call('async-delivery', {
      BNUM: '1191000000',
      ANUM: '3301',
      TEXT: 'Sua fatura está disponível',
    });
    expect(ack).toMatchObject({ ok: true, statusCode: 0 });
    await sim.idle();
    const receipt = partner.inbox().find((d) => d.kind === 'receipt' && d.key === ack.transactionId);
    expect(receipt?.fields.SMPP_MESSAGE_STATUS ?? receipt?.fields.SMPP_COMMAND_STATUS).toBeDefined();

    const refused = await createMseClient({ baseUrl: sim.url, profile: 'SMS_TEXT', password: 'wrong' }).call(
      'async-oneway',
      { BNUM: '1191000000', TEXT: 'x' },
    );
    expect(refused.ok).toBe(false);
    expect(refused.errorMessage).toBeTruthy();

    const ussd = createMseClient({ baseUrl: sim.url, profile: 'USSD_NOTIFY', password: defaultPassword });
    expect(
      await ussd.ussd('1199998888', '100', { type: 'notify', content: 'Seu saldo é R$ 37,90' }),
    ).toMatchObject({
      ok: true,
    });
    await expect(
      createMseClient({ baseUrl: 'http://127.0.0.1:1', profile: 'x', password: 'y', timeoutMs: 2000 }).call(
        'sync',
        {},
      ),
    ).rejects.toMatchObject({ code: 'MSE_CLIENT_UNREACHABLE' });
  });

  it('answers each USSD event with a command the simulator finds valid', async () => {
    for (const [kind, value] of [
      ['user-init', undefined],
      ['menu-answer', '2'],
      ['input-answer', '12345'],
    ] as const) {
      const result = await control('/ussd/event', {
        msisdn: '1199998888',
        shortCode: '100',
        kind,
        sessionOwner: '172.1.1.1',
        ...(value ? { value } : {}),
      });
      expect(result.reply, `${kind}: ${JSON.stringify(result)}`).toMatchObject({ valid: true });
    }
  });
});
