/**
 * The XML the reference partner reads and writes: receipts (mse-response, 6.5), the MMS MO REQUEST
 * (6.4.7.1), USSD events (ussd_message_response, 6.4.21-6.4.23) and its USSD commands
 * (ussd_message_request, 6.4.18-6.4.20).
 */
import { XMLParser } from 'fast-xml-parser';
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

export type UssdCommand =
  | { type: 'menu'; title?: string; options: { index: string; subtitle: string }[] }
  | { type: 'input'; content: string }
  | { type: 'notify'; content: string };

type Node = Record<string, unknown>;

// Entities are never expanded and a DOCTYPE is refused before parsing (no XXE, no entity bombs).
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  cdataPropName: '#cdata',
});

function parse(bytes: Buffer): Read<Node> {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let xml: string;
  try {
    xml = text.decode(bytes);
  } catch {
    return { ok: false, error: 'the body is not UTF-8' };
  }
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, error: 'a DOCTYPE is refused' };
  try {
    return { ok: true, value: parser.parse(xml, true) as Node };
  } catch (error) {
    return { ok: false, error: `malformed XML: ${(error as Error).message}` };
  }
}

// The five predefined entities and character references are decoded here, since the parser expands none.
const decodeEntities = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#[0-9]+|#x[0-9A-Fa-f]+);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[e]!;
  });

function text(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return decodeEntities(node);
  if (typeof node === 'object' && '#cdata' in (node as Node)) return String((node as Node)['#cdata']);
  if (typeof node === 'object' && '#text' in (node as Node))
    return decodeEntities(String((node as Node)['#text']));
  return typeof node === 'object' ? '' : String(node);
}

export function readReceipt(bytes: Buffer): Read<Receipt> {
  const doc = parse(bytes);
  if (!doc.ok) return doc;
  const root = doc.value['mse-response'] as Node | undefined;
  if (!root || typeof root !== 'object') return { ok: false, error: 'the root is not mse-response' };
  const statusCode = Number(text(root['status-code']));
  if (!Number.isInteger(statusCode)) return { ok: false, error: 'status-code is missing or not a number' };
  const parameters: Record<string, string> = {};
  const items = (root.parameters as Node | undefined)?.['param-item'];
  for (const item of Array.isArray(items) ? items : items ? [items] : []) {
    const name = text((item as Node)['param-name']);
    if (name) parameters[name] = text((item as Node)['param-value']) ?? '';
  }
  const receipt: Receipt = { statusCode, parameters };
  const profile = text(root.profile);
  const transactionId = text(root['transaction-id']);
  const errorMessage = text(root['error-message']);
  if (profile !== undefined) receipt.profile = profile;
  if (transactionId !== undefined) receipt.transactionId = transactionId;
  if (errorMessage !== undefined) receipt.errorMessage = errorMessage;
  return { ok: true, value: receipt };
}

/** Percent-decoding of the MMS CDATA (6.4.7.1): `+` is a space, `%XX` one byte; line breaks of the wire are dropped. */
export function decodeMmsPayload(encoded: string): Buffer {
  const clean = encoded.replace(/\s+/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(clean.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(clean.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}

export function readMmsMo(bytes: Buffer): Read<MmsMo> {
  const doc = parse(bytes);
  if (!doc.ok) return doc;
  const root = doc.value.REQUEST as Node | undefined;
  if (!root || typeof root !== 'object') return { ok: false, error: 'the root is not REQUEST' };
  if (root['@REQ_TYPE'] !== 'Rcv_MMS_MO') return { ok: false, error: 'REQ_TYPE is not Rcv_MMS_MO' };
  const msgId = (root.MSG as Node | undefined)?.['@MSG_ID'];
  const anum = text(root.ANUM);
  const bnum = text(root.BNUM);
  const mms = text(root.MMS);
  if (typeof msgId !== 'string' || msgId === '') return { ok: false, error: 'MSG MSG_ID is missing' };
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
  const doc = parse(bytes);
  if (!doc.ok) return doc;
  const root = doc.value.ussd_message_response as Node | undefined;
  if (!root || typeof root !== 'object') return { ok: false, error: 'the root is not ussd_message_response' };
  const head = root.head as Node | undefined;
  const response = root.response as Node | undefined;
  const msisdn = text(head?.msisdn);
  const shortCode = text(head?.short_code);
  if (!msisdn || !shortCode) return { ok: false, error: 'head needs msisdn and short_code' };
  const kinds = (['user_init', 'index', 'input'] as const).filter((k) => response && k in response);
  if (kinds.length !== 1)
    return { ok: false, error: 'response needs exactly one of user_init, index, input (6.4.21-6.4.23)' };
  const kind = kinds[0]!;
  const event: UssdEvent = { msisdn, shortCode, kind, value: text(response![kind]) ?? '' };
  const sessionOwner = text(head?.session_owner);
  if (sessionOwner !== undefined) event.sessionOwner = sessionOwner;
  return { ok: true, value: event };
}

/**
 * The command answering an event, as a ussd_message_request. The head names the subscriber and the
 * short code of the event, and forwards session_owner: the session is open on that platform (6.4.18).
 */
export function buildUssdCommand(event: UssdEvent, command: UssdCommand): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<ussd_message_request>', '  <head>'];
  lines.push(`    <msisdn>${escapeXml(event.msisdn)}</msisdn>`);
  lines.push(`    <short_code>${escapeXml(event.shortCode)}</short_code>`);
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
