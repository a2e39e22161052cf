/**
 * The ledger of a load run, by transaction id. It consumes two streams: what the Artillery processor saw
 * (every answer's transaction id, status and time, and each distinct body shape once) through its intake
 * on the listener, and every delivery the listener records. At the end it says, for the accepted
 * async-delivery requests, which receipts came once, twice or never (by a deadline after the run), how late
 * (ack → receipt), and which answers or receipts were not a valid mse-response (6.5.1).
 */
import type { Delivery } from '../listener/index.ts';
import { validateXml } from '../xml/validate.ts';
import type { PlanEntry } from './plan.ts';

/** Ids listed in the summary before "and N more" (the counts stay exact). */
export const LEDGER_MAX_IDS = 200;

type IntakeRecord = [
  entry: number,
  tid: string,
  statusCode: string,
  httpStatus: number,
  at: number,
  shape: number,
];

interface Intake {
  worker: string;
  records: IntakeRecord[];
  shapes?: Record<string, string>;
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LedgerSummary {
  answers: number;
  /** Answers by entry name and status-code ('' when none could be read). */
  byEntry: Record<string, Record<string, number>>;
  httpStatuses: Record<string, number>;
  accepted: number;
  /** Refusals that were a valid mse-response with HTTP 200 and a non-zero status-code (what 9.3 asks). */
  cleanRefusals: Record<string, number>;
  /** Answers that were not HTTP 200, or not a valid mse-response: examples with the problem. */
  malformed: { count: number; examples: { entry: string; httpStatus: number; problem: string }[] };
  unjudged: number;
  /** Transaction ids answered more than once (the ids of 9.3 identify one transaction). */
  duplicateTransactionIds: { count: number; ids: string[] };
  receipts: {
    /** Accepted requests of async-delivery entries whose service delivers a receipt. */
    expected: number;
    received: number;
    lost: { count: number; ids: string[] };
    duplicated: { count: number; ids: string[] };
    /** Receipts whose transaction id no answer carried. */
    unknown: { count: number; ids: string[] };
    malformed: { count: number; examples: { transactionId: string; problem: string }[] };
    latencyMs: Percentiles;
    deadlineMs: number;
  };
  /** Other deliveries the listener received during the run (MO, USSD events), by kind. */
  otherDeliveries: Record<string, number>;
}

export function percentiles(values: number[]): Percentiles {
  if (!values.length) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!,
  };
}

function firstProblem(body: Buffer): string | undefined {
  const result = validateXml(body, 'mse-response');
  return result.ok ? undefined : (result.errors[0] ?? 'not a valid mse-response');
}

function capped(ids: Iterable<string>): { count: number; ids: string[] } {
  const all = [...ids];
  return { count: all.length, ids: all.slice(0, LEDGER_MAX_IDS) };
}

export class Ledger {
  private readonly answered = new Map<string, number>();
  private readonly duplicates = new Set<string>();
  private readonly expected = new Map<string, number>();
  private readonly receipts = new Map<string, { count: number; at: number }>();
  private readonly receiptProblems: { transactionId: string; problem: string }[] = [];
  private receiptMalformed = 0;
  private readonly shapeVerdicts = new Map<string, string | undefined>();
  private readonly byEntry: Record<string, Record<string, number>> = {};
  private readonly httpStatuses: Record<string, number> = {};
  private readonly cleanRefusals: Record<string, number> = {};
  private readonly malformedExamples: { entry: string; httpStatus: number; problem: string }[] = [];
  private malformed = 0;
  private unjudged = 0;
  private accepted = 0;
  private answers = 0;
  private readonly other: Record<string, number> = {};
  private waiter: (() => void) | undefined;
  private waiting = 0;

  constructor(private readonly entries: PlanEntry[]) {}

  /** A batch from a processor (the body of a POST to the intake). Bad input is ignored, never thrown. */
  intake(body: Buffer): void {
    let batch: Intake;
    try {
      batch = JSON.parse(body.toString('utf8')) as Intake;
    } catch {
      return;
    }
    if (!batch || typeof batch.worker !== 'string' || !Array.isArray(batch.records)) return;
    for (const [id, base64] of Object.entries(batch.shapes ?? {}))
      this.shapeVerdicts.set(`${batch.worker}/${id}`, firstProblem(Buffer.from(String(base64), 'base64')));
    for (const r of batch.records) if (Array.isArray(r)) this.answer(batch.worker, r);
    this.wake();
  }

  private answer(worker: string, [index, tid, code, httpStatus, at, shape]: IntakeRecord): void {
    const entry = this.entries[index];
    if (!entry) return;
    this.answers++;
    const counts = this.byEntry[entry.name] ?? {};
    this.byEntry[entry.name] = counts;
    counts[code] = (counts[code] ?? 0) + 1;
    this.httpStatuses[httpStatus] = (this.httpStatuses[httpStatus] ?? 0) + 1;
    const key = `${worker}/${shape}`;
    let problem: string | undefined;
    if (shape < 0 || !this.shapeVerdicts.has(key)) this.unjudged++;
    else problem = this.shapeVerdicts.get(key);
    if (httpStatus !== 200) problem = `HTTP ${httpStatus}${problem ? `, ${problem}` : ''}`;
    if (problem) {
      this.malformed++;
      if (this.malformedExamples.length < 20)
        this.malformedExamples.push({ entry: entry.name, httpStatus, problem });
    } else if (code === '0') this.accepted++;
    else this.cleanRefusals[code] = (this.cleanRefusals[code] ?? 0) + 1;
    if (tid) {
      if (this.answered.has(tid)) this.duplicates.add(tid);
      else this.answered.set(tid, at);
      if (code === '0' && !problem && entry.receipt && !this.expected.has(tid)) {
        this.expected.set(tid, at);
        if (!this.receipts.has(tid)) this.waiting++;
      }
    }
  }

  /** A delivery the listener recorded. */
  delivery(d: Delivery): void {
    if (d.kind !== 'receipt') {
      this.other[d.kind] = (this.other[d.kind] ?? 0) + 1;
      return;
    }
    const tid = d.key ?? '';
    const seen = this.receipts.get(tid);
    if (seen) seen.count++;
    else {
      this.receipts.set(tid, { count: 1, at: d.at });
      if (this.expected.has(tid)) this.waiting--;
    }
    const problem = firstProblem(d.body);
    if (problem) {
      this.receiptMalformed++;
      if (this.receiptProblems.length < 20) this.receiptProblems.push({ transactionId: tid, problem });
    }
    this.wake();
  }

  /** Accepted async-delivery requests without a receipt yet. */
  pending(): number {
    return this.waiting;
  }

  /** Resolves when every expected receipt came, or at the deadline, whichever is first. */
  settle(deadlineMs: number): Promise<void> {
    if (this.waiting === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(deadline);
        this.waiter = undefined;
        resolve();
      };
      const deadline = setTimeout(finish, deadlineMs);
      this.waiter = () => {
        if (this.waiting === 0) finish();
      };
    });
  }

  private wake(): void {
    this.waiter?.();
  }

  summary(deadlineMs: number): LedgerSummary {
    const lost: string[] = [];
    const latency: number[] = [];
    for (const [tid, at] of this.expected) {
      const r = this.receipts.get(tid);
      if (!r) lost.push(tid);
      else latency.push(Math.max(0, r.at - at));
    }
    const duplicated: string[] = [];
    const unknown: string[] = [];
    let received = 0;
    for (const [tid, r] of this.receipts) {
      received += r.count;
      if (r.count > 1) duplicated.push(tid);
      if (!this.answered.has(tid)) unknown.push(tid);
    }
    return {
      answers: this.answers,
      byEntry: this.byEntry,
      httpStatuses: this.httpStatuses,
      accepted: this.accepted,
      cleanRefusals: this.cleanRefusals,
      malformed: { count: this.malformed, examples: this.malformedExamples },
      unjudged: this.unjudged,
      duplicateTransactionIds: capped(this.duplicates),
      receipts: {
        expected: this.expected.size,
        received,
        lost: capped(lost),
        duplicated: capped(duplicated),
        unknown: capped(unknown),
        malformed: { count: this.receiptMalformed, examples: this.receiptProblems },
        latencyMs: percentiles(latency),
        deadlineMs,
      },
      otherDeliveries: this.other,
    };
  }
}
