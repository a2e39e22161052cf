/**
 * What the variant proxy does on the wire where the suite's reports cannot show it (Node's client lower-cases
 * header names and drops the reason phrase): read raw, so these variants cannot silently stop applying.
 */
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { startVariantProxy } from './variants/variant-proxy.ts';

const upstream = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8' });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?>\n<mse-response>\n  <status-code>0</status-code>\n  <profile>P</profile>\n</mse-response>\n',
  );
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
afterAll(
  () =>
    new Promise<void>((r) => {
      upstream.close(() => r());
      upstream.closeAllConnections();
    }),
);

function rawGet(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`GET /MSE/api?profile=P HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

it('writes header names in upper case and its own reason phrase', async () => {
  const proxy = await startVariantProxy({
    upstream: () => upstreamUrl,
    listener: 'http://127.0.0.1:1',
    variants: ['http-header-case', 'http-reason-phrase', 'http-extra-headers'],
  });
  try {
    const raw = await rawGet(proxy.url);
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 200 Sucesso');
    expect(raw).toMatch(/\r\nCONTENT-TYPE: text\/xml; charset=UTF-8\r\n/);
    expect(raw).toMatch(/\r\nSERVER: MSE-variant\/3\.0\r\n/);
    expect(raw).toContain('<status-code>0</status-code>');
  } finally {
    await proxy.close();
  }
});
