/**
 * The reporters' last defence against leaking a password: the runner masks secrets before results
 * reach the reporters, and `writeReports` masks them again, in the data and in every serialized output.
 * What a secret looks like is decided in src/core/secrets.ts.
 */

import type { RunReport, WireMessage } from '../src/core/model.ts';
import { MASK, maskCredentialFields, maskSecretBytes, maskText } from '../src/core/secrets.ts';

function maskWire(message: WireMessage, secrets: readonly string[]): WireMessage {
  const masked = maskValue(message, secrets) as WireMessage;
  // Credential-carrying fields of the protocol are masked whatever their value, even for secrets nobody listed.
  if (masked.url !== undefined) masked.url = maskCredentialFields(masked.url);
  if (masked.bodyText !== undefined) masked.bodyText = maskCredentialFields(masked.bodyText);
  for (const name of Object.keys(masked.headers ?? {})) {
    if (/^(proxy-)?authorization$/i.test(name)) masked.headers[name] = MASK;
  }
  const body = Buffer.from(message.bodyBase64, 'base64');
  masked.bodyBase64 = Buffer.from(
    maskCredentialFields(maskSecretBytes(body, secrets).toString('latin1')),
    'latin1',
  ).toString('base64');
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
