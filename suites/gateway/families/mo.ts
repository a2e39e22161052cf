/**
 * MO deliveries (6.4.5.1, 6.4.7.1, 6.4.21-6.4.23, 7.2): the target delivers what subscribers send to the
 * partner's URL. The suite makes the target originate them through the configured trigger (the reference
 * simulator's control API); without one, these checks are skipped with the reason.
 */
import { percentDecode, percentDecodeBytes } from '../../../src/charset/latin1.ts';
import { moEntry } from '../../../src/checks/config.ts';
import {
  type CheckContext,
  type CheckDefinition,
  callerRow,
  type MetaOptions,
} from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import type { Delivery, DeliveryKind } from '../../../src/listener/index.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { checkInputValue } from '../../../src/spec/values.ts';
import {
  fireMoTrigger,
  fixedHandset,
  type MoFields,
  type MoKind,
  triggerGap,
  type UssdEventKind,
} from '../../../src/triggers/index.ts';
import { childElements, findChild, parseXml, textOf } from '../../../src/xml/codec.ts';
import { buildUssdRequest } from '../../../src/xml/ussd.ts';
import {
  dtdErrors,
  ensure,
  listener,
  meta,
  type Recorder,
  run,
  shared,
  spec,
  timeouts,
  token,
  utf8Problems,
  waitDeliveries,
} from '../harness.ts';

const F = 'mo';

/** Why MOs of this kind cannot be triggered here (the config key to set), or undefined. */
export const noTrigger = (kind: MoKind = 'ussd') => triggerGap(run.config.moTrigger, kind);

/**
 * Makes the target originate an MO through the configured trigger and waits for the delivery; a refusal of
 * the trigger is a skip (the target is not at fault).
 */
export async function injectAndWait(
  rec: Recorder,
  kind: MoKind,
  fields: MoFields,
  query: { kind: DeliveryKind; contains: string; count?: number },
): Promise<Delivery[]> {
  const fired = await fireMoTrigger(run.config.moTrigger!, kind, fields, {
    secrets: run.secrets,
    record: (e) => rec.record(e),
    waitMs: timeouts.receiptMs,
  });
  if (!fired.ok) return rec.skip(fired.reason);
  let found: Delivery[] = [];
  try {
    found = await waitDeliveries(rec, { ...query, timeoutMs: fired.waitMs });
  } finally {
    fired.done(found.length >= (query.count ?? 1));
  }
  return found;
}

/** A ten-digit number unique to one trigger, so concurrent events never mix. */
let numberCounter = 0;
export function uniqueMsisdn(): string {
  // A person with a handset can only send from that handset.
  const fixed = fixedHandset(run.config.moTrigger, run.config.subscribers[0] ?? '1191000000');
  if (fixed) return fixed;
  numberCounter++;
  return `11${String((Date.now() * 10 + numberCounter) % 1e8).padStart(8, '0')}`;
}

/** The short number an MO of the service is sent to: the config's, else the entry's sample. */
export function shortNumberOf(service: Service): string {
  const configured = moEntry(run.config, service.id)?.shortCode ?? run.config.moTrigger?.shortNumber;
  return (
    configured ?? service.inputs.find((i) => i.name === 'BNUM' || i.name === 'short_code')?.sample ?? '3301'
  );
}

/** The partner's reply to a USSD event: a command (6.4.21), here a menu or an input to answer. */
function replyCommand(msisdn: string, shortCode: string, type: 'menu' | 'input'): string {
  const ussd = spec.services.find((s) => s.kind === 'ussd-command' && run.config.profiles[s.id]);
  const p = ussd ? run.config.profiles[ussd.id]! : { profile: 'partner', password: 'partner' };
  return buildUssdRequest({
    head: { profile: p.profile, password: p.password, msisdn, shortCode, mode: 'async' },
    command:
      type === 'menu'
        ? {
            type: 'menu',
            title: 'Menu',
            options: [
              { index: '1', subtitle: 'Um' },
              { index: '2', subtitle: 'Dois' },
            ],
          }
        : { type: 'input', content: 'Digite o código:' },
  });
}

/** Query parameters as raw (still percent-encoded) strings. */
function rawParams(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    out.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1));
  }
  return out;
}

interface MoFlow {
  delivery: Delivery;
  sent: Record<string, string>;
}

async function smsFlow(ctx: Recorder, service: Service): Promise<MoFlow> {
  return shared(ctx, `mo:${service.id}`, async (rec) => {
    const mark = token('mo');
    // Portuguese letters: each is one byte in ISO-8859-1 and two in UTF-8, so the encoding shows.
    const text = `Olá, ação não é só ${mark}`;
    const sent = {
      TEXT: text,
      ANUM: run.config.subscribers[0] ?? '1191000000',
      BNUM: shortNumberOf(service),
    };
    const [delivery] = await injectAndWait(
      rec,
      'sms',
      { from: sent.ANUM, to: sent.BNUM, text },
      { kind: 'sms-mo', contains: mark },
    );
    if (!delivery) rec.fail(`no SMS MO carrying "${text}" arrived within ${timeouts.receiptMs} ms`);
    return { delivery, sent };
  });
}

async function mmsFlow(ctx: Recorder, service: Service): Promise<MoFlow> {
  return shared(ctx, `mo:${service.id}`, async (rec) => {
    const mark = token('mms');
    const sent = {
      ANUM: run.config.subscribers[0] ?? '1191000000',
      BNUM: shortNumberOf(service),
      MMS: `Subject: ${mark}\nContent-Type: text/plain\n\nconteúdo ${mark}\n`,
    };
    const [delivery] = await injectAndWait(
      rec,
      'mms',
      { from: sent.ANUM, to: sent.BNUM, mms: sent.MMS, mark },
      { kind: 'mms-mo', contains: mark },
    );
    if (!delivery) rec.fail(`no MMS MO with subject ${mark} arrived within ${timeouts.receiptMs} ms`);
    return { delivery, sent };
  });
}

async function wibFlow(ctx: Recorder, service: Service): Promise<MoFlow> {
  return shared(ctx, `mo:${service.id}`, async (rec) => {
    const mark = token('wib');
    const imei = service.inputs.find((i) => i.name === 'IMEI')?.sample ?? '';
    const [delivery] = await injectAndWait(rec, 'wib', { imei, mark }, { kind: 'wib-mo', contains: mark });
    if (!delivery) return rec.fail(`no WIB request marked ${mark} arrived within ${timeouts.receiptMs} ms`);
    return { delivery, sent: { IMEI: imei } };
  });
}

const EVENT_KIND: Record<string, { kind: UssdEventKind; value?: string }> = {
  user_init: { kind: 'user-init' },
  index: { kind: 'menu-answer', value: '2' },
  input: { kind: 'input-answer', value: '12345' },
};

async function ussdFlow(ctx: Recorder, service: Service, element: string): Promise<MoFlow> {
  return shared(ctx, `mo:${service.id}`, async (rec) => {
    const msisdn = uniqueMsisdn();
    const how = EVENT_KIND[element]!;
    const shortCode =
      moEntry(run.config, service.id)?.shortCode ??
      service.inputs.find((i) => i.name === 'short_code')?.sample ??
      '100';
    let count = 1;
    if (how.kind !== 'user-init') {
      // An answer needs an open session whose last command asked for it: open one with a user request and
      // reply to it with a menu (for an index) or an input (for a typed answer).
      const l = listener;
      if (!l) return rec.skip('the run has no listener');
      await l.answer({
        kind: 'ussd-event',
        key: msisdn,
        status: 200,
        times: 1,
        contentType: 'text/xml; charset=UTF-8',
        body: replyCommand(msisdn, shortCode, element === 'index' ? 'menu' : 'input'),
      });
      const opened = await injectAndWait(
        rec,
        'ussd',
        { msisdn, shortCode, event: 'user-init' },
        { kind: 'ussd-event', contains: msisdn },
      );
      if (!opened.length)
        rec.fail(`no USSD user request for ${msisdn} arrived within ${timeouts.receiptMs} ms`);
      count = 2;
    }
    const found = await injectAndWait(
      rec,
      'ussd',
      { msisdn, shortCode, event: how.kind, ...(how.value ? { value: how.value } : {}) },
      { kind: 'ussd-event', contains: msisdn, count },
    );
    const delivery = found[count - 1];
    if (!delivery) return rec.fail(`no USSD event for ${msisdn} arrived within ${timeouts.receiptMs} ms`);
    return { delivery, sent: { msisdn, short_code: shortCode, [element]: how.value ?? '1' } };
  });
}

/** Values of an SMS MO query, decoded as ISO-8859-1 (6.4.5.1). */
function latin1Values(d: Delivery): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of rawParams(d.rawQuery))
    out.set(k, percentDecodeBytes(v, 'ISO-8859-1').toString('latin1'));
  return out;
}

/** Values of an XML delivery (MMS MO document, USSD event), by element name, anywhere below the root. */
function xmlValues(d: Delivery): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const { root } = parseXml(d.body);
    const walk = (el: ReturnType<typeof childElements>[number]) => {
      for (const [k, v] of Object.entries(el.attributes)) out.set(k, v);
      const kids = childElements(el);
      if (!kids.length) out.set(el.name, textOf(el).trim());
      for (const c of kids) walk(c);
    };
    walk(root);
    const msg = findChild(root, 'MSG');
    if (msg?.attributes.MSG_ID) out.set('MSG_ID', msg.attributes.MSG_ID);
  } catch {
    // The document checks report the XML error; here there are simply no values.
  }
  return out;
}

/** A delivery service the trigger can make the target originate, with how its deliveries are read. */
interface Mo {
  service: Service;
  kind: MoKind;
  flow: (ctx: Recorder) => Promise<MoFlow>;
  values: (d: Delivery) => Map<string, string>;
}

/** Values of a WIB request's query, decoded as UTF-8. */
function utf8Values(d: Delivery): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of rawParams(d.rawQuery)) out.set(k, percentDecode(v, 'UTF-8'));
  return out;
}

function moSubject(service: Service): Mo | undefined {
  if (service.kind === 'mo-delivery' && service.group === 'sms')
    return { service, kind: 'sms', flow: (ctx) => smsFlow(ctx, service), values: latin1Values };
  if (service.kind === 'mo-delivery' && service.group === 'mms')
    return { service, kind: 'mms', flow: (ctx) => mmsFlow(ctx, service), values: xmlValues };
  if (service.kind === 'mo-delivery' && service.group === 'wap-wib')
    return { service, kind: 'wib', flow: (ctx) => wibFlow(ctx, service), values: utf8Values };
  const element = service.inputs.find((i) => i.in === 'response')?.name;
  if (service.kind === 'ussd-event' && element && EVENT_KIND[element])
    return { service, kind: 'ussd', flow: (ctx) => ussdFlow(ctx, service, element), values: xmlValues };
  return undefined;
}

/** Rows of rules the catalogue may leave out (errata-dependent): they apply only when it has them. */
const ifRule = (rule: string, applies: (t: Mo) => boolean) => (t: Mo) => applies(t) && spec.rules.has(rule);

/** A judge of the delivery of the subject's MO (one MO per service, shared by its rows). */
const onDelivery =
  (body: (ctx: CheckContext, f: MoFlow, t: Mo) => void) =>
  async (ctx: CheckContext, t: Mo): Promise<void> =>
    body(ctx, await t.flow(ctx), t);
const moSkip = (t: Mo) => noTrigger(t.kind);

const isSms = (t: Mo) => t.kind === 'sms';
const isMms = (t: Mo) => t.kind === 'mms';
const isWib = (t: Mo) => t.kind === 'wib';
const isUssd = (t: Mo) => t.kind === 'ussd';
const SMS = (t: Mo) =>
  `an SMS MO with Portuguese letters from the configured subscriber to ${shortNumberOf(t.service)}, which the trigger makes the target deliver`;
const MMS = (t: Mo) =>
  `an MMS MO from the configured subscriber to ${shortNumberOf(t.service)}, which the trigger makes the target deliver`;
const WIB = "a WIB request with the entry's sample IMEI, which the trigger makes the target deliver";
const USSD = (t: Mo) =>
  `a USSD ${t.service.inputs.find((i) => i.in === 'response')?.name} event the trigger makes the target deliver (answers in a session opened first)`;
/** The WIB request's fields the target adds when it translates an IMEI (6.4.7.1). */
const ADDED = ['MSEIMEI', 'MSEIMEIMANUF', 'MSEIMEIMODEL'];

const deliveryRows: PlacedRow<Mo>[] = [
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.sms.get',
    appliesTo: isSms,
    stimulus: (t) => `${SMS(t)}; the method is read`,
    judge: onDelivery((ctx, f) =>
      ensure(ctx, f.delivery.method === 'GET', `the SMS MO came by ${f.delivery.method}, not GET`),
    ),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.sms.parameters',
    appliesTo: isSms,
    stimulus: (t) => `${SMS(t)}; the query's parameters are read`,
    // Required or optional as the entry says (ANUM is optional there: errata.delivery-sms-anum-optional).
    judge: onDelivery((ctx, f, t) => {
      const got = rawParams(f.delivery.rawQuery);
      const missing = t.service.inputs.filter((i) => i.required && !got.has(i.name)).map((i) => i.name);
      ensure(ctx, !missing.length, `the SMS MO query lacks ${missing.join(', ')}`);
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.sms.iso-8859-1',
    appliesTo: isSms,
    stimulus: (t) => `${SMS(t)}; the bytes of TEXT are read`,
    judge: onDelivery((ctx, f) => {
      const raw = rawParams(f.delivery.rawQuery).get('TEXT');
      ensure(ctx, raw !== undefined, 'the SMS MO has no TEXT');
      const bytes = percentDecodeBytes(raw, 'ISO-8859-1');
      const expected = Buffer.from(f.sent.TEXT!, 'latin1');
      ensure(
        ctx,
        bytes.equals(expected),
        `TEXT bytes ${bytes.toString('hex')} are not the ISO-8859-1 bytes ${expected.toString('hex')} of "${f.sent.TEXT}"${
          bytes.equals(Buffer.from(f.sent.TEXT!, 'utf8')) ? ' (they are its UTF-8 bytes)' : ''
        }`,
      );
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.sms.credentials',
    appliesTo: isSms,
    stimulus: (t) => `${SMS(t)}; USER and PWD are compared with listener.moCredentials`,
    judge: onDelivery((ctx, f) => {
      const creds = run.config.listener.moCredentials;
      if (!creds?.user && !creds?.pwd) ctx.skip('no MO credentials in the config (listener.moCredentials)');
      const got = latin1Values(f.delivery);
      ensure(
        ctx,
        got.get('USER') === creds?.user,
        `USER is ${got.has('USER') ? `"${got.get('USER')}"` : 'missing'}, expected "${creds?.user}"`,
      );
      ensure(
        ctx,
        got.get('PWD') === creds?.pwd,
        `PWD is ${got.has('PWD') ? 'not the configured one' : 'missing'}`,
      );
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'delivery-sms.anum.always-sent',
    appliesTo: ifRule('delivery-sms.anum.always-sent', isSms),
    stimulus: (t) => `${SMS(t)}; ANUM is looked for`,
    judge: onDelivery((ctx, f) =>
      ensure(ctx, rawParams(f.delivery.rawQuery).has('ANUM'), 'the SMS MO carries no ANUM'),
    ),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'delivery-sms.user-pwd.together',
    appliesTo: ifRule('delivery-sms.user-pwd.together', isSms),
    stimulus: (t) => `${SMS(t)}; USER and PWD are looked for`,
    judge: onDelivery((ctx, f) => {
      const got = rawParams(f.delivery.rawQuery);
      const creds = run.config.listener.moCredentials;
      ensure(
        ctx,
        got.has('USER') === got.has('PWD'),
        `the SMS MO carries ${got.has('USER') ? 'USER without PWD' : 'PWD without USER'}`,
      );
      // Without credentials in the config the suite cannot tell "never otherwise" from a config it was not told.
      if (creds?.user || creds?.pwd)
        ensure(ctx, got.has('USER'), 'credentials are configured, but the SMS MO carries no USER/PWD');
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.routing.by-short-number',
    appliesTo: isSms,
    stimulus: (t) => `${SMS(t)}; BNUM and ANUM are compared with what was sent`,
    judge: onDelivery((ctx, f) => {
      const got = latin1Values(f.delivery);
      ensure(
        ctx,
        got.get('BNUM') === f.sent.BNUM,
        `the MO sent to ${f.sent.BNUM} arrived with BNUM "${got.get('BNUM')}"`,
      );
      // ANUM is optional (6.4.5); its absence is judged by delivery-sms.anum.always-sent, not here.
      if (got.has('ANUM'))
        ensure(
          ctx,
          got.get('ANUM') === f.sent.ANUM,
          `the MO from ${f.sent.ANUM} arrived with ANUM "${got.get('ANUM')}"`,
        );
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.mms.post',
    appliesTo: isMms,
    stimulus: (t) => `${MMS(t)}; the method is read`,
    judge: onDelivery((ctx, f) =>
      ensure(ctx, f.delivery.method === 'POST', `the MMS MO came by ${f.delivery.method}, not POST`),
    ),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.mms.utf-8',
    appliesTo: isMms,
    stimulus: (t) => `${MMS(t)}; the body's encoding is read`,
    judge: onDelivery((ctx, f) => {
      const problem = utf8Problems(f.delivery.body);
      ensure(ctx, !problem, `the MMS MO body: ${problem}`);
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'mo.mms.request-document',
    appliesTo: isMms,
    stimulus: (t) => `${MMS(t)}; the body is validated against the REQUEST DTD`,
    judge: onDelivery((ctx, f) => {
      const errors = dtdErrors(f.delivery.body, 'mms-mo-request');
      ensure(
        ctx,
        !errors.length,
        `the MMS MO body is not a valid REQUEST document: ${errors.slice(0, 3).join('; ')}`,
      );
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'wib-mo.imei.translated',
    appliesTo: ifRule('wib-mo.imei.translated', isWib),
    stimulus: `${WIB}; IMEI and the fields added for it are read`,
    judge: onDelivery((ctx, f) => {
      const got = utf8Values(f.delivery);
      ensure(
        ctx,
        got.get('IMEI') === f.sent.IMEI,
        `IMEI arrived as "${got.get('IMEI')}", sent "${f.sent.IMEI}"`,
      );
      // Whether these bytes decode depends on the target's handset table: nothing added is allowed
      // (wib-mo.imei.untranslated), so it is reported, not judged.
      if (!ADDED.some((n) => got.has(n)))
        ctx.inform(
          `the target added nothing for IMEI ${f.sent.IMEI}: it could not decode these bytes (or did not try)`,
        );
      const missing = ADDED.filter((n) => !got.has(n));
      ensure(ctx, !missing.length, `the translation of IMEI ${f.sent.IMEI} lacks ${missing.join(', ')}`);
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'wib-mo.imei.untranslated',
    appliesTo: ifRule('wib-mo.imei.untranslated', isWib),
    stimulus: `${WIB}; the fields added for the IMEI are counted`,
    judge: onDelivery((ctx, f) => {
      const present = ADDED.filter((n) => utf8Values(f.delivery).has(n));
      ensure(
        ctx,
        present.length === 0 || present.length === ADDED.length,
        `only ${present.join(', ')} of ${ADDED.join(', ')} were added: all or none`,
      );
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'ussd.event.post',
    appliesTo: isUssd,
    stimulus: (t) => `${USSD(t)}; the method and the document are read`,
    judge: onDelivery((ctx, f) => {
      ensure(ctx, f.delivery.method === 'POST', `the USSD event came by ${f.delivery.method}, not POST`);
      const errors = dtdErrors(f.delivery.body, 'ussd_message_response');
      ensure(
        ctx,
        !errors.length,
        `the USSD event is not a valid ussd_message_response: ${errors.slice(0, 3).join('; ')}`,
      );
    }),
  }),
  row<Mo>({
    skipReason: moSkip,
    rule: 'ussd.utf-8',
    appliesTo: isUssd,
    stimulus: (t) => `${USSD(t)}; the body's encoding is read`,
    judge: onDelivery((ctx, f) => {
      const problem = utf8Problems(f.delivery.body);
      ensure(ctx, !problem, `the USSD event body: ${problem}`);
    }),
  }),
];

/** One input of a delivery service, judged on the value the target delivered for it. */
type MoInput = Mo & { input: Service['inputs'][number]; ids: ReturnType<typeof inputRuleIds> };

const CONSTRAINTS = [
  ['maxLength', 'max-length'],
  ['minLength', 'min-length'],
  ['format', 'format'],
  ['enum', 'enum'],
  ['notIn', 'not-in'],
  ['type', 'type'],
] as const;

const what = (t: MoInput) => {
  const s = { sms: SMS(t), mms: MMS(t), wib: WIB, ussd: USSD(t) }[t.kind];
  return `${s}; its ${t.input.name} is read`;
};

/** The delivery service's own inputs (required, constraints), judged on the values the target delivered. */
const inputRows: PlacedRow<MoInput>[] = [
  row<MoInput>({
    rule: (t) => t.ids.required,
    appliesTo: (t) => t.input.required === true && spec.rules.has(t.ids.required),
    stimulus: what,
    skipReason: (t) => noTrigger(t.kind),
    judge: async (ctx, t) => {
      const f = await t.flow(ctx);
      ensure(ctx, t.values(f.delivery).has(t.input.name), `the delivery has no ${t.input.name}`);
    },
  }),
  ...CONSTRAINTS.map(([key, constraint]) => ({
    rule: (t: MoInput) => t.ids[key],
    appliesTo: (t: MoInput) => spec.rules.has(t.ids[key]),
    stimulus: what,
    skipReason: (t: MoInput) => noTrigger(t.kind),
    judge: async (ctx: CheckContext, t: MoInput) => {
      const f = await t.flow(ctx);
      const v = t.values(f.delivery).get(t.input.name);
      if (v === undefined) return ctx.skip(`the delivery has no ${t.input.name} to judge`);
      const problem = checkInputValue(t.input, v, spec.formats);
      ensure(ctx, problem?.constraint !== constraint, `${problem?.message}`);
    },
    at: callerRow(),
  })),
];

export function definitions(): CheckDefinition[] {
  const metaOf = (rule: string, o: MetaOptions) => meta(F, rule, o);
  const subjects = spec.services.map(moSubject).filter((t) => t !== undefined);
  const inputs = subjects.flatMap((t) =>
    t.service.inputs.map((input) => ({ ...t, input, ids: inputRuleIds(t.service, input) })),
  );
  return [...expandRows(metaOf, subjects, deliveryRows), ...expandRows(metaOf, inputs, inputRows)];
}

export type { DeliveryKind };
