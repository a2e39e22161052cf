/**
 * The delivery listener: a real HTTP server that plays the partner's endpoints during a run. It records every
 * delivery the target makes (receipts, SMS/MMS/WIB MO, USSD events, anything else) with its raw bytes,
 * correlates them by transaction id or ID, and lets checks wait for them with a deadline (event-driven).
 *
 * Checks run in vitest workers, so the listener also serves a small suite-side API under a secret path
 * (`/__suite/<token>/...`): wait for deliveries, list them, and set the answer for the next deliveries.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toExchange } from '../client/http.ts';
import type { Exchange } from '../core/model.ts';
import { buildUssdRequest } from '../xml/ussd.ts';

export type DeliveryKind = 'receipt' | 'sms-mo' | 'mms-mo' | 'wib-mo' | 'ussd-event' | 'other';

/** Paths of the partner endpoints on the listener; the simulator's `callback` option uses the same ones. */
export const LISTENER_PATHS: Record<Exclude<DeliveryKind, 'other'>, string> = {
  receipt: '/receipt',
  'sms-mo': '/mo/sms',
  'mms-mo': '/mo/mms',
  'wib-mo': '/mo/wib',
  'ussd-event': '/ussd',
};

export interface Delivery {
  seq: number;
  kind: DeliveryKind;
  /** Epoch milliseconds when the request ended. */
  at: number;
  method: string;
  /** Path and query exactly as the target sent them (the query is kept byte-exact, percent-escapes included). */
  url: string;
  rawQuery: string;
  headers: Record<string, string>;
  body: Buffer;
  /**
   * Correlation key: transaction-id of a receipt (from the body, or from the query when a receipt came without
   * one), ID of an SMS MO, MSG_ID of an MMS MO, msisdn of a USSD event.
   */
  key?: string;
  /** The profile a receipt names (body, or query), so that a receipt no key matches still says whose it is. */
  profile?: string;
  /** The status the listener answered. */
  answered: number;
}

/** A delivery as the suite-side API sends it to workers (JSON). */
export type DeliveryJson = Omit<Delivery, 'body'> & { bodyBase64: string };

export interface AnswerRule {
  kind: DeliveryKind;
  /** Only deliveries with this key; any when absent. */
  key?: string;
  status: number;
  body?: string;
  contentType?: string;
  /** How many deliveries the rule answers before it is used up. */
  times: number;
}

/**
 * A hold: deliveries of `kind` whose body contains `contains` are not answered until the suite releases the
 * hold, naming the key (transaction id) to answer with another status. This lets a check arrange the answer
 * to a receipt whose transaction id it learns only from the ack, however fast the receipt comes.
 */
export interface HoldRule {
  kind: DeliveryKind;
  contains: string;
}

export interface Release {
  holdId: string;
  /** Held deliveries with this key are answered `status`, and the next `times - 1` with that key too. */
  key?: string;
  status?: number;
  times?: number;
}

export interface WaitQuery {
  kind?: DeliveryKind;
  key?: string;
  /** A substring of the raw query or body (latin1 view), to find a delivery the suite marked with a token. */
  contains?: string;
  /** Resolve once this many matching deliveries are recorded (default 1). */
  count?: number;
  timeoutMs: number;
  /** Only deliveries with seq greater than this. */
  since?: number;
  /**
   * Stop waiting early on evidence: deliveries of `kind` naming `profile`, recorded at or after `sinceAt` (epoch
   * ms), whose key no wait ever asked for (a receipt by GET without an id, or with a transaction id no ack gave).
   * Such a delivery is evidence for every wait on that profile; once one has stayed unclaimed for `graceMs` (a
   * wait registered a moment later may still claim it), the wait resolves with it instead of its deadline.
   */
  evidence?: { profile: string; sinceAt: number; graceMs: number };
}

/** What a wait found: the deliveries it asked for, and the evidence it stopped on (if it did). */
export interface WaitResult {
  found: Delivery[];
  evidence: Delivery[];
}

export interface ListenerOptions {
  host?: string;
  port?: number;
  /** The URL the target delivers to, when it differs from the bound address (NAT, proxies). */
  publicUrl?: string;
  /** Largest body accepted, in bytes; larger bodies are answered 413. */
  maxBodyBytes?: number;
  /** Answer to a USSD event when no rule says otherwise: a valid ussd_message_request command (6.4.21-6.4.23). */
  ussdAnswer?: (event: Buffer) => string;
  /** Called with every delivery as it is recorded (the load ledger consumes them this way). */
  onDelivery?: (delivery: Delivery) => void;
  /** A POST endpoint of another consumer on the same address (the load ledger's intake); 204 when handled. */
  intake?: { path: string; handle: (body: Buffer) => void };
}

export interface Listener {
  /** Base URL the target delivers to. */
  url: string;
  /** Base URL of the suite-side API (includes the secret token). */
  suiteUrl: string;
  deliveries(): Delivery[];
  waitFor(query: WaitQuery): Promise<Delivery[]>;
  waitWithEvidence(query: WaitQuery): Promise<WaitResult>;
  /**
   * Deliveries that match nothing the run did: no wait returned them by key or marker, and their key is not one
   * the run expects (evidence is not a match).
   */
  unmatched(): Delivery[];
  /** Declares a key the run expects deliveries for (the transaction-id of an async-delivery ack). */
  expect(kind: DeliveryKind, key: string): void;
  answer(rule: AnswerRule): void;
  hold(rule: HoldRule): string;
  release(release: Release): void;
  /** How long checks waited for deliveries: the number of waits, their summed time, and the wall time during which at least one was pending. */
  waitStats(): { waits: number; summedMs: number; wallMs: number };
  close(): Promise<void>;
}

/**
 * Default answer to a USSD event: a notify command (6.4.20), the simplest valid reply a partner may send,
 * addressed to the event's subscriber and short code. `profile`/`password` are the partner's USSD profile.
 */
export function defaultUssdAnswer(event: Buffer, profile = 'partner', password = 'partner'): string {
  const text = event.toString('utf8');
  return buildUssdRequest({
    head: {
      profile,
      password,
      msisdn: /<msisdn>\s*([^<\s]*)\s*<\/msisdn>/.exec(text)?.[1] ?? '',
      shortCode: /<short_code>\s*([^<\s]*)\s*<\/short_code>/.exec(text)?.[1] ?? '',
      mode: 'async',
    },
    command: { type: 'notify', content: 'Obrigado' },
  });
}

function kindOf(method: string, path: string): DeliveryKind {
  for (const [kind, p] of Object.entries(LISTENER_PATHS))
    if (path === p || path.endsWith(p)) return kind as DeliveryKind;
  void method;
  return 'other';
}

/** A hold takes a delivery whose body, or raw query (an SMS MO comes by GET), contains its text. */
function holdMatches(rule: HoldRule, rawQuery: string, body: Buffer): boolean {
  return body.includes(rule.contains) || rawQuery.includes(rule.contains);
}

/** A query parameter's value, percent-decoded leniently (undecodable escapes stay as they are). */
function queryValue(rawQuery: string, pattern: RegExp): string | undefined {
  const m = pattern.exec(rawQuery);
  return m ? safeDecode(m[1]!) : undefined;
}

/** Correlation key; tolerant on purpose (bodies may be broken), it only finds, it does not judge. */
function keyOf(kind: DeliveryKind, rawQuery: string, body: Buffer): string | undefined {
  const text = body.toString('latin1');
  switch (kind) {
    case 'receipt':
      // XML allows whitespace before the > of a tag (STag, ETag).
      return (
        /<transaction-id\s*>\s*([^<\s]*)\s*<\/transaction-id\s*>/.exec(text)?.[1] ??
        queryValue(rawQuery, /(?:^|&)transaction[-_]?id=([^&]*)/i)
      );
    case 'sms-mo':
    case 'wib-mo': {
      const m = /(?:^|&)ID=([^&]*)/.exec(rawQuery);
      return m ? decodeURIComponent(m[1]!.replace(/\+/g, ' ')) : undefined;
    }
    case 'mms-mo':
      return /MSG_ID\s*=\s*"([^"]*)"/.exec(text)?.[1];
    case 'ussd-event':
      return /<msisdn\s*>\s*([^<\s]*)\s*<\/msisdn\s*>/.exec(text)?.[1];
    default:
      return undefined;
  }
}

function profileOf(kind: DeliveryKind, rawQuery: string, body: Buffer): string | undefined {
  if (kind !== 'receipt' && kind !== 'other') return undefined;
  return (
    /<profile>\s*([^<\s]*)\s*<\/profile>/.exec(body.toString('latin1'))?.[1] ??
    queryValue(rawQuery, /(?:^|&)profile=([^&]*)/)
  );
}

function matches(d: Delivery, q: WaitQuery): boolean {
  if (q.kind && d.kind !== q.kind) return false;
  if (q.key !== undefined && d.key !== q.key) return false;
  if (q.since !== undefined && d.seq <= q.since) return false;
  if (q.contains !== undefined) {
    const hay = `${d.url}\n${d.body.toString('latin1')}\n${d.body.toString('utf8')}`;
    if (!hay.includes(q.contains) && !safeDecode(d.rawQuery).includes(q.contains)) return false;
  }
  return true;
}

function safeDecode(q: string): string {
  try {
    return decodeURIComponent(q.replace(/\+/g, ' '));
  } catch {
    return q;
  }
}

export function toJson(d: Delivery): DeliveryJson {
  const { body, ...rest } = d;
  return { ...rest, bodyBase64: body.toString('base64') };
}

export function fromJson(d: DeliveryJson): Delivery {
  const { bodyBase64, ...rest } = d;
  return { ...rest, body: Buffer.from(bodyBase64, 'base64') };
}

interface Held {
  delivery: Delivery;
  finish: (status: number) => void;
}

interface Hold {
  rule: HoldRule;
  held: Held[];
  timer: NodeJS.Timeout;
}

/** What the listener keeps between requests: the deliveries, the answer rules, the holds and the waits on them. */
class DeliveryStore {
  readonly recorded: Delivery[] = [];
  readonly rules: AnswerRule[] = [];
  readonly events = new EventEmitter();
  readonly stats = { waits: 0, summedMs: 0, wallMs: 0 };
  private seq = 0;
  private holdSeq = 0;
  private readonly holds = new Map<string, Hold>();
  private pending = 0;
  private pendingSince = 0;
  // Keys some wait asked for or the run declared (expect), by kind: a delivery with such a key belongs to a
  // request of the run, so it is never evidence against another. Deliveries a keyed or marked wait returned
  // are matched.
  private readonly askedKeys = new Set<string>();
  private readonly matched = new Set<number>();

  constructor() {
    this.events.setMaxListeners(0);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  release = (r: Release): void => {
    const h = this.holds.get(r.holdId);
    if (!h) return;
    this.holds.delete(r.holdId);
    clearTimeout(h.timer);
    let times = r.times ?? 1;
    for (const entry of h.held) {
      if (r.key !== undefined && entry.delivery.key === r.key && times > 0) {
        times--;
        entry.finish(r.status ?? 200);
        continue;
      }
      // Not this hold's transaction: another hold on the same deliveries may be waiting for it.
      const other = this.holdFor(h.rule.kind, entry.delivery.rawQuery, entry.delivery.body);
      if (other) other.held.push(entry);
      // Its own hold may already be released, leaving a rule for its key: answer by that rule.
      else entry.finish(this.takeRule(h.rule.kind, entry.delivery.key)?.status ?? 200);
    }
    if (r.key !== undefined && times > 0 && r.status !== undefined)
      this.rules.push({ kind: h.rule.kind, key: r.key, status: r.status, times });
  };

  hold = (rule: HoldRule): string => {
    const holdId = `h${++this.holdSeq}`;
    // Never hold for long: a forgotten hold is released with 200 after ten seconds.
    const timer = setTimeout(() => this.release({ holdId }), 10_000);
    timer.unref();
    this.holds.set(holdId, { rule, held: [], timer });
    return holdId;
  };

  /** The hold, if any, waiting on deliveries of this kind and this query or body. */
  holdFor(kind: DeliveryKind, rawQuery: string, body: Buffer): Hold | undefined {
    return [...this.holds.values()].find((x) => x.rule.kind === kind && holdMatches(x.rule, rawQuery, body));
  }

  private isEvidence(d: Delivery, q: WaitQuery): boolean {
    return (
      q.evidence !== undefined &&
      (q.kind === undefined || d.kind === q.kind) &&
      d.profile === q.evidence.profile &&
      d.at >= q.evidence.sinceAt &&
      !this.known(d)
    );
  }

  /** A wait, counted in the wait figures (how long checks spent waiting, summed and wall-clock). */
  timed = async (q: WaitQuery): Promise<WaitResult> => {
    const started = performance.now();
    if (this.pending++ === 0) this.pendingSince = started;
    try {
      return await this.waitFor(q);
    } finally {
      const now = performance.now();
      this.stats.waits++;
      this.stats.summedMs += now - started;
      if (--this.pending === 0) this.stats.wallMs += now - this.pendingSince;
    }
  };

  waitFor = (q: WaitQuery): Promise<WaitResult> => {
    const want = q.count ?? 1;
    if (q.key !== undefined) this.askedKeys.add(`${q.kind ?? 'receipt'}\0${q.key}`);
    const found = () => this.recorded.filter((d) => matches(d, q));
    const evidence = () => this.recorded.filter((d) => this.isEvidence(d, q));
    const claim = (f: Delivery[]) => {
      if (q.key !== undefined || q.contains !== undefined) for (const d of f) this.matched.add(d.seq);
      return f;
    };
    const now = found();
    if (now.length >= want || q.timeoutMs <= 0) return Promise.resolve({ found: claim(now), evidence: [] });
    return new Promise((resolve) => {
      let grace: NodeJS.Timeout | undefined;
      const onGrace = () => {
        grace = undefined;
        const e = evidence();
        if (e.length) finish(found(), e);
      };
      const onDelivery = () => {
        const f = found();
        if (f.length >= want) finish(f, []);
        else if (!grace && q.evidence && evidence().length) grace = setTimeout(onGrace, q.evidence.graceMs);
      };
      const timer = setTimeout(() => finish(found(), evidence()), q.timeoutMs);
      const finish = (f: Delivery[], e: Delivery[]) => {
        clearTimeout(timer);
        if (grace) clearTimeout(grace);
        this.events.off('delivery', onDelivery);
        resolve({ found: claim(f), evidence: e });
      };
      this.events.on('delivery', onDelivery);
      onDelivery();
    });
  };

  private known(d: Delivery): boolean {
    return d.key !== undefined && this.askedKeys.has(`${d.kind}\0${d.key}`);
  }

  unmatched = (): Delivery[] => this.recorded.filter((d) => !this.matched.has(d.seq) && !this.known(d));

  expect = (kind: DeliveryKind, key: string): void => {
    this.askedKeys.add(`${kind}\0${key}`);
  };

  takeRule(kind: DeliveryKind, key: string | undefined): AnswerRule | undefined {
    const i = this.rules.findIndex(
      (r) => r.kind === kind && (r.key === undefined || r.key === key) && r.times > 0,
    );
    if (i < 0) return undefined;
    const rule = this.rules[i]!;
    rule.times--;
    if (rule.times <= 0) this.rules.splice(i, 1);
    return rule;
  }

  waitStats(): { waits: number; summedMs: number; wallMs: number } {
    return {
      ...this.stats,
      wallMs: this.stats.wallMs + (this.pending ? performance.now() - this.pendingSince : 0),
    };
  }
}

/** The suite's own endpoints (waits, answer rules, holds): JSON in, JSON out. */
async function handleSuite(
  store: DeliveryStore,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: Buffer,
): Promise<void> {
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
  if (path === '/wait' && req.method === 'POST') {
    const { found, evidence } = await store.timed(input as unknown as WaitQuery);
    json(200, { deliveries: found.map(toJson), evidence: evidence.map(toJson) });
  } else if (path === '/answer' && req.method === 'POST') {
    store.rules.push(input as unknown as AnswerRule);
    json(200, { ok: true });
  } else if (path === '/hold' && req.method === 'POST') {
    json(200, { holdId: store.hold(input as unknown as HoldRule) });
  } else if (path === '/release' && req.method === 'POST') {
    store.release(input as unknown as Release);
    json(200, { ok: true });
  } else if (path === '/deliveries') {
    json(200, { deliveries: store.recorded.map(toJson) });
  } else if (path === '/expect' && req.method === 'POST') {
    const e = input as { kind?: DeliveryKind; key?: string };
    if (typeof e.key === 'string') store.expect(e.kind ?? 'receipt', e.key);
    json(200, { ok: true });
  } else if (path === '/unmatched') {
    json(200, { deliveries: store.unmatched().map(toJson) });
  } else json(404, { error: 'unknown suite endpoint' });
}

/** A request as the listener reads it: the URL split into path and raw query, and the whole body. */
interface Received {
  rawUrl: string;
  path: string;
  rawQuery: string;
  body: Buffer;
}

/** Records a delivery from the target and answers it: by an answer rule, a hold, or the default answer. */
function handleDelivery(
  store: DeliveryStore,
  options: ListenerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  { rawUrl, path, rawQuery, body }: Received,
): void {
  const method = req.method ?? 'GET';
  const kind = kindOf(method, path);
  const key = keyOf(kind, rawQuery, body);
  const profile = profileOf(kind, rawQuery, body);
  const rule = store.takeRule(kind, key);
  const status = rule?.status ?? 200;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const delivery: Delivery = {
    seq: store.nextSeq(),
    kind,
    at: Date.now(),
    method,
    url: rawUrl,
    rawQuery,
    headers,
    body,
    answered: status,
    ...(key !== undefined ? { key } : {}),
    ...(profile !== undefined ? { profile } : {}),
  };
  store.recorded.push(delivery);
  options.onDelivery?.(delivery);
  if (!rule) {
    const h = store.holdFor(kind, rawQuery, body);
    if (h) {
      delivery.answered = 0;
      h.held.push({
        delivery,
        finish: (held) => {
          delivery.answered = held;
          res.writeHead(held, { 'content-type': 'text/plain' });
          res.end(held === 200 ? 'OK' : 'not now');
        },
      });
      store.events.emit('delivery', delivery);
      return;
    }
  }
  let answer = rule?.body ?? (kind === 'ussd-event' ? (options.ussdAnswer ?? defaultUssdAnswer)(body) : 'OK');
  let type = rule?.contentType ?? (kind === 'ussd-event' ? 'text/xml; charset=UTF-8' : 'text/plain');
  if (kind === 'other') {
    answer = '';
    type = 'text/plain';
  }
  res.writeHead(status, { 'content-type': type });
  res.end(answer);
  store.events.emit('delivery', delivery);
}

/** Routes a whole request: the suite's endpoints, the intake, a body too large, or a delivery. */
async function route(
  store: DeliveryStore,
  options: ListenerOptions,
  suitePrefix: string,
  req: IncomingMessage,
  res: ServerResponse,
  chunks: Buffer[],
  tooBig: boolean,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const qi = rawUrl.indexOf('?');
  const path = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
  const body = Buffer.concat(chunks);
  if (path.startsWith(suitePrefix)) {
    await handleSuite(store, req, res, path.slice(suitePrefix.length), body);
    return;
  }
  if (options.intake && path === options.intake.path && req.method === 'POST' && !tooBig) {
    options.intake.handle(body);
    res.writeHead(204);
    res.end();
    return;
  }
  if (tooBig) {
    res.writeHead(413, { 'content-type': 'text/plain' });
    res.end('body too large');
    return;
  }
  handleDelivery(store, options, req, res, { rawUrl, path, rawQuery, body });
}

export async function startListener(options: ListenerOptions = {}): Promise<Listener> {
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const token = randomBytes(12).toString('hex');
  const suitePrefix = `/__suite/${token}`;
  const store = new DeliveryStore();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      void (async () => {
        try {
          await route(store, options, suitePrefix, req, res, chunks, tooBig);
        } catch (error) {
          // Bad input never takes the listener down: answer 400 and carry on.
          if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(`bad request: ${(error as Error).message}`);
        }
      })();
    });
  });
  server.keepAliveTimeout = 5_000;
  // A request the HTTP parser refuses (raw bytes in the target, say) is answered 400, not reset, so the
  // sender sees an HTTP error rather than a dropped connection.
  server.on('clientError', (_e, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const bound = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  const url = (options.publicUrl ?? bound).replace(/\/$/, '');
  return {
    url,
    suiteUrl: `${bound}${suitePrefix}`,
    deliveries: () => [...store.recorded],
    waitFor: async (q) => (await store.waitFor(q)).found,
    waitWithEvidence: store.waitFor,
    unmatched: store.unmatched,
    expect: store.expect,
    answer: (rule) => store.rules.push({ ...rule }),
    hold: store.hold,
    release: store.release,
    waitStats: () => store.waitStats(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A delivery the target made to the listener, as an exchange of a report (secrets masked). */
export function deliveryExchange(
  d: Delivery,
  listenerUrl: string | undefined,
  secrets: string[],
  label = `target → listener ${d.kind}`,
): Exchange {
  return toExchange(
    label,
    {
      request: {
        method: d.method,
        url: `${listenerUrl ?? ''}${d.url}`,
        headers: d.headers,
        body: d.body,
        timeoutMs: 0,
      },
      // A delivery the listener still holds has no answer yet (answered 0).
      ...(d.answered ? { response: { status: d.answered, headers: {}, body: Buffer.alloc(0) } } : {}),
      at: new Date(d.at).toISOString(),
      durationMs: 0,
    },
    secrets,
  );
}
