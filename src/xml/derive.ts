/**
 * Derives a document validator from a parsed DTD; nothing here is written per document type.
 *
 * Each element declaration becomes two things:
 * - a JSON Schema (compiled by ajv) over the element's projection `{ attributes, children, text,
 *   cdata }`: which attributes exist, which are required, enumerated or fixed; which child names
 *   may occur at all; whether non-whitespace text may occur (XML 1.0 3.2.1 element content);
 * - a deterministic automaton over child names, compiled from the content model, for what JSON
 *   Schema cannot say: order and cardinality (`(status-code?, profile, ...)` is a sequence).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { clip } from '../charset/encoding.ts';
import type { XmlElement, XmlNode } from './codec.ts';
import {
  type AttributeDecl,
  type ContentModel,
  type Dtd,
  DtdError,
  formatContentModel,
  type Particle,
} from './dtd.ts';

/** The view of one element the derived JSON Schema validates. */
export interface ElementProjection {
  attributes: Record<string, string>;
  children: string[];
  /** All the element's own character data, concatenated. */
  text: string;
  /** True when some of that text came from a CDATA section. */
  cdata: boolean;
  /** Comments and processing instructions inside the element. */
  comments: number;
}

/** A DFA over child element names. State 0 is the start. */
export interface ContentAutomaton {
  transitions: Array<Map<string, number>>;
  accepting: boolean[];
}

export interface ElementRule {
  name: string;
  /** The declaration written back, e.g. `(status-code?, profile, ...)`. */
  model: string;
  content: ContentModel;
  schema: Record<string, unknown>;
  check: ValidateFunction;
  /** Present for children content; mixed and ANY content only constrain names (in the schema). */
  automaton?: ContentAutomaton;
  attributes: Map<string, AttributeDecl>;
  /** True when character data other than whitespace may occur (mixed or ANY content). */
  textAllowed: boolean;
}

export interface DerivedValidator {
  /** The first declared element: the document's root by convention of this project's DTDs. */
  root: string;
  rules: Map<string, ElementRule>;
  /** One JSON Schema per element, by name (for inspection, docs and tests). */
  schemas: Record<string, Record<string, unknown>>;
}

const whitespace = '^[ \\t\\n\\r]*$';
const namePattern = '^[A-Za-z_:][-A-Za-z0-9._:\\u00B7\\u00C0-\\uFFFD]*$';
const nmtokenPattern = '^[-A-Za-z0-9._:\\u00B7\\u00C0-\\uFFFD]+$';

const ajv = new Ajv2020({ allErrors: true, strict: true, unicodeRegExp: true });

/** Builds the validator for every element the DTD declares. */
export function deriveValidator(dtd: Dtd): DerivedValidator {
  const declared = [...dtd.elements.keys()];
  const rules = new Map<string, ElementRule>();
  const schemas: Record<string, Record<string, unknown>> = {};
  for (const decl of dtd.elements.values()) {
    const attributes = dtd.attributes.get(decl.name) ?? new Map<string, AttributeDecl>();
    const schema = elementSchema(decl.name, decl.content, attributes, declared);
    schemas[decl.name] = schema;
    const rule: ElementRule = {
      name: decl.name,
      model: formatContentModel(decl.content),
      content: decl.content,
      schema,
      check: ajv.compile(schema),
      attributes,
      textAllowed: decl.content.kind === 'mixed' || decl.content.kind === 'any',
    };
    if (decl.content.kind === 'children')
      rule.automaton = compileContentModel(decl.content.particle, `element ${decl.name} ${rule.model}`);
    rules.set(decl.name, rule);
  }
  const root = declared[0];
  if (root === undefined) throw new DtdError('MSE_DTD_SYNTAX', 'the DTD declares no element');
  return { root, rules, schemas };
}

function elementSchema(
  name: string,
  content: ContentModel,
  attributes: Map<string, AttributeDecl>,
  declared: string[],
): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const a of attributes.values()) {
    properties[a.name] = attributeSchema(a);
    if (a.default.kind === 'required') required.push(a.name);
  }
  let children: Record<string, unknown>;
  let text: Record<string, unknown>;
  let cdata: Record<string, unknown> = { type: 'boolean' };
  let comments: Record<string, unknown> = { type: 'integer' };
  switch (content.kind) {
    case 'empty':
      children = { type: 'array', maxItems: 0 };
      text = { type: 'string', maxLength: 0 };
      cdata = { const: false };
      comments = { const: 0 };
      break;
    case 'any':
      children = { type: 'array', items: { enum: declared } };
      text = { type: 'string' };
      break;
    case 'mixed':
      children = content.names.length
        ? { type: 'array', items: { enum: content.names } }
        : { type: 'array', maxItems: 0 };
      text = { type: 'string' };
      break;
    case 'children':
      children = { type: 'array', items: { enum: [...new Set(particleNames(content.particle))] } };
      text = { type: 'string', pattern: whitespace };
      cdata = { const: false };
      break;
  }
  return {
    title: `element ${name} ${formatContentModel(content)}`,
    type: 'object',
    properties: {
      attributes: { type: 'object', properties, required, additionalProperties: false },
      children,
      text,
      cdata,
      comments,
    },
    required: ['attributes', 'children', 'text', 'cdata', 'comments'],
    additionalProperties: false,
  };
}

function attributeSchema(a: AttributeDecl): Record<string, unknown> {
  if (a.default.kind === 'fixed') return { const: a.default.value };
  switch (a.type.kind) {
    case 'enum':
      return { enum: a.type.values };
    case 'CDATA':
      return { type: 'string' };
    case 'ID':
    case 'IDREF':
      return { type: 'string', pattern: namePattern };
    case 'IDREFS':
      return {
        type: 'string',
        pattern: namePattern.replace(/\$$/, '(?: [A-Za-z_:][-A-Za-z0-9._:\\u00B7\\u00C0-\\uFFFD]*)*$'),
      };
    case 'NMTOKEN':
      return { type: 'string', pattern: nmtokenPattern };
    case 'NMTOKENS':
      return {
        type: 'string',
        pattern: '^[-A-Za-z0-9._:\\u00B7\\u00C0-\\uFFFD]+(?: [-A-Za-z0-9._:\\u00B7\\u00C0-\\uFFFD]+)*$',
      };
  }
}

function particleNames(p: Particle): string[] {
  return p.kind === 'name' ? [p.name] : p.items.flatMap(particleNames);
}

// Thompson construction: an NFA with epsilon moves, then subset construction into a DFA. Content
// models are a handful of names, so the DFA is tiny and matching is one map lookup per child.
interface Nfa {
  eps: number[][];
  moves: Array<Array<[string, number]>>;
}

function compileContentModel(particle: Particle, owner: string): ContentAutomaton {
  const nfa: Nfa = { eps: [], moves: [] };
  const state = () => {
    nfa.eps.push([]);
    nfa.moves.push([]);
    return nfa.eps.length - 1;
  };
  const build = (p: Particle): [number, number] => {
    let s: number;
    let e: number;
    if (p.kind === 'name') {
      s = state();
      e = state();
      nfa.moves[s]!.push([p.name, e]);
    } else if (p.kind === 'seq') {
      s = state();
      let cur = s;
      for (const item of p.items) {
        const [is, ie] = build(item);
        nfa.eps[cur]!.push(is);
        cur = ie;
      }
      e = cur;
    } else {
      s = state();
      e = state();
      for (const item of p.items) {
        const [is, ie] = build(item);
        nfa.eps[s]!.push(is);
        nfa.eps[ie]!.push(e);
      }
    }
    if (p.occurrence === '') return [s, e];
    const s2 = state();
    const e2 = state();
    nfa.eps[s2]!.push(s);
    nfa.eps[e]!.push(e2);
    if (p.occurrence === '?' || p.occurrence === '*') nfa.eps[s2]!.push(e2);
    if (p.occurrence === '*' || p.occurrence === '+') nfa.eps[e]!.push(s);
    return [s2, e2];
  };
  const [start, end] = build(particle);

  const closure = (states: number[]): number[] => {
    const seen = new Set(states);
    const stack = [...states];
    while (stack.length)
      for (const t of nfa.eps[stack.pop()!]!)
        if (!seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
    return [...seen].sort((a, b) => a - b);
  };
  const transitions: Array<Map<string, number>> = [];
  const accepting: boolean[] = [];
  const index = new Map<string, number>();
  const queue: number[][] = [];
  const add = (set: number[]): number => {
    const key = set.join(',');
    let id = index.get(key);
    if (id === undefined) {
      id = transitions.length;
      index.set(key, id);
      transitions.push(new Map());
      accepting.push(set.includes(end));
      queue.push(set);
    }
    return id;
  };
  add(closure([start]));
  for (let q = 0; q < queue.length; q++) {
    const set = queue[q]!;
    const byName = new Map<string, number[]>();
    for (const s of set)
      for (const [name, t] of nfa.moves[s]!) {
        const list = byName.get(name) ?? [];
        list.push(t);
        byName.set(name, list);
      }
    for (const [name, targets] of byName) {
      // Each name in the model is one move of the NFA; two moves on one name from one state is the
      // ambiguity XML 1.0 forbids (3.2.1 and appendix E: content models must be deterministic).
      if (targets.length > 1)
        throw new DtdError(
          'MSE_DTD_SYNTAX',
          `${owner}: the content model is not deterministic: <${name}> can match two places`,
        );
      transitions[q]!.set(name, add(closure(targets)));
    }
  }
  return { transitions, accepting };
}

/**
 * Runs the automaton over child names. Returns undefined when they match, else a sentence saying
 * where it failed and what was expected there.
 */
export function matchContent(automaton: ContentAutomaton, children: string[]): string | undefined {
  let s = 0;
  for (let k = 0; k < children.length; k++) {
    const next = automaton.transitions[s]!.get(children[k]!);
    if (next === undefined) {
      const where = k === 0 ? 'as the first child' : `after <${children[k - 1]}>`;
      return `<${children[k]}> is not allowed ${where}; expected ${expected(automaton, s)}`;
    }
    s = next;
  }
  if (!automaton.accepting[s]) {
    const where = children.length ? `after <${children[children.length - 1]}>` : 'with no child elements';
    return `content ends too early ${where}; expected ${expected(automaton, s)}`;
  }
  return undefined;
}

function expected(automaton: ContentAutomaton, s: number): string {
  const names = [...automaton.transitions[s]!.keys()].map((n) => `<${n}>`);
  if (automaton.accepting[s]) names.push('the end of the element');
  return names.length ? names.join(' or ') : 'nothing';
}

/** The projection of an element that its JSON Schema validates. */
export function project(el: XmlElement): ElementProjection {
  const children: string[] = [];
  let text = '';
  let cdata = false;
  for (const c of el.children) {
    if ('name' in c) children.push(c.name);
    else {
      text += c.text;
      if (c.cdata) cdata = true;
    }
  }
  // No normalisation of tokenized attribute values (XML 1.0 3.3.3): MSE documents carry no DOCTYPE,
  // so a parser never sees the DTD and never normalises; libxml2's --dtdvalid agrees.
  const attributes = el.attributes;
  return { attributes, children, text, cdata, comments: el.commentCount ?? 0 };
}

/**
 * Validates an element tree against the derived validator. Returns every error found (capped at
 * `maxErrors`), each starting with the element's path, e.g. `/mse-response/parameters`.
 */
export function validateTree(
  validator: DerivedValidator,
  root: XmlElement,
  options: { expectedRoot?: string; maxErrors?: number } = {},
): string[] {
  const errors: string[] = [];
  const max = options.maxErrors ?? 20;
  const expectedRoot = options.expectedRoot ?? validator.root;
  if (root.name !== expectedRoot)
    errors.push(
      `/${clip(root.name, 40)}: the root element must be <${expectedRoot}>, not <${clip(root.name, 40)}>`,
    );
  // The path is built from the ancestor stack only when an error is reported: valid documents
  // (the common case) pay nothing. (A path closure per element tripled the validation time.)
  const ancestors: XmlElement[] = [];
  const path = (): string => {
    let out = '';
    for (let k = 0; k < ancestors.length; k++) {
      const el = ancestors[k]!;
      const parent = ancestors[k - 1];
      out += `/${clip(el.name, 40)}${parent ? position(el, parent.children) : ''}`;
    }
    return out;
  };
  const walk = (el: XmlElement): void => {
    if (errors.length >= max) return;
    ancestors.push(el);
    const rule = validator.rules.get(el.name);
    if (!rule) {
      errors.push(`${path()}: element <${clip(el.name, 40)}> is not declared in the DTD`);
      ancestors.pop();
      return;
    }
    const view = project(el);
    if (!rule.check(view))
      for (const e of rule.check.errors ?? []) errors.push(`${path()}: ${describe(rule, view, e)}`);
    if (rule.automaton) {
      const problem = matchContent(rule.automaton, view.children);
      if (problem) errors.push(`${path()}: ${problem} (content model ${rule.model})`);
    }
    for (const c of el.children) if ('name' in c) walk(c);
    ancestors.pop();
  };
  walk(root);
  return errors.slice(0, max);
}

/** `[n]` when the element's name repeats among its siblings, else ''. */
function position(el: XmlElement, siblings: XmlNode[]): string {
  let n = 0;
  let total = 0;
  for (const c of siblings)
    if ('name' in c && c.name === el.name) {
      total++;
      if (c === el) n = total;
    }
  return total > 1 ? `[${n}]` : '';
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function describe(rule: ElementRule, view: ElementProjection, e: AjvError): string {
  const path = e.instancePath;
  if (path === '/attributes') {
    if (e.keyword === 'additionalProperty' || e.keyword === 'additionalProperties')
      return `attribute ${clip(String(e.params.additionalProperty), 40)} is not declared for <${rule.name}>`;
    if (e.keyword === 'required') return `required attribute ${String(e.params.missingProperty)} is missing`;
  }
  if (path.startsWith('/attributes/')) {
    const name = path.slice('/attributes/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
    const decl = rule.attributes.get(name);
    const value = clip(view.attributes[name] ?? '', 40);
    if (decl?.default.kind === 'fixed')
      return `attribute ${name} must be "${decl.default.value}" (#FIXED), not "${value}"`;
    if (decl?.type.kind === 'enum')
      return `attribute ${name} is "${value}"; allowed: ${decl.type.values.join(', ')}`;
    return `attribute ${name} "${value}" is not a valid ${decl?.type.kind ?? 'value'}`;
  }
  if (path === '/children' && e.keyword === 'maxItems')
    return rule.content.kind === 'empty'
      ? `<${rule.name}> is declared EMPTY but has child elements`
      : `<${rule.name}> holds text only ${rule.model} but has child elements`;
  if (path.startsWith('/children/') && e.keyword === 'enum') {
    const child = view.children[Number(path.slice('/children/'.length))] ?? '';
    return `<${clip(child, 40)}> is not allowed inside <${rule.name}> (content model ${rule.model})`;
  }
  if (path === '/text')
    return rule.content.kind === 'empty'
      ? `<${rule.name}> is declared EMPTY but has text`
      : `text "${clip(view.text.trim(), 30)}" is not allowed in <${rule.name}>, whose content is elements only ${rule.model}`;
  if (path === '/comments')
    return `<${rule.name}> is declared EMPTY but holds a comment or processing instruction`;
  if (path === '/cdata')
    return `a CDATA section is not allowed in <${rule.name}>, whose content is ${rule.model}`;
  return `${path || '/'} ${e.message ?? e.keyword}`;
}
