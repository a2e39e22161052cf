import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildMseResponse, type MseResponse } from '../xml/mse-response.ts';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** Reads a request body up to `limit` bytes; beyond it the rest is discarded and BodyTooLarge thrown. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new BodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        // Far beyond the cap the connection is not worth draining.
        if (size > limit * 16 + 1_048_576) req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => (over ? reject(new BodyTooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('close', () => {
      if (over) reject(new BodyTooLarge(limit));
    });
  });
}

export function sendXml(
  res: ServerResponse,
  httpStatus: number,
  body: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(httpStatus, {
    'content-type': 'text/xml; charset=UTF-8',
    'content-length': bytes.length,
    ...extra,
  });
  res.end(bytes);
}

export function sendMse(
  res: ServerResponse,
  httpStatus: number,
  response: MseResponse,
  extra?: Record<string, string>,
): string {
  const body = buildMseResponse(response);
  sendXml(res, httpStatus, body, extra);
  return body;
}

export function sendJson(res: ServerResponse, httpStatus: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  res.writeHead(httpStatus, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': bytes.length,
  });
  res.end(bytes);
}

/** Shortens and cleans text taken from a request before it goes into a message or a response. */
export function clipText(text: string, max = 60): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets replaced here
  if (text.length <= max && !/[\u0000-\u001f\u007f]/.test(text)) return text;
  let clean = '';
  for (const c of text) clean += c < ' ' || c === '\u007f' ? '?' : c;
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
