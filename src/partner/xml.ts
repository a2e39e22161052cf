/**
 * The XML the reference partner reads and writes: receipts (mse-response, 6.5), the MMS MO REQUEST
 * (6.4.7.1), USSD events (ussd_message_response, 6.4.21-6.4.23) and its USSD commands
 * (ussd_message_request, 6.4.18-6.4.20).
 */
import { percentDecodeBytes } from '../charset/latin1.ts';
import { findChild, findChildren, parseXml, textOf, type XmlElement, XmlError } from '../xml/codec.ts';
import { escapeXml } from '../xml/mse-response.ts';

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

export type UssdCommand =
  | { type: 'menu'; title?: string; options: { index: string; subtitle: string }[] }
  | { type: 'input'; content: string }
  | { type: 'notify'; content: string };

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

/** The MMS of 6.4.7.1 is percent-encoded inside the CDATA; line breaks of the wire are not part of it. */
export function decodeMmsPayload(encoded: string): Buffer {
  return percentDecodeBytes(encoded.replace(/\s+/g, ''), 'UTF-8', 'MMS');
}

export function readMmsMo(bytes: Buffer): Read<MmsMo> {
  const doc = parse(bytes, 'REQUEST');
  if (!doc.ok) return doc;
  const root = doc.value;
  if (root.attributes.REQ_TYPE !== 'Rcv_MMS_MO') return { ok: false, error: 'REQ_TYPE is not Rcv_MMS_MO' };
  const msgId = findChild(root, 'MSG')?.attributes.MSG_ID;
  const anum = childText(root, 'ANUM');
  const bnum = childText(root, 'BNUM');
  const mms = childText(root, 'MMS');
  if (!msgId) return { ok: false, error: 'MSG MSG_ID is missing' };
  if (!anum || !bnum) return { ok: false, error: 'ANUM and BNUM are required (6.4.7)' };
  if (!mms) return { ok: false, error: 'MMS is required (6.4.7)' };
  const payload = decodeMmsPayload(mms);
  const head = payload.toString('latin1').split(/\r?\n\r?\n/, 1)[0] ?? '';
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
  const value: MmsMo = { msgId, anum, bnum, payload };
  const subject = header('Subject');
  const contentType = header('Content-Type');
  if (subject !== undefined) value.subject = subject;
  if (contentType !== undefined) value.contentType = contentType;
  return { ok: true, value };
}

export function readUssdEvent(bytes: Buffer): Read<UssdEvent> {
  const doc = parse(bytes, 'ussd_message_response');
  if (!doc.ok) return doc;
  const head = findChild(doc.value, 'head');
  const response = findChild(doc.value, 'response');
  const msisdn = childText(head, 'msisdn');
  const shortCode = childText(head, 'short_code');
  if (!msisdn || !shortCode) return { ok: false, error: 'head needs msisdn and short_code' };
  const kinds = (['user_init', 'index', 'input'] as const).filter(
    (k) => childText(response, k) !== undefined,
  );
  if (kinds.length !== 1)
    return { ok: false, error: 'response needs exactly one of user_init, index, input (6.4.21-6.4.23)' };
  const kind = kinds[0]!;
  const event: UssdEvent = { msisdn, shortCode, kind, value: childText(response, kind) ?? '' };
  const sessionOwner = childText(head, 'session_owner');
  if (sessionOwner !== undefined) event.sessionOwner = sessionOwner;
  return { ok: true, value: event };
}

/**
 * The command answering an event, as a ussd_message_request. The head names the partner's USSD profile,
 * the subscriber and the short code of the event, and forwards session_owner: the session is open on that
 * platform (6.4.18).
 */
export function buildUssdCommand(event: UssdEvent, command: UssdCommand, profile: UssdProfile): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<ussd_message_request>', '  <head>'];
  // Head order of the DTD (spec/dtd/ussd_message_request.dtd): profile, password, msisdn, short_code, mode.
  lines.push(`    <profile>${escapeXml(profile.profile)}</profile>`);
  lines.push(`    <password>${escapeXml(profile.password)}</password>`);
  lines.push(`    <msisdn>${escapeXml(event.msisdn)}</msisdn>`);
  lines.push(`    <short_code>${escapeXml(event.shortCode)}</short_code>`);
  lines.push(`    <mode>${escapeXml(profile.mode ?? 'async')}</mode>`);
  if (event.sessionOwner !== undefined)
    lines.push(`    <session_owner>${escapeXml(event.sessionOwner)}</session_owner>`);
  lines.push('  </head>', '  <command>');
  if (command.type === 'menu') {
    lines.push('    <menu>');
    if (command.title !== undefined) lines.push(`      <title>${escapeXml(command.title)}</title>`);
    lines.push('      <options>');
    for (const o of command.options)
      lines.push(
        '        <option>',
        `          <index>${escapeXml(o.index)}</index>`,
        `          <subtitle>${escapeXml(o.subtitle)}</subtitle>`,
        '        </option>',
      );
    lines.push('      </options>', '    </menu>');
  } else {
    lines.push(
      `    <${command.type}>`,
      `      <content>${escapeXml(command.content)}</content>`,
      `    </${command.type}>`,
    );
  }
  lines.push('  </command>', '</ussd_message_request>', '');
  return lines.join('\n');
}
