import { createServer, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMmsMoRequest, buildUssdEvent, sendReceipt, sendSmsMo } from '../../src/partner/client.ts';
import { closeServer, listen } from '../../src/partner/reference.ts';
import { readMmsMo, readUssdEvent } from '../../src/partner/xml.ts';
import { validateXml } from '../../src/xml/validate.ts';
import { sampleMms, smsMoTexts } from '../../suites/partner/families/mo.ts';

describe('what the suite delivers to partners', () => {
  const seen: { method: string; url: string; body: Buffer }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks) });
      res.end('OK');
    });
  });
  let url = '';
  beforeAll(async () => {
    url = await listen(server, '127.0.0.1', 0);
  });
  afterAll(() => closeServer(server));

  it('encodes an SMS MO query as ISO-8859-1 bytes, & and + escaped, with USER and PWD', async () => {
    await sendSmsMo(
      `${url}/mo/sms`,
      { text: 'ção & 1+1', id: '7', anum: '1191000000', bnum: '3301' },
      { credentials: { userid: 'mse', pwd: 'p w' }, timeoutMs: 2000 },
    );
    const last = seen.at(-1)!;
    expect(last.method).toBe('GET');
    expect(last.url).toBe('/mo/sms?TEXT=%E7%E3o+%26+1%2B1&ID=7&ANUM=1191000000&BNUM=3301&USER=mse&PWD=p+w');
  });

  it('POSTs a receipt with userid and pwd in the query and a DTD-valid UTF-8 body', async () => {
    await sendReceipt(
      `${url}/receipt`,
      { statusCode: 0, profile: 'p', transactionId: '1', parameters: [{ name: 'X', value: 'ç' }] },
      { credentials: { userid: 'u', pwd: 's' }, timeoutMs: 2000 },
    );
    const last = seen.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.url).toBe('/receipt?userid=u&pwd=s');
    expect(validateXml(last.body, 'mse-response').ok).toBe(true);
    expect(last.body.includes(Buffer.from('ç', 'utf8'))).toBe(true);
  });

  it('SMS MO texts hold every printable Latin-1 byte, each within 160 characters', () => {
    const texts = smsMoTexts(160);
    const all = new Set(texts.flatMap((t) => [...t.text].map((c) => c.charCodeAt(0))));
    for (let b = 0x20; b <= 0x7e; b++) expect(all.has(b), `byte ${b}`).toBe(true);
    for (let b = 0xa0; b <= 0xff; b++) expect(all.has(b), `byte ${b}`).toBe(true);
    for (const t of texts) expect([...t.text].length).toBeLessThanOrEqual(160);
    expect(texts.find((t) => t.variant === 'longest')!.text).toHaveLength(160);
  });

  it('writes an MMS MO document that is DTD-valid and whose MMS decodes back to the same bytes', () => {
    const mms = sampleMms('1191000000', '3301');
    const doc = buildMmsMoRequest({ msgId: '42', anum: '1191000000', bnum: '3301', mms });
    expect(validateXml(doc, 'mms-mo-request')).toMatchObject({ ok: true });
    const read = readMmsMo(Buffer.from(doc, 'utf8'));
    expect(read.ok && read.value.payload.equals(mms)).toBe(true);
    expect(read.ok && read.value.contentType).toMatch(/^multipart\/related/);
  });

  it('writes USSD events that are DTD-valid and read back', () => {
    const doc = buildUssdEvent({
      msisdn: '1199998888',
      shortCode: '100',
      sessionOwner: '172.1.1.1',
      response: ['index', '2'],
    });
    expect(validateXml(doc, 'ussd_message_response')).toMatchObject({ ok: true });
    expect(readUssdEvent(Buffer.from(doc))).toMatchObject({
      ok: true,
      value: { kind: 'index', value: '2', sessionOwner: '172.1.1.1' },
    });
  });
});
