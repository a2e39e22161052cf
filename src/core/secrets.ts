/**
 * Masking of secrets (passwords) before anything is stored in a result, a report, a bundle or a log line: the
 * one place that decides what a secret looks like. Two layers: every known secret value is replaced in every
 * form it takes on the wire and in text, and the places the protocol carries credentials (pwd=, password=,
 * PWD=, <password>, Authorization) are masked whatever their value.
 */

/** What a masked secret is replaced with: plain ASCII, inert in JSON, XML, HTML and Markdown. */
export const MASK = '*****';

/** Query and form keys that carry credentials in this protocol (6.2, 6.4.1.1, 6.4.5.1). */
export const SECRET_KEYS: readonly string[] = ['pwd', 'password', 'PWD', 'PASSWORD', 'passwd'];

/** Config keys whose values are secrets, wherever they occur in a config object. */
const SECRET_CONFIG_KEYS = new Set(['password', 'pwd', 'PWD', 'secret', 'authorization']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isLatin1(text: string): boolean {
  for (const ch of text) if (ch.codePointAt(0)! > 0xff) return false;
  return true;
}

/** Secrets worth masking, longest first so that a secret containing another is masked whole. */
export function normalizeSecrets(secrets: Iterable<string | undefined> | undefined): string[] {
  return [
    ...new Set([...(secrets ?? [])].filter((s): s is string => typeof s === 'string' && s.length > 0)),
  ].sort((a, b) => b.length - a.length);
}

/**
 * The forms a secret takes on the wire and in text: as is, percent-encoded (query strings and form
 * bodies, with `+` or `%20` for spaces, UTF-8 or Latin-1 escapes) and escaped for JSON, XML and HTML.
 */
export function secretForms(secret: string): string[] {
  const cached = formsCache.get(secret);
  if (cached) return cached;
  const forms = new Set<string>([secret]);
  const encodings: Buffer[] = [Buffer.from(secret, 'utf8')];
  if (isLatin1(secret)) encodings.push(Buffer.from(secret, 'latin1'));
  for (const bytes of encodings) {
    // encodeURIComponent's set, and the form-encoding set (URLSearchParams), in both hex cases.
    for (const keep of [/[A-Za-z0-9\-_.!~*'()]/, /[A-Za-z0-9\-_.*]/]) {
      const encoded = percentEncode(bytes, keep);
      forms.add(encoded);
      forms.add(encoded.replace(/%20/g, '+'));
      forms.add(encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    }
  }
  forms.add(JSON.stringify(secret).slice(1, -1));
  forms.add(escapeMarkup(secret));
  forms.add(escapeMarkup(secret).replace(/&#39;/g, '&apos;'));
  const list = [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  formsCache.set(secret, list);
  return list;
}

// Forms are asked for once per string of a report; computing them once per secret keeps masking cheap.
const formsCache = new Map<string, string[]>();
const needlesCache = new Map<string, Buffer[]>();

function percentEncode(bytes: Buffer, keep: RegExp): string {
  return [...bytes]
    .map((b) => {
      const ch = String.fromCharCode(b);
      return b < 0x80 && keep.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function escapeMarkup(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Replaces every form of every secret in a piece of text. */
export function maskText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      if (out.includes(form)) out = out.split(form).join(MASK);
    }
  }
  return out;
}

/** Masks the credential-carrying fields of the protocol in `text`, whatever their values. */
export function maskCredentialFields(text: string): string {
  const keys = SECRET_KEYS.map(escapeRegExp).join('|');
  return text
    .replace(new RegExp(`([?&;]|^)(${keys})=([^&#\\s"'<]*)`, 'g'), (_m, sep, key) => `${sep}${key}=${MASK}`)
    .replace(/<(password|pwd)>([^<]*)<\/\1>/gi, (_m, tag) => `<${tag}>${MASK}</${tag}>`)
    .replace(/^(authorization|proxy-authorization):.*$/gim, (_m, h) => `${h}: ${MASK}`);
}

/** Masks every known secret, in every form, and every credential-carrying field of the protocol in `text`. */
export function maskSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  return maskCredentialFields(maskText(text, normalizeSecrets(secrets)));
}

/** Replaces every secret in raw bytes, as UTF-8, as Latin-1 and percent-encoded. */
export function maskSecretBytes(bytes: Buffer, secrets: readonly string[]): Buffer {
  const needles = secretNeedles(secrets);
  let out = bytes;
  const mask = Buffer.from(MASK, 'ascii');
  for (const needle of needles) {
    if (needle.length === 0) continue;
    let at = out.indexOf(needle);
    if (at < 0) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(out.subarray(from, at), mask);
      from = at + needle.length;
      at = out.indexOf(needle, from);
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}

function secretNeedles(secrets: readonly string[]): Buffer[] {
  const key = JSON.stringify(secrets);
  const cached = needlesCache.get(key);
  if (cached) return cached;
  const needles: Buffer[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      needles.push(Buffer.from(form, 'utf8'));
      if (isLatin1(form)) needles.push(Buffer.from(form, 'latin1'));
    }
  }
  needles.sort((a, b) => b.length - a.length);
  needlesCache.set(key, needles);
  return needles;
}

/**
 * Masks every known secret and every credential-carrying field in raw bytes; bytes that are not valid text
 * are kept as they are (the fields are found through a Latin-1 round trip, which keeps every byte).
 */
export function maskBytes(bytes: Uint8Array, secrets: Iterable<string | undefined> = []): Buffer {
  const valued = maskSecretBytes(Buffer.from(bytes), normalizeSecrets(secrets));
  const latin1 = valued.toString('latin1');
  const masked = maskCredentialFields(latin1);
  return masked === latin1 ? valued : Buffer.from(masked, 'latin1');
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
