/**
 * The XML the reference partner reads and writes: receipts (mse-response, 6.5), the MMS MO REQUEST
 * (6.4.7.1), USSD events (ussd_message_response, 6.4.21-6.4.23) and its USSD commands
 * (ussd_message_request, 6.4.18-6.4.20), on the shared codec and writers of src/xml/. Receipts are read
 * leniently (parsed safely, fields picked out) rather than DTD-validated: a receipt the partner refuses
 * is delivered again and again, so the partner takes what it can use.
 */
import { findChild, findChildren, parseXml, textOf, type XmlElement, XmlError } from '../xml/codec.ts';
import { decodeMms, type MmsMoRequest, readMmsMoRequest } from '../xml/mms-mo.ts';
import { buildUssdRequest, readUssdResponse, type UssdCommandBody } from '../xml/ussd.ts';

export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Receipt {
  statusCode: number;
  profile?: string;
  transactionId?: string;
  errorMessage?: string;
  parameters: Record<string, string>;
}

export interface MmsMo {
  msgId: string;
  anum: string;
  bnum: string;
  /** The decoded MMS message (headers and multipart body), as bytes. */
  payload: Buffer;
  subject?: string;
  contentType?: string;
}

export interface UssdEvent {
  msisdn: string;
  shortCode: string;
  sessionOwner?: string;
  /** Which event: user-initiated request (6.4.21), answer to a menu (6.4.22) or to an input (6.4.23). */
  kind: 'user_init' | 'index' | 'input';
  value: string;
}

/** The partner's USSD profile, named in the head of every command it sends (6.4.18). */
export interface UssdProfile {
  profile: string;
  password: string;
  /** As the examples of 6.4.18-6.4.20 write it: `async`. */
  mode?: string;
}

/** A menu, input or notify command (6.4.18-6.4.20), the shared USSD writer's shape. */
export type UssdCommand = UssdCommandBody;

function parse(bytes: Buffer, rootName: string): Read<XmlElement> {
  try {
    // parseXml refuses a DOCTYPE and expands no entity (no XXE, no entity bombs).
    const { root } = parseXml(bytes);
    if (root.name !== rootName) return { ok: false, error: `the root is ${root.name}, not ${rootName}` };
    return { ok: true, value: root };
  } catch (error) {
    if (error instanceof XmlError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Text of a child element, trimmed; undefined when the child is absent. */
function childText(el: XmlElement | undefined, name: string): string | undefined {
  const child = el && findChild(el, name);
  return child ? textOf(child).trim() : undefined;
}

export function readReceipt(bytes: Buffer): Read<Receipt> {
  const doc = parse(bytes, 'mse-response');
  if (!doc.ok) return doc;
  const root = doc.value;
  const statusCode = Number(childText(root, 'status-code'));
  if (!Number.isInteger(statusCode)) return { ok: false, error: 'status-code is missing or not a number' };
  const parameters: Record<string, string> = {};
  const list = findChild(root, 'parameters');
  for (const item of list ? findChildren(list, 'param-item') : []) {
    const name = childText(item, 'param-name');
    if (name) parameters[name] = childText(item, 'param-value') ?? '';
  }
  const receipt: Receipt = { statusCode, parameters };
  const profile = childText(root, 'profile');
  const transactionId = childText(root, 'transaction-id');
  const errorMessage = childText(root, 'error-message');
  if (profile !== undefined) receipt.profile = profile;
  if (transactionId !== undefined) receipt.transactionId = transactionId;
  if (errorMessage !== undefined) receipt.errorMessage = errorMessage;
  return { ok: true, value: receipt };
}

/** Reads the MMS MO REQUEST (validated against its DTD) and decodes the MMS it carries. */
export function readMmsMo(bytes: Buffer): Read<MmsMo> {
  let request: MmsMoRequest;
  try {
    request = readMmsMoRequest(bytes);
  } catch (error) {
    if (error instanceof XmlError) return { ok: false, error: error.message };
    throw error;
  }
  if (!request.msgId || !request.anum || !request.bnum || !request.mms)
    return { ok: false, error: 'MSG_ID, ANUM, BNUM and MMS must not be empty (6.4.7)' };
  const payload = decodeMms(request.mms);
  const head = payload.toString('latin1').split(/\r?\n\r?\n/, 1)[0] ?? '';
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
  const value: MmsMo = {
    msgId: request.msgId,
    anum: request.anum.trim(),
    bnum: request.bnum.trim(),
    payload,
  };
  const subject = header('Subject');
  const contentType = header('Content-Type');
  if (subject !== undefined) value.subject = subject;
  if (contentType !== undefined) value.contentType = contentType;
  return { ok: true, value };
}

/** Reads a USSD event (validated against the ussd_message_response DTD). */
export function readUssdEvent(bytes: Buffer): Read<UssdEvent> {
  let event: ReturnType<typeof readUssdResponse>;
  try {
    event = readUssdResponse(bytes);
  } catch (error) {
    if (error instanceof XmlError) return { ok: false, error: error.message };
    throw error;
  }
  const value: UssdEvent = {
    msisdn: event.head.msisdn.trim(),
    shortCode: event.head.shortCode.trim(),
    kind: event.response.kind,
    value: event.response.value.trim(),
  };
  if (event.head.sessionOwner !== undefined) value.sessionOwner = event.head.sessionOwner.trim();
  return { ok: true, value };
}

/**
 * The command answering an event, as a ussd_message_request. The head names the partner's USSD profile,
 * the subscriber and the short code of the event, and forwards session_owner: the session is open on that
 * platform (6.4.18).
 */
export function buildUssdCommand(event: UssdEvent, command: UssdCommand, profile: UssdProfile): string {
  return buildUssdRequest({
    head: {
      profile: profile.profile,
      password: profile.password,
      msisdn: event.msisdn,
      shortCode: event.shortCode,
      mode: profile.mode ?? 'async',
      ...(event.sessionOwner !== undefined ? { sessionOwner: event.sessionOwner } : {}),
    },
    command,
  });
}
