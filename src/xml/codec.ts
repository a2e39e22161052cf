/**
 * The XML codec every part of the project reads MSE documents with.
 *
 * Order of checks (cheapest and most dangerous first): size, DOCTYPE/ENTITY declarations (refused,
 * never processed: no entity is ever expanded and no external DTD is ever fetched), encoding (per
 * BOM and declaration, invalid bytes refused), a lexical pass for what fast-xml-parser's validator
 * lets through (text outside the root, several roots, undefined entities, illegal characters,
 * `]]>` in text, `<` in attribute values), fast-xml-parser's XMLValidator, and only then its parser
 * (whose `parse()` alone silently accepts malformed XML). Every value stays a string.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CharsetError, clip, decodeXmlBytes } from '../charset/encoding.ts';
import { MseError } from '../core/errors.ts';

export type XmlErrorCode =
  | 'MSE_XML_MALFORMED'
  | 'MSE_XML_DOCTYPE'
  | 'MSE_XML_ENTITY'
  | 'MSE_XML_ENCODING'
  | 'MSE_XML_TOO_LARGE'
  | 'MSE_XML_INVALID';

/** A refused XML document. The message says what is wrong and what to do, quoting little of the input. */
export class XmlError extends MseError {
  declare readonly code: XmlErrorCode;
  constructor(code: XmlErrorCode, message: string) {
    super(message, code);
  }
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  /**
   * How many comments and processing instructions the element holds (they are not kept as nodes).
   * Present only when non-zero: an element declared EMPTY may hold none (XML 1.0 3.2.1).
   */
  commentCount?: number;
}

export interface XmlText {
  text: string;
  cdata?: boolean;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlDeclaration {
  version?: string;
  encoding?: string;
}

export interface XmlDocument {
  declaration?: XmlDeclaration;
  root: XmlElement;
}

export interface ParseOptions {
  /** Largest accepted document in bytes (UTF-8 bytes for a string). Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  /** Deepest accepted element nesting. Default DEFAULT_MAX_DEPTH. */
  maxDepth?: number;
}

/** 4 MiB: an MMS MO document (6.4.7.1) percent-encodes its MMS, so it can be a few times the MMS size. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
/** MSE documents nest at most 5 levels; 64 leaves room and keeps every walk shallow. */
export const DEFAULT_MAX_DEPTH = 64;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  cdataPropName: '#cdata',
  // Comments and PIs are read (then dropped) only so that an EMPTY element holding one is caught.
  commentPropName: '#comment',
  ignorePiTags: false,
  ignoreDeclaration: true,
  allowBooleanAttributes: false,
  // No callbacks use paths; skipping the jPath strings saves about 15% of parse time.
  jPath: false,
  // The lexical pass already bounded the depth; this only keeps the parser from refusing first.
  maxNestedTags: 10_000,
});

export function isElement(node: XmlNode): node is XmlElement {
  return (node as XmlElement).name !== undefined;
}

/** The element's own text: its text and CDATA children concatenated (not descendants'). */
export function textOf(el: XmlElement): string {
  let out = '';
  for (const c of el.children) if (!isElement(c)) out += c.text;
  return out;
}

export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter(isElement);
}

export function findChild(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) if (isElement(c) && c.name === name) return c;
  return undefined;
}

export function findChildren(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => isElement(c) && c.name === name);
}

/**
 * Parses an XML document, refusing anything unsafe or malformed with an XmlError (never anything
 * else). Bytes are decoded per BOM and declaration (UTF-8 by default); a string is taken as already
 * decoded, so its declared encoding is reported in `declaration` but not applied.
 */
export function parseXml(input: Buffer | Uint8Array | string, options: ParseOptions = {}): XmlDocument {
  try {
    return parseUnsafe(input, options);
  } catch (e) {
    if (e instanceof XmlError) throw e;
    // fast-xml-parser throws plain Errors (and a few TypeErrors on odd names); none may escape.
    throw new XmlError(
      'MSE_XML_MALFORMED',
      `the XML parser refused the document (${clip(e instanceof Error ? e.message : String(e), 100)}): send well-formed XML`,
    );
  }
}

function parseUnsafe(input: Buffer | Uint8Array | string, options: ParseOptions): XmlDocument {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes)
    throw new XmlError(
      'MSE_XML_TOO_LARGE',
      `the document has ${size} bytes, more than the limit of ${maxBytes}: send a smaller document or raise maxBytes`,
    );

  let text: string;
  if (typeof input === 'string') {
    refuseDeclarations(input);
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    // Declarations are ASCII, so they can be found before decoding in every ASCII-compatible
    // encoding; UTF-16 documents are searched again once decoded.
    if (bytes.includes('<!')) refuseDeclarations(bytes.toString('latin1'));
    let encoding: string;
    try {
      ({ text, encoding } = decodeXmlBytes(bytes));
    } catch (e) {
      if (e instanceof CharsetError) throw new XmlError('MSE_XML_ENCODING', e.message);
      throw e;
    }
    if (encoding.startsWith('UTF-16')) refuseDeclarations(text);
  }
  // XML 1.0 section 2.11: line ends are normalised to LF before parsing.
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');

  const { declaration, unclosed } = lex(text, maxDepth);

  const verdict = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new XmlError(
      'MSE_XML_MALFORMED',
      `not well-formed at line ${line}, column ${col}: ${clip(msg.replace(/'([^']{30})[^']+'/g, "'$1…'"), 100)}; send well-formed XML`,
    );
  }
  if (unclosed) throw malformed(text, text.length, 'the document ends before its elements are closed');

  const tree = parser.parse(text) as RawNode[];
  const root = tree.map(convert).find((n): n is XmlElement => !!n && isElement(n));
  if (!root)
    throw new XmlError('MSE_XML_MALFORMED', 'the document has no root element: send an XML document');
  return declaration ? { declaration, root } : { root };
}

type RawNode = Record<string, unknown>;

/** Converts one fast-xml-parser node; null stands for a comment or processing instruction. */
function convert(raw: RawNode): XmlNode | null | undefined {
  for (const key in raw) {
    if (key === ':@') continue;
    const value = raw[key];
    if (key === '#text') return { text: decodeReferences(String(value)) };
    if (key === '#cdata') {
      const parts = value as RawNode[];
      return { text: parts.map((p) => String(p['#text'] ?? '')).join(''), cdata: true };
    }
    if (key.startsWith('?') || key === '#comment') return null;
    const attributes: Record<string, string> = {};
    const rawAttrs = raw[':@'] as Record<string, unknown> | undefined;
    if (rawAttrs)
      for (const name in rawAttrs)
        attributes[name] = decodeReferences(String(rawAttrs[name]).replace(/[\t\n]/g, ' '));
    const children: XmlNode[] = [];
    let commentCount = 0;
    for (const child of value as RawNode[]) {
      const node = convert(child);
      if (node) children.push(node);
      else if (node === null) commentCount++;
    }
    return commentCount
      ? { name: key, attributes, children, commentCount }
      : { name: key, attributes, children };
  }
  return undefined;
}

const predefined: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five predefined entities and numeric references; the lexical pass refused the rest. */
function decodeReferences(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, ref: string) => {
    if (ref.charCodeAt(0) !== 0x23) return predefined[ref]!;
    const cp =
      ref.charCodeAt(1) === 0x78 ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return String.fromCodePoint(cp);
  });
}

/** True when `cp` is a character XML 1.0 allows (production [2] Char). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Characters XML 1.0 cannot carry at all, even as references (lone surrogates included). */
export const illegalXmlChars = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function where(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return `line ${line}, column ${offset - last}`;
}

function malformed(text: string, offset: number, what: string): XmlError {
  return new XmlError('MSE_XML_MALFORMED', `not well-formed at ${where(text, offset)}: ${what}`);
}

/**
 * Refuses `<!DOCTYPE` and `<!ENTITY` anywhere outside comments and CDATA sections, before anything
 * else is looked at: the codec never processes a DTD, so it never expands or fetches anything.
 */
function refuseDeclarations(text: string): void {
  let i = text.indexOf('<!');
  while (i >= 0) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return;
      i = text.indexOf('<!', end + 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) return;
      i = text.indexOf('<!', end + 3);
      continue;
    }
    const word = text.slice(i + 2, i + 9).toUpperCase();
    if (word.startsWith('DOCTYPE'))
      throw new XmlError(
        'MSE_XML_DOCTYPE',
        `a DOCTYPE declaration at ${where(text, i)} is refused: MSE documents carry no DTD (DTDs can expand entities and fetch files); remove it`,
      );
    if (word.startsWith('ENTITY'))
      throw new XmlError(
        'MSE_XML_DOCTYPE',
        `an ENTITY declaration at ${where(text, i)} is refused: MSE documents declare no entities; remove it`,
      );
    i = text.indexOf('<!', i + 2);
  }
}

// XML 1.0 (5th ed.) productions [4] NameStartChar and [4a] NameChar, built from strings because a
// literal class mixing base and combining ranges trips the linter's misleading-class rule.
const nameStartChars =
  'A-Za-z_:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const nameChars = `${nameStartChars}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const nameStart = new RegExp(`[${nameStartChars}]`, 'u');
const nameRe = new RegExp(`[${nameStartChars}][${nameChars}]*`, 'uy');
const referenceRe = /&(?:#([0-9]+);|#x([0-9a-fA-F]+);|([^\s;&<>"']+);)/y;
const declarationRe =
  /^<\?xml(\s+version\s*=\s*(?:"([^"]*)"|'([^']*)'))(\s+encoding\s*=\s*(?:"([^"]*)"|'([^']*)'))?(\s+standalone\s*=\s*(?:"(yes|no)"|'(yes|no)'))?\s*\?>/;
const whitespaceOnly = /^[ \t\n]*$/;
// Names fast-xml-parser refuses or silently renames (they would pollute prototypes); we refuse them
// with a clear message instead of returning a renamed element.
const reservedNames = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * The lexical pass: checks what XMLValidator lets through and returns the XML declaration.
 * Linear in the input; jumps between markup with indexOf.
 */
function lex(text: string, maxDepth: number): { declaration?: XmlDeclaration; unclosed: boolean } {
  const { declaration, start } = lexDeclaration(text);
  let i = start;
  const openTags: Array<{ name: string; at: number }> = [];
  const next: Next = { amp: -2, lt: -2, cdEnd: -2 };
  let rootClosed = false;
  let rootSeen = false;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) checkText(text, i, end, openTags.length, next);
    if (lt < 0) break;
    const c = text.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */) {
      i = scanBang(text, lt, openTags.length);
    } else if (c === 0x3f /* ? */) {
      i = scanPi(text, lt);
    } else if (c === 0x2f /* / */) {
      i = scanEndTag(text, lt, openTags);
      if (openTags.length === 0) rootClosed = true;
    } else {
      if (rootClosed)
        throw malformed(text, lt, 'a second root element: a document has exactly one root element');
      nameRe.lastIndex = lt + 1;
      const m = nameRe.exec(text);
      if (!m) throw malformed(text, lt, `"<" must start a tag; write &lt; for a literal "<"`);
      if (reservedNames.has(m[0]))
        throw malformed(
          text,
          lt,
          `the element name "${m[0]}" is refused (reserved in JavaScript); no MSE document uses it`,
        );
      rootSeen = true;
      i = scanTagRest(text, lt + 1 + m[0].length, next);
      if (text.charCodeAt(i - 2) === 0x2f /* / */) {
        if (openTags.length === 0) rootClosed = true;
      } else {
        openTags.push({ name: m[0], at: lt });
        if (openTags.length > maxDepth)
          throw new XmlError(
            'MSE_XML_TOO_LARGE',
            `elements nest deeper than ${maxDepth} levels at ${where(text, lt)}: MSE documents are shallow; flatten the document`,
          );
      }
    }
  }
  if (!rootSeen)
    throw new XmlError('MSE_XML_MALFORMED', 'the document has no root element: send an XML document');
  const unclosed = openTags.length > 0;
  return declaration ? { declaration, unclosed } : { unclosed };
}

/** Refuses characters XML 1.0 forbids, and reads the XML declaration: its fields and where the document goes on. */
function lexDeclaration(text: string): { declaration: XmlDeclaration | undefined; start: number } {
  const bad = illegalXmlChars.exec(text);
  if (bad) {
    const cp = text.codePointAt(bad.index)!;
    throw malformed(
      text,
      bad.index,
      `character U+${cp.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0; remove it`,
    );
  }
  let declaration: XmlDeclaration | undefined;
  if (text.startsWith('<?xml') && /\s|\?/.test(text.charAt(5))) {
    const m = declarationRe.exec(text);
    if (!m)
      throw malformed(
        text,
        0,
        'the XML declaration is malformed; write <?xml version="1.0" encoding="UTF-8"?>',
      );
    declaration = { version: m[2] ?? m[3] };
    const encoding = m[5] ?? m[6];
    if (encoding !== undefined) declaration.encoding = encoding;
    if (declaration.version !== '1.0' && declaration.version !== '1.1')
      throw malformed(text, 0, `XML version "${clip(declaration.version ?? '', 10)}" is unknown; use 1.0`);
    return { declaration, start: m[0].length };
  }
  return { declaration, start: 0 };
}

/** A comment or CDATA section at `lt` (anything else starting "<!" is refused); returns the index after it. */
function scanBang(text: string, lt: number, depth: number): number {
  if (text.startsWith('<!--', lt)) {
    const close = text.indexOf('-->', lt + 4);
    if (close < 0) throw malformed(text, lt, 'a comment is never closed; end it with -->');
    const dd = text.indexOf('--', lt + 4);
    if (dd < close) throw malformed(text, dd, '"--" is not allowed inside a comment');
    if (close > lt + 4 && text.charCodeAt(close - 1) === 0x2d)
      throw malformed(text, close - 1, 'a comment may not end with "--->"');
    return close + 3;
  } else if (text.startsWith('<![CDATA[', lt)) {
    if (depth === 0) throw malformed(text, lt, 'a CDATA section outside the root element');
    const close = text.indexOf(']]>', lt + 9);
    if (close < 0) throw malformed(text, lt, 'a CDATA section is never closed; end it with ]]>');
    return close + 3;
  } else {
    refuseDeclarations(text.slice(lt, lt + 10));
    throw malformed(text, lt, 'unexpected "<!": only comments and CDATA sections start this way');
  }
}

/** A processing instruction at `lt` (never a second XML declaration); returns the index after it. */
function scanPi(text: string, lt: number): number {
  const close = text.indexOf('?>', lt + 2);
  if (close < 0) throw malformed(text, lt, 'a processing instruction is never closed; end it with ?>');
  nameRe.lastIndex = lt + 2;
  const m = nameRe.exec(text);
  if (!m) throw malformed(text, lt, 'a processing instruction has no valid target name');
  if (m[0].toLowerCase() === 'xml')
    throw malformed(
      text,
      lt,
      'the XML declaration is allowed only at the very start of the document (nothing, not even whitespace, before it)',
    );
  return close + 2;
}

/** An end tag at `lt`, which must close the innermost open element; returns the index after it. */
function scanEndTag(text: string, lt: number, openTags: Array<{ name: string; at: number }>): number {
  const close = text.indexOf('>', lt + 2);
  if (close < 0) throw malformed(text, lt, 'an end tag is never closed');
  nameRe.lastIndex = lt + 2;
  const m = nameRe.exec(text);
  if (!m || !/^[ \t\n]*$/.test(text.slice(lt + 2 + m[0].length, close)))
    throw malformed(text, lt, 'an end tag must be </name>');
  const open = openTags.pop();
  if (open === undefined) throw malformed(text, lt, `end tag </${clip(m[0], 30)}> has no matching start tag`);
  if (open.name !== m[0])
    throw malformed(
      text,
      lt,
      `end tag </${clip(m[0], 30)}> does not match the open <${clip(open.name, 30)}> (${where(text, open.at)})`,
    );
  return close + 1;
}

/** Scans attributes up to the end of a start tag; returns the index after '>'. */
function scanTagRest(text: string, from: number, next: Next): number {
  let i = from;
  const n = text.length;
  for (;;) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) throw malformed(text, from, 'a start tag is never closed');
    const c = text.charCodeAt(i);
    if (c === 0x3e /* > */) return i + 1;
    if (c === 0x2f /* / */) {
      if (text.charCodeAt(i + 1) !== 0x3e) throw malformed(text, i, 'expected "/>"');
      return i + 2;
    }
    if (i === from) throw malformed(text, i, 'expected whitespace before an attribute');
    nameRe.lastIndex = i;
    const m = nameRe.exec(text);
    if (!m) throw malformed(text, i, 'expected an attribute name, ">" or "/>"');
    if (reservedNames.has(m[0]))
      throw malformed(text, i, `the attribute name "${m[0]}" is refused (reserved in JavaScript)`);
    i += m[0].length;
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3d /* = */)
      throw malformed(text, i, `attribute ${clip(m[0], 30)} has no value`);
    i++;
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    const q = text.charCodeAt(i);
    if (q !== 0x22 && q !== 0x27)
      throw malformed(text, i, `the value of attribute ${clip(m[0], 30)} must be quoted`);
    const close = text.indexOf(q === 0x22 ? '"' : "'", i + 1);
    if (close < 0) throw malformed(text, i, `the value of attribute ${clip(m[0], 30)} is never closed`);
    const lt = nextOf(text, next, 'lt', '<', i + 1);
    if (lt >= 0 && lt < close) throw malformed(text, lt, 'write &lt; for "<" in an attribute value');
    checkReferences(text, i + 1, close, next);
    i = close + 1;
    const after = text.charCodeAt(i);
    if (i < n && !isSpace(after) && after !== 0x3e && after !== 0x2f)
      throw malformed(text, i, 'expected whitespace between attributes');
  }
}

/**
 * The next position of a few needles, cached: the lexer asks with ever-increasing offsets, so one
 * indexOf per needle serves many questions and the pass stays linear (an unbounded indexOf per text
 * segment would be quadratic on documents without the needle).
 */
interface Next {
  amp: number;
  lt: number;
  cdEnd: number;
}

function nextOf(text: string, cache: Next, key: keyof Next, needle: string, from: number): number {
  const pos = cache[key];
  if (pos === -1 || pos >= from) return pos;
  cache[key] = text.indexOf(needle, from);
  return cache[key];
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function checkText(text: string, from: number, to: number, depth: number, next: Next): void {
  if (depth === 0) {
    const segment = text.slice(from, to);
    if (!whitespaceOnly.test(segment)) {
      const at = from + segment.search(/[^ \t\n]/);
      throw malformed(
        text,
        at,
        'text outside the root element; a document has one root element and nothing else',
      );
    }
    return;
  }
  const cdEnd = nextOf(text, next, 'cdEnd', ']]>', from);
  if (cdEnd >= 0 && cdEnd < to) throw malformed(text, cdEnd, '"]]>" is not allowed in text; write ]]&gt;');
  checkReferences(text, from, to, next);
}

/** Only the five predefined entities and references to legal characters are accepted. */
function checkReferences(text: string, from: number, to: number, next: Next): void {
  let amp = nextOf(text, next, 'amp', '&', from);
  while (amp >= 0 && amp < to) {
    referenceRe.lastIndex = amp;
    const m = referenceRe.exec(text);
    if (!m || referenceRe.lastIndex > to)
      throw malformed(text, amp, 'a bare "&": write &amp; for a literal ampersand');
    if (m[3] !== undefined) {
      if (!(m[3] in predefined)) {
        if (!nameStart.test(m[3].charAt(0)))
          throw malformed(text, amp, 'a bare "&": write &amp; for a literal ampersand');
        throw new XmlError(
          'MSE_XML_ENTITY',
          `the entity reference &${clip(m[3], 30)}; at ${where(text, amp)} is refused: only &amp; &lt; &gt; &quot; &apos; and numeric references are decoded; write the character itself or a numeric reference`,
        );
      }
    } else {
      const digits = m[1] ?? m[2]!;
      const significant = digits.replace(/^0+(?=.)/, '');
      const cp = significant.length > 7 ? -1 : Number.parseInt(significant, m[1] !== undefined ? 10 : 16);
      if (!isXmlChar(cp))
        throw malformed(
          text,
          amp,
          `the character reference ${clip(m[0], 20)} names a character XML 1.0 does not allow`,
        );
    }
    amp = nextOf(text, next, 'amp', '&', referenceRe.lastIndex);
  }
}
