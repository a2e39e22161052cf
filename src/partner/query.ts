/** Query parameters by name; the first occurrence wins when a name repeats. */
export type QueryParams = Record<string, string>;

/**
 * Decodes a raw query string whose bytes are ISO-8859-1 (6.4.5.1): `+` is a space, `%XX` one byte,
 * and every byte is one Latin-1 character. Decoding it as UTF-8 would turn `%E7` (ç) into U+FFFD.
 */
export function decodeLatin1Query(raw: string): QueryParams {
  const params: QueryParams = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = latin1Component(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : latin1Component(pair.slice(eq + 1));
    if (!(name in params)) params[name] = value;
  }
  return params;
}

function latin1Component(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes).toString('latin1');
}
