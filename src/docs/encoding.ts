/** One character of a sample, as it travels on the wire in each of the two charsets of the document. */
export interface CharBytes {
  char: string;
  codePoint: string;
  /** ISO-8859-1 byte, or undefined when the character has none (above U+00FF). */
  latin1?: string;
  /** Percent-encoding of the ISO-8859-1 byte in a query string (`%E7`); unreserved ASCII stays as is. */
  latin1Query?: string;
  utf8: string;
  utf8Query: string;
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** Characters a query keeps literally (RFC 3986 unreserved); space is written `+` in form encoding. */
function percent(byte: number): string {
  const c = String.fromCharCode(byte);
  if (/[A-Za-z0-9\-._~]/.test(c)) return c;
  if (byte === 0x20) return '+';
  return `%${hex(byte)}`;
}

/** Spells a text character by character: code point, Latin-1 byte, UTF-8 bytes and their query forms. */
export function spellBytes(text: string): CharBytes[] {
  return [...text].map((char) => {
    const cp = char.codePointAt(0)!;
    const utf8 = [...Buffer.from(char, 'utf8')];
    return {
      char,
      codePoint: `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`,
      latin1: cp <= 0xff ? `0x${hex(cp)}` : undefined,
      latin1Query: cp <= 0xff ? percent(cp) : undefined,
      utf8: utf8.map((b) => `0x${hex(b)}`).join(' '),
      utf8Query: utf8.map(percent).join(''),
    };
  });
}

/** A query value as the MSE sends it in an SMS MO (6.4.5.1): ISO-8859-1 bytes, percent-encoded. */
export function latin1QueryValue(text: string): string {
  return [...text]
    .map((char) => {
      const cp = char.codePointAt(0)!;
      if (cp > 0xff) throw new RangeError(`${char} (U+${cp.toString(16)}) has no ISO-8859-1 byte`);
      return percent(cp);
    })
    .join('');
}

/** A query value in UTF-8, percent-encoded the same way. */
export function utf8QueryValue(text: string): string {
  return [...Buffer.from(text, 'utf8')].map(percent).join('');
}
