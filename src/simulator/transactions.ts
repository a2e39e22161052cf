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
 * Transaction ids of 19 digits, as every example of the document shows: `1`, the time as yyMMddHHmmss
 * and a six-digit counter that never resets, so ids stay unique up to a million per second.
 */
export class TransactionIds {
  private counter = 0;
  private second = -1;
  private stamp = '';
  constructor(private readonly now: () => number) {}
  next(): string {
    this.counter = (this.counter + 1) % 1_000_000;
    // The time part changes once a second; formatting it per request is measurable under load.
    const second = Math.floor(this.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.stamp = `1${yyMMddHHmmss(second * 1000)}`;
    }
    return `${this.stamp}${String(this.counter).padStart(6, '0')}`;
  }
}

/** The timelines of the most recent transactions (older ones are dropped beyond `limit`). */
export class TransactionStore {
  private readonly byId = new Map<string, TransactionTimeline>();
  /**
   * Ids in the order added, as a ring of `limit` slots: the oldest is found in one step. Asking the Map
   * for its first key instead walks over the holes earlier deletions left, which under load cost more
   * per request than the rest of the store.
   */
  private ring: string[] = [];
  private next = 0;
  constructor(private readonly limit = 20_000) {}

  add(t: TransactionTimeline): TransactionTimeline {
    const id = t.transactionId;
    if (this.limit < 1) return t;
    if (this.byId.has(id)) {
      this.byId.set(id, t);
      return t;
    }
    this.byId.set(id, t);
    if (this.byId.size > this.limit) this.byId.delete(this.ring[this.next]!);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.limit;
    return t;
  }
  get(id: string): TransactionTimeline | undefined {
    return this.byId.get(id);
  }
  all(): TransactionTimeline[] {
    return [...this.byId.values()];
  }
  clear(): void {
    this.byId.clear();
    this.ring = [];
    this.next = 0;
  }
}

const secretNames = new Set(['pwd', 'password', 'PWD', 'PASSWORD']);

/** Replaces password values in a parameter map. */
export function maskParams(params: Record<string, string>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const k in params) out[k] = secretNames.has(k) ? '***' : params[k]!;
  return out;
}

/** Replaces password values in a URL or query string (pwd, password, PWD). */
export function maskUrl(url: string): string {
  return url.replace(/([?&](?:pwd|password|PWD|PASSWORD)=)[^&]*/g, '$1***');
}
