/**
 * The plumbing the tests' stand-in servers share (the fault proxy, the variant proxy, the vendor gateway, the
 * broken partners): reading a request whole, and forwarding one upstream to collect its answer.
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

/** An HTTP answer as a stand-in server handles it: status, flat headers, the whole body. */
export interface Message {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The whole body of a request; what came before the error if the connection fails. */
export function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * Sends a request upstream (`send` writes its body) and collects the answer, headers of several values joined.
 * A connection that fails is a 502 whose body names the error, so the test sees it rather than a hang.
 */
export function forward(
  url: string,
  options: { method: string; headers: Record<string, string> },
  send: (r: ClientRequest) => void,
): Promise<Message> {
  return new Promise((resolve) => {
    const r = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
      });
    });
    r.on('error', (e) =>
      resolve({ status: 502, headers: { 'content-type': 'text/plain' }, body: Buffer.from(e.message) }),
    );
    send(r);
  });
}
