/**
 * One server under test of bench/simulator.ts, in a process of its own so that the load generator (the
 * parent) and the server do not share an event loop. `bare`: a node:http server answering a constant
 * mse-response. `sim`: the simulator. `sink`: a receipt sink counting distinct transaction ids.
 * `sim --callback URL`: the simulator delivering receipts to URL. `sim --timelines N`: keeping N timelines
 * (maxTransactions; 5,000 by default here). The parent talks over the IPC channel:
 * the child sends `{ url }` once listening, answers `{ ask: 'count' }` with its counters and
 * `{ ask: 'usage' }` with the CPU time it has spent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator } from '../src/simulator/index.ts';
import { buildMseResponse } from '../src/xml/mse-response.ts';

type Ask = { ask: 'count' | 'usage' | 'idle' | 'close' };
const send = (m: unknown) => process.send?.(m);

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const kind = process.argv[3];
// sim --timelines N: how many transaction timelines the simulator keeps (its maxTransactions).
const timelinesAt = process.argv.indexOf('--timelines');
const timelines = timelinesAt > 0 ? Number(process.argv[timelinesAt + 1]) : undefined;
const callbackAt = process.argv.indexOf('--callback');
const callback = callbackAt > 0 ? process.argv[callbackAt + 1] : undefined;

let count: () => Record<string, number> = () => ({});
// CPU time this process has spent: the parent divides it by the requests answered in a window.
const usage = () => {
  const u = process.cpuUsage();
  return { cpuMicros: u.user + u.system };
};
let idle: () => Promise<void> = async () => {};

if (kind === 'bare') {
  const constant = Buffer.from(
    buildMseResponse({ statusCode: 0, profile: 'SMS_TEXT', transactionId: '1020606201622668099' }),
    'utf8',
  );
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8', 'content-length': constant.length });
    res.end(constant);
  });
  send({ url: await listen(server) });
} else if (kind === 'sink') {
  const seen = new Set<string>();
  let received = 0;
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      const id = /<transaction-id>(\d+)<\/transaction-id>/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
      if (id) seen.add(id);
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
  });
  count = () => ({ distinct: seen.size, received });
  send({ url: await listen(server) });
} else if (kind === 'sim') {
  const sim = await startSimulator({
    smtp: false,
    log: false,
    ...(callback ? { callback } : {}),
    maxTransactions: timelines ?? (callback ? 2_000_000 : 5_000),
  });
  count = () => ({ accepted: sim.transactions().filter((t) => t.response?.statusCode === 0).length });
  idle = () => sim.idle();
  send({ url: sim.url });
} else {
  console.error(`usage: simulator-server.ts bare|sim|sink [--callback URL]`);
  process.exit(2);
}

process.on('message', async (m: Ask) => {
  if (m.ask === 'count') send({ count: count() });
  else if (m.ask === 'usage') send({ usage: usage() });
  else if (m.ask === 'idle') {
    await idle();
    send({ idle: true });
  } else process.exit(0);
});
process.on('disconnect', () => process.exit(0));
