/**
 * Percent-encoded queries and form bodies, byte-exact in ISO-8859-1 or UTF-8.
 *
 * The SMS MO delivery (6.4.5.1) is a GET whose query is ISO-8859-1. undici's `query` option and
 * URLSearchParams assume UTF-8, and decodeURIComponent throws on a Latin-1 byte such as %E7, so
 * both directions are done by hand here: text -> bytes in the charset -> %XX, and back.
 */
import {
  type Charset,
  CharsetError,
  clip,
  contentTypeCharset,
  decodeBytes,
  encodingMismatch,
  hex,
  toCharset,
} from './encoding.ts';

export {
  type Charset,
  CharsetError,
  type CharsetErrorCode,
  contentTypeCharset,
  declaredEncoding,
  decodeBody,
  decodeBytes,
  decodeXmlBytes,
  detectBom,
  type Encoding,
  encodingMismatch,
  firstInvalidUtf8,
  mediaType,
  normalizeEncoding,
  toCharset,
  xmlEncoding,
} from './encoding.ts';

// Bytes written as themselves, as Java's URLEncoder does (the document's MMS example, 6.4.6,
// shows its output: space as '+', everything else but [A-Za-z0-9.-*_] as uppercase %XX).
const safe = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_')
  safe[c.charCodeAt(0)] = 1;
const pct: string[] = Array.from({ length: 256 }, (_, b) => `%${hex(b)}`);

/** The bytes of `text` in `charset`; throws MSE_CHARSET_UNMAPPABLE for what the charset cannot hold. */
export function encodeText(text: string, charset: Charset, what = 'value'): Buffer {
  if (charset === 'ISO-8859-1') {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff)
        throw new CharsetError(
          'MSE_CHARSET_UNMAPPABLE',
          `${what} has "${clip(String.fromCodePoint(text.codePointAt(i)!), 4)}" (U+${c.toString(16).toUpperCase().padStart(4, '0')}) at character ${i}, which ISO-8859-1 cannot encode: replace it or send UTF-8`,
          i,
        );
    }
    return Buffer.from(text, 'latin1');
  }
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  if (lone)
    throw new CharsetError(
      'MSE_CHARSET_UNMAPPABLE',
      `${what} has an unpaired surrogate at character ${lone.index}, which UTF-8 cannot encode: fix the string`,
      lone.index,
    );
  return Buffer.from(text, 'utf8');
}

/** Percent-encodes one name or value, byte-exactly in `charset` (space as '+'). */
export function percentEncode(text: string, charset: Charset, what = 'value'): string {
  const bytes = encodeText(text, charset, what);
  let out = '';
  for (const b of bytes) out += b === 0x20 ? '+' : safe[b] ? String.fromCharCode(b) : pct[b];
  return out;
}

/**
 * Builds a query string (without '?') from ordered pairs. Every byte outside [A-Za-z0-9.-*_] is
 * %XX in `charset` (so `&`, `+`, `=`, `%`, `#` inside a value survive), and space is '+' as in the
 * document's examples. Throws CharsetError MSE_CHARSET_UNMAPPABLE for a character outside Latin-1
 * under ISO-8859-1.
 */
export function encodeQuery(params: Array<[string, string]>, charset: Charset): string {
  return params
    .map(
      ([name, value]) =>
        `${percentEncode(name, charset, `parameter name "${clip(name, 20)}"`)}=${percentEncode(value, charset, `parameter ${clip(name, 20)}`)}`,
    )
    .join('&');
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * The raw bytes of one percent-encoded component: '+' is a space, %XX is a byte, a '%' not followed
 * by two hex digits stays a literal '%' (as WHATWG does). Characters up to U+00FF stand for the byte
 * of the same value (Node hands a request target over as Latin-1); characters above are taken as
 * UTF-8 under UTF-8 and refused under ISO-8859-1.
 */
export function percentDecodeBytes(raw: string, charset: Charset, what = 'value'): Buffer {
  const out = Buffer.allocUnsafe(raw.length * 3);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25 && i + 2 < raw.length) {
      const h = hexValue(raw.charCodeAt(i + 1));
      const l = hexValue(raw.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 2;
      } else out[n++] = c;
    } else if (c <= 0xff) out[n++] = c;
    else {
      if (charset === 'ISO-8859-1')
        throw new CharsetError(
          'MSE_CHARSET_UNMAPPABLE',
          `${what} holds the raw character U+${c.toString(16).toUpperCase()} at ${i}, which is not an ISO-8859-1 byte: percent-encode the bytes`,
          i,
        );
      const cp = raw.codePointAt(i)!;
      const bytes = Buffer.from(String.fromCodePoint(cp), 'utf8');
      bytes.copy(out, n);
      n += bytes.length;
      if (cp > 0xffff) i++;
    }
  }
  return out.subarray(0, n);
}

/** Decodes one percent-encoded component to text in `charset`; invalid UTF-8 throws MSE_CHARSET_INVALID_UTF8. */
export function percentDecode(raw: string, charset: Charset, what = 'value'): string {
  const bytes = percentDecodeBytes(raw, charset, what);
  try {
    return decodeBytes(bytes, charset);
  } catch (e) {
    if (e instanceof CharsetError)
      throw new CharsetError(
        e.code,
        `${what}: ${e.message}${charset === 'UTF-8' ? ' (if the sender uses ISO-8859-1, decode with that charset)' : ''}`,
        e.offset,
      );
    throw e;
  }
}

/**
 * Splits a query string (a leading '?' is ignored) into ordered [name, value] pairs, decoding
 * byte-exactly in `charset`. Empty segments are skipped; a segment without '=' has value ''.
 * Invalid UTF-8 under UTF-8 throws CharsetError MSE_CHARSET_INVALID_UTF8 naming the parameter.
 */
export function decodeQuery(raw: string, charset: Charset): Array<[string, string]> {
  const q = raw.startsWith('?') ? raw.slice(1) : raw;
  const pairs: Array<[string, string]> = [];
  if (q === '') return pairs;
  for (const segment of q.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const rawName = eq < 0 ? segment : segment.slice(0, eq);
    const rawValue = eq < 0 ? '' : segment.slice(eq + 1);
    const name = percentDecode(rawName, charset, 'a parameter name');
    pairs.push([name, percentDecode(rawValue, charset, `parameter ${clip(name, 20)}`)]);
  }
  return pairs;
}

/**
 * Parses an application/x-www-form-urlencoded body, honouring the Content-Type's `charset=`
 * (UTF-8 when absent). Throws CharsetError for an unsupported charset or invalid bytes.
 */
export function parseFormBody(body: Uint8Array, contentType?: string): Array<[string, string]> {
  const label = contentTypeCharset(contentType);
  const charset = label === undefined ? 'UTF-8' : toCharset(label);
  // latin1 maps each byte to one character, so no byte is lost before percent-decoding.
  return decodeQuery(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'), charset);
}

/**
 * How a query or form body without a declared charset was read: UTF-8 when its bytes are valid UTF-8, else
 * ISO-8859-1 (which every byte string is). The document never states the charset of requests to /MSE/api;
 * 6.4.15's WML example declares ISO-8859-1 and callers in the field percent-encode in it (`%E7%E3`).
 */
export interface LenientReading {
  pairs: Array<[string, string]>;
  charset: Charset;
  /** The charset the sender declared (Content-Type `charset=`), when it did. */
  declared?: string;
}

/** Decodes a query as UTF-8, or as ISO-8859-1 when it is not valid UTF-8 (a GET cannot declare a charset). */
export function decodeQueryLenient(raw: string): LenientReading {
  try {
    return { pairs: decodeQuery(raw, 'UTF-8'), charset: 'UTF-8' };
  } catch (e) {
    if (!(e instanceof CharsetError) || e.code !== 'MSE_CHARSET_INVALID_UTF8') throw e;
    return { pairs: decodeQuery(raw, 'ISO-8859-1'), charset: 'ISO-8859-1' };
  }
}

/**
 * Parses a form body by its declared charset; without one, as decodeQueryLenient does. A declared charset is
 * held to: bytes invalid in it throw CharsetError.
 */
export function parseFormBodyLenient(body: Uint8Array, contentType?: string): LenientReading {
  const label = contentTypeCharset(contentType);
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  if (label === undefined) return decodeQueryLenient(text);
  return { pairs: decodeQuery(text, toCharset(label)), charset: toCharset(label), declared: label };
}

/**
 * Says how a percent-encoded query contradicts the charset it should be in, or undefined when it
 * is consistent. Under ISO-8859-1 (SMS MO, 6.4.5.1) every byte string decodes, so the lie is found
 * by a heuristic: a value whose bytes are valid UTF-8 with multi-byte sequences was almost surely
 * encoded as UTF-8 ("%C3%A7" for ç, read as "Ã§"). Under UTF-8, invalid sequences are reported.
 */
export function queryEncodingMismatch(raw: string, charset: Charset): string | undefined {
  const q = raw.startsWith('?') ? raw.slice(1) : raw;
  for (const segment of q.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = eq < 0 ? segment : segment.slice(0, eq);
    let bytes: Buffer;
    try {
      bytes = percentDecodeBytes(eq < 0 ? '' : segment.slice(eq + 1), charset);
    } catch (e) {
      if (e instanceof CharsetError) return `parameter ${clip(name, 20)}: ${e.message}`;
      throw e;
    }
    const problem = encodingMismatch(bytes, charset);
    if (problem) return `parameter ${clip(name, 20)}: ${problem.replace(/^declared /, 'expected ')}`;
  }
  return undefined;
}
