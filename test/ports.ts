import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 that was free a moment ago, for a listener the suite must name before it starts
 * (`--listener-port`). Another process could take it in between; the tests that use it start at once.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
