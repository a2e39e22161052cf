import { CharsetError } from '../charset/encoding.ts';
import { encodeQuery } from '../charset/latin1.ts';
import type { Service } from '../spec/types.ts';
import { checkInputValue } from '../spec/values.ts';
import { buildMmsMoRequest, encodeMms } from '../xml/mms-mo.ts';
import { decodeImeiBytes, tacTable, zeroCheckDigit } from './backends.ts';
import { logTransaction, newTransaction, type SimContext } from './context.ts';
import { maskUrl } from './transactions.ts';
import type { ProfileConfig } from './types.ts';

type MoKind = 'sms' | 'mms' | 'wib';
type Result = { httpStatus: number; body: unknown };

const groupOf: Record<MoKind, Service['group']> = { sms: 'sms', mms: 'mms', wib: 'wap-wib' };

function moService(ctx: SimContext, kind: MoKind): Service | undefined {
  return ctx.spec.services.find((s) => s.kind === 'mo-delivery' && s.group === groupOf[kind]);
}

function bad(message: string, code = 'MSE_SIM_BAD_MO'): Result {
  return { httpStatus: 400, body: { error: code, message } };
}

/** The MO profile: named, or the one whose short number is the destination, or the only one of its service. */
function moProfile(
  ctx: SimContext,
  service: Service,
  profileId?: string,
  to?: string,
): ProfileConfig | Result {
  if (profileId !== undefined) {
    const p = ctx.profiles.get(profileId);
    if (!p) return bad(`unknown profile ${profileId}`, 'MSE_SIM_UNKNOWN_PROFILE');
    if (!p.mo?.url) return bad(`profile ${profileId} has no mo.url`, 'MSE_SIM_NO_MO_URL');
    return p;
  }
  const mine = [...ctx.profiles.values()].filter((p) => p.service === service.id && p.mo?.url);
  const routed = to !== undefined ? mine.find((p) => p.shortNumber === to) : mine[0];
  if (routed) return routed;
  return bad(
    to !== undefined
      ? `no ${service.id} profile has short number ${to} and an mo.url; provisioned: ${mine.map((p) => p.shortNumber).join(', ') || 'none'}`
      : `no ${service.id} profile has an mo.url: start the simulator with --callback or configure one`,
    'MSE_SIM_NO_ROUTE',
  );
}

/** Checks the delivery's values against the MO service's entry; the reference holds SHOULD-level rules too. */
function checkValues(ctx: SimContext, service: Service, values: Record<string, string>): string | undefined {
  for (const input of service.inputs) {
    const v = values[input.name];
    if (v === undefined) continue;
    const problem = checkInputValue(input, v, ctx.spec.formats);
    if (problem) return problem.message;
  }
  return undefined;
}

function appendQuery(url: string, query: string): string {
  return query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url;
}

/** SMS MO (6.4.5.1): a GET with TEXT, ID, ANUM, BNUM (+ USER, PWD) in ISO-8859-1. */
export function smsMo(
  ctx: SimContext,
  body: { from?: string; to?: string; text?: string; profile?: string },
): Result {
  const service = moService(ctx, 'sms');
  if (!service) return bad('spec/services has no SMS MO delivery service', 'MSE_SIM_NO_SERVICE');
  if (typeof body.from !== 'string' || typeof body.to !== 'string' || typeof body.text !== 'string')
    return bad('send {"from": "1191000000", "to": "3301", "text": "..."}');
  const { trial, production } = ctx.spec.protocol.shortNumbers;
  if (!new RegExp(trial).test(body.to) && !new RegExp(production).test(body.to))
    return bad(
      `"to" must be a short number, 33NN in trial or 2NNN in production (6.4.5), got ${body.to.slice(0, 20)}`,
    );
  const profile = moProfile(ctx, service, body.profile, body.to);
  if ('httpStatus' in profile) return profile;
  const t = newTransaction(ctx, 'mo', { service: service.id, profile: profile.id });
  const values: Record<string, string> = {
    TEXT: body.text,
    ID: t.transactionId,
    ANUM: body.from,
    BNUM: body.to,
  };
  const problem = checkValues(ctx, service, values);
  if (problem) {
    t.notes.push(`refused: ${problem}`);
    return bad(problem);
  }
  const pairs: [string, string][] = [
    ['TEXT', body.text],
    ['ID', t.transactionId],
    ['ANUM', body.from],
    ['BNUM', body.to],
  ];
  if (profile.mo?.user !== undefined && profile.mo.pwd !== undefined)
    pairs.push(['USER', profile.mo.user], ['PWD', profile.mo.pwd]);
  let query: string;
  try {
    query = encodeQuery(pairs, ctx.spec.protocol.encodings.smsMo === 'UTF-8' ? 'UTF-8' : 'ISO-8859-1');
  } catch (error) {
    if (error instanceof CharsetError) return bad(`${error.message} (${error.code})`);
    throw error;
  }
  const url = appendQuery(profile.mo!.url, query);
  t.request = { method: 'GET', path: '/__control/mo/sms', params: { ...values } };
  ctx.deliverer.enqueue(
    t,
    {
      method: 'GET',
      url,
      maskedUrl: maskUrl(url),
      recordBytes: Buffer.from(maskUrl(`?${query}`).slice(1), 'latin1'),
    },
    ctx.receiptDelayMs,
  );
  logTransaction(ctx, t, `to=${body.to}`);
  return { httpStatus: 200, body: { transactionId: t.transactionId } };
}

/** MMS MO (6.4.7.1): the REQUEST document POSTed in UTF-8. */
export function mmsMo(
  ctx: SimContext,
  body: { from?: string; to?: string; mms?: string; profile?: string },
): Result {
  const service = moService(ctx, 'mms');
  if (!service) return bad('spec/services has no MMS MO delivery service', 'MSE_SIM_NO_SERVICE');
  if (typeof body.from !== 'string' || typeof body.to !== 'string' || typeof body.mms !== 'string')
    return bad('send {"from": "1191000000", "to": "3302", "mms": "Subject: ...\\n..."} (mms as MIME text)');
  const profile = moProfile(ctx, service, body.profile, body.to);
  if ('httpStatus' in profile) return profile;
  const t = newTransaction(ctx, 'mo', { service: service.id, profile: profile.id });
  // MSG_ID: the transaction id left-padded with zeros to 39 digits, as in the example of 6.4.7.1.
  const msgId = t.transactionId.padStart(39, '0');
  const encoded = encodeMms(Buffer.from(body.mms, 'utf8'));
  const values = { MMS: encoded, ANUM: body.from, BNUM: body.to, MSG_ID: msgId };
  const problem = checkValues(ctx, service, values);
  if (problem) return bad(problem);
  const xml = buildMmsMoRequest({ msgId, anum: body.from, bnum: body.to, mms: encoded });
  t.request = {
    method: 'POST',
    path: '/__control/mo/mms',
    params: { ANUM: body.from, BNUM: body.to, MSG_ID: msgId },
  };
  const url = profile.mo!.url;
  ctx.deliverer.enqueue(
    t,
    {
      method: 'POST',
      url,
      maskedUrl: maskUrl(url),
      body: Buffer.from(xml, 'utf8'),
      contentType: 'text/xml; charset=UTF-8',
    },
    ctx.receiptDelayMs,
  );
  logTransaction(ctx, t, `to=${body.to}`);
  return { httpStatus: 200, body: { transactionId: t.transactionId } };
}

/**
 * WIB MO (6.4.14): the WIB request's parameters passed on to the partner's URL; an IMEI parameter holding
 * the handset's IMEI bytes is translated into MSEIMEI (15th digit 0), MSEIMEIMANUF and MSEIMEIMODEL, and
 * nothing is added when the translation fails.
 */
export function wibMo(ctx: SimContext, body: { profile?: string; params?: Record<string, unknown> }): Result {
  const service = moService(ctx, 'wib');
  if (!service) return bad('spec/services has no WIB MO delivery service', 'MSE_SIM_NO_SERVICE');
  const params = body.params ?? {};
  if (typeof params !== 'object' || Object.values(params).some((v) => typeof v !== 'string'))
    return bad('send {"params": {"IMEI": "3A25020621225992", ...}} with string values');
  const profile = moProfile(ctx, service, body.profile);
  if ('httpStatus' in profile) return profile;
  const t = newTransaction(ctx, 'mo', { service: service.id, profile: profile.id });
  const pairs = Object.entries(params as Record<string, string>);
  const imeiBytes = (params as Record<string, string>).IMEI;
  if (imeiBytes !== undefined) {
    const imei = decodeImeiBytes(imeiBytes);
    const device = imei ? tacTable.get(imei.slice(0, 8)) : undefined;
    if (imei && device)
      pairs.push(
        ['MSEIMEI', zeroCheckDigit(imei)],
        ['MSEIMEIMANUF', device.manufacturer],
        ['MSEIMEIMODEL', device.model],
      );
    else
      t.notes.push(
        imei
          ? `IMEI ${imei}: TAC not in the table, nothing added`
          : 'IMEI bytes could not be decoded, nothing added',
      );
  }
  const query = encodeQuery(pairs, 'UTF-8');
  const url = appendQuery(profile.mo!.url, query);
  t.request = { method: 'GET', path: '/__control/mo/wib', params: Object.fromEntries(pairs) };
  ctx.deliverer.enqueue(
    t,
    { method: 'GET', url, maskedUrl: maskUrl(url), recordBytes: Buffer.from(query, 'latin1') },
    ctx.receiptDelayMs,
  );
  logTransaction(ctx, t);
  return { httpStatus: 200, body: { transactionId: t.transactionId } };
}
