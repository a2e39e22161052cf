/**
 * A small DTD parser for what the project's DTDs use (XML 1.0 section 3.2 and 3.3): element type
 * declarations with EMPTY, ANY, mixed content and children content models (sequences, choices,
 * `?`, `*`, `+`), and attribute-list declarations with CDATA, tokenized and enumerated types and
 * #REQUIRED / #IMPLIED / #FIXED / literal defaults. Comments and a leading text declaration are
 * skipped. ENTITY declarations and parameter-entity references are refused: the DTDs describe
 * documents, they never expand anything.
 */
import { readFileSync } from 'node:fs';
import { MseError } from '../core/errors.ts';

export type DtdErrorCode = 'MSE_DTD_SYNTAX' | 'MSE_DTD_ENTITY' | 'MSE_DTD_UNSUPPORTED';

export class DtdError extends MseError {
  declare readonly code: DtdErrorCode;
  constructor(code: DtdErrorCode, message: string) {
    super(message, code);
  }
}

export type Occurrence = '' | '?' | '*' | '+';

export type Particle =
  | { kind: 'name'; name: string; occurrence: Occurrence }
  | { kind: 'seq' | 'choice'; items: Particle[]; occurrence: Occurrence };

export type ContentModel =
  | { kind: 'empty' }
  | { kind: 'any' }
  /** `(#PCDATA)` has no names; `(#PCDATA | a | b)*` lists a and b. */
  | { kind: 'mixed'; names: string[] }
  | { kind: 'children'; particle: Particle };

export type AttributeType =
  | { kind: 'CDATA' | 'ID' | 'IDREF' | 'IDREFS' | 'NMTOKEN' | 'NMTOKENS' }
  | { kind: 'enum'; values: string[] };

export type AttributeDefault =
  | { kind: 'required' }
  | { kind: 'implied' }
  | { kind: 'fixed'; value: string }
  | { kind: 'default'; value: string };

export interface AttributeDecl {
  name: string;
  type: AttributeType;
  default: AttributeDefault;
}

export interface ElementDecl {
  name: string;
  content: ContentModel;
}

export interface Dtd {
  /** Element declarations in file order (the first one is taken as the document's root). */
  elements: Map<string, ElementDecl>;
  /** Attribute declarations per element, in file order. */
  attributes: Map<string, Map<string, AttributeDecl>>;
}

const nameRe = /[A-Za-z_:][-A-Za-z0-9._:\u00B7\u00C0-\uFFFD]*/y;
const nmtokenRe = /[-A-Za-z0-9._:\u00B7\u00C0-\uFFFD]+/y;

/** Parses DTD text. `source` names the file in error messages. */
export function parseDtd(text: string, source = 'DTD'): Dtd {
  return new DtdParser(text, source).parse();
}

/** Reads and parses a DTD file. */
export function loadDtd(path: string): Dtd {
  return parseDtd(readFileSync(path, 'utf8'), path);
}

/** The content model written back in DTD syntax, e.g. `(status-code?, profile, ...)`, for messages. */
export function formatContentModel(content: ContentModel): string {
  switch (content.kind) {
    case 'empty':
      return 'EMPTY';
    case 'any':
      return 'ANY';
    case 'mixed':
      return content.names.length ? `(#PCDATA | ${content.names.join(' | ')})*` : '(#PCDATA)';
    case 'children': {
      const p = content.particle;
      const s = formatParticle(p);
      return p.kind === 'name' ? `(${s})` : s;
    }
  }
}

function formatParticle(p: Particle): string {
  if (p.kind === 'name') return p.name + p.occurrence;
  return `(${p.items.map(formatParticle).join(p.kind === 'seq' ? ', ' : ' | ')})${p.occurrence}`;
}

class DtdParser {
  private i = 0;
  private readonly dtd: Dtd = { elements: new Map(), attributes: new Map() };

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  parse(): Dtd {
    const t = this.text;
    if (t.charCodeAt(0) === 0xfeff) this.i = 1;
    // A text declaration (XML 1.0 4.3.1) may open an external subset, as in 6.5.1.
    if (t.startsWith('<?xml', this.i)) this.i = this.expectEnd('?>', 'text declaration');
    for (;;) {
      this.skipSpace();
      if (this.i >= t.length) return this.dtd;
      if (t.startsWith('<!--', this.i)) this.i = this.expectEnd('-->', 'comment');
      else if (t.startsWith('<?', this.i)) this.i = this.expectEnd('?>', 'processing instruction');
      else if (t.startsWith('<!ELEMENT', this.i)) this.element();
      else if (t.startsWith('<!ATTLIST', this.i)) this.attlist();
      else if (t.startsWith('<!ENTITY', this.i))
        throw new DtdError(
          'MSE_DTD_ENTITY',
          this.at('ENTITY declarations are refused: the project never expands entities'),
        );
      else if (t.charCodeAt(this.i) === 0x25 /* % */)
        throw new DtdError('MSE_DTD_ENTITY', this.at('parameter-entity references are refused'));
      else if (t.startsWith('<!NOTATION', this.i) || t.startsWith('<![', this.i))
        throw new DtdError(
          'MSE_DTD_UNSUPPORTED',
          this.at('NOTATION declarations and conditional sections are not supported'),
        );
      else throw this.syntax('expected <!ELEMENT, <!ATTLIST or a comment');
    }
  }

  private element(): void {
    this.i += '<!ELEMENT'.length;
    this.requireSpace();
    const name = this.name();
    if (this.dtd.elements.has(name)) throw this.syntax(`element ${name} is declared twice`);
    this.requireSpace();
    const content = this.contentSpec(name);
    this.skipSpace();
    this.expect('>');
    this.dtd.elements.set(name, { name, content });
  }

  private contentSpec(element: string): ContentModel {
    const t = this.text;
    if (t.startsWith('EMPTY', this.i)) {
      this.i += 5;
      return { kind: 'empty' };
    }
    if (t.startsWith('ANY', this.i)) {
      this.i += 3;
      return { kind: 'any' };
    }
    if (t.charCodeAt(this.i) === 0x25 /* % */)
      throw new DtdError('MSE_DTD_ENTITY', this.at('parameter-entity references are refused'));
    const open = this.i;
    this.expect('(');
    this.skipSpace();
    if (t.startsWith('#PCDATA', this.i)) {
      this.i += 7;
      const names: string[] = [];
      for (;;) {
        this.skipSpace();
        if (t.charCodeAt(this.i) === 0x29 /* ) */) {
          this.i++;
          break;
        }
        this.expect('|');
        this.skipSpace();
        const n = this.name();
        if (names.includes(n)) throw this.syntax(`element ${element}: ${n} appears twice in mixed content`);
        names.push(n);
      }
      if (t.charCodeAt(this.i) === 0x2a /* * */) this.i++;
      else if (names.length)
        throw this.syntax(`element ${element}: mixed content with names must end with ")*"`);
      return { kind: 'mixed', names };
    }
    this.i = open;
    return { kind: 'children', particle: this.particle() };
  }

  private particle(): Particle {
    const t = this.text;
    let p: Particle;
    if (t.charCodeAt(this.i) === 0x28 /* ( */) {
      this.i++;
      this.skipSpace();
      const items = [this.particle()];
      let kind: 'seq' | 'choice' | undefined;
      for (;;) {
        this.skipSpace();
        const c = t.charAt(this.i);
        if (c === ')') {
          this.i++;
          break;
        }
        if (c !== ',' && c !== '|') throw this.syntax('expected ",", "|" or ")" in a content model');
        const k = c === ',' ? 'seq' : 'choice';
        if (kind && kind !== k)
          throw this.syntax('"," and "|" cannot be mixed in one group; add parentheses');
        kind = k;
        this.i++;
        this.skipSpace();
        items.push(this.particle());
      }
      p = { kind: kind ?? 'seq', items, occurrence: '' };
    } else {
      if (t.charCodeAt(this.i) === 0x23 /* # */)
        throw this.syntax('#PCDATA must come first in a mixed-content group');
      p = { kind: 'name', name: this.name(), occurrence: '' };
    }
    const o = t.charAt(this.i);
    if (o === '?' || o === '*' || o === '+') {
      p.occurrence = o;
      this.i++;
    }
    return p;
  }

  private attlist(): void {
    this.i += '<!ATTLIST'.length;
    this.requireSpace();
    const element = this.name();
    let decls = this.dtd.attributes.get(element);
    if (!decls) {
      decls = new Map();
      this.dtd.attributes.set(element, decls);
    }
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.i) === 0x3e /* > */) {
        this.i++;
        return;
      }
      const name = this.name();
      this.requireSpace();
      const type = this.attributeType();
      this.requireSpace();
      const def = this.attributeDefault(type);
      // XML 1.0 3.3: the first declaration of an attribute is binding; later ones are ignored.
      if (!decls.has(name)) decls.set(name, { name, type, default: def });
    }
  }

  private attributeType(): AttributeType {
    const t = this.text;
    if (t.charCodeAt(this.i) === 0x28 /* ( */) {
      this.i++;
      const values: string[] = [];
      for (;;) {
        this.skipSpace();
        nmtokenRe.lastIndex = this.i;
        const m = nmtokenRe.exec(t);
        if (!m) throw this.syntax('expected a name token in an enumeration');
        values.push(m[0]);
        this.i += m[0].length;
        this.skipSpace();
        if (t.charCodeAt(this.i) === 0x29) {
          this.i++;
          return { kind: 'enum', values };
        }
        this.expect('|');
      }
    }
    for (const kind of ['CDATA', 'IDREFS', 'IDREF', 'ID', 'NMTOKENS', 'NMTOKEN'] as const)
      if (t.startsWith(kind, this.i)) {
        this.i += kind.length;
        return { kind };
      }
    if (t.startsWith('ENTIT', this.i))
      throw new DtdError('MSE_DTD_ENTITY', this.at('ENTITY/ENTITIES attribute types are refused'));
    throw new DtdError(
      'MSE_DTD_UNSUPPORTED',
      this.at('unsupported attribute type (NOTATION is not supported)'),
    );
  }

  private attributeDefault(type: AttributeType): AttributeDefault {
    const t = this.text;
    if (t.startsWith('#REQUIRED', this.i)) {
      this.i += 9;
      return { kind: 'required' };
    }
    if (t.startsWith('#IMPLIED', this.i)) {
      this.i += 8;
      return { kind: 'implied' };
    }
    let fixed = false;
    if (t.startsWith('#FIXED', this.i)) {
      this.i += 6;
      this.requireSpace();
      fixed = true;
    }
    const value = this.literal();
    if (type.kind === 'enum' && !type.values.includes(value))
      throw this.syntax(`default "${value}" is not one of the enumerated values`);
    return fixed ? { kind: 'fixed', value } : { kind: 'default', value };
  }

  private literal(): string {
    const q = this.text.charAt(this.i);
    if (q !== '"' && q !== "'") throw this.syntax('expected a quoted default value');
    const end = this.text.indexOf(q, this.i + 1);
    if (end < 0) throw this.syntax('a quoted value is never closed');
    const value = this.text.slice(this.i + 1, end);
    if (value.includes('&') || value.includes('%'))
      throw new DtdError('MSE_DTD_ENTITY', this.at('references in default values are refused'));
    if (value.includes('<')) throw this.syntax('"<" is not allowed in an attribute default');
    this.i = end + 1;
    return value;
  }

  private name(): string {
    nameRe.lastIndex = this.i;
    const m = nameRe.exec(this.text);
    if (!m) {
      if (this.text.charCodeAt(this.i) === 0x25)
        throw new DtdError('MSE_DTD_ENTITY', this.at('parameter-entity references are refused'));
      throw this.syntax('expected a name');
    }
    this.i += m[0].length;
    return m[0];
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  private requireSpace(): void {
    const before = this.i;
    this.skipSpace();
    if (this.i === before) {
      if (this.text.charCodeAt(this.i) === 0x25)
        throw new DtdError('MSE_DTD_ENTITY', this.at('parameter-entity references are refused'));
      throw this.syntax('expected whitespace');
    }
  }

  private expect(s: string): void {
    if (!this.text.startsWith(s, this.i)) throw this.syntax(`expected "${s}"`);
    this.i += s.length;
  }

  private expectEnd(end: string, what: string): number {
    const at = this.text.indexOf(end, this.i);
    if (at < 0) throw this.syntax(`a ${what} is never closed`);
    return at + end.length;
  }

  private at(message: string): string {
    const before = this.text.slice(0, this.i);
    const line = before.split('\n').length;
    return `${this.source}:${line}: ${message}`;
  }

  private syntax(message: string): DtdError {
    return new DtdError('MSE_DTD_SYNTAX', this.at(message));
  }
}
