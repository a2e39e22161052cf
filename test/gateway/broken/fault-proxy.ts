/**
 * A deliberately broken MSE: a proxy in front of the reference simulator that rewrites what it answers and
 * what it delivers, per named fault, each fault scoped to one profile so that several can run at once.
 * The simulator delivers to `${proxy.url}/cb/...`; the proxy forwards to the suite's listener.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentDecode, percentEncode } from '../../../src/charset/latin1.ts';
import { forward, type Message, readAll } from '../../http-proxy.ts';

export type FaultName =
  | 'no-xml-declaration'
  | 'text-plain'
  | 'latin1-body'
  | 'reorder-envelope'
  | 'omit-transaction-id'
  | 'repeat-transaction-id'
  | 'omit-error-message'
  | 'parameters-in-ack'
  | 'accept-everything'
  | 'accept-sync'
  | 'refuse-password-alias'
  | 'bad-output-format'
  | 'no-swap'
  | 'double-receipt'
  | 'no-receipt'
  | 'never-retry'
  | 'accept-204'
  | 'receipt-wrong-credentials'
  | 'echo-password'
  | 'fetch-entities'
  | 'crash-on-big-body'
  | 'mo-utf8'
  | 'mo-post'
  | 'ussd-get-accepted'
  | 'garble-failure-message'
  | 'hide-device-failure'
  | 'no-traffic-limit'
  | 'never-refill'
  | 'drop-session-owner'
  | 'refuse-session-owner'
  | 'wrong-tac'
  | 'execute-refused-sync'
  | 'omit-transaction-id-on-post'
  | 'truncate-long-push'
  | 'garble-status-12'
  | 'receipt-for-refused'
  | 'accept-any-ussd-root'
  | 'mo-accept-204'
  | 'drop-sms-status'
  | 'mo-drop-id'
  | 'receipt-by-get'
  | 'receipt-new-transaction-id'
  | 'refuse-async-delivery'
  | 'slow-sync'
  | 'hang-up-sync';

/** How late slow-sync answers a sync request. */
export const SLOW_SYNC_MS = 2_500;

export interface Fault {
  name: FaultName;
  /** The profile whose traffic the fault touches; undefined: all traffic the fault applies to. */
  profile?: string;
}

/** Sends a whole request upstream with its length, as the proxy received it. */
function pass(url: string, method: string, headers: Record<string, string>, body: Buffer): Promise<Message> {
  const sent = { ...headers, host: new URL(url).host, 'content-length': String(body.length) };
  return forward(url, { method, headers: sent }, (r) => r.end(body));
}

/** The profile a request or document names (query, form body or XML). */
function profileIn(url: string, body: Buffer): string | undefined {
  const text = `${url}&${body.toString('latin1')}`;
  return /[?&]profile=([^&]*)/.exec(text)?.[1] ?? /<profile>([^<]*)<\/profile>/.exec(text)?.[1];
}

/** wrong-tac: the TAC stays eight digits but its first digit no longer matches the IMEI's. */
const wrongTac = (s: string) =>
  s.replace(
    /(<param-name>TAC<\/param-name>\s*<param-value>)([0-9])/,
    (_m, head: string, d: string) => `${head}${(Number(d) + 1) % 10}`,
  );

let tidCounter = 0;
/** A transaction id no acknowledgement ever gave: 19 digits, starting 9. */
const newTransactionId = () =>
  `9${String(Date.now() % 1e12).padStart(12, '0')}${String(++tidCounter).padStart(6, '0')}`;

/** An mse-response's fields (status-code, profile, transaction-id, error-message, parameters) as a query. */
function receiptAsQuery(xml: string): string {
  const pairs: [string, string][] = [];
  for (const name of ['status-code', 'profile', 'transaction-id', 'error-message']) {
    const v = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
    if (v !== undefined) pairs.push([name, v]);
  }
  for (const item of xml.matchAll(/<param-name>([^<]*)<\/param-name>\s*<param-value>([^<]*)<\/param-value>/g))
    pairs.push([item[1]!, item[2]!]);
  return pairs.map(([n, v]) => `${percentEncode(n, 'UTF-8')}=${percentEncode(v, 'UTF-8')}`).join('&');
}

const edit = (m: Message, f: (s: string) => string): Message => {
  const body = Buffer.from(f(m.body.toString('utf8')), 'utf8');
  return { ...m, body };
};

/** truncate-long-push: a value longer than 300 characters is cut to its first 20 (the push goes out short). */
function truncateLong(query: string): string {
  return query
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      return eq >= 0 && kv.length - eq > 300 ? kv.slice(0, eq + 21) : kv;
    })
    .join('&');
}

export async function startFaultProxy(options: {
  upstream: () => string;
  listener: string;
  faults: Fault[];
}) {
  const has = (name: FaultName, profile: string | undefined) =>
    options.faults.some((f) => f.name === name && (f.profile === undefined || f.profile === profile));
  let downUntil = 0;
  let fixedTid: string | undefined;
  /** never-refill: the first refusal of each profile, repeated to every later request of the profile. */
  const refusals = new Map<string, Message>();

  const answer = (res: ServerResponse, m: Message) => {
    const headers = { ...m.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    delete headers.connection;
    delete headers['keep-alive'];
    res.writeHead(m.status, { ...headers, 'content-length': String(m.body.length) });
    res.end(m.body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const method = req.method ?? 'GET';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      if (Date.now() < downUntil) {
        req.socket.destroy();
        return;
      }
      if (has('crash-on-big-body', undefined) && Number(headers['content-length'] ?? 0) > 1_000_000) {
        // A "crash": the connection drops and the service stays down for a while.
        downUntil = Date.now() + 3_000;
        req.socket.destroy();
        return;
      }
      const body = await readAll(req);
      const profile = profileIn(url, body);

      if (url.startsWith('/cb/')) {
        // Simulator → partner delivery (receipt, MO, USSD event).
        let path = url.slice(3);
        let m = { method, body, headers };
        if (path.startsWith('/receipt') && has('no-receipt', profile))
          return answer(res, { status: 200, headers: {}, body: Buffer.from('OK') });
        if (path.startsWith('/receipt') && has('no-swap', profile))
          m = {
            ...m,
            body: Buffer.from(
              body
                .toString('utf8')
                .replace('<param-name>ANUM</param-name>', '<param-name>TMP</param-name>')
                .replace('<param-name>BNUM</param-name>', '<param-name>ANUM</param-name>')
                .replace('<param-name>TMP</param-name>', '<param-name>BNUM</param-name>'),
            ),
          };
        if (path.startsWith('/receipt') && has('garble-failure-message', profile))
          m = { ...m, body: Buffer.from(body.toString('utf8').replace('No Device Response', 'Erro')) };
        if (path.startsWith('/receipt') && has('hide-device-failure', profile))
          m = {
            ...m,
            body: Buffer.from(
              body
                .toString('utf8')
                .replace('<status-code>110</status-code>', '<status-code>0</status-code>')
                .replace(/\s*<error-message>[^<]*<\/error-message>/, ''),
            ),
          };
        if (path.startsWith('/ussd') && has('drop-session-owner', undefined))
          m = {
            ...m,
            body: Buffer.from(body.toString('utf8').replace(/\s*<session_owner>[^<]*<\/session_owner>/, '')),
          };
        if (path.startsWith('/receipt') && has('receipt-wrong-credentials', profile))
          path = path.replace(/pwd=[^&]*/, 'pwd=wrong');
        if (path.startsWith('/receipt') && has('wrong-tac', profile))
          m = { ...m, body: Buffer.from(wrongTac(m.body.toString('utf8'))) };
        if (path.startsWith('/mo/sms') && has('mo-utf8', undefined)) {
          // The same values, percent-encoded in UTF-8 instead of ISO-8859-1.
          const q = path.indexOf('?');
          const params = path
            .slice(q + 1)
            .split('&')
            .map((kv) => {
              const eq = kv.indexOf('=');
              if (eq < 0) return kv;
              return `${kv.slice(0, eq)}=${percentEncode(percentDecode(kv.slice(eq + 1), 'ISO-8859-1'), 'UTF-8')}`;
            });
          path = `${path.slice(0, q)}?${params.join('&')}`;
        }
        if (path.startsWith('/mo/sms') && has('mo-post', undefined)) m = { ...m, method: 'POST' };
        if (path.startsWith('/mo/sms') && has('mo-drop-id', undefined)) {
          const q = path.indexOf('?');
          const kept = path
            .slice(q + 1)
            .split('&')
            .filter((kv) => !kv.startsWith('ID='));
          path = `${path.slice(0, q)}?${kept.join('&')}`;
        }
        // drop-sms-status: a receipt with none of the SMS status outputs (MSGSTATUS, SMPP_*_STATUS).
        if (path.startsWith('/receipt') && has('drop-sms-status', profile))
          m = {
            ...m,
            body: Buffer.from(
              m.body
                .toString('utf8')
                .replace(
                  /\s*<param-item>\s*<param-name>(MSGSTATUS|SMPP_MESSAGE_STATUS|SMPP_COMMAND_STATUS)<\/param-name>\s*<param-value>[^<]*<\/param-value>\s*<\/param-item>/g,
                  '',
                ),
            ),
          };
        if (path.startsWith('/receipt') && has('receipt-new-transaction-id', profile))
          m = {
            ...m,
            body: Buffer.from(
              m.body
                .toString('utf8')
                .replace(/<transaction-id>[^<]*</, `<transaction-id>${newTransactionId()}<`),
            ),
          };
        if (path.startsWith('/receipt') && has('receipt-by-get', profile)) {
          // The receipt's fields as query parameters of a GET, with no body (7.1.2's "post/get").
          path += `${path.includes('?') ? '&' : '?'}${receiptAsQuery(m.body.toString('utf8'))}`;
          const { 'content-type': _type, ...rest } = m.headers;
          m = { ...m, method: 'GET', body: Buffer.alloc(0), headers: rest };
        }
        const target = `${options.listener}${path}`;
        const first = await pass(target, m.method, m.headers, m.body);
        if (path.startsWith('/receipt') && has('double-receipt', profile))
          await pass(target, m.method, m.headers, m.body);
        if (path.startsWith('/receipt') && has('never-retry', profile))
          return answer(res, { ...first, status: 200 });
        if (path.startsWith('/receipt') && has('accept-204', profile) && first.status === 204)
          return answer(res, { ...first, status: 200 });
        if (path.startsWith('/mo/sms') && has('mo-accept-204', undefined) && first.status === 204)
          return answer(res, { ...first, status: 200 });
        return answer(res, first);
      }

      if (url.startsWith('/MSE/ussd') && has('fetch-entities', undefined)) {
        const entity = /<!ENTITY\s+\w+\s+SYSTEM\s+"([^"]+)"/.exec(body.toString('utf8'))?.[1];
        if (entity) await pass(entity, 'GET', {}, Buffer.alloc(0));
      }
      if (url.startsWith('/MSE/ussd') && method === 'GET' && has('ussd-get-accepted', undefined))
        return answer(res, {
          status: 200,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body: Buffer.from(
            '<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>0</status-code><profile>x</profile><transaction-id>1261125000000000001</transaction-id></mse-response>\n',
          ),
        });
      if (
        url.startsWith('/MSE/ussd') &&
        has('refuse-session-owner', profile) &&
        /<session_owner>/.test(body.toString('utf8'))
      )
        return answer(res, {
          status: 200,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body: Buffer.from(
            `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>12</status-code><profile>${profile}</profile><transaction-id>1261125000000000002</transaction-id><error-message>Invalid parameter [session_owner]</error-message></mse-response>\n`,
          ),
        });
      if (
        url.startsWith('/MSE/ussd') &&
        method === 'POST' &&
        has('accept-any-ussd-root', undefined) &&
        !body.includes('<ussd_message_request')
      )
        return answer(res, {
          status: 200,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body: Buffer.from(
            '<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>0</status-code><profile>x</profile><transaction-id>1261125000000000003</transaction-id></mse-response>\n',
          ),
        });
      const password = /[?&](?:pwd|password)=([^&]*)/.exec(`${url}&${body.toString('latin1')}`)?.[1];
      if (
        has('refuse-password-alias', profile) &&
        /[?&]password=/.test(`?${url.split('?')[1] ?? ''}&${body.toString('latin1')}`)
      )
        return answer(res, {
          status: 200,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body: Buffer.from(
            `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>401</status-code><profile>${profile}</profile><error-message>Missing pwd</error-message></mse-response>\n`,
          ),
        });
      const syncAsked = /[?&]mode=sync(&|$)/.test(`?${url.split('?')[1] ?? ''}&${body.toString('latin1')}`);
      // A sync request that gets no answer at all: the connection drops.
      if (has('hang-up-sync', profile) && syncAsked && url.startsWith('/MSE/api')) {
        req.socket.destroy();
        return;
      }
      // A sync answer later than the run's syncLimitMs (the tests set it to a second or so).
      if (has('slow-sync', profile) && syncAsked && url.startsWith('/MSE/api'))
        await new Promise((resolve) => setTimeout(resolve, SLOW_SYNC_MS));
      if (
        has('refuse-async-delivery', profile) &&
        /[?&]mode=a?ss?ync-delivery(&|$)/.test(`?${url.split('?')[1] ?? ''}&${body.toString('latin1')}`)
      )
        return answer(res, {
          status: 200,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body: Buffer.from(
            `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>405</status-code><profile>${profile}</profile><transaction-id>1261125000000000003</transaction-id><error-message>Mode not allowed for this profile</error-message></mse-response>\n`,
          ),
        });
      const deliveryAsked = /[?&]mode=as?sync-delivery(&|$)/.test(
        `?${url.split('?')[1] ?? ''}&${body.toString('latin1')}`,
      );
      let upstreamUrl = url;
      if (has('truncate-long-push', profile) && url.includes('?')) {
        const q = url.indexOf('?');
        upstreamUrl = `${url.slice(0, q)}?${truncateLong(url.slice(q + 1))}`;
      }
      let m = await pass(`${options.upstream()}${upstreamUrl}`, method, headers, body);
      const text = () => m.body.toString('utf8');
      const ok = () => /<status-code>0<\/status-code>/.test(text());
      if (has('never-refill', profile) && profile) {
        const first = refusals.get(profile);
        if (first) m = first;
        else if (!ok()) refusals.set(profile, m);
      }
      if (has('no-traffic-limit', profile) && /<status-code>429<\/status-code>/.test(text()))
        m = edit(m, (s) =>
          s
            .replace(/<status-code>[^<]*<\/status-code>/, '<status-code>0</status-code>')
            .replace(/\s*<error-message>[^<]*<\/error-message>/, ''),
        );
      if (has('wrong-tac', profile)) m = edit(m, wrongTac);
      if (has('garble-status-12', profile) && /<status-code>12<\/status-code>/.test(text()))
        m = edit(m, (s) =>
          s
            .replace('<status-code>12</status-code>', '<status-code>99</status-code>')
            .replace(/<error-message>[^<]*<\/error-message>/, '<error-message>Erro</error-message>'),
        );
      if (has('receipt-for-refused', profile) && deliveryAsked && !ok()) {
        // The refused request is executed all the same: a successful receipt for its transaction follows.
        const tid = /<transaction-id>([^<]*)</.exec(text())?.[1];
        if (tid)
          await pass(
            `${options.listener}/receipt`,
            'POST',
            { 'content-type': 'text/xml; charset=UTF-8' },
            Buffer.from(
              `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response><status-code>0</status-code><profile>${profile}</profile><transaction-id>${tid}</transaction-id></mse-response>\n`,
            ),
          );
      }
      if (has('no-xml-declaration', profile)) m = edit(m, (s) => s.replace(/^<\?xml[^>]*>\s*/, ''));
      if (has('text-plain', profile))
        m = { ...m, headers: { ...m.headers, 'content-type': 'text/plain; charset=UTF-8' } };
      if (has('latin1-body', profile))
        m = {
          ...m,
          body: Buffer.from(text().replace('</mse-response>', '<!-- Atenção -->\n</mse-response>'), 'latin1'),
        };
      if (has('reorder-envelope', profile))
        m = edit(m, (s) =>
          s.replace(/(\s*<status-code>[^<]*<\/status-code>)(\s*<profile>[^<]*<\/profile>)/, '$2$1'),
        );
      if (has('omit-transaction-id', profile) && ok())
        m = edit(m, (s) => s.replace(/\s*<transaction-id>[^<]*<\/transaction-id>/, ''));
      if (has('omit-transaction-id-on-post', profile) && method === 'POST' && ok())
        m = edit(m, (s) => s.replace(/\s*<transaction-id>[^<]*<\/transaction-id>/, ''));
      if (has('repeat-transaction-id', profile)) {
        const tid = /<transaction-id>([^<]*)</.exec(text())?.[1];
        fixedTid ??= tid;
        if (fixedTid) m = edit(m, (s) => s.replace(/<transaction-id>[^<]*</, `<transaction-id>${fixedTid}<`));
      }
      if (has('omit-error-message', profile))
        m = edit(m, (s) => s.replace(/\s*<error-message>[^<]*<\/error-message>/, ''));
      if (has('parameters-in-ack', profile) && ok() && !/<parameters>/.test(text()))
        m = edit(m, (s) =>
          s.replace(
            '</mse-response>',
            '<parameters><param-item><param-name>X</param-name><param-value>1</param-value></param-item></parameters>\n</mse-response>',
          ),
        );
      if (has('execute-refused-sync', profile) && syncAsked && !ok())
        m = edit(m, (s) =>
          s.replace(
            '</mse-response>',
            '<parameters><param-item><param-name>LATITUDE</param-name><param-value>-23.5</param-value></param-item></parameters>\n</mse-response>',
          ),
        );
      if (has('accept-everything', profile))
        m = edit(m, (s) =>
          s
            .replace(/<status-code>[^<]*<\/status-code>/, '<status-code>0</status-code>')
            .replace(/\s*<error-message>[^<]*<\/error-message>/, ''),
        );
      if (has('accept-sync', profile) && syncAsked)
        m = edit(m, (s) =>
          s
            .replace(/<status-code>[^<]*<\/status-code>/, '<status-code>0</status-code>')
            .replace(/\s*<error-message>[^<]*<\/error-message>/, ''),
        );
      if (has('bad-output-format', profile))
        m = edit(m, (s) => s.replace(/(<param-name>LATITUDE<\/param-name>\s*<param-value>)[^<]*/, '$1norte'));
      if (has('echo-password', profile) && password && !ok())
        m = edit(m, (s) =>
          s.replace(
            /<error-message>([^<]*)<\/error-message>/,
            `<error-message>$1 (password ${decodeURIComponent(password)})</error-message>`,
          ),
        );
      return answer(res, m);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
