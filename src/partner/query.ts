import { decodeQuery } from '../charset/latin1.ts';

/** Query parameters by name; the first occurrence wins when a name repeats. */
export type QueryParams = Record<string, string>;

/**
 * Decodes a raw query string whose bytes are ISO-8859-1 (6.4.5.1): `+` is a space, `%XX` one byte,
 * and every byte is one Latin-1 character. Decoding it as UTF-8 would turn `%E7` (ç) into an error.
 */
export function decodeLatin1Query(raw: string): QueryParams {
  const params: QueryParams = {};
  for (const [name, value] of decodeQuery(raw, 'ISO-8859-1')) if (!(name in params)) params[name] = value;
  return params;
}
