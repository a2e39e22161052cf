/**
 * Shared tools of the reliability tests and bench: a raw HTTP client on node:net (fetch and undici
 * normalise request targets and bodies, and hostile bytes must reach the server as generated), a
 * deadline on every exchange, and generators of hostile requests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadSpec, projectRoot } from '../../src/spec/load.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What happened to one raw exchange: an answer, a closed connection without one, or the deadline. */
export type RawOutcome =
  | { kind: 'response'; response: RawResponse; ms: number }
  | { kind: 'closed'; ms: number }
  | { kind: 'timeout'; ms: number };

export interface RawRequest {
  method: string;
  /** Request target exactly as sent, bytes included (a Buffer keeps raw Latin-1 or invalid UTF-8). */
  target: string | Buffer;
  headers?: [string, string][];
  body?: Buffer | string;
  /** Whether to add content-length for the body (default true). */
  contentLength?: boolean;
}

/** Serialises a request byte for byte; the connection is closed by the server after its answer. */
export function requestBytes(r: RawRequest): Buffer {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  const lines: Buffer[] = [
    Buffer.from(`${r.method} `, 'latin1'),
    Buffer.isBuffer(r.target) ? r.target : Buffer.from(r.target, 'latin1'),
    Buffer.from(' HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n', 'latin1'),
  ];
  for (const [k, v] of r.headers ?? []) lines.push(Buffer.from(`${k}: ${v}\r\n`, 'latin1'));
  if (r.contentLength !== false && (body.length > 0 || r.method === 'POST'))
    lines.push(Buffer.from(`content-length: ${body.length}\r\n`, 'latin1'));
  lines.push(Buffer.from('\r\n', 'latin1'), body);
  return Buffer.concat(lines);
}

function parseResponse(raw: Buffer): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) break;
      const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isFinite(size) || size === 0) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status: Number(m[1]), headers, body };
}

/** Sends raw bytes to 127.0.0.1:port and reads the answer until the server closes, within `deadlineMs`. */
export function sendRaw(port: number, bytes: Buffer, deadlineMs = 5_000): Promise<RawOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let done = false;
    const finish = (o: RawOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: performance.now() - started }), deadlineMs);
    // No half-close after writing: node's HTTP server answers a client's FIN by dropping requests still
    // in progress. `connection: close` makes the server close once it has answered.
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {
      /* a reset after an early answer is judged on what was read */
    });
    socket.on('close', () => {
      const ms = performance.now() - started;
      const response = parseResponse(Buffer.concat(chunks));
      finish(response ? { kind: 'response', response, ms } : { kind: 'closed', ms });
    });
  });
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Every parameter name the spec knows (service inputs and control parameters), for generated queries. */
export function knownParameterNames(): string[] {
  const spec = loadSpec();
  const names = new Set<string>(['profile', 'pwd', 'password', 'mode', 'billingCode']);
  for (const s of spec.services) for (const i of s.inputs) names.add(i.name);
  return [...names];
}

/** Percent-encodes every byte of a buffer (how raw Latin-1 or invalid UTF-8 travels in a query). */
export function percentBytes(b: Uint8Array): string {
  let out = '';
  for (const byte of b) out += `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  return out;
}

const planeString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.string({
    unit: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    maxLength: 10,
  }),
  fc.constantFrom(
    'çãõéêáó',
    '😀',
    '\uD800',
    '\uFFFE',
    '\u0000',
    '&',
    '+',
    '%',
    '%%',
    '%E7',
    '%C3%A7',
    '%FF%FE',
    '',
  ),
);

/** A value as it travels in a query: percent-encoded UTF-8, percent-encoded raw bytes, or bytes unencoded. */
export const queryValue: fc.Arbitrary<Buffer> = fc.oneof(
  planeString.map((s) => Buffer.from(encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '?')), 'latin1')),
  planeString.map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(percentBytes(b), 'latin1')),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 161, max: 70_000 }).map((n) => Buffer.from('9'.repeat(n), 'latin1')),
  fc.constantFrom(
    ...['1191000000', '3301', 'teste', 'senha', 'async-oneway', 'sync', 'assync-delivery'].map((s) =>
      Buffer.from(s),
    ),
  ),
);

/** A query: known and unknown names, missing, repeated and empty parameters, raw bytes. */
export function queryArb(names: string[]): fc.Arbitrary<Buffer> {
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)) },
  );
  const pair = fc.oneof(
    fc.tuple(name, queryValue).map(([n, v]) => Buffer.concat([Buffer.from(`${n}=`, 'latin1'), v])),
    name.map((n) => Buffer.from(n, 'latin1')),
    fc.constant(Buffer.from('=')),
  );
  return fc
    .array(pair, { maxLength: 12 })
    .map((pairs) => Buffer.concat(pairs.flatMap((p, i) => (i ? [Buffer.from('&'), p] : [p]))));
}

/** Bytes that, in a request target, make the HTTP parser refuse the request line (an HTTP error is fine). */
export const targetNoise = fc.constantFrom(' ', '\t', '#', '\r', '\u0000');

/** A well-formed USSD notify command (6.4.18/6.4.21) for the simulator's default USSD profile. */
export function ussdNotify(content = 'Obrigado'): string {
  return `<?xml version="1.0" encoding="UTF-8"?><ussd_message_request><head><profile>USSD_NOTIFY</profile><password>senha</password><msisdn>1199998888</msisdn><short_code>100</short_code><mode>async</mode></head><command><notify><content>${content}</content></notify></command></ussd_message_request>`;
}

/** XML bodies from valid through damaged to hostile. */
export function xmlBodyArb(extra: string[] = []): fc.Arbitrary<Buffer> {
  const valid = ussdNotify();
  const hostile = [
    `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>${valid.replace(/^<\?xml[^>]*\?>/, '').replace('Obrigado', '&d;')}`,
    `<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">${valid.replace(/^<\?xml[^>]*\?>/, '')}`,
    `<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>${valid.replace(/^<\?xml[^>]*\?>/, '')}`,
    valid.replace('Obrigado', '&undeclared;'),
    valid.replace('Obrigado', '&#0;'),
    valid.replace('Obrigado', '&#xD800;'),
    valid.replace('UTF-8', 'ISO-8859-1'),
    valid.replace('UTF-8', 'UTF-16'),
    valid.replace('UTF-8', 'x-unknown'),
    `\uFEFF${valid}`,
    `${'<a>'.repeat(5000)}`,
    `<ussd_message_request${' a="1"'.repeat(2000)}/>`,
    ...extra,
  ];
  return fc.oneof(
    fc.constant(Buffer.from(valid)),
    fc.constantFrom(...hostile).map((s) => Buffer.from(s, 'utf8')),
    fc.nat().map((n) => Buffer.from(valid).subarray(0, n % valid.length)),
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([n, b]) => {
      const v = Buffer.from(valid);
      const i = n % v.length;
      return Buffer.concat([v.subarray(0, i), Buffer.from(b), v.subarray(i + 1)]);
    }),
    fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s, 'utf8')),
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
  );
}

export const contentTypeArb = fc.constantFrom(
  undefined,
  'text/xml',
  'text/xml; charset=UTF-8',
  'text/xml; charset=ISO-8859-1',
  'text/xml; charset=utf-16',
  'text/xml; charset=nonsense',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'application/x-www-form-urlencoded; charset=UTF-8',
  'application/json',
  'multipart/form-data; boundary=x',
  'text/plain',
  ';;;',
  '\u00e7/\u00e7',
);

export const methodArb = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'FOO',
);

/** A loopback HTTP server that counts every hit: the out-of-band witness of an XXE fetch. */
export async function startHitCounter(): Promise<{
  url: string;
  hits: () => number;
  close(): Promise<void>;
}> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/xml-dtd' });
    res.end('<!ENTITY leak "XXE-HTTP-FETCHED">');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface RegressionSeed {
  /** Which property failed (the test name that replays it). */
  property: string;
  seed: number;
  path?: string;
  /** The counterexample, as JSON-safe data (buffers as base64). */
  counterexample: unknown;
  found: string;
  note?: string;
  /** What the server must hold before the replay (the defect showed only with a long transaction list). */
  setup?: { transactions?: number };
}

export const regressionsDir = join(projectRoot, 'fixtures', 'regressions');

/** Keeps the seed and counterexample of a failed property as a fixture for the replay test. */
export function keepRegression(seed: RegressionSeed): void {
  mkdirSync(regressionsDir, { recursive: true });
  const name = `${seed.property.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${seed.seed}.json`;
  writeFileSync(join(regressionsDir, name), `${JSON.stringify(seed, null, 2)}\n`);
}

/** JSON-safe form of a counterexample (buffers as {base64}). */
export function toJsonSafe(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array)
    return { base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]));
  return value;
}

export function fromJsonSafe(value: unknown): unknown {
  if (
    value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    'base64' in value
  )
    return Buffer.from(String((value as { base64: string }).base64), 'base64');
  if (Array.isArray(value)) return value.map(fromJsonSafe);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJsonSafe(v)]));
  return value;
}
