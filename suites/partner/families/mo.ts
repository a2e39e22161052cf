/**
 * MO deliveries: SMS MO by GET in ISO-8859-1 (6.4.5.1) and MMS MO by POST (6.4.7.1). The SMS checks send
 * what a Latin-1 MO can hold (Portuguese text, every printable byte, the longest text TEXT allows, the
 * characters that mean something in a query); the MMS check sends a real multipart MMS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckContext, CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import { buildMmsMoRequest, sendMmsMo, sendSmsMo } from '../../../src/partner/client.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  expect200,
  meta,
  missingEndpoint,
  needTaken,
  type PartnerEnv,
  record,
  sampleOf,
  serviceById,
  transactionId,
} from '../harness.ts';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i)).join('');

/** Texts an SMS MO may carry, each within TEXT's limit; together they hold every byte a Latin-1 MO can hold. */
export function smsMoTexts(maxLength: number): { variant: string; rule: string; text: string }[] {
  const portuguese = 'Olá! Ação, coração, você, pão, é, ê, á, ó, õ, ç. Até já: maçã às três?';
  // 160 characters of Portuguese text, counted as characters (each ç is one byte in Latin-1 anyway).
  const longest = 'Ação çãõéêáó '.repeat(Math.ceil(maxLength / 13)).slice(0, maxLength);
  return [
    { variant: 'portuguese', rule: 'partner.sms-mo.latin1', text: portuguese },
    // Printable ASCII plus the line breaks a handset may send.
    { variant: 'ascii-bytes', rule: 'partner.sms-mo.latin1', text: `${range(0x20, 0x7e)}\n\r` },
    // Every byte of the upper half that ISO-8859-1 assigns a printable character (0xA0-0xFF).
    { variant: 'high-bytes', rule: 'partner.sms-mo.latin1', text: range(0xa0, 0xff) },
    { variant: 'longest', rule: 'max-length', text: longest },
    // & and + inside TEXT must arrive as %26 and %2B, and be read back as & and +.
    { variant: 'query-characters', rule: 'mo.partner.answers-200', text: 'A&B=C+D %41 #1 ?x=1&y' },
  ];
}

/** A small but real MMS: headers, a text part, a 1x1 GIF (binary bytes) and a SMIL layout, multipart/related. */
export function sampleMms(from: string, to: string): Buffer {
  const boundary = 'BOUNDARY_MSE_CONFORMANCE_0001';
  const gif = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAAAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
  const smil =
    '<smil><head><layout><root-layout height="80" width="101"/><region id="Image" top="0"/></layout></head>' +
    '<body><par dur="1000ms"><text src="cid:text0.txt"/><img src="cid:img0"/></par></body></smil>';
  const crlf = '\r\n';
  const part = (headers: string[], body: Buffer) =>
    Buffer.concat([
      Buffer.from(`--${boundary}${crlf}${headers.join(crlf)}${crlf}${crlf}`, 'latin1'),
      body,
      Buffer.from(crlf),
    ]);
  return Buffer.concat([
    Buffer.from(
      [
        'Subject: Foto do evento',
        `From: +${from}/TYPE=PLMN`,
        'X-MMS-Message-Type: m-send-req',
        'X-MMS-MMS-Version: 1.0',
        `Content-Type: multipart/related;Start="<smil>";Type="application/smil";boundary=${boundary}`,
        `To: +${to}/TYPE=PLMN`,
        '',
        '',
      ].join('\n'),
      'latin1',
    ),
    part(
      ['content-type:text/plain;Name="text0.txt";Charset=UTF-8', 'content-id: <text0.txt>'],
      Buffer.from('Olá, segue a foto. Até amanhã!', 'utf8'),
    ),
    part(
      ['content-type:image/gif;Name="img0.gif"', 'content-id: <img0>', 'content-transfer-encoding:8bit'],
      gif,
    ),
    part(
      ['content-type:application/smil;Name="layout.smil"', 'content-id: <smil>'],
      Buffer.from(smil, 'utf8'),
    ),
    Buffer.from(`--${boundary}--${crlf}`, 'latin1'),
  ]);
}

/** A delivery service of the partner's, with what its rows read from the partner's environment. */
interface Mo {
  service: Service;
  env: PartnerEnv;
}
type SmsText = Mo & { sample: ReturnType<typeof smsMoTexts>[number] };
type MmsMo = Mo & { fixture?: string };

const withCredentials = (env: PartnerEnv) => ({
  ...(env.credentials ? { credentials: env.credentials } : {}),
  timeoutMs: env.timeoutMs,
});

/** Sends an SMS MO (TEXT `text`, ANUM the subscriber unless `anum` is false) and records the exchange. */
async function sendSms(ctx: CheckContext, t: Mo, label: string, text: string, anum = true) {
  const { env, service } = t;
  const fields = { text, id: transactionId(), bnum: sampleOf(env, service, 'BNUM') };
  const sent = await sendSmsMo(
    env.endpoints.smsMo!,
    anum ? { ...fields, anum: env.subscriber } : fields,
    withCredentials(env),
  );
  return record(ctx, env, label, sent);
}

const smsSkip = (t: Mo) => missingEndpoint(t.env, 'smsMo');
const mmsSkip = (t: Mo) => missingEndpoint(t.env, 'mmsMo');

const smsRows: PlacedRow<Mo>[] = [
  row<Mo>({
    rule: 'mo.partner.answers-200',
    stimulus: "an SMS MO with the entry's sample TEXT, sent by GET in ISO-8859-1 to the partner's SMS MO URL",
    skipReason: smsSkip,
    judge: async (ctx, t) => {
      const a = await sendSms(ctx, t, 'MSE → partner: SMS MO', sampleOf(t.env, t.service, 'TEXT'));
      expect200(ctx, a, 'SMS MO');
    },
  }),
  // A delivery without an input the table marks optional (ANUM, 6.4.5) must be taken as well.
  row<Mo>({
    rule: 'mo.partner.answers-200',
    variant: 'without-anum',
    appliesTo: (t) => t.service.inputs.some((i) => !i.required && i.name === 'ANUM'),
    stimulus: "an SMS MO without ANUM (optional in the entry's table), sent to the partner's SMS MO URL",
    skipReason: smsSkip,
    judge: async (ctx, t) => {
      const a = await sendSms(
        ctx,
        t,
        'MSE → partner: SMS MO without ANUM',
        sampleOf(t.env, t.service, 'TEXT'),
        false,
      );
      expect200(ctx, a, 'SMS MO without ANUM');
    },
  }),
];

const textRule = (t: SmsText) => {
  const text = t.service.inputs.find((i) => i.name === 'TEXT');
  return t.sample.rule === 'max-length' && text ? inputRuleIds(t.service, text).maxLength : t.sample.rule;
};

/** What a Latin-1 SMS MO can hold (smsMoTexts), each text in one MO, after a plain one to compare. */
const textRows: PlacedRow<SmsText>[] = [
  row<SmsText>({
    rule: textRule,
    variant: (t) => t.sample.variant,
    stimulus: (t) =>
      `an SMS MO whose TEXT holds ${t.sample.variant.replace(/-/g, ' ')} (${[...t.sample.text].length} characters in ISO-8859-1)${textRule(t) === 'mo.partner.answers-200' ? '' : ', after a plain one'}`,
    skipReason: smsSkip,
    judge: async (ctx, t) => {
      const rule = textRule(t);
      // A plain MO first: when the partner refuses that too, the refusal is mo.partner.answers-200's to judge.
      if (rule !== 'mo.partner.answers-200') {
        const plain = await sendSms(
          ctx,
          t,
          'MSE → partner: SMS MO (plain, to compare)',
          sampleOf(t.env, t.service, 'TEXT'),
        );
        needTaken(ctx, plain, 'a plain SMS MO', 'mo.partner.answers-200');
      }
      const { variant, text } = t.sample;
      const a = await sendSms(ctx, t, `MSE → partner: SMS MO (${variant}, ISO-8859-1)`, text);
      expect200(ctx, a, `SMS MO holding ${variant} (${[...text].length} characters in ISO-8859-1)`);
    },
  }),
];

const mmsRows: PlacedRow<MmsMo>[] = [
  // The document's own MMS MO example, byte for byte: what an MSE really sends, errata and all.
  row<MmsMo>({
    rule: 'partner.mms-mo.answer-200',
    variant: 'document-example',
    appliesTo: (t) => t.fixture !== undefined,
    stimulus: (t) =>
      `the document's own MMS MO example (${t.fixture}), byte for byte, POSTed to the partner's MMS MO URL`,
    skipReason: mmsSkip,
    judge: async (ctx, { env, fixture }) => {
      const document = readFileSync(join(env.spec.root, '..', 'fixtures', fixture!), 'utf8');
      const sent = await sendMmsMo(env.endpoints.mmsMo!, document, { timeoutMs: env.timeoutMs });
      expect200(ctx, record(ctx, env, `MSE → partner: MMS MO (${fixture})`, sent), `MMS MO of ${fixture}`);
    },
  }),
  row<MmsMo>({
    rule: 'partner.mms-mo.answer-200',
    variant: 'multipart',
    appliesTo: (t) => t.fixture === undefined,
    stimulus:
      "an MMS MO whose content is a multipart message (text, GIF, SMIL), POSTed to the partner's MMS MO URL",
    skipReason: mmsSkip,
    judge: async (ctx, { env, service }) => {
      const bnum = sampleOf(env, service, 'BNUM');
      const document = buildMmsMoRequest({
        msgId: `0000000000000000000${transactionId()}`,
        anum: env.subscriber,
        bnum,
        mms: sampleMms(env.subscriber, bnum),
      });
      const sent = await sendMmsMo(env.endpoints.mmsMo!, document, { timeoutMs: env.timeoutMs });
      expect200(ctx, record(ctx, env, 'MSE → partner: MMS MO (multipart text, GIF, SMIL)', sent), 'MMS MO');
    },
  }),
];

export function definitions(env: PartnerEnv): CheckDefinition[] {
  const metaOf = (rule: string, o: MetaOptions) => meta(env, 'mo', rule, o);
  const sms = { service: serviceById(env, 'DELIVERY_SMS'), env };
  const maxLength = sms.service.inputs.find((i) => i.name === 'TEXT')?.maxLength ?? 160;
  const mms = { service: serviceById(env, 'DELIVERY_MMS'), env };
  const examples = mms.service.examples
    .filter((e) => e.kind === 'mo')
    .map((e) => ({ ...mms, fixture: e.fixture }));
  return [
    ...expandRows(metaOf, [sms], smsRows),
    ...expandRows(
      metaOf,
      smsMoTexts(maxLength).map((sample) => ({ ...sms, sample })),
      textRows,
    ),
    ...expandRows(metaOf, [...examples, mms], mmsRows),
  ];
}
