import { SECRET_KEYS } from '../core/secrets.ts';
import { buildMseResponse, type MseResponse } from '../xml/mse-response.ts';
import { yyMMddHHmmss } from './clock.ts';

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  method: 'GET' | 'POST';
  /** The URL as sent, with any password masked. */
  url: string;
  /** The request body as sent (base64); for a GET, the query string's bytes with any password masked. */
  requestBase64: string;
  /** The partner's HTTP status, absent when the connection failed. */
  httpStatus?: number;
  responseBase64?: string;
  error?: string;
}

export type DeliveryState = 'none' | 'pending' | 'delivered' | 'given-up' | 'not-configured';

export interface TransactionTimeline {
  transactionId: string;
  /** What started it: a partner's API or USSD request, an MO injection, a USSD user event, an SMTP message. */
  kind: 'api' | 'ussd-command' | 'mo' | 'ussd-event' | 'smtp' | 'rejected';
  service?: string;
  profile?: string;
  mode?: string;
  startedAt: string;
  request?: {
    method: string;
    path: string;
    /** Parameters as understood, passwords masked. */
    params?: Record<string, string>;
    contentType?: string;
    bodyBytes?: number;
    /** How the query and the form body were read: UTF-8, or ISO-8859-1 (declared, or bytes not UTF-8). */
    charset?: { query?: 'UTF-8' | 'ISO-8859-1'; body?: 'UTF-8' | 'ISO-8859-1' };
  };
  /** The answer given in the same connection. */
  response?: { httpStatus: number; statusCode: number; errorMessage?: string; body: string };
  /** The execution response (what sync returns and async-delivery POSTs). */
  execution?: { statusCode: number; errorMessage?: string; parameters: { name: string; value: string }[] };
  delivery: DeliveryState;
  deliveries: DeliveryAttempt[];
  /** USSD: every page the platform made of the command (a menu beyond pageChars has several). */
  pages?: string[];
  /** USSD: the screens shown to the subscriber, in order. */
  screens?: { at: string; page: number; pages: number; text: string }[];
  /** USSD events: the partner's reply and whether it is a valid command. */
  reply?: { valid: boolean; problem?: string; command?: unknown; body?: string };
  notes: string[];
}

/**
 * An mse-response the simulator answered, kept as the fields it was built from: its body is rendered again
 * when read, by the same function from the same fields, so it is the same text. Under load the timelines
 * were most of what the simulator's memory had to move, and an answer's text the largest part of one.
 */
export class MseAnswer {
  readonly statusCode: number;
  readonly errorMessage?: string;
  constructor(
    readonly httpStatus: number,
    private readonly answered: MseResponse,
  ) {
    this.statusCode = answered.statusCode;
    if (answered.errorMessage !== undefined) this.errorMessage = answered.errorMessage;
  }
  get body(): string {
    return buildMseResponse(this.answered);
  }
  toJSON() {
    return {
      httpStatus: this.httpStatus,
      statusCode: this.statusCode,
      ...(this.errorMessage !== undefined ? { errorMessage: this.errorMessage } : {}),
      body: this.body,
    };
  }
}

/**
 * Transaction ids of 19 digits, as every example of the document shows: `1`, the time as yyMMddHHmmss
 * and a six-digit counter that never resets, so ids stay unique up to a million per second.
 */
export class TransactionIds {
  private counter = 0;
  private second = -1;
  private stamp = '';
  constructor(private readonly now: () => number) {}
  /** The next id, at `now` (the clock's time when not given). */
  next(now = this.now()): string {
    this.counter = (this.counter + 1) % 1_000_000;
    // The time part changes once a second; formatting it per request is measurable under load.
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.stamp = `1${yyMMddHHmmss(second * 1000)}`;
    }
    return `${this.stamp}${String(this.counter).padStart(6, '0')}`;
  }
}

/**
 * The timelines of the most recent transactions, as a ring of `limit` slots: adding one is a store into the
 * next slot, the oldest dropping out. Nothing indexes them by id: a Map kept beside the ring cost more per
 * request under load than the rest of the store, and only the control endpoint asks for one transaction,
 * found by walking back from the newest. Ids are unique by construction (TransactionIds); should one come
 * twice, the newer timeline is the one found.
 */
export class TransactionStore {
  private ring: TransactionTimeline[] = [];
  private next = 0;
  constructor(private readonly limit = 20_000) {}

  add(t: TransactionTimeline): TransactionTimeline {
    if (this.limit < 1) return t;
    this.ring[this.next] = t;
    this.next = (this.next + 1) % this.limit;
    return t;
  }
  get(id: string): TransactionTimeline | undefined {
    const n = this.ring.length;
    for (let k = 1; k <= n; k++) {
      const t = this.ring[(this.next - k + n) % n]!;
      if (t.transactionId === id) return t;
    }
    return undefined;
  }
  /** Oldest first. */
  all(): TransactionTimeline[] {
    const n = this.ring.length;
    if (n < this.limit) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
  clear(): void {
    this.ring = [];
    this.next = 0;
  }
}

/**
 * Replaces password values in a parameter map, in place: the simulator keeps a request's own parameters in
 * its timeline (no copy per request) and masks them as soon as the password has been read.
 */
export function maskPasswords(params: Record<string, string>): Record<string, string> {
  for (const name of SECRET_KEYS) if (params[name] !== undefined) params[name] = '***';
  return params;
}

const passwordInUrl = new RegExp(`([?&](?:${SECRET_KEYS.join('|')})=)[^&]*`, 'g');

/** Replaces password values in a URL or query string (the keys of SECRET_KEYS). */
export function maskUrl(url: string): string {
  return url.replace(passwordInUrl, '$1***');
}
