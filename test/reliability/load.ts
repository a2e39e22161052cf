/**
 * Load scenarios shared by the tests (thousands) and the bench (tens of thousands): receipts from
 * concurrent senders to the suite's listener, and the simulator under a sustained async-delivery submit
 * load with every receipt counted at a local receiver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startListener } from '../../src/listener/index.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { buildMseResponse, readMseResponse } from '../../src/xml/mse-response.ts';

interface Answer {
  status: number;
  body: Buffer;
}

function request(
  agent: http.Agent,
  url: string,
  method: string,
  body?: Buffer,
  timeoutMs = 10_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      agent,
      headers: body ? { 'content-type': 'text/xml; charset=UTF-8', 'content-length': body.length } : {},
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `count` tasks with at most `inFlight` at once. */
async function pool(count: number, inFlight: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}

export interface ListenerLoadResult {
  sent: number;
  answered200: number;
  recorded: number;
  distinct: number;
  /** Transaction ids sent and not recorded. */
  lost: number;
  /** Transaction ids recorded more than once. */
  duplicated: number;
  errors: number;
  seconds: number;
  perSecond: number;
}

/** `count` receipts, each with its own transaction id, from `inFlight` concurrent senders to a fresh listener. */
export async function loadListener(count: number, inFlight = 50): Promise<ListenerLoadResult> {
  const listener = await startListener();
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  let answered200 = 0;
  let errors = 0;
  const ids = Array.from({ length: count }, (_, i) => `9${String(i).padStart(18, '0')}`);
  const started = performance.now();
  try {
    await pool(count, inFlight, async (i) => {
      const body = Buffer.from(
        buildMseResponse({
          statusCode: 0,
          profile: 'SMS_TEXT',
          transactionId: ids[i]!,
          parameters: [{ name: 'SMPP_MESSAGE_STATUS', value: 'DELIVRD' }],
        }),
      );
      try {
        const a = await request(agent, `${listener.url}/receipt?userid=mse&pwd=load`, 'POST', body);
        if (a.status === 200) answered200++;
      } catch {
        errors++;
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const receipts = listener.deliveries().filter((d) => d.kind === 'receipt');
    const byKey = new Map<string, number>();
    for (const d of receipts) byKey.set(d.key ?? '', (byKey.get(d.key ?? '') ?? 0) + 1);
    return {
      sent: count,
      answered200,
      recorded: receipts.length,
      distinct: byKey.size,
      lost: ids.filter((id) => !byKey.has(id)).length,
      duplicated: [...byKey.values()].filter((n) => n > 1).length,
      errors,
      seconds,
      perSecond: Math.round(count / seconds),
    };
  } finally {
    agent.destroy();
    await listener.close();
  }
}

export interface SimulatorLoadResult {
  submitted: number;
  accepted: number;
  refused: number;
  errors: number;
  /** Accepted transactions whose receipt was answered 200 exactly once. */
  deliveredOnce: number;
  /** Accepted transactions with no 200'd receipt. */
  lost: number;
  /** Accepted transactions answered 200 more than once (a duplicate after a 200). */
  duplicated: number;
  /** Receipts for transaction ids the simulator never acknowledged. */
  unknown: number;
  submitSeconds: number;
  submitPerSecond: number;
  drainSeconds: number;
  heapBeforeMb: number;
  heapPeakMb: number;
  heapAfterMb: number;
  /** A valid request answered after the load (the simulator keeps serving). */
  stillServing: boolean;
  /** First attempts the receiver refused with 503, each to be redelivered. */
  refusedAttempts: number;
}

/**
 * Sustained SMS async-delivery submits at the simulator (`inFlight` concurrent clients), every receipt
 * POSTed to a local receiver that answers 200 and counts per transaction id; then waits until the
 * delivery queue is idle and compares receipts with acknowledgements.
 */
export async function loadSimulator(
  count: number,
  inFlight = 50,
  /** Every n-th receipt's first attempt is answered 503, so that redeliveries are part of the load (0: none). */
  refuseFirstEvery = 10,
): Promise<SimulatorLoadResult> {
  const seen = new Map<string, number>();
  const attempts = new Map<string, number>();
  let arrivals = 0;
  let refusedAttempts = 0;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = /<transaction-id>\s*(\d+)\s*<\/transaction-id>/.exec(
        Buffer.concat(chunks).toString('utf8'),
      )?.[1];
      arrivals++;
      const attempt = id ? (attempts.get(id) ?? 0) + 1 : 0;
      if (id) attempts.set(id, attempt);
      if (id && attempt === 1 && refuseFirstEvery > 0 && arrivals % refuseFirstEvery === 0) {
        refusedAttempts++;
        res.writeHead(503, { 'content-length': 0 });
        res.end();
        return;
      }
      // Only receipts answered 200 count as delivered (6.4.1.1).
      if (id) seen.set(id, (seen.get(id) ?? 0) + 1);
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const sim = await startSimulator({
    smtp: false,
    log: () => {},
    callback: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
    receiptDelayMs: 5,
    retry: { delaysMs: [20, 100, 500] },
    // Keep fewer timelines than transactions: the store must stay bounded and delivery must not depend on it.
    maxTransactions: Math.max(500, Math.floor(count / 4)),
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  const accepted = new Set<string>();
  let refused = 0;
  let errors = 0;
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 50);
  const started = performance.now();
  let stillServing = false;
  try {
    await pool(count, inFlight, async (i) => {
      try {
        const a = await request(
          agent,
          `${sim.url}/MSE/api?profile=SMS_TEXT&pwd=senha&mode=async-delivery&BNUM=1191000000&TEXT=carga%20${i}`,
          'GET',
        );
        const r = readMseResponse(a.body);
        if (r.statusCode === 0 && r.transactionId) accepted.add(r.transactionId);
        else refused++;
      } catch {
        errors++;
      }
    });
    const submitSeconds = (performance.now() - started) / 1000;
    const drainStarted = performance.now();
    await sim.idle();
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const check = await request(
      agent,
      `${sim.url}/MSE/api?profile=SMS_TEXT&pwd=senha&mode=async-oneway&BNUM=1191000000&TEXT=ok`,
      'GET',
    );
    stillServing = check.status === 200 && readMseResponse(check.body).statusCode === 0;
    clearInterval(sampler);
    gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    let deliveredOnce = 0;
    let lost = 0;
    let duplicated = 0;
    for (const id of accepted) {
      const n = seen.get(id) ?? 0;
      if (n === 1) deliveredOnce++;
      else if (n === 0) lost++;
      else duplicated++;
    }
    return {
      submitted: count,
      accepted: accepted.size,
      refused,
      errors,
      deliveredOnce,
      lost,
      duplicated,
      unknown: [...seen.keys()].filter((id) => !accepted.has(id)).length,
      submitSeconds,
      submitPerSecond: Math.round(count / submitSeconds),
      drainSeconds,
      heapBeforeMb: mb(heapBefore),
      heapPeakMb: mb(heapPeak),
      heapAfterMb: mb(heapAfter),
      stillServing,
      refusedAttempts,
    };
  } finally {
    clearInterval(sampler);
    agent.destroy();
    await sim.close();
    await new Promise<void>((r) => {
      receiver.close(() => r());
      receiver.closeAllConnections();
    });
  }
}
