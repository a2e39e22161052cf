/** Views of wire messages shared by the text reporters: body as text or hex, an exchange as plain text. */
import type { Exchange, WireMessage } from '../src/core/model.ts';

/** Bodies longer than this are cut in the human-readable reports; report.json keeps every byte. */
export const BODY_DISPLAY_LIMIT = 64 * 1024;
export const HEX_DISPLAY_LIMIT = 4 * 1024;

export interface BodyView {
  bytes: Buffer;
  /** The body as text, when the producer decoded it or it is valid UTF-8. */
  text?: string;
  /** Any byte outside ASCII: then the hex view matters for judging the encoding. */
  nonAscii: boolean;
}

export function bodyView(message: WireMessage): BodyView {
  const bytes = Buffer.from(message.bodyBase64 ?? '', 'base64');
  const nonAscii = bytes.some((b) => b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d));
  if (message.bodyText !== undefined) return { bytes, text: message.bodyText, nonAscii };
  try {
    return { bytes, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), nonAscii };
  } catch {
    return { bytes, nonAscii };
  }
}

/** `00000000  3c 3f 78 6d  ...  |<?xm...|`, cut at `limit` bytes. */
export function hexDump(bytes: Buffer, limit = HEX_DISPLAY_LIMIT): string {
  const lines: string[] = [];
  const end = Math.min(bytes.length, limit);
  for (let off = 0; off < end; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, end));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  if (bytes.length > end) lines.push(`… ${bytes.length - end} more bytes (every byte is in report.json)`);
  return lines.join('\n');
}

/** Text cut at the display limit, saying how much was left out. */
export function clip(text: string, limit = BODY_DISPLAY_LIMIT): string {
  return text.length > limit
    ? `${text.slice(0, limit)}\n… ${text.length - limit} more characters (every byte is in report.json)`
    : text;
}

/** The first line of a message: `POST http://…/MSE/api` or `HTTP 200`. */
export function startLine(message: WireMessage, kind: 'request' | 'response'): string {
  if (kind === 'request') return `${message.method ?? '?'} ${message.url ?? ''}`.trim();
  return message.status === undefined ? 'response' : `HTTP ${message.status}`;
}

function messageText(message: WireMessage, kind: 'request' | 'response'): string {
  const lines = [startLine(message, kind)];
  for (const [name, value] of Object.entries(message.headers ?? {})) lines.push(`${name}: ${value}`);
  const body = bodyView(message);
  if (body.bytes.length > 0) {
    lines.push('');
    if (body.text !== undefined) lines.push(clip(body.text));
    else lines.push(`(${body.bytes.length} bytes, not valid text; hex:)`, hexDump(body.bytes));
  }
  return lines.join('\n');
}

/** An exchange as plain text, as JUnit failure bodies show it. */
export function exchangeText(exchange: Exchange): string {
  const parts = [
    `--- ${exchange.label} (${exchange.at})`,
    '>>> request',
    messageText(exchange.request, 'request'),
  ];
  if (exchange.response) parts.push('<<< response', messageText(exchange.response, 'response'));
  if (exchange.error) parts.push(`!!! ${exchange.error}`);
  return parts.join('\n');
}

/** True for C0 controls other than tab, LF and CR, and DEL: characters that must not reach a reader raw. */
export function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;
}

/** Replaces every control character (see isControl) with what `by` returns for it. */
export function replaceControls(text: string, by: (code: number) => string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += isControl(code) ? by(code) : ch;
  }
  return out;
}
