/**
 * Byte-level encoding helpers: which encoding a body or an XML document declares, decoding it
 * byte-exactly, and spotting a declaration that does not match the bytes.
 *
 * The document fixes two encodings: UTF-8 for XML bodies (6.1, 6.4.1.1, 6.4.7.1) and ISO-8859-1
 * for the SMS MO query (6.4.5.1). We also read US-ASCII and UTF-16 (by BOM), because XML allows them.
 */

import { isUtf8 } from 'node:buffer';
import { MseError } from '../core/errors.ts';

export type CharsetErrorCode =
  | 'MSE_CHARSET_INVALID_UTF8'
  | 'MSE_CHARSET_INVALID_BYTES'
  | 'MSE_CHARSET_UNMAPPABLE'
  | 'MSE_CHARSET_UNSUPPORTED';

/** An encoding problem, with a stable code; the message says what is wrong and what to do. */
export class CharsetError extends MseError {
  declare readonly code: CharsetErrorCode;
  /** Offset of the first offending byte (or character, for UNMAPPABLE), when known. */
  readonly offset: number | undefined;
  constructor(code: CharsetErrorCode, message: string, offset?: number) {
    super(message, code);
    this.offset = offset;
  }
}

/** The encodings this project decodes, by canonical name. */
export type Encoding = 'UTF-8' | 'ISO-8859-1' | 'US-ASCII' | 'UTF-16LE' | 'UTF-16BE';

/** The two charsets of the MSE wire (query strings and form bodies). */
export type Charset = 'ISO-8859-1' | 'UTF-8';

// A Map, not an object: a label comes from the wire, and `__proto__` or `constructor` must find nothing.
const labels = new Map<string, Encoding>(
  Object.entries({
    'utf-8': 'UTF-8',
    utf8: 'UTF-8',
    'iso-8859-1': 'ISO-8859-1',
    iso_8859_1: 'ISO-8859-1',
    'iso_8859-1': 'ISO-8859-1',
    'iso8859-1': 'ISO-8859-1',
    'iso-8859-1:1987': 'ISO-8859-1',
    'iso-ir-100': 'ISO-8859-1',
    latin1: 'ISO-8859-1',
    l1: 'ISO-8859-1',
    cp819: 'ISO-8859-1',
    ibm819: 'ISO-8859-1',
    'us-ascii': 'US-ASCII',
    ascii: 'US-ASCII',
    'utf-16': 'UTF-16LE',
    'utf-16le': 'UTF-16LE',
    'utf-16be': 'UTF-16BE',
  } satisfies Record<string, Encoding>),
);

/**
 * Canonical name for an encoding label (case-insensitive, IANA aliases), or undefined when this
 * project cannot decode it. Note: unlike WHATWG, ISO-8859-1 here is true Latin-1, not windows-1252.
 */
export function normalizeEncoding(label: string): Encoding | undefined {
  return labels.get(label.trim().toLowerCase());
}

/** Maps a label to one of the two wire charsets, or throws MSE_CHARSET_UNSUPPORTED. */
export function toCharset(label: string): Charset {
  const e = normalizeEncoding(label);
  if (e === 'UTF-8' || e === 'ISO-8859-1') return e;
  if (e === 'US-ASCII') return 'UTF-8'; // ASCII is a subset of both; UTF-8 also refuses bytes above 0x7F
  throw new CharsetError(
    'MSE_CHARSET_UNSUPPORTED',
    `charset "${clip(label, 40)}" is not supported here: send UTF-8 or ISO-8859-1`,
  );
}

/** The byte-order mark at the start of `bytes`, if any, and its length. */
export function detectBom(bytes: Uint8Array): { encoding: Encoding; length: number } | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { encoding: 'UTF-8', length: 3 };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'UTF-16LE', length: 2 };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'UTF-16BE', length: 2 };
  return undefined;
}

const declRe = /^<\?xml\s+version\s*=\s*(?:"[^"]*"|'[^']*')\s+encoding\s*=\s*(?:"([^"]*)"|'([^']*)')/;

/**
 * The encoding label written in the XML declaration (as written, e.g. "ISO-8859-1"), or undefined
 * when the document has no declaration or the declaration names no encoding. A BOM is skipped;
 * UTF-16 documents (BOM or `<\0?\0`) are read in UTF-16.
 */
export function declaredEncoding(xml: Uint8Array | string): string | undefined {
  let head: string;
  if (typeof xml === 'string') head = xml.replace(/^\uFEFF/, '').slice(0, 200);
  else {
    const bytes = Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
    const bom = detectBom(bytes);
    const utf16 = bom?.encoding ?? sniffUtf16(bytes);
    const start = bom?.length ?? 0;
    const slice = bytes.subarray(start, start + 400);
    if (utf16 === 'UTF-16LE') head = slice.toString('utf16le');
    else if (utf16 === 'UTF-16BE') head = swap16(slice).toString('utf16le');
    else head = slice.toString('latin1');
  }
  const m = declRe.exec(head);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** UTF-16 without a BOM, recognised by the first characters `<?` (XML 1.0 appendix F). */
function sniffUtf16(bytes: Uint8Array): Encoding | undefined {
  if (bytes.length < 4) return undefined;
  if (bytes[0] === 0x3c && bytes[1] === 0 && bytes[2] === 0x3f && bytes[3] === 0) return 'UTF-16LE';
  if (bytes[0] === 0 && bytes[1] === 0x3c && bytes[2] === 0 && bytes[3] === 0x3f) return 'UTF-16BE';
  return undefined;
}

function swap16(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return out.swap16();
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes bytes in one encoding, refusing bytes that are invalid in it (never replaces them with
 * U+FFFD). Throws CharsetError MSE_CHARSET_INVALID_UTF8 / MSE_CHARSET_INVALID_BYTES.
 */
export function decodeBytes(bytes: Uint8Array, encoding: Encoding): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'ISO-8859-1':
      // Node's 'latin1' is true ISO-8859-1: every byte maps to the code point of the same value.
      return buf.toString('latin1');
    case 'US-ASCII': {
      const bad = buf.findIndex((b) => b > 0x7f);
      if (bad >= 0)
        throw new CharsetError(
          'MSE_CHARSET_INVALID_BYTES',
          `byte 0x${hex(buf[bad]!)} at offset ${bad} is not US-ASCII: declare UTF-8 or ISO-8859-1, or escape it as a character reference`,
          bad,
        );
      return buf.toString('latin1');
    }
    case 'UTF-8':
      try {
        // isUtf8 is a native scan; toString then decodes without the fatal TextDecoder's cost.
        if (isUtf8(buf)) return buf.toString('utf8');
        return utf8.decode(buf);
      } catch {
        const at = firstInvalidUtf8(buf);
        throw new CharsetError(
          'MSE_CHARSET_INVALID_UTF8',
          `bytes are not valid UTF-8 (byte 0x${hex(buf[at] ?? 0)} at offset ${at}${latin1Hint(buf, at)}): re-encode the text as UTF-8 or declare its real encoding`,
          at,
        );
      }
    case 'UTF-16LE':
    case 'UTF-16BE':
      try {
        return new TextDecoder(encoding.toLowerCase(), { fatal: true, ignoreBOM: true }).decode(buf);
      } catch {
        throw new CharsetError(
          'MSE_CHARSET_INVALID_BYTES',
          `bytes are not valid ${encoding} (odd length or unpaired surrogate): re-encode the document`,
        );
      }
  }
}

function latin1Hint(buf: Uint8Array, at: number): string {
  const b = buf[at];
  return b !== undefined && b >= 0xa0 ? `, which is "${String.fromCharCode(b)}" in ISO-8859-1` : '';
}

/** The `charset=` parameter of a Content-Type header value, unquoted, or undefined. */
export function contentTypeCharset(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const v = m ? (m[1] ?? m[2]) : undefined;
  return v ? v : undefined;
}

/** The media type of a Content-Type header value, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t || undefined;
}

function isXmlMediaType(t: string | undefined): boolean {
  return t !== undefined && (t === 'text/xml' || t === 'application/xml' || t.endsWith('+xml'));
}

/**
 * The encoding of an XML document's bytes, by XML 1.0 appendix F: BOM first, then the encoding
 * declaration, else UTF-8. Throws MSE_CHARSET_UNSUPPORTED for a label we cannot decode.
 */
export function xmlEncoding(bytes: Uint8Array): { encoding: Encoding; bomLength: number; declared?: string } {
  const bom = detectBom(bytes);
  const declared = declaredEncoding(bytes);
  if (bom) return { encoding: bom.encoding, bomLength: bom.length, ...(declared ? { declared } : {}) };
  const sniffed = sniffUtf16(bytes);
  if (sniffed) return { encoding: sniffed, bomLength: 0, ...(declared ? { declared } : {}) };
  if (declared === undefined) return { encoding: 'UTF-8', bomLength: 0 };
  const encoding = normalizeEncoding(declared);
  if (!encoding)
    throw new CharsetError(
      'MSE_CHARSET_UNSUPPORTED',
      `the XML declaration names encoding "${clip(declared, 40)}", which is not supported: use UTF-8 (6.1) or ISO-8859-1`,
    );
  if (encoding === 'UTF-16LE' || encoding === 'UTF-16BE')
    throw new CharsetError(
      'MSE_CHARSET_INVALID_BYTES',
      `the XML declaration names ${clip(declared, 20)} but the bytes are not UTF-16 (no byte-order mark, the declaration itself is one byte per character): declare the real encoding`,
    );
  return { encoding, bomLength: 0, declared };
}

/** Decodes an XML document's bytes per its BOM and declaration (UTF-8 by default), byte-exactly. */
export function decodeXmlBytes(bytes: Uint8Array): { text: string; encoding: Encoding; declared?: string } {
  const { encoding, bomLength, declared } = xmlEncoding(bytes);
  if (declared !== undefined) {
    const mismatch = bomConflict(encoding, bomLength, declared);
    if (mismatch) throw new CharsetError('MSE_CHARSET_INVALID_BYTES', mismatch);
  }
  const text = decodeBytes(bytes.subarray(bomLength), encoding);
  return { text, encoding, ...(declared !== undefined ? { declared } : {}) };
}

function bomConflict(encoding: Encoding, bomLength: number, declared: string): string | undefined {
  if (bomLength === 0 && !encoding.startsWith('UTF-16')) return undefined;
  const named = normalizeEncoding(declared);
  // US-ASCII has no byte-order mark, so a UTF-8 BOM before an ASCII declaration is a contradiction
  // too (libxml2 then reads the bytes as ASCII and fails on the first byte above 0x7F).
  const sameFamily = named === encoding || (encoding.startsWith('UTF-16') && named?.startsWith('UTF-16'));
  if (sameFamily) return undefined;
  return `the document starts with a ${encoding} byte-order mark but declares encoding "${clip(declared, 40)}": make the declaration match the bytes`;
}

/**
 * Decodes an HTTP body. A `charset=` parameter wins; without one, XML media types follow the XML
 * rules (BOM, declaration, UTF-8) and everything else is read as UTF-8. Invalid bytes throw.
 */
export function decodeBody(bytes: Uint8Array, contentType?: string): string {
  const label = contentTypeCharset(contentType);
  if (label !== undefined) {
    const encoding = normalizeEncoding(label);
    if (!encoding)
      throw new CharsetError(
        'MSE_CHARSET_UNSUPPORTED',
        `Content-Type names charset "${clip(label, 40)}", which is not supported: use UTF-8 or ISO-8859-1`,
      );
    const bom = detectBom(bytes);
    const skip =
      bom && (bom.encoding === encoding || (encoding === 'UTF-16LE' && bom.encoding === 'UTF-16BE'))
        ? bom.length
        : 0;
    const enc = bom && skip ? bom.encoding : encoding;
    return decodeBytes(bytes.subarray(skip), enc);
  }
  if (isXmlMediaType(mediaType(contentType))) return decodeXmlBytes(bytes).text;
  const bom = detectBom(bytes);
  if (bom) return decodeBytes(bytes.subarray(bom.length), bom.encoding);
  return decodeBytes(bytes, 'UTF-8');
}

/**
 * Says how an XML declaration (or a Content-Type charset) lies about the bytes, or undefined when
 * the bytes are consistent with it. `declared` defaults to the document's own declaration
 * (UTF-8 when absent). Heuristic for ISO-8859-1: text that is valid UTF-8 and contains multi-byte
 * sequences was almost surely written as UTF-8 (the mojibake "Ã©" case).
 */
export function encodingMismatch(bytes: Uint8Array, declared?: string): string | undefined {
  const label = declared ?? declaredEncoding(bytes) ?? 'UTF-8';
  const named = normalizeEncoding(label);
  if (!named)
    return `encoding "${clip(label, 40)}" is not one this project can check: use UTF-8 or ISO-8859-1`;
  const bom = detectBom(bytes);
  if (bom) {
    const conflict = bomConflict(bom.encoding, bom.length, label);
    if (conflict) return conflict;
    if (bom.encoding !== 'UTF-8') {
      try {
        decodeBytes(bytes.subarray(bom.length), bom.encoding);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    }
  }
  const body = bytes.subarray(bom?.length ?? 0);
  switch (named) {
    case 'UTF-8': {
      const at = firstInvalidUtf8(body);
      if (at < 0) return undefined;
      return `declared ${label} but byte 0x${hex(body[at]!)} at offset ${at} is not valid UTF-8${latin1Hint(body, at)}; the bytes look like ISO-8859-1: declare encoding="ISO-8859-1" or re-encode as UTF-8`;
    }
    case 'US-ASCII': {
      const at = body.findIndex((b) => b > 0x7f);
      return at < 0
        ? undefined
        : `declared ${label} but byte 0x${hex(body[at]!)} at offset ${at} is outside ASCII: declare the real encoding`;
    }
    case 'ISO-8859-1': {
      let multi = -1;
      for (let i = 0; i < body.length; i++)
        if (body[i]! >= 0x80) {
          multi = i;
          break;
        }
      if (multi < 0) return undefined;
      if (firstInvalidUtf8(body) >= 0) return undefined;
      return `declared ${label} but the bytes are valid UTF-8 with multi-byte sequences (first at offset ${multi}); they would read as mojibake such as "Ã©": declare encoding="UTF-8"`;
    }
    case 'UTF-16LE':
    case 'UTF-16BE':
      if (!bom && !sniffUtf16(body))
        return `declared ${label} but the bytes do not look like UTF-16 (no BOM, no "<?" in UTF-16)`;
      return undefined;
  }
}

export function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/** Shortens input echoed in a message, so messages never carry more than a few dozen characters of it. */
export function clip(text: string, max = 40): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets escaped here
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${hex(c.charCodeAt(0))}`);
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
