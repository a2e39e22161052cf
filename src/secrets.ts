/**
 * Masking of secrets (passwords) before anything is stored in a result, a report or a log line.
 * Two layers: every known secret value is replaced wherever it appears, and the places the protocol
 * carries credentials (pwd=, password=, PWD=, <password>, Authorization) are masked whatever their value.
 */

export const MASK = '*****';

/** Query and form keys that carry credentials in this protocol (6.2, 6.4.1.1, 6.4.5.1). */
const SECRET_KEYS = ['pwd', 'password', 'PWD', 'passwd'];

/** Config keys whose values are secrets, wherever they occur in a config object. */
const SECRET_CONFIG_KEYS = new Set(['password', 'pwd', 'PWD', 'secret', 'authorization']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Secret values worth masking: empty or one-character values would mask half the text. */
function usable(secrets: Iterable<string | undefined>): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 2) continue;
    out.add(s);
    // The same secret as it travels percent-encoded in a query string or form body.
    out.add(encodeURIComponent(s));
    out.add(new URLSearchParams({ x: s }).toString().slice(2));
  }
  // Longest first, so that a secret containing another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** Masks every known secret value and every credential-carrying field of the protocol in `text`. */
export function maskSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  for (const s of usable(secrets)) out = out.replace(new RegExp(escapeRegExp(s), 'g'), MASK);
  const keys = SECRET_KEYS.map(escapeRegExp).join('|');
  out = out.replace(
    new RegExp(`([?&;]|^)(${keys})=([^&#\\s"'<]*)`, 'g'),
    (_m, sep, key) => `${sep}${key}=${MASK}`,
  );
  out = out.replace(/<(password|pwd)>([^<]*)<\/\1>/gi, (_m, tag) => `<${tag}>${MASK}</${tag}>`);
  out = out.replace(/^(authorization|proxy-authorization):.*$/gim, (_m, h) => `${h}: ${MASK}`);
  return out;
}

/** Masks secret values in a byte buffer; bytes that are not valid text are kept (latin1 round-trip). */
export function maskBytes(bytes: Uint8Array, secrets: Iterable<string | undefined> = []): Buffer {
  const latin1 = Buffer.from(bytes).toString('latin1');
  const utf8Secrets = [...secrets]
    .filter((s): s is string => !!s)
    .map((s) => Buffer.from(s, 'utf8').toString('latin1'));
  const masked = maskSecrets(latin1, utf8Secrets);
  return masked === latin1 ? Buffer.from(bytes) : Buffer.from(masked, 'latin1');
}

/** Header maps with credential headers masked. */
export function maskHeaders(
  headers: Record<string, string>,
  secrets: Iterable<string | undefined> = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    out[k] = /^(proxy-)?authorization$/i.test(k) ? MASK : maskSecrets(v, secrets);
  return out;
}

/** A deep copy of a config object with every secret-named field masked: what reports may show. */
export function redactConfig<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = SECRET_CONFIG_KEYS.has(k) && typeof v === 'string' ? MASK : redactConfig(v);
    return out as T;
  }
  if (typeof value === 'string') return maskSecrets(value) as T;
  return value;
}

/** Every secret-named string value of a config object, to mask them wherever they appear. */
export function collectSecrets(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) collectSecrets(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_CONFIG_KEYS.has(k) && typeof v === 'string') out.push(v);
      else collectSecrets(v, out);
    }
  return out;
}
