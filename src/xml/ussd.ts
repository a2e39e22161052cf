/**
 * USSD documents (6.4.18 to 6.4.23): the ussd_message_request a partner sends (menu, input,
 * notify; also the partner's reply to a USSD event, which must be a command) and the
 * ussd_message_response the MSE sends on a subscriber's action (user_init, index, input).
 * Readers validate against spec/dtd/ first; every value is returned as a string, exactly as written.
 */
import { childElements, findChild, findChildren, textOf, type XmlElement } from './codec.ts';
import { parseValid } from './validate.ts';
import { escapeText } from './write.ts';

/** The head of a command. The last four optional fields appear only in the 6.4.18 example. */
export interface UssdRequestHead {
  profile: string;
  password: string;
  msisdn: string;
  shortCode: string;
  mode: string;
  billingCode?: string;
  ctnBilling?: string;
  contentDescription?: string;
  transactionInfo?: string;
  sessionOwner?: string;
}

export interface UssdMenuOption {
  index: string;
  subtitle: string;
}

export type UssdCommandBody =
  | { type: 'menu'; title?: string; options: UssdMenuOption[] }
  | { type: 'input'; content: string }
  | { type: 'notify'; content: string };

/** A ussd_message_request: a menu (6.4.18), input (6.4.19) or notification (6.4.20). */
export interface UssdRequest {
  head: UssdRequestHead;
  command: UssdCommandBody;
}

export interface UssdResponseHead {
  msisdn: string;
  shortCode: string;
  sessionOwner?: string;
}

/** What the subscriber did: started a session (6.4.21), chose an option (6.4.22), typed an input (6.4.23). */
export type UssdResponseBody = { kind: 'user_init' | 'index' | 'input'; value: string };

/** A ussd_message_response: an event the MSE delivers to the partner. */
export interface UssdResponse {
  head: UssdResponseHead;
  response: UssdResponseBody;
}

// Element names of the head, in DTD (and example) order.
const requestHeadFields: Array<[keyof UssdRequestHead, string]> = [
  ['profile', 'profile'],
  ['password', 'password'],
  ['msisdn', 'msisdn'],
  ['shortCode', 'short_code'],
  ['mode', 'mode'],
  ['billingCode', 'billingcode'],
  ['ctnBilling', 'ctn_billing'],
  ['contentDescription', 'content_description'],
  ['transactionInfo', 'transaction_info'],
  ['sessionOwner', 'session_owner'],
];

const responseHeadFields: Array<[keyof UssdResponseHead, string]> = [
  ['msisdn', 'msisdn'],
  ['shortCode', 'short_code'],
  ['sessionOwner', 'session_owner'],
];

function element(name: string, value: string, indent: string): string {
  return `${indent}<${name}>${escapeText(value)}</${name}>`;
}

/** Writes a ussd_message_request in DTD order, UTF-8, as the 6.4.18 to 6.4.20 examples. */
export function buildUssdRequest(request: UssdRequest): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<ussd_message_request>', '  <head>'];
  for (const [key, name] of requestHeadFields) {
    const v = request.head[key];
    if (v !== undefined) lines.push(element(name, v, '    '));
  }
  lines.push('  </head>', '  <command>');
  const c = request.command;
  if (c.type === 'menu') {
    lines.push('    <menu>');
    if (c.title !== undefined) lines.push(element('title', c.title, '      '));
    lines.push('      <options>');
    for (const o of c.options)
      lines.push(
        '        <option>',
        element('index', o.index, '          '),
        element('subtitle', o.subtitle, '          '),
        '        </option>',
      );
    lines.push('      </options>', '    </menu>');
  } else {
    lines.push(`    <${c.type}>`, element('content', c.content, '      '), `    </${c.type}>`);
  }
  lines.push('  </command>', '</ussd_message_request>', '');
  return lines.join('\n');
}

function text(parent: XmlElement, name: string): string | undefined {
  const el = findChild(parent, name);
  return el ? textOf(el) : undefined;
}

/** Reads a ussd_message_request, validated against ussd_message_request.dtd (XmlError otherwise). */
export function readUssdRequest(input: Buffer | Uint8Array | string): UssdRequest {
  const { root } = parseValid(input, 'ussd_message_request');
  const headEl = findChild(root, 'head')!;
  const head = {} as UssdRequestHead;
  for (const [key, name] of requestHeadFields) {
    const v = text(headEl, name);
    if (v !== undefined) head[key] = v;
  }
  const commandEl = findChild(root, 'command')!;
  const menu = findChild(commandEl, 'menu');
  let command: UssdCommandBody;
  if (menu) {
    const title = text(menu, 'title');
    const options = findChildren(findChild(menu, 'options')!, 'option').map((o) => ({
      index: text(o, 'index')!,
      subtitle: text(o, 'subtitle')!,
    }));
    command = title !== undefined ? { type: 'menu', title, options } : { type: 'menu', options };
  } else {
    const inputEl = findChild(commandEl, 'input');
    const el = inputEl ?? findChild(commandEl, 'notify')!;
    command = { type: inputEl ? 'input' : 'notify', content: text(el, 'content')! };
  }
  return { head, command };
}

/** Writes a ussd_message_response in DTD order, UTF-8, as the 6.4.21 to 6.4.23 examples. */
export function buildUssdResponse(event: UssdResponse): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<ussd_message_response>', '  <head>'];
  for (const [key, name] of responseHeadFields) {
    const v = event.head[key];
    if (v !== undefined) lines.push(element(name, v, '    '));
  }
  lines.push('  </head>', '  <response>', element(event.response.kind, event.response.value, '    '));
  lines.push('  </response>', '</ussd_message_response>', '');
  return lines.join('\n');
}

/** Reads a ussd_message_response, validated against ussd_message_response.dtd (XmlError otherwise). */
export function readUssdResponse(input: Buffer | Uint8Array | string): UssdResponse {
  const { root } = parseValid(input, 'ussd_message_response');
  const headEl = findChild(root, 'head')!;
  const head = {} as UssdResponseHead;
  for (const [key, name] of responseHeadFields) {
    const v = text(headEl, name);
    if (v !== undefined) head[key] = v;
  }
  // The DTD allows exactly one child: user_init, index or input.
  const chosen = childElements(findChild(root, 'response')!)[0]!;
  return { head, response: { kind: chosen.name as UssdResponseBody['kind'], value: textOf(chosen) } };
}
