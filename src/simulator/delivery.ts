import http from 'node:http';
import https from 'node:https';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import type { Clock } from './clock.ts';
import type { DeliveryAttempt, TransactionTimeline } from './transactions.ts';

export interface DeliveryJob {
  method: 'GET' | 'POST';
  /** The URL to call, credentials included. */
  url: string;
  /** What the timeline shows of the URL (passwords masked). */
  maskedUrl: string;
  body?: Buffer;
  contentType?: string;
  /** The bytes recorded for a GET (the query with passwords masked). */
  recordBytes?: Buffer;
  /** Called with the partner's answer of the successful attempt (USSD events read the reply). */
  onDelivered?: (status: number, body: Buffer) => void;
}

/**
 * Deliveries from the MSE to partners (receipts, MO, USSD events): success is HTTP 200 and nothing else
 * (6.4.1.1, 6.4.5.1, 6.4.7.1); any other answer or a failed connection is retried after each delay of
 * the schedule; after the last one the delivery is given up. A delivered transaction is never sent again.
 */
export class Deliverer {
  private inFlight = 0;
  private scheduled = 0;
  private waiters: (() => void)[] = [];
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // Plain-HTTP deliveries go through undici, whose client costs less per request than node:http's: in
  // bench/simulator.ts on the shared machine, 2,457-8,047 receipts/s over four runs against 2,512-2,735
  // over three with node:http (noisy, never worse). HTTPS stays on node:https and its agent.
  private readonly undici = new UndiciAgent({ connections: 64, keepAliveTimeout: 4_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  private closed = false;
  delivered = 0;

  constructor(
    private readonly clock: Clock,
    private readonly retryDelaysMs: number[],
    private readonly attemptTimeoutMs = 10_000,
  ) {}

  /** Sends `job` for `t` after `firstDelayMs`, with retries. */
  enqueue(t: TransactionTimeline, job: DeliveryJob, firstDelayMs: number): void {
    t.delivery = 'pending';
    this.plan(t, job, 0, firstDelayMs);
  }

  private plan(t: TransactionTimeline, job: DeliveryJob, attempt: number, delayMs: number): void {
    this.scheduled++;
    this.clock.schedule(delayMs, async () => {
      this.scheduled--;
      if (this.closed) return;
      await this.attempt(t, job, attempt);
    });
  }

  private async attempt(t: TransactionTimeline, job: DeliveryJob, attempt: number): Promise<void> {
    this.inFlight++;
    const record: DeliveryAttempt = {
      attempt: attempt + 1,
      at: new Date(this.clock.now()).toISOString(),
      method: job.method,
      url: job.maskedUrl,
      requestBase64: (job.body ?? job.recordBytes ?? Buffer.alloc(0)).toString('base64'),
    };
    t.deliveries.push(record);
    try {
      const { status, body } = await this.send(job);
      record.httpStatus = status;
      record.responseBase64 = body.toString('base64');
      if (status === 200) {
        t.delivery = 'delivered';
        this.delivered++;
        job.onDelivered?.(status, body);
      } else this.retryOrGiveUp(t, job, attempt, `HTTP ${status}`);
    } catch (error) {
      record.error = (error as Error).message;
      this.retryOrGiveUp(t, job, attempt, record.error);
    } finally {
      this.inFlight--;
      this.wake();
    }
  }

  private retryOrGiveUp(t: TransactionTimeline, job: DeliveryJob, attempt: number, why: string): void {
    const delay = this.retryDelaysMs[attempt];
    if (delay === undefined || this.closed) {
      t.delivery = 'given-up';
      t.notes.push(`delivery given up after ${attempt + 1} attempt(s); last: ${why}`);
      return;
    }
    this.plan(t, job, attempt + 1, delay);
  }

  private send(job: DeliveryJob): Promise<{ status: number; body: Buffer }> {
    if (job.url.startsWith('http:')) return this.sendPlain(job);
    return new Promise((resolve, reject) => {
      const url = new URL(job.url);
      const secure = url.protocol === 'https:';
      const headers: Record<string, string | number> = {};
      if (job.body) {
        headers['content-type'] = job.contentType ?? 'text/xml; charset=UTF-8';
        headers['content-length'] = job.body.length;
      }
      const req = (secure ? https : http).request(
        url,
        { method: job.method, headers, agent: secure ? this.httpsAgent : this.httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= 1_048_576) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.attemptTimeoutMs, () =>
        req.destroy(new Error(`no answer within ${this.attemptTimeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(job.body);
    });
  }

  private async sendPlain(job: DeliveryJob): Promise<{ status: number; body: Buffer }> {
    const headers: Record<string, string> = {};
    if (job.body) headers['content-type'] = job.contentType ?? 'text/xml; charset=UTF-8';
    const res = await undiciRequest(job.url, {
      method: job.method,
      headers,
      ...(job.body ? { body: job.body } : {}),
      dispatcher: this.undici,
      headersTimeout: this.attemptTimeoutMs,
      bodyTimeout: this.attemptTimeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size <= 1_048_576) chunks.push(c);
    }
    return { status: res.statusCode, body: Buffer.concat(chunks) };
  }

  /**
   * One attempt now, without retries, for exchanges whose answer is awaited (USSD events: the partner's
   * reply is the next command). Recorded in the timeline like any other attempt.
   */
  async deliverOnce(
    t: TransactionTimeline,
    job: DeliveryJob,
  ): Promise<{ status: number; body: Buffer } | undefined> {
    this.inFlight++;
    const record: DeliveryAttempt = {
      attempt: t.deliveries.length + 1,
      at: new Date(this.clock.now()).toISOString(),
      method: job.method,
      url: job.maskedUrl,
      requestBase64: (job.body ?? job.recordBytes ?? Buffer.alloc(0)).toString('base64'),
    };
    t.deliveries.push(record);
    try {
      const answer = await this.send(job);
      record.httpStatus = answer.status;
      record.responseBase64 = answer.body.toString('base64');
      t.delivery = answer.status === 200 ? 'delivered' : 'given-up';
      if (answer.status === 200) this.delivered++;
      return answer;
    } catch (error) {
      record.error = (error as Error).message;
      t.delivery = 'given-up';
      return undefined;
    } finally {
      this.inFlight--;
      this.wake();
    }
  }

  /** Nothing in flight and (with the real clock) nothing scheduled. */
  isIdle(): boolean {
    return this.inFlight === 0 && (this.clock.kind === 'virtual' || this.scheduled === 0);
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Called after every attempt and when a scheduled delivery is dropped. */
  wake(): void {
    if (!this.isIdle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  close(): void {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    void this.undici.destroy().catch(() => {});
    this.scheduled = 0;
    this.wake();
  }
}
