import type { Service, Spec } from '../spec/types.ts';
import type { Backends } from './backends.ts';
import type { Clock } from './clock.ts';
import type { Deliverer } from './delivery.ts';
import type { RateLimiter } from './rate.ts';
import type { TransactionIds, TransactionStore, TransactionTimeline } from './transactions.ts';
import type { ProfileConfig } from './types.ts';
import type { UssdSessions } from './ussd-sessions.ts';

/** Everything one running simulator shares between its request handlers. */
export interface SimContext {
  spec: Spec;
  services: Map<string, Service>;
  profiles: Map<string, ProfileConfig>;
  clock: Clock;
  ids: TransactionIds;
  store: TransactionStore;
  backends: Backends;
  deliverer: Deliverer;
  rate: RateLimiter;
  ussd: UssdSessions;
  receiptDelayMs: number;
  syncTimeoutMs: number;
  maxBodyBytes: number;
  /** SMTP AUTD: provisioned sender domains and the profile each maps to. */
  smtpDomains: { domain: string; profile?: string }[];
  /** Where log lines go; undefined when nobody reads them (SimulatorOptions.log false), and none is formatted. */
  log: ((line: string) => void) | undefined;
}

// The start time as ISO text, formatted once per millisecond rather than once per request.
let isoAt = Number.NaN;
let isoText = '';
function isoTime(ms: number): string {
  if (ms !== isoAt) {
    isoAt = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** A new timeline, registered in the store. */
export function newTransaction(
  ctx: SimContext,
  kind: TransactionTimeline['kind'],
  fields: Partial<TransactionTimeline> = {},
): TransactionTimeline {
  const now = ctx.clock.now();
  return ctx.store.add({
    transactionId: ctx.ids.next(now),
    kind,
    startedAt: isoTime(now),
    delivery: 'none',
    deliveries: [],
    notes: [],
    ...fields,
  });
}

/** One line per transaction, passwords never included. */
export function logTransaction(ctx: SimContext, t: TransactionTimeline, extra = ''): void {
  if (!ctx.log) return;
  const status = t.response?.statusCode ?? t.execution?.statusCode;
  // Concatenated rather than joined from an array: this runs once per request.
  let line = t.startedAt;
  if (t.transactionId) line += line ? ` ${t.transactionId}` : t.transactionId;
  line += line ? ` ${t.kind}` : t.kind;
  if (t.request) line += ` ${t.request.method} ${t.request.path}`;
  if (t.profile) line += ` profile=${t.profile}`;
  if (t.service) line += ` service=${t.service}`;
  if (t.mode) line += ` mode=${t.mode}`;
  if (status !== undefined) line += ` status=${status}`;
  if (t.response?.errorMessage) line += ` "${t.response.errorMessage}"`;
  if (extra) line += ` ${extra}`;
  ctx.log(line);
}
