/**
 * The reference partner: a small, real partner application that takes everything the MSE delivers
 * (receipts, SMS MO, MMS MO, USSD events) the way the document requires. It is the embedded default
 * target of `mse-conformance partner`, and a starting point a partner can copy.
 *
 * Routes (all relative to `url`):
 *   POST /receipt   receipts of async-delivery requests (6.4.1.1): userid/pwd in the query, UTF-8 XML
 *   GET  /mo/sms    SMS MO (6.4.5.1): TEXT, ID, ANUM, BNUM (+ USER, PWD) percent-encoded as ISO-8859-1
 *   POST /mo/mms    MMS MO (6.4.7.1): the REQUEST REQ_TYPE="Rcv_MMS_MO" document, UTF-8
 *   GET  /mo/wib    WIB MO (6.4.14): the partner's own parameters, plus MSEIMEI* when an IMEI was translated
 *   POST /ussd      USSD events (6.4.21-6.4.23): ussd_message_response in, a ussd_message_request command out
 *   GET  /inbox     what it received, as JSON
 *   GET  /          the same, as a plain HTML page
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeLatin1Query, type QueryParams } from './query.ts';
import {
  buildUssdCommand,
  readMmsMo,
  readReceipt,
  readUssdEvent,
  type UssdCommand,
  type UssdEvent,
  type UssdProfile,
} from './xml.ts';

export interface PartnerCredentials {
  userid: string;
  pwd: string;
}

export interface ReferencePartnerOptions {
  host?: string;
  port?: number;
  /** When set, receipts and SMS MO must carry these (6.4.1.1 userid/pwd, 6.4.5.1 USER/PWD); others get 401. */
  credentials?: PartnerCredentials;
  /** The USSD profile named in the head of the commands it answers events with (6.4.18). */
  ussdProfile?: UssdProfile;
  /** How many deliveries the inbox keeps (oldest dropped first). */
  inboxSize?: number;
  /** Largest body accepted, in bytes; larger ones get 413. */
  maxBodyBytes?: number;
}

export type DeliveryKind = 'receipt' | 'sms-mo' | 'mms-mo' | 'wib-mo' | 'ussd-event';

export interface Delivery {
  kind: DeliveryKind;
  /** When it arrived (ISO 8601). */
  at: string;
  /** What makes it unique: the transaction id of a receipt, ID of an SMS MO, MSG_ID of an MMS MO. */
  key: string;
  /** True when the same key had already been received: answered 200 again, handled once. */
  duplicate: boolean;
  /** The delivery's fields as decoded (credentials left out). */
  fields: Record<string, string>;
  /** For USSD events: the command answered. */
  reply?: UssdCommand;
}

export interface ReferencePartner {
  url: string;
  receiptsUrl: string;
  moUrl: string;
  mmsUrl: string;
  ussdUrl: string;
  wibUrl: string;
  /** The deliveries received, oldest first. */
  inbox(): Delivery[];
  close(): Promise<void>;
}

export interface PartnerApp {
  handle(req: IncomingMessage, res: ServerResponse): void;
  inbox(): Delivery[];
}

const DEFAULT_INBOX_SIZE = 200;
/** A placeholder profile: a real partner puts the USSD profile and password Claro provisioned for it. */
const DEFAULT_USSD_PROFILE: UssdProfile = { profile: 'REFERENCE_USSD', password: 'reference-ussd-pwd' };
const DEFAULT_MAX_BODY = 1024 * 1024;

/** Compares a received credential with the configured one in constant time (no timing oracle). */
function sameSecret(received: string | undefined, expected: string): boolean {
  if (received === undefined) return false;
  const a = createHash('sha256').update(received).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** What the partner's endpoints share: the inbox, the credential checks and the limits. */
interface PartnerState {
  remember(kind: DeliveryKind, key: string, fields: Record<string, string>, reply?: UssdCommand): Delivery;
  credentialsOk(user: string | undefined, pwd: string | undefined): boolean;
  presentCredentialsOk(rawQuery: string): boolean;
  maxBodyBytes: number;
  ussdProfile: NonNullable<ReferencePartnerOptions['ussdProfile']>;
}

type Endpoint = (
  st: PartnerState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
) => Promise<void>;

/** A receipt (6.4.1.1). */
async function takeReceipt(
  st: PartnerState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
): Promise<void> {
  if (method !== 'POST') return reply(res, 405, 'receipts come by POST (6.4.1.1)\n', { allow: 'POST' });
  // 6.4.1.1: userid and pwd travel in the query string; the body is the mse-response in UTF-8.
  const query = new URLSearchParams(rawQuery);
  if (!st.credentialsOk(query.get('userid') ?? undefined, query.get('pwd') ?? undefined))
    return reply(res, 401, 'wrong userid or pwd\n');
  const body = await readBody(req, st.maxBodyBytes);
  if (body === undefined) return reply(res, 413, 'body too large\n');
  const receipt = readReceipt(body);
  if (!receipt.ok) return reply(res, 400, `not an mse-response: ${receipt.error}\n`);
  const { transactionId, statusCode, parameters } = receipt.value;
  st.remember('receipt', transactionId ?? '', { 'status-code': String(statusCode), ...parameters });
  // 6.4.1.1: only a 200 tells the MSE the receipt was delivered.
  return reply(res, 200, 'OK\n');
}

/** An SMS MO (6.4.5.1). */
async function takeSmsMo(
  st: PartnerState,
  _req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
): Promise<void> {
  if (method !== 'GET') return reply(res, 405, 'SMS MO comes by GET (6.4.5.1)\n', { allow: 'GET' });
  // 6.4.5.1: the query is percent-encoded ISO-8859-1, so it is decoded byte by byte, never as UTF-8.
  const params: QueryParams = decodeLatin1Query(rawQuery);
  if (!st.credentialsOk(params.USER, params.PWD)) return reply(res, 401, 'wrong USER or PWD\n');
  if (params.ID === undefined || params.BNUM === undefined || params.TEXT === undefined)
    return reply(res, 400, 'TEXT, ID and BNUM are required (6.4.5.1)\n');
  const { USER: _user, PWD: _pwd, ...fields } = params;
  st.remember('sms-mo', params.ID, fields);
  return reply(res, 200, 'OK\n');
}

/**
 * The body of a delivery that comes by POST with the partner's credentials in the query, or undefined once the
 * request has been refused (another method: 405; wrong credentials: 401; too large: 413).
 */
async function postedBody(
  st: PartnerState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
  byPost: string,
): Promise<Buffer | undefined> {
  if (method !== 'POST') {
    reply(res, 405, byPost, { allow: 'POST' });
    return undefined;
  }
  if (!st.presentCredentialsOk(rawQuery)) {
    reply(res, 401, 'wrong userid or pwd\n');
    return undefined;
  }
  const body = await readBody(req, st.maxBodyBytes);
  if (body === undefined) reply(res, 413, 'body too large\n');
  return body;
}

/** An MMS MO (6.4.7.1). */
async function takeMmsMo(
  st: PartnerState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
): Promise<void> {
  const body = await postedBody(st, req, res, method, rawQuery, 'MMS MO comes by POST (6.4.7.1)\n');
  if (body === undefined) return;
  const mms = readMmsMo(body);
  if (!mms.ok) return reply(res, 400, `not an MMS MO request: ${mms.error}\n`);
  st.remember('mms-mo', mms.value.msgId, {
    ANUM: mms.value.anum,
    BNUM: mms.value.bnum,
    MSG_ID: mms.value.msgId,
    subject: mms.value.subject ?? '',
    contentType: mms.value.contentType ?? '',
    bytes: String(mms.value.payload.length),
  });
  return reply(res, 200, 'OK\n');
}

/** A USSD event, answered with the next command (6.4.21-6.4.23). */
async function takeUssdEvent(
  st: PartnerState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
): Promise<void> {
  const body = await postedBody(st, req, res, method, rawQuery, 'USSD events come by POST (6.4.21)\n');
  if (body === undefined) return;
  const event = readUssdEvent(body);
  if (!event.ok) return reply(res, 400, `not a ussd_message_response: ${event.error}\n`);
  // 6.4.21-6.4.23: the answer to every user event must be a command.
  const command = nextCommand(event.value);
  const key = `${event.value.msisdn}:${event.value.sessionOwner ?? ''}:${event.value.kind}:${event.value.value}`;
  st.remember('ussd-event', key, eventFields(event.value), command);
  return reply(res, 200, buildUssdCommand(event.value, command, st.ussdProfile), {
    'content-type': 'text/xml; charset=UTF-8',
  });
}

/** A WIB MO (6.4.14). */
async function takeWibMo(
  st: PartnerState,
  _req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawQuery: string,
): Promise<void> {
  if (method !== 'GET') return reply(res, 405, 'WIB MO comes by GET (6.4.14)\n', { allow: 'GET' });
  // 6.4.14: the partner's own URL parameters, plus MSEIMEI, MSEIMEIMANUF and MSEIMEIMODEL when the MSE
  // could translate an IMEI parameter. The reference takes whatever comes, decoded as ISO-8859-1.
  const params = decodeLatin1Query(rawQuery);
  if (!st.credentialsOk(params.USER, params.PWD) && (params.USER !== undefined || params.PWD !== undefined))
    return reply(res, 401, 'wrong USER or PWD\n');
  const { USER: _user, PWD: _pwd, ...fields } = params;
  st.remember('wib-mo', '', fields);
  return reply(res, 200, 'OK\n');
}

/** The delivery endpoints, by path. */
const ENDPOINTS: Record<string, Endpoint> = {
  '/receipt': takeReceipt,
  '/mo/sms': takeSmsMo,
  '/mo/mms': takeMmsMo,
  '/ussd': takeUssdEvent,
  '/mo/wib': takeWibMo,
};

/** The partner's request handler, apart from its server, so that tests can wrap it. */
export function createPartnerApp(options: ReferencePartnerOptions = {}): PartnerApp {
  const inboxSize = options.inboxSize ?? DEFAULT_INBOX_SIZE;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const ussdProfile = options.ussdProfile ?? DEFAULT_USSD_PROFILE;
  const deliveries: Delivery[] = [];
  // Keys seen, bounded like the inbox so that memory stays flat under a long run.
  const seen = new Set<string>();
  const seenOrder: string[] = [];

  const remember = (kind: DeliveryKind, key: string, fields: Record<string, string>, reply?: UssdCommand) => {
    const scoped = `${kind}:${key}`;
    const duplicate = key !== '' && seen.has(scoped);
    if (!duplicate && key !== '') {
      seen.add(scoped);
      seenOrder.push(scoped);
      if (seenOrder.length > inboxSize * 4) seen.delete(seenOrder.shift()!);
    }
    const delivery: Delivery = { kind, at: new Date().toISOString(), key, duplicate, fields };
    if (reply) delivery.reply = reply;
    deliveries.push(delivery);
    if (deliveries.length > inboxSize) deliveries.shift();
    return delivery;
  };

  const credentialsOk = (user: string | undefined, pwd: string | undefined) =>
    !options.credentials ||
    (sameSecret(user, options.credentials.userid) && sameSecret(pwd, options.credentials.pwd));

  // 6.4.7.1 and 6.4.21 say nothing of credentials for MMS MO and USSD events: they are checked only
  // when the MSE sends them, so that a partner configured with credentials still takes the others.
  const presentCredentialsOk = (rawQuery: string) => {
    const query = new URLSearchParams(rawQuery);
    if (!query.has('userid') && !query.has('pwd')) return true;
    return credentialsOk(query.get('userid') ?? undefined, query.get('pwd') ?? undefined);
  };

  const state: PartnerState = { remember, credentialsOk, presentCredentialsOk, maxBodyBytes, ussdProfile };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const method = req.method ?? 'GET';

    const endpoint = Object.hasOwn(ENDPOINTS, path) ? ENDPOINTS[path] : undefined;
    if (endpoint) return endpoint(state, req, res, method, rawQuery);

    if (path === '/inbox' && method === 'GET')
      return reply(res, 200, `${JSON.stringify({ deliveries }, null, 2)}\n`, {
        'content-type': 'application/json; charset=UTF-8',
      });
    if (path === '/' && method === 'GET')
      return reply(res, 200, renderInbox(deliveries), { 'content-type': 'text/html; charset=UTF-8' });
    return reply(res, 404, 'not found\n');
  }

  return {
    handle(req, res) {
      route(req, res).catch((error: unknown) => {
        if (!res.headersSent) reply(res, 500, `internal error: ${(error as Error).message}\n`);
        else res.destroy();
      });
    },
    inbox: () => deliveries.map((d) => ({ ...d, fields: { ...d.fields } })),
  };
}

/**
 * A tiny USSD application: the user's request opens a menu; option 1 shows a notice, option 2 asks for
 * a number; the number typed is echoed in a notice. Indexes 0, 8 and 9 are never used (6.4.18).
 */
export function nextCommand(event: UssdEvent): UssdCommand {
  if (event.kind === 'index' && event.value === '1')
    return { type: 'notify', content: 'Your balance is R$ 37,90. Obrigado!' };
  if (event.kind === 'index' && event.value === '2')
    return { type: 'input', content: 'Type the number of your order:' };
  if (event.kind === 'input')
    return { type: 'notify', content: `Order ${event.value.slice(0, 100)} received. Até logo!` };
  return {
    type: 'menu',
    title: 'Reference partner',
    options: [
      { index: '1', subtitle: 'Balance' },
      { index: '2', subtitle: 'Order status' },
    ],
  };
}

function eventFields(event: UssdEvent): Record<string, string> {
  const fields: Record<string, string> = { msisdn: event.msisdn, short_code: event.shortCode };
  if (event.sessionOwner !== undefined) fields.session_owner = event.sessionOwner;
  fields[event.kind] = event.value;
  return fields;
}

/** Reads the body up to a limit; undefined when it is larger (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/plain; charset=UTF-8',
    'content-length': String(bytes.length),
    ...headers,
  });
  res.end(bytes);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The inbox as a page a person can read; every value is escaped, since it comes from outside. */
export function renderInbox(deliveries: readonly Delivery[], last = 50): string {
  const rows = deliveries
    .slice(-last)
    .reverse()
    .map((d) => {
      const fields = Object.entries(d.fields)
        .map(([k, v]) => `<b>${escapeHtml(k)}</b>=${escapeHtml(v)}`)
        .join(' ');
      return `<tr><td>${escapeHtml(d.at)}</td><td>${escapeHtml(d.kind)}</td><td>${escapeHtml(d.key)}${
        d.duplicate ? ' (duplicate)' : ''
      }</td><td>${fields}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reference partner inbox</title>
<style>body{font-family:sans-serif}td{border-bottom:1px solid #ccc;padding:2px 6px;vertical-align:top}</style>
</head><body>
<h1>Reference partner: last deliveries</h1>
<p>${deliveries.length} kept; newest first. JSON at <a href="/inbox">/inbox</a>.</p>
<table><thead><tr><th>at</th><th>kind</th><th>key</th><th>fields</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** Starts the reference partner on a real socket (127.0.0.1 and a free port unless told otherwise). */
export async function startReferencePartner(
  options: ReferencePartnerOptions = {},
): Promise<ReferencePartner> {
  const app = createPartnerApp(options);
  const server = createServer((req, res) => app.handle(req, res));
  const url = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    url,
    receiptsUrl: `${url}/receipt`,
    moUrl: `${url}/mo/sms`,
    mmsUrl: `${url}/mo/mms`,
    ussdUrl: `${url}/ussd`,
    wibUrl: `${url}/mo/wib`,
    inbox: app.inbox,
    close: () => closeServer(server),
  };
}

export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const h = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${h}:${address.port}`);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
