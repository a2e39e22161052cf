import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReferencePartner, startReferencePartner } from '../../src/partner/reference.ts';
import { buildMseResponse } from '../../src/xml/mse-response.ts';

const latin1 = (text: string) =>
  [...Buffer.from(text, 'latin1')]
    .map((b) =>
      /[A-Za-z0-9]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

describe('reference partner', () => {
  let partner: ReferencePartner;
  beforeAll(async () => {
    partner = await startReferencePartner({ credentials: { userid: 'mse', pwd: 's3cr3t' } });
  });
  afterAll(() => partner.close());

  const receipt = buildMseResponse({
    statusCode: 0,
    profile: 'p1',
    transactionId: '1020606201622668099',
    parameters: [{ name: 'SMPP_MESSAGE_STATUS', value: 'DELIVRD' }],
  });

  it('takes a receipt with the right credentials, twice, and refuses wrong ones', async () => {
    const post = (q: string) => fetch(`${partner.receiptsUrl}?${q}`, { method: 'POST', body: receipt });
    expect((await post('userid=mse&pwd=s3cr3t')).status).toBe(200);
    expect((await post('userid=mse&pwd=s3cr3t')).status).toBe(200);
    expect((await post('userid=mse&pwd=wrong')).status).toBe(401);
    const receipts = partner.inbox().filter((d) => d.kind === 'receipt');
    expect(receipts.map((d) => d.duplicate)).toEqual([false, true]);
    expect(receipts[0]!.fields.SMPP_MESSAGE_STATUS).toBe('DELIVRD');
  });

  it('decodes an SMS MO byte by byte as ISO-8859-1', async () => {
    const text = 'Ação: você é ótimo & 1+1 ç õ ê á ÿ';
    const res = await fetch(
      `${partner.moUrl}?TEXT=${latin1(text)}&ID=77&ANUM=1191000000&BNUM=3301&USER=mse&PWD=s3cr3t&EXTRA=1`,
    );
    expect(res.status).toBe(200);
    const mo = partner.inbox().find((d) => d.kind === 'sms-mo' && d.key === '77');
    expect(mo?.fields.TEXT).toBe(text);
    expect(mo?.fields.PWD).toBeUndefined();
  });

  it('answers each USSD event with a command', async () => {
    const event = (response: string) =>
      fetch(partner.ussdUrl, {
        method: 'POST',
        body: `<?xml version="1.0" encoding="UTF-8"?><ussd_message_response><head><msisdn>1199998888</msisdn><short_code>100</short_code><session_owner>172.1.1.1</session_owner></head><response>${response}</response></ussd_message_response>`,
      });
    const init = await event('<user_init>1</user_init>');
    expect(init.status).toBe(200);
    const menu = await init.text();
    expect(menu).toContain('<menu>');
    expect(menu).toContain('<session_owner>172.1.1.1</session_owner>');
    expect(await (await event('<index>2</index>')).text()).toContain('<input>');
    expect(await (await event('<input>12345</input>')).text()).toContain('Order 12345');
    expect((await event('<nothing/>')).status).toBe(400);
  });

  it('answers the wrong method 405 and an oversized body 413', async () => {
    expect((await fetch(partner.receiptsUrl)).status).toBe(405);
    expect((await fetch(partner.moUrl, { method: 'POST', body: 'x' })).status).toBe(405);
    const small = await startReferencePartner({ maxBodyBytes: 100 });
    try {
      expect((await fetch(small.receiptsUrl, { method: 'POST', body: receipt })).status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('keeps a bounded inbox', async () => {
    const small = await startReferencePartner({ inboxSize: 3 });
    try {
      for (let i = 0; i < 5; i++) await fetch(`${small.moUrl}?TEXT=x&ID=${i}&BNUM=3301`);
      expect(small.inbox().map((d) => d.key)).toEqual(['2', '3', '4']);
    } finally {
      await small.close();
    }
  });

  it('refuses a DOCTYPE', async () => {
    const res = await fetch(partner.ussdUrl, {
      method: 'POST',
      body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><ussd_message_response/>',
    });
    expect(res.status).toBe(400);
  });

  it('shows the inbox as JSON and as escaped HTML', async () => {
    await fetch(`${partner.moUrl}?TEXT=${latin1('<script>x</script>')}&ID=99&BNUM=3301&USER=mse&PWD=s3cr3t`);
    const json = (await (await fetch(`${partner.url}/inbox`)).json()) as { deliveries: unknown[] };
    expect(json.deliveries.length).toBeGreaterThan(3);
    const html = await (await fetch(`${partner.url}/`)).text();
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain('s3cr3t');
  });
});
