/**
 * USSD documents (6.4.18 to 6.4.23): the ussd_message_request a partner sends (menu, input,
 * notify; also the partner's reply to a USSD event, which must be a command) and the
 * ussd_message_response the MSE sends on a subscriber's action (user_init, index, input).
 * Readers validate against spec/dtd/ first; every value is returned as a string, exactly as written.
 */
import { clip } from '../charset/encoding.ts';
import {
  childElements,
  findChild,
  findChildren,
  parseXml,
  textOf,
  type XmlDocument,
  type XmlElement,
  XmlError,
} from './codec.ts';
import { validateTree } from './derive.ts';
import type { Particle } from './dtd.ts';
import { parseValid, validatorFor } from './validate.ts';
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

/**
 * A partner's reply to a USSD event (6.4.21-6.4.23), read part by part so that each part can be judged on its
 * own (errata.ussd-reply-head): a departure in the head does not hide the command, and the reverse. The parts
 * are read leniently (order of the root's and the head's children not imposed); each departure is listed
 * with the part it belongs to.
 */
export interface UssdReplyRead {
  /** Why the bytes are no XML document at all (the codec's code and message); the other parts are then absent. */
  notXml?: string;
  document?: XmlDocument;
  /** Departures from the envelope: the root and its head and command children (each exactly once). */
  envelope: string[];
  /** The head, when the root holds exactly one. */
  head?: UssdReplyHead;
  /** Departures of the command element from its DTD content models (command, menu, input, notify ...). */
  commandProblems: string[];
  /**
   * The command, read leniently, when the command element holds exactly one of menu, input or notify: a menu's
   * options are every option element found, so a reserved index is seen even when the menu is malformed.
   */
  command?: UssdCommandBody;
}

export interface UssdReplyHead {
  /** Values of the head elements the command DTD declares, by element name, each as written. */
  values: Record<string, string>;
  /** Element names of the head, in document order (unknown ones included). */
  elements: string[];
  /** Per element name: why its value cannot be read (an element inside it, or the element repeated). */
  problems: Record<string, string>;
}

/** The names a particle of a content model requires (occurrence '' within sequences). */
function requiredNames(p: Particle): string[] {
  if (p.occurrence === '?' || p.occurrence === '*') return [];
  if (p.kind === 'name') return [p.name];
  return p.kind === 'seq' ? p.items.flatMap(requiredNames) : [];
}

function declaredNames(p: Particle): string[] {
  return p.kind === 'name' ? [p.name] : p.items.flatMap(declaredNames);
}

/**
 * The head elements the command DTD requires and declares (spec/dtd/ussd_message_request.dtd), read from its
 * content model, so that the reply's readings stay tied to the one DTD the simulator uses for commands.
 */
export function commandHeadModel(): { required: string[]; declared: string[] } {
  const rule = validatorFor('ussd_message_request').rules.get('head');
  if (rule?.content.kind !== 'children')
    throw new Error('ussd_message_request.dtd declares no head content model');
  return { required: requiredNames(rule.content.particle), declared: declaredNames(rule.content.particle) };
}

function readHead(el: XmlElement, declared: readonly string[]): UssdReplyHead {
  const head: UssdReplyHead = { values: {}, elements: [], problems: {} };
  const validator = validatorFor('ussd_message_request');
  for (const child of childElements(el)) {
    head.elements.push(child.name);
    if (!declared.includes(child.name)) continue;
    if (child.name in head.values || child.name in head.problems) {
      head.problems[child.name] = `<${child.name}> appears more than once in the head`;
      delete head.values[child.name];
      continue;
    }
    const errors = validateTree(validator, child, { expectedRoot: child.name, maxErrors: 3 });
    if (errors.length) head.problems[child.name] = errors.join('; ');
    else head.values[child.name] = textOf(child);
  }
  return head;
}

function readCommand(el: XmlElement): UssdCommandBody | undefined {
  const chosen = childElements(el).filter(
    (c) => c.name === 'menu' || c.name === 'input' || c.name === 'notify',
  );
  if (chosen.length !== 1) return undefined;
  const c = chosen[0]!;
  if (c.name === 'menu') {
    const title = findChild(c, 'title');
    const options = findChildren(c, 'options')
      .flatMap((list) => findChildren(list, 'option'))
      .map((o) => {
        const index = findChild(o, 'index');
        const subtitle = findChild(o, 'subtitle');
        return { index: index ? textOf(index) : '', subtitle: subtitle ? textOf(subtitle) : '' };
      });
    return title ? { type: 'menu', title: textOf(title), options } : { type: 'menu', options };
  }
  const content = findChild(c, 'content');
  return { type: c.name as 'input' | 'notify', content: content ? textOf(content) : '' };
}

/** Reads a partner's reply to a USSD event in parts; never throws for bad input. */
export function readUssdReply(input: Buffer | Uint8Array | string): UssdReplyRead {
  let document: XmlDocument;
  try {
    document = parseXml(input);
  } catch (e) {
    if (e instanceof XmlError)
      return { notXml: `${e.code}: ${e.message}`, envelope: [], commandProblems: [] };
    throw e;
  }
  const read: UssdReplyRead = { document, envelope: [], commandProblems: [] };
  const validator = validatorFor('ussd_message_request');
  const root = document.root;
  if (root.name !== validator.root) {
    read.envelope.push(`the root element is <${clip(root.name, 40)}>, not <${validator.root}>`);
    return read;
  }
  const rootRule = validator.rules.get(root.name)!;
  const parts = rootRule.content.kind === 'children' ? declaredNames(rootRule.content.particle) : [];
  const children = childElements(root);
  for (const name of parts) {
    const n = children.filter((c) => c.name === name).length;
    if (n !== 1)
      read.envelope.push(`<${root.name}> holds ${n} <${name}> elements; a command has exactly one`);
  }
  for (const c of children)
    if (!parts.includes(c.name))
      read.envelope.push(
        `<${clip(c.name, 40)}> is not allowed inside <${root.name}>, which holds ${parts.map((p) => `<${p}>`).join(' and ')}`,
      );
  if (rootRule.textAllowed === false && textOf(root).trim())
    read.envelope.push(`text "${clip(textOf(root).trim(), 30)}" is not allowed in <${root.name}>`);
  const heads = findChildren(root, 'head');
  if (heads.length === 1) read.head = readHead(heads[0]!, commandHeadModel().declared);
  const commands = findChildren(root, 'command');
  if (commands.length === 1) {
    read.commandProblems = validateTree(validator, commands[0]!, { expectedRoot: 'command' });
    const command = readCommand(commands[0]!);
    if (command) read.command = command;
  }
  return read;
}
