import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';

export interface Received {
  method: string;
  /** The request target exactly as sent (path and raw query). */
  target: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A partner's listener for tests: records every request and answers with the next status of `statuses`
 * (the last one repeats), or with what `reply` returns.
 */
export async function startReceiver(
  options: { statuses?: number[]; reply?: (r: Received) => { status: number; body?: string } } = {},
) {
  const received: Received[] = [];
  const statuses = [...(options.statuses ?? [200])];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        target: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(r);
      const answer = options.reply?.(r) ?? { status: statuses.length > 1 ? statuses.shift()! : statuses[0]! };
      res.writeHead(answer.status, { 'content-type': 'text/xml; charset=UTF-8' });
      res.end(answer.body ?? '');
      for (const w of [...waiters])
        if (received.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Resolves when `n` requests have arrived, or rejects after `ms` (a deadline, not a sleep). */
    waitFor(n: number, ms = 5000): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} requests, got ${received.length}`)),
          ms,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'param-item' });

export interface ParsedResponse {
  statusCode: number;
  profile: string;
  transactionId?: string;
  errorMessage?: string;
  parameters: Record<string, string>;
  names: string[];
  hasParameters: boolean;
}

/** Reads an mse-response for assertions (tests only; the product reads XML with src/xml). */
export function readMse(xml: string): ParsedResponse {
  const doc = parser.parse(xml) as { 'mse-response'?: Record<string, unknown> };
  const r = doc['mse-response'];
  if (!r) throw new Error(`not an mse-response: ${xml.slice(0, 200)}`);
  const items =
    (r.parameters as { 'param-item'?: { 'param-name': string; 'param-value': unknown }[] } | undefined)?.[
      'param-item'
    ] ?? [];
  const parameters: Record<string, string> = {};
  for (const i of items) parameters[i['param-name']] = String(i['param-value'] ?? '');
  return {
    statusCode: Number(r['status-code']),
    profile: String(r.profile ?? ''),
    ...(r['transaction-id'] !== undefined ? { transactionId: String(r['transaction-id']) } : {}),
    ...(r['error-message'] !== undefined ? { errorMessage: String(r['error-message']) } : {}),
    parameters,
    names: items.map((i) => i['param-name']),
    hasParameters: r.parameters !== undefined,
  };
}

/** A raw HTTP request (bytes in, bytes out), for bodies fetch would re-encode. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}
