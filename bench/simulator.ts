/**
 * Simulator benchmark: SMS async-oneway submit throughput against the simulator and against a bare
 * node:http server answering a constant mse-response (this machine's ceiling), and receipts delivered
 * per second to a local listener, counting that none is lost. Run standalone with
 * `node bin/run-ts.js bench/simulator.ts`, or call benchSimulator() from the bench runner.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { startSimulator } from '../src/simulator/index.ts';
import { buildMseResponse } from '../src/xml/mse-response.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  method?: string;
}) => Promise<AutocannonResult>;

// autocannon ships CommonJS without type declarations; the type above is the part used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  errors: number;
}

export interface SimulatorBenchResult {
  baseline: LoadFigures;
  simulator: LoadFigures;
  /** simulator / baseline requests per second; the goal is at least 0.7. */
  ratio: number;
  receipts: { accepted: number; delivered: number; lost: number; perSecond: number };
}

const smsQuery = 'profile=SMS_TEXT&pwd=senha&mode=async-oneway&ANUM=3301&BNUM=1191000000&TEXT=teste';

function figures(r: AutocannonResult): LoadFigures {
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    total: r['2xx'] + r.non2xx,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function benchSimulator(
  options: { durationSeconds?: number; connections?: number } = {},
): Promise<SimulatorBenchResult> {
  const duration = options.durationSeconds ?? 5;
  const connections = options.connections ?? 10;

  // 1. The ceiling, a bare server answering a constant mse-response, and 2. the simulator with the same
  // request and load. The two alternate in two rounds each, so a change in the machine's load during the
  // run weighs on both alike; the figures of a side are those of its better round.
  const constant = Buffer.from(
    buildMseResponse({ statusCode: 0, profile: 'SMS_TEXT', transactionId: '1020606201622668099' }),
    'utf8',
  );
  const bare = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8', 'content-length': constant.length });
    res.end(constant);
  });
  const bareUrl = await listen(bare);
  const sim = await startSimulator({ smtp: false, log: () => {}, maxTransactions: 5_000 });
  const half = Math.max(1, Math.round(duration / 2));
  const rounds: { bare: LoadFigures; sim: LoadFigures }[] = [];
  for (let i = 0; i < 2; i++)
    rounds.push({
      bare: figures(await autocannon({ url: `${bareUrl}/MSE/api?${smsQuery}`, connections, duration: half })),
      sim: figures(await autocannon({ url: `${sim.url}/MSE/api?${smsQuery}`, connections, duration: half })),
    });
  await close(bare);
  await sim.close();
  const best = (side: 'bare' | 'sim') =>
    rounds.map((r) => r[side]).reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const baseline = best('bare');
  const simulator = best('sim');

  // 3. Receipts: async-delivery submissions, each receipt POSTed to a listener that counts them.
  const seen = new Set<string>();
  let first = 0;
  let last = 0;
  const listener = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = /<transaction-id>(\d+)<\/transaction-id>/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
      if (id) seen.add(id);
      const now = performance.now();
      if (!first) first = now;
      last = now;
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
  });
  const listenerUrl = await listen(listener);
  // Receipts wait until every submission is in, so the rate measured is the delivery path's alone.
  const submitSeconds = Math.max(2, Math.round(duration / 2));
  const receiptSim = await startSimulator({
    smtp: false,
    log: () => {},
    callback: listenerUrl,
    receiptDelayMs: (submitSeconds + 1) * 1000,
    maxTransactions: 1_000_000,
  });
  const submitted = await autocannon({
    url: `${receiptSim.url}/MSE/api?${smsQuery.replace('async-oneway', 'async-delivery')}`,
    connections,
    duration: submitSeconds,
  });
  await receiptSim.idle();
  const accepted = receiptSim.transactions().filter((t) => t.response?.statusCode === 0).length;
  await receiptSim.close();
  await close(listener);
  const seconds = Math.max(0.001, (last - first) / 1000);

  return {
    baseline,
    simulator,
    ratio: Number((simulator.requestsPerSecond / Math.max(1, baseline.requestsPerSecond)).toFixed(2)),
    receipts: {
      accepted: Math.max(accepted, submitted['2xx']),
      delivered: seen.size,
      lost: Math.max(accepted, submitted['2xx']) - seen.size,
      perSecond: Math.round(seen.size / seconds),
    },
  };
}

export function formatSimulatorBench(r: SimulatorBenchResult): string {
  const row = (name: string, f: LoadFigures) =>
    `  ${name.padEnd(22)} ${String(f.requestsPerSecond).padStart(7)} req/s   p50 ${String(f.p50Ms).padStart(4)} ms   p99 ${String(f.p99Ms).padStart(4)} ms   (${f.total} requests, ${f.errors} errors)`;
  return [
    'SMS async-oneway submit, keep-alive:',
    row('bare node:http', r.baseline),
    row('simulator', r.simulator),
    `  ratio simulator/bare   ${r.ratio} (goal >= 0.7)${r.ratio >= 0.7 ? '' : '  BELOW GOAL'}`,
    'Receipts (async-delivery) to a local listener:',
    `  ${r.receipts.delivered} delivered of ${r.receipts.accepted} accepted, ${r.receipts.lost} lost, ${r.receipts.perSecond} receipts/s (${(r.receipts.perSecond / Math.max(1, r.simulator.requestsPerSecond)).toFixed(2)} of the simulator's submits/s; goal >= 0.9)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[2] ?? process.argv[1] ?? '').href) {
  const result = await benchSimulator();
  console.log(formatSimulatorBench(result));
}
