/**
 * The MSE side of a partner certification: builds what the MSE delivers to a partner (receipts, SMS MO,
 * MMS MO, USSD events) the way the document says, and sends it with the suite's byte-recording client.
 */
import { encodeQuery } from '../charset/latin1.ts';
import { type SendResult, send } from '../client/http.ts';
import { encodeMms, buildMmsMoRequest as writeMmsMoRequest } from '../xml/mms-mo.ts';
import { buildMseResponse, type MseResponse } from '../xml/mse-response.ts';
import { buildUssdResponse, type UssdResponseBody } from '../xml/ussd.ts';

export type Pairs = Array<[string, string]>;

export interface PartnerEndpoints {
  receipts?: string;
  smsMo?: string;
  mmsMo?: string;
  ussd?: string;
}

/** Where the reference partner (and the gateway suite's listener) take each delivery, under a base URL. */
export const PARTNER_PATHS: Required<PartnerEndpoints> = {
  receipts: '/receipt',
  smsMo: '/mo/sms',
  mmsMo: '/mo/mms',
  ussd: '/ussd',
};

export interface DeliveryCredentials {
  /** Sent as `userid` with receipts (6.4.1.1) and as USER with SMS MO (6.4.5.1) unless `user` is given. */
  userid?: string;
  pwd?: string;
  /** USER of SMS MO, when it differs from userid. */
  user?: string;
}

/** Appends raw (already encoded) query text to a URL that may already hold a query. */
export function withQuery(url: string, query: string): string {
  if (!query) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** 6.4.1.1: the receipt is POSTed, userid and pwd in the query string, the mse-response as UTF-8 XML in the body. */
export function sendReceipt(
  url: string,
  receipt: MseResponse | string,
  options: { credentials?: DeliveryCredentials; extraQuery?: Pairs; timeoutMs: number },
): Promise<SendResult> {
  const pairs: Pairs = [];
  const c = options.credentials;
  if (c?.userid !== undefined) pairs.push(['userid', c.userid]);
  if (c?.pwd !== undefined) pairs.push(['pwd', c.pwd]);
  pairs.push(...(options.extraQuery ?? []));
  return postXml(
    url,
    pairs,
    typeof receipt === 'string' ? receipt : buildMseResponse(receipt),
    options.timeoutMs,
  );
}

export interface SmsMo {
  text: string;
  id: string;
  anum?: string;
  bnum: string;
}

/**
 * 6.4.5.1: the SMS MO is a GET with TEXT, ID, ANUM and BNUM (and USER, PWD when the URL is provisioned with
 * them) percent-encoded as ISO-8859-1: `ç` travels as `%E7`, never as UTF-8's `%C3%A7`.
 */
export function sendSmsMo(
  url: string,
  mo: SmsMo,
  options: { credentials?: DeliveryCredentials; extraQuery?: Pairs; timeoutMs: number },
): Promise<SendResult> {
  const pairs: Pairs = [
    ['TEXT', mo.text],
    ['ID', mo.id],
  ];
  // 6.4.5.1 always sends ANUM, but the table of 6.4.5 marks it optional (errata.delivery-sms-anum-optional).
  if (mo.anum !== undefined) pairs.push(['ANUM', mo.anum]);
  pairs.push(['BNUM', mo.bnum]);
  const c = options.credentials;
  const user = c?.user ?? c?.userid;
  if (user !== undefined) pairs.push(['USER', user]);
  if (c?.pwd !== undefined) pairs.push(['PWD', c.pwd]);
  pairs.push(...(options.extraQuery ?? []));
  return send({
    method: 'GET',
    url: withQuery(url, encodeQuery(pairs, 'ISO-8859-1')),
    timeoutMs: options.timeoutMs,
  });
}

export interface MmsMo {
  msgId: string;
  anum: string;
  bnum: string;
  /** The MMS message (headers and multipart body) as bytes. */
  mms: Buffer;
}

/** The REQUEST REQ_TYPE="Rcv_MMS_MO" document of 6.4.7.1, the MMS bytes percent-encoded inside CDATA. */
export function buildMmsMoRequest(mo: MmsMo): string {
  return writeMmsMoRequest({ msgId: mo.msgId, anum: mo.anum, bnum: mo.bnum, mms: encodeMms(mo.mms) });
}

/** 6.4.7.1: the MMS MO is POSTed, the REQUEST document as UTF-8 in the body. */
export function sendMmsMo(
  url: string,
  document: string,
  options: { extraQuery?: Pairs; timeoutMs: number },
): Promise<SendResult> {
  return postXml(url, options.extraQuery ?? [], document, options.timeoutMs);
}

export interface UssdEventDocument {
  msisdn: string;
  shortCode: string;
  sessionOwner?: string;
  /** The response element: user_init (6.4.21), index (6.4.22) or input (6.4.23), and its value. */
  response: [name: UssdResponseBody['kind'], value: string];
}

/** The ussd_message_response document of 6.4.21-6.4.23. */
export function buildUssdEvent(event: UssdEventDocument): string {
  const [kind, value] = event.response;
  return buildUssdResponse({
    head: {
      msisdn: event.msisdn,
      shortCode: event.shortCode,
      ...(event.sessionOwner !== undefined ? { sessionOwner: event.sessionOwner } : {}),
    },
    response: { kind, value },
  });
}

/** 6.4.21: USSD events are POSTed; the partner's answer (the body of its 200) is a command. */
export function sendUssdEvent(
  url: string,
  document: string,
  options: { extraQuery?: Pairs; timeoutMs: number },
): Promise<SendResult> {
  return postXml(url, options.extraQuery ?? [], document, options.timeoutMs);
}

/** Receipts, MMS MO and USSD events all travel the same way: POST, query pairs, a UTF-8 XML body. */
function postXml(url: string, query: Pairs, document: string, timeoutMs: number): Promise<SendResult> {
  return send({
    method: 'POST',
    url: withQuery(url, encodeQuery(query, 'UTF-8')),
    headers: { 'content-type': 'text/xml; charset=UTF-8' },
    body: Buffer.from(document, 'utf8'),
    timeoutMs,
  });
}
