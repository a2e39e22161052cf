/**
 * The suite's HTTP client: sends a request and keeps the raw bytes of both directions, so that checks can
 * judge encodings byte by byte and reports can show exactly what crossed the wire.
 */
import http from 'node:http';
import https from 'node:https';
import type { Exchange, WireMessage } from '../core/model.ts';
import { maskBytes, maskHeaders, maskSecrets } from '../core/secrets.ts';

export interface RawRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  timeoutMs: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface SendResult {
  request: RawRequest & { body: Buffer };
  response?: RawResponse;
  /** Set when no response came: `timeout`, `connection refused`, `connection closed` ... with the code. */
  error?: string;
  at: string;
  durationMs: number;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Sends one request; never throws for network errors (they come back in `error`). */
export function send(req: RawRequest): Promise<SendResult> {
  const at = new Date().toISOString();
  const started = performance.now();
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  const request = { ...req, body };
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<SendResult, 'request' | 'at' | 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ request, at, durationMs: performance.now() - started, ...result });
    };
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      done({ error: `invalid URL ${req.url}` });
      return;
    }
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...req.headers };
    if (body.length || req.method === 'POST') headers['content-length'] = String(body.length);
    const attempt = (retried: boolean) => {
      let responded = false;
      const r = lib.request(
        url,
        {
          method: req.method,
          headers,
          agent: url.protocol === 'https:' ? agents.https : agents.http,
          timeout: req.timeoutMs,
        },
        (res) => {
          responded = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            done({
              response: {
                status: res.statusCode ?? 0,
                headers: flatHeaders(res.headers),
                body: Buffer.concat(chunks),
              },
            }),
          );
          res.on('error', (e) =>
            done({ error: `response broken: ${(e as NodeJS.ErrnoException).code ?? e.message}` }),
          );
        },
      );
      r.on('timeout', () => {
        r.destroy();
        done({ error: `timeout: no response within ${req.timeoutMs} ms` });
      });
      r.on('error', (e: NodeJS.ErrnoException) => {
        // RFC 9112 9.3.1: a server may close an idle persistent connection at any time (Apache after 5 s); a
        // request that met that close on a reused connection got no answer, and is sent once more on a new one.
        if (!retried && !responded && r.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          attempt(true);
          return;
        }
        const what =
          e.code === 'ECONNREFUSED'
            ? 'connection refused'
            : e.code === 'ECONNRESET' || e.code === 'EPIPE'
              ? 'connection closed by the target'
              : e.message;
        done({ error: `${what} (${e.code ?? 'error'})` });
      });
      r.end(body);
    };
    attempt(false);
  });
}

/** Text of a body for people to read: UTF-8 when it decodes cleanly, otherwise ISO-8859-1. */
export function readableText(bytes: Uint8Array): string | undefined {
  if (!bytes.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

export function wireMessage(
  parts: {
    method?: string;
    url?: string;
    status?: number;
    headers: Record<string, string>;
    body: Uint8Array;
  },
  secrets: string[],
): WireMessage {
  const body = maskBytes(parts.body, secrets);
  const msg: WireMessage = {
    headers: maskHeaders(parts.headers, secrets),
    bodyBase64: body.toString('base64'),
  };
  if (parts.method) msg.method = parts.method;
  if (parts.url) msg.url = maskSecrets(parts.url, secrets);
  if (parts.status !== undefined) msg.status = parts.status;
  const text = readableText(body);
  if (text !== undefined) msg.bodyText = text;
  return msg;
}

/** Bodies beyond this are cut in reports: what decides a check is at the start, and reports stay readable. */
export const EXCHANGE_BODY_LIMIT = 64 * 1024;

/** The exchange as a report stores it, secrets masked, bodies cut at EXCHANGE_BODY_LIMIT (the label says so). */
export function toExchange(label: string, result: SendResult, secrets: string[]): Exchange {
  const cut = (body: Buffer) =>
    body.length > EXCHANGE_BODY_LIMIT ? body.subarray(0, EXCHANGE_BODY_LIMIT) : body;
  const sizes = [result.request.body.length, result.response?.body.length ?? 0];
  const notes = sizes.some((n) => n > EXCHANGE_BODY_LIMIT)
    ? ` (bodies cut to ${EXCHANGE_BODY_LIMIT} bytes; request ${sizes[0]} bytes, response ${sizes[1]} bytes)`
    : '';
  const ex: Exchange = {
    label: `${label}${notes}`,
    at: result.at,
    request: wireMessage(
      {
        method: result.request.method,
        url: result.request.url,
        headers: result.request.headers ?? {},
        body: cut(result.request.body),
      },
      secrets,
    ),
  };
  if (result.response)
    ex.response = wireMessage(
      { status: result.response.status, headers: result.response.headers, body: cut(result.response.body) },
      secrets,
    );
  if (result.error) ex.error = maskSecrets(result.error, secrets);
  return ex;
}
