/**
 * The reporters' last defence against leaking a password: the runner masks secrets before results
 * reach the reporters, and `writeReports` masks them again, in the data and in every serialized output.
 */
import {
  MASK,
  maskBytes as maskCredentialBytes,
  maskSecrets as maskCredentialFields,
} from '../src/secrets.ts';
import type { RunReport, WireMessage } from './model.ts';
import { isLatin1 } from './wire.ts';

/**
 * What a masked secret is replaced with: the runner's mask, so a report shows one mask whoever masked;
 * plain ASCII, inert in JSON, XML, HTML and Markdown.
 */
export const SECRET_MASK = MASK;

/** Secrets worth masking, longest first so that a secret containing another is masked whole. */
export function normalizeSecrets(secrets: readonly string[] | undefined): string[] {
  return [...new Set((secrets ?? []).filter((s) => typeof s === 'string' && s.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
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
      if (out.includes(form)) out = out.split(form).join(SECRET_MASK);
    }
  }
  return out;
}

/** Replaces every secret in raw bytes, as UTF-8, as Latin-1 and percent-encoded. */
export function maskBytes(bytes: Buffer, secrets: readonly string[]): Buffer {
  const needles = secretNeedles(secrets);
  let out = bytes;
  const mask = Buffer.from(SECRET_MASK, 'ascii');
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

function maskWire(message: WireMessage, secrets: readonly string[]): WireMessage {
  const masked = maskValue(message, secrets) as WireMessage;
  // Credential-carrying fields of the protocol are masked whatever their value, even for secrets nobody listed.
  if (masked.url !== undefined) masked.url = maskCredentialFields(masked.url);
  if (masked.bodyText !== undefined) masked.bodyText = maskCredentialFields(masked.bodyText);
  for (const name of Object.keys(masked.headers ?? {})) {
    if (/^(proxy-)?authorization$/i.test(name)) masked.headers[name] = SECRET_MASK;
  }
  const body = Buffer.from(message.bodyBase64, 'base64');
  masked.bodyBase64 = maskCredentialBytes(maskBytes(body, secrets)).toString('base64');
  return masked;
}

function maskValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return maskText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => maskValue(v, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskText(k, secrets)] = maskValue(v, secrets);
    return out;
  }
  return value;
}

/** A copy of the report with every secret masked in every string and every body's bytes. */
export function maskReport(report: RunReport, secrets: readonly string[]): RunReport {
  const masked = maskValue(report, secrets) as RunReport;
  masked.checks = report.checks.map((check, i) => ({
    ...masked.checks[i]!,
    exchanges: check.exchanges.map((ex, j) => {
      const m = masked.checks[i]!.exchanges[j]!;
      return {
        ...m,
        request: maskWire(ex.request, secrets),
        ...(ex.response ? { response: maskWire(ex.response, secrets) } : {}),
      };
    }),
  }));
  return masked;
}

export type SerializedFormat = 'json' | 'xml' | 'html' | 'text';

const XML_TOKENS = /<!\[CDATA\[[\s\S]*?\]\]>|<[^>]*>|[^<]+/g;
const HTML_TOKENS = /<script\b[\s\S]*?<\/script>|<style\b[\s\S]*?<\/style>|<[^>]*>|[^<]+/gi;
const QUOTED_ATTR = /"[^"]*"/g;
const TITLE_ATTR = /(\btitle=)"([^"]*)"/g;

/**
 * The last pass over a serialized output. It masks only where data can be, never the format's own
 * syntax, so a password that happens to be a word of the markup ("name", "pass", "time") or a number
 * cannot corrupt the file: JSON strings; XML text, CDATA and attribute values; HTML text and titles
 * (not the report's own script, style and tags); Markdown everywhere.
 */
export function maskSerialized(format: SerializedFormat, text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  const mask = (t: string) => maskText(t, secrets);
  switch (format) {
    case 'json':
      return replaceJsonStrings(text, mask);
    case 'xml':
      return text.replace(XML_TOKENS, (token) => {
        if (token.startsWith('<![CDATA[')) return `<![CDATA[${mask(token.slice(9, -3))}]]>`;
        if (token.startsWith('<')) return token.replace(QUOTED_ATTR, mask);
        return mask(token);
      });
    case 'html':
      return text.replace(HTML_TOKENS, (token) => {
        if (!token.startsWith('<')) return mask(token);
        return token.replace(TITLE_ATTR, (_m, attr: string, value: string) => `${attr}"${mask(value)}"`);
      });
    case 'text':
      return mask(text);
  }
}

/**
 * Applies `fn` to every JSON string literal (quotes included) of `text`. A scanner, not a regular
 * expression: V8's backtracking over a multi-megabyte string literal overflows the stack.
 */
function replaceJsonStrings(text: string, fn: (literal: string) => string): string {
  const parts: string[] = [];
  let last = 0;
  let i = text.indexOf('"');
  while (i !== -1) {
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    parts.push(text.slice(last, i), fn(text.slice(i, j + 1)));
    last = j + 1;
    i = text.indexOf('"', last);
  }
  parts.push(text.slice(last));
  return parts.join('');
}
