/**
 * The http-short-keep-alive variant, made deterministic: a server may close an idle persistent connection at
 * any time (RFC 9112 9.3), so a request sent on a reused connection can meet the close. The suite's client
 * sends it once more on a new connection instead of reporting the target as having closed it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { send } from '../../src/client/http.ts';

const server = createServer((req, res) => {
  const socket = req.socket as typeof req.socket & { served?: number };
  socket.served = (socket.served ?? 0) + 1;
  // The second request on a connection meets the close the server decided while the connection was idle.
  if (socket.served > 1) return void socket.destroy();
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive' });
  res.end('ok');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
afterAll(
  () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
);

it('sends a request again when a reused connection was closed under it', async () => {
  for (const method of ['GET', 'POST']) {
    const first = await send({ method, url, body: 'a=1', timeoutMs: 5_000 });
    expect(first.response?.status).toBe(200);
    const second = await send({ method, url, body: 'a=1', timeoutMs: 5_000 });
    expect(second.error).toBeUndefined();
    expect(second.response?.body.toString()).toBe('ok');
  }
});

it('still reports a connection the target closes on a new connection', async () => {
  const rude = createServer((req) => req.socket.destroy());
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', () => r()));
  const port = (rude.address() as AddressInfo).port;
  const result = await send({ method: 'GET', url: `http://127.0.0.1:${port}/`, timeoutMs: 5_000 });
  await new Promise<void>((r) => rude.close(() => r()));
  expect(result.error).toMatch(/connection closed by the target/);
});
