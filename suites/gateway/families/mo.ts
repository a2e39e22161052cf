/**
 * MO deliveries (6.4.5.1, 6.4.7.1, 6.4.21-6.4.23, 7.2): the target delivers what subscribers send to the
 * partner's URL. The suite makes the target originate them through the configured trigger (the reference
 * simulator's control API); without one, these checks are skipped with the reason.
 */
import { percentDecode, percentDecodeBytes } from '../../../src/charset/latin1.ts';
import { moEntry } from '../../../src/checks/config.ts';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
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
  define,
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

/** Checks of a delivery service's own inputs (required, constraints) on the values the target delivered. */
function inputChecks(
  service: Service,
  flow: (ctx: Recorder) => Promise<MoFlow>,
  values: (d: Delivery) => Map<string, string>,
  skipReason: string | undefined,
): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const input of service.inputs) {
    const ids = inputRuleIds(service, input);
    if (input.required && spec.rules.has(ids.required))
      defs.push(
        define(
          meta(F, ids.required, { service }),
          async (ctx) => {
            const f = await flow(ctx);
            ensure(ctx, values(f.delivery).has(input.name), `the delivery has no ${input.name}`);
          },
          { skipReason },
        ),
      );
    for (const [key, constraint] of [
      ['maxLength', 'max-length'],
      ['minLength', 'min-length'],
      ['format', 'format'],
      ['enum', 'enum'],
      ['notIn', 'not-in'],
      ['type', 'type'],
    ] as const) {
      const rule = ids[key];
      if (!spec.rules.has(rule)) continue;
      defs.push(
        define(
          meta(F, rule, { service }),
          async (ctx) => {
            const f = await flow(ctx);
            const v = values(f.delivery).get(input.name);
            if (v === undefined) return ctx.skip(`the delivery has no ${input.name} to judge`);
            const problem = checkInputValue(input, v, spec.formats);
            ensure(ctx, problem?.constraint !== constraint, `${problem?.message}`);
          },
          { skipReason },
        ),
      );
    }
  }
  return defs;
}

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of spec.services) {
    const kind: MoKind =
      service.kind === 'ussd-event'
        ? 'ussd'
        : service.group === 'mms'
          ? 'mms'
          : service.group === 'sms'
            ? 'sms'
            : 'wib';
    const skipReason = noTrigger(kind);
    const o = { skipReason };
    if (service.kind === 'mo-delivery' && service.group === 'sms') {
      const flow = (ctx: Recorder) => smsFlow(ctx, service);
      const add = (rule: string, body: (ctx: Recorder, f: MoFlow) => void) =>
        defs.push(define(meta(F, rule, { service }), async (ctx) => body(ctx, await flow(ctx)), o));
      add('mo.sms.get', (ctx, f) =>
        ensure(ctx, f.delivery.method === 'GET', `the SMS MO came by ${f.delivery.method}, not GET`),
      );
      // Required or optional as the entry says (ANUM is optional there: errata.delivery-sms-anum-optional).
      const required = service.inputs.filter((i) => i.required).map((i) => i.name);
      add('mo.sms.parameters', (ctx, f) => {
        const got = rawParams(f.delivery.rawQuery);
        const missing = required.filter((n) => !got.has(n));
        ensure(ctx, !missing.length, `the SMS MO query lacks ${missing.join(', ')}`);
      });
      add('mo.sms.iso-8859-1', (ctx, f) => {
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
      });
      add('mo.sms.credentials', (ctx, f) => {
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
      });
      if (spec.rules.has('delivery-sms.anum.always-sent'))
        add('delivery-sms.anum.always-sent', (ctx, f) =>
          ensure(ctx, rawParams(f.delivery.rawQuery).has('ANUM'), 'the SMS MO carries no ANUM'),
        );
      if (spec.rules.has('delivery-sms.user-pwd.together'))
        add('delivery-sms.user-pwd.together', (ctx, f) => {
          const got = rawParams(f.delivery.rawQuery);
          const creds = run.config.listener.moCredentials;
          const configured = !!(creds?.user || creds?.pwd);
          ensure(
            ctx,
            got.has('USER') === got.has('PWD'),
            `the SMS MO carries ${got.has('USER') ? 'USER without PWD' : 'PWD without USER'}`,
          );
          // Without credentials in the config the suite cannot tell "never otherwise" from a config it was not told.
          if (configured)
            ensure(ctx, got.has('USER'), 'credentials are configured, but the SMS MO carries no USER/PWD');
        });
      add('mo.routing.by-short-number', (ctx, f) => {
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
      });
      defs.push(...inputChecks(service, flow, latin1Values, skipReason));
    } else if (service.kind === 'mo-delivery' && service.group === 'mms') {
      const flow = (ctx: Recorder) => mmsFlow(ctx, service);
      const add = (rule: string, body: (ctx: Recorder, f: MoFlow) => void) =>
        defs.push(define(meta(F, rule, { service }), async (ctx) => body(ctx, await flow(ctx)), o));
      add('mo.mms.post', (ctx, f) =>
        ensure(ctx, f.delivery.method === 'POST', `the MMS MO came by ${f.delivery.method}, not POST`),
      );
      add('mo.mms.utf-8', (ctx, f) => {
        const problem = utf8Problems(f.delivery.body);
        ensure(ctx, !problem, `the MMS MO body: ${problem}`);
      });
      add('mo.mms.request-document', (ctx, f) => {
        const errors = dtdErrors(f.delivery.body, 'mms-mo-request');
        ensure(
          ctx,
          !errors.length,
          `the MMS MO body is not a valid REQUEST document: ${errors.slice(0, 3).join('; ')}`,
        );
      });
      defs.push(...inputChecks(service, flow, xmlValues, skipReason));
    } else if (service.kind === 'mo-delivery' && service.group === 'wap-wib') {
      const flow = (ctx: Recorder) => wibFlow(ctx, service);
      const values = (d: Delivery) => {
        const out = new Map<string, string>();
        for (const [k, v] of rawParams(d.rawQuery)) out.set(k, percentDecode(v, 'UTF-8'));
        return out;
      };
      const added = ['MSEIMEI', 'MSEIMEIMANUF', 'MSEIMEIMODEL'];
      if (spec.rules.has('wib-mo.imei.translated'))
        defs.push(
          define(
            meta(F, 'wib-mo.imei.translated', { service }),
            async (ctx) => {
              const f = await flow(ctx);
              const got = values(f.delivery);
              ensure(
                ctx,
                got.get('IMEI') === f.sent.IMEI,
                `IMEI arrived as "${got.get('IMEI')}", sent "${f.sent.IMEI}"`,
              );
              // Whether these bytes decode depends on the target's handset table: nothing added is allowed
              // (wib-mo.imei.untranslated), so it is reported, not judged.
              if (!added.some((n) => got.has(n)))
                ctx.inform(
                  `the target added nothing for IMEI ${f.sent.IMEI}: it could not decode these bytes (or did not try)`,
                );
              const missing = added.filter((n) => !got.has(n));
              ensure(
                ctx,
                !missing.length,
                `the translation of IMEI ${f.sent.IMEI} lacks ${missing.join(', ')}`,
              );
            },
            o,
          ),
        );
      if (spec.rules.has('wib-mo.imei.untranslated'))
        defs.push(
          define(
            meta(F, 'wib-mo.imei.untranslated', { service }),
            async (ctx) => {
              const got = values((await flow(ctx)).delivery);
              const present = added.filter((n) => got.has(n));
              ensure(
                ctx,
                present.length === 0 || present.length === added.length,
                `only ${present.join(', ')} of ${added.join(', ')} were added: all or none`,
              );
            },
            o,
          ),
        );
      defs.push(...inputChecks(service, flow, values, skipReason));
    } else if (service.kind === 'ussd-event') {
      const element = service.inputs.find((i) => i.in === 'response')?.name;
      if (!element || !EVENT_KIND[element]) continue;
      const flow = (ctx: Recorder) => ussdFlow(ctx, service, element);
      const add = (rule: string, body: (ctx: Recorder, f: MoFlow) => void) =>
        defs.push(define(meta(F, rule, { service }), async (ctx) => body(ctx, await flow(ctx)), o));
      add('ussd.event.post', (ctx, f) => {
        ensure(ctx, f.delivery.method === 'POST', `the USSD event came by ${f.delivery.method}, not POST`);
        const errors = dtdErrors(f.delivery.body, 'ussd_message_response');
        ensure(
          ctx,
          !errors.length,
          `the USSD event is not a valid ussd_message_response: ${errors.slice(0, 3).join('; ')}`,
        );
      });
      add('ussd.utf-8', (ctx, f) => {
        const problem = utf8Problems(f.delivery.body);
        ensure(ctx, !problem, `the USSD event body: ${problem}`);
      });
      defs.push(...inputChecks(service, flow, xmlValues, skipReason));
    }
  }
  return defs;
}

export type { DeliveryKind };
