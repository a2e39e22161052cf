/**
 * A deliberately broken gateway for the load tests: the reference simulator behind a receipt relay that
 * swallows one receipt in `every` (answers the simulator 200, so it is not redelivered, and never passes it
 * on), naming the transaction ids it dropped.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Target } from '../../src/load/run.ts';
import { defaultProfiles, startSimulator } from '../../src/simulator/index.ts';

export interface LossyTarget extends Target {
  dropped: string[];
  relayed: number;
}

export async function startLossySimulator(
  listenerUrl: string,
  options: { every: number; provisioned?: number },
): Promise<LossyTarget> {
  const dropped: string[] = [];
  let seen = 0;
  let relayed = 0;
  const agent = new http.Agent({ keepAlive: true });
  const relay = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen++;
      if (req.url?.startsWith('/receipt') && seen % options.every === 0) {
        dropped.push(
          /<transaction-id>\s*([^<\s]*)\s*<\/transaction-id>/.exec(body.toString('utf8'))?.[1] ?? '',
        );
        res.writeHead(200, { 'content-length': 2 });
        res.end('OK');
        return;
      }
      const forward = http.request(
        `${listenerUrl}${req.url ?? '/'}`,
        {
          method: req.method,
          agent,
          headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
        },
        (answer) => {
          answer.resume();
          answer.on('end', () => {
            relayed++;
            res.writeHead(answer.statusCode ?? 502, { 'content-length': 0 });
            res.end();
          });
        },
      );
      forward.on('error', () => {
        res.writeHead(502, { 'content-length': 0 });
        res.end();
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  const profiles = defaultProfiles(relayUrl).map((p) =>
    options.provisioned ? { ...p, rate: { perSecond: options.provisioned, burst: options.provisioned } } : p,
  );
  const sim = await startSimulator({ profiles, smtp: false, log: () => {} });
  return {
    url: sim.url,
    dropped,
    get relayed() {
      return relayed;
    },
    async close() {
      await sim.close();
      agent.destroy();
      await new Promise<void>((resolve) => {
        relay.close(() => resolve());
        relay.closeAllConnections();
      });
    },
  };
}
