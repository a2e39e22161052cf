/**
 * MO deliveries: SMS MO by GET in ISO-8859-1 (6.4.5.1) and MMS MO by POST (6.4.7.1). The SMS checks send
 * what a Latin-1 MO can hold (Portuguese text, every printable byte, the longest text TEXT allows, the
 * characters that mean something in a query); the MMS check sends a real multipart MMS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { buildMmsMoRequest, sendMmsMo, sendSmsMo } from '../../../src/partner/client.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  define,
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

function smsDefinitions(env: PartnerEnv, service: Service): CheckDefinition[] {
  const skip = missingEndpoint(env, 'smsMo');
  const text = service.inputs.find((i) => i.name === 'TEXT');
  const maxLength = text?.maxLength ?? 160;
  const send = (ctx: Parameters<CheckDefinition['run']>[0], label: string, body: string) =>
    sendSmsMo(
      env.endpoints.smsMo!,
      { text: body, id: transactionId(), anum: env.subscriber, bnum: sampleOf(env, service, 'BNUM') },
      { ...(env.credentials ? { credentials: env.credentials } : {}), timeoutMs: env.timeoutMs },
    ).then((sent) => record(ctx, env, label, sent));

  const defs: CheckDefinition[] = [
    define(
      meta(env, 'mo', 'mo.partner.answers-200', { service }),
      async (ctx) => {
        const a = await send(ctx, 'MSE → partner: SMS MO', sampleOf(env, service, 'TEXT'));
        expect200(ctx, a, 'SMS MO');
      },
      skip,
    ),
  ];
  // A delivery without an input the table marks optional (ANUM, 6.4.5) must be taken as well.
  for (const input of service.inputs.filter((i) => !i.required && i.name === 'ANUM'))
    defs.push(
      define(
        meta(env, 'mo', 'mo.partner.answers-200', {
          service,
          variant: `without-${input.name.toLowerCase()}`,
        }),
        async (ctx) => {
          const sent = await sendSmsMo(
            env.endpoints.smsMo!,
            {
              text: sampleOf(env, service, 'TEXT'),
              id: transactionId(),
              bnum: sampleOf(env, service, 'BNUM'),
            },
            { ...(env.credentials ? { credentials: env.credentials } : {}), timeoutMs: env.timeoutMs },
          );
          expect200(
            ctx,
            record(ctx, env, `MSE → partner: SMS MO without ${input.name}`, sent),
            `SMS MO without ${input.name}`,
          );
        },
        skip,
      ),
    );
  for (const sample of smsMoTexts(maxLength)) {
    const rule = sample.rule === 'max-length' && text ? inputRuleIds(service, text).maxLength : sample.rule;
    defs.push(
      define(
        meta(env, 'mo', rule, { service, variant: sample.variant }),
        async (ctx) => {
          // A plain MO first: when the partner refuses that too, the refusal is mo.partner.answers-200's to judge.
          if (rule !== 'mo.partner.answers-200') {
            const plain = await send(
              ctx,
              'MSE → partner: SMS MO (plain, to compare)',
              sampleOf(env, service, 'TEXT'),
            );
            needTaken(ctx, plain, 'a plain SMS MO', 'mo.partner.answers-200');
          }
          const a = await send(ctx, `MSE → partner: SMS MO (${sample.variant}, ISO-8859-1)`, sample.text);
          expect200(
            ctx,
            a,
            `SMS MO holding ${sample.variant} (${[...sample.text].length} characters in ISO-8859-1)`,
          );
        },
        skip,
      ),
    );
  }
  return defs;
}

function mmsDefinitions(env: PartnerEnv, service: Service): CheckDefinition[] {
  const skip = missingEndpoint(env, 'mmsMo');
  const bnum = sampleOf(env, service, 'BNUM');
  // The document's own MMS MO example, byte for byte: what an MSE really sends, errata and all.
  const examples = service.examples
    .filter((e) => e.kind === 'mo')
    .map((e) =>
      define(
        meta(env, 'mo', 'partner.mms-mo.answer-200', { service, variant: 'document-example' }),
        async (ctx) => {
          const document = readFileSync(join(env.spec.root, '..', 'fixtures', e.fixture), 'utf8');
          const sent = await sendMmsMo(env.endpoints.mmsMo!, document, { timeoutMs: env.timeoutMs });
          expect200(
            ctx,
            record(ctx, env, `MSE → partner: MMS MO (${e.fixture})`, sent),
            `MMS MO of ${e.fixture}`,
          );
        },
        skip,
      ),
    );
  return [
    ...examples,
    define(
      meta(env, 'mo', 'partner.mms-mo.answer-200', { service, variant: 'multipart' }),
      async (ctx) => {
        const document = buildMmsMoRequest({
          msgId: `0000000000000000000${transactionId()}`,
          anum: env.subscriber,
          bnum,
          mms: sampleMms(env.subscriber, bnum),
        });
        const sent = await sendMmsMo(env.endpoints.mmsMo!, document, { timeoutMs: env.timeoutMs });
        expect200(ctx, record(ctx, env, 'MSE → partner: MMS MO (multipart text, GIF, SMIL)', sent), 'MMS MO');
      },
      skip,
    ),
  ];
}

export function definitions(env: PartnerEnv): CheckDefinition[] {
  return [
    ...smsDefinitions(env, serviceById(env, 'DELIVERY_SMS')),
    ...mmsDefinitions(env, serviceById(env, 'DELIVERY_MMS')),
  ];
}
