/**
 * The dual of the fault proxy (../broken/fault-proxy.ts): an MSE that differs from the reference simulator
 * only where the document, HTTP or XML leave the implementer a choice. It sits in front of the simulator,
 * rewrites what it answers and what it delivers, and must get zero failures. Each variant names the
 * allowance it rests on; a variant the suite fails is a false failure of the suite, not of the target.
 * The simulator delivers to `${proxy.url}/cb/...`; the proxy forwards to the suite's listener.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward, type Message, readAll } from '../../http-proxy.ts';

export const VARIANTS = {
  // --- XML (applies to every XML document: answers, receipts, USSD events) ---
  'xml-indent-tabs-crlf':
    'XML 1.0 §2.10-2.11: whitespace between elements is insignificant and CRLF is normalised to LF; documents are indented with tabs, lines end in CRLF',
  'xml-no-whitespace': 'XML 1.0 §2.10: no whitespace at all between elements, none after the declaration',
  'xml-declaration-single-quotes':
    "XML 1.0 §2.8 (and the DTD of 6.5.1 itself): the declaration's values in single quotes",
  'xml-encoding-lower-case': 'XML 1.0 §4.3.3: encoding names are case-insensitive ("utf-8")',
  'xml-standalone': 'XML 1.0 §2.9: standalone="yes" in the declaration',
  'xml-comment': 'XML 1.0 §2.5, §2.8: a comment in the prolog, before the root element',
  'xml-processing-instruction': 'XML 1.0 §2.6, §2.8: a processing instruction in the prolog',
  'xml-trailing-comment':
    'XML 1.0 §2.1 (document ::= prolog element Misc*): a comment after the root element',
  'xml-bom': 'XML 1.0 §4.3.3, appendix F: a UTF-8 byte order mark before the declaration',
  'xml-cdata-error-message': 'XML 1.0 §2.7: the error-message text in a CDATA section',
  'xml-char-refs':
    'XML 1.0 §4.1: characters of element values written as character references (_ as &#95;, non-ASCII as &#NNN;)',
  'xml-tag-whitespace': 'XML 1.0 §3.1 (STag, ETag: S? before >): tags written <status-code >0</status-code >',
  'param-items-reversed':
    'DTD of 6.5.1 (param-item+) imposes no order, and the examples of 6.4 list outputs in varying orders',
  // --- values the document leaves open ---
  'transaction-id-uuid':
    '9.3 asks only that the transaction id be unique and returned; its examples show 19 digits, no rule does',
  'transaction-id-20-digits': '9.3: a transaction id of twenty digits, longer than the examples',
  'error-message-wording':
    '6.5.2 asks for an error-message describing the problem, not for its words: Portuguese wording with accents (UTF-8), parameter and refused value still named (the words the document gives a failure, "No Device Response" of 110, are kept)',
  'status-codes-other':
    '6.5.2 only says non-zero is a failure: the codes the document does not give (401, 402, 405, 413, 415, 429, 500, 19) are other numbers',
  'sms-receipt-command-status':
    '6.4.1 outputs: the SMS transaction concluded at the SMSC, so the receipt carries SMPP_COMMAND_STATUS instead of SMPP_MESSAGE_STATUS',
  // --- HTTP ---
  'http-chunked': 'RFC 9112 §7.1: answers and deliveries framed with Transfer-Encoding: chunked',
  'http-connection-close': 'RFC 9112 §9.6: every answer and delivery closes its connection',
  'http-header-case': 'RFC 9110 §5.1: header names in upper case on the wire',
  'http-extra-headers': 'RFC 9110: Server, Cache-Control and X- headers the document does not mention',
  'http-reason-phrase': 'RFC 9112 §4: the reason phrase is free text ("Sucesso")',
  'http-short-keep-alive':
    'RFC 9112 §9.3-9.6: a server may close an idle persistent connection at any time; this one after 1 s (Apache: 5 s)',
  'content-type-quoted-charset': 'RFC 9110 §8.3: text/xml;charset="utf-8" (no space, quoted, lower case)',
  'content-type-no-charset':
    'RFC 7303 §3 (and 6.1, which names only text/xml): TEXT/XML with no charset, the declaration says UTF-8',
  'http-error-status':
    '6.5 fixes the body of a refusal, not its HTTP status: refusals come with HTTP 4xx/5xx and the same mse-response',
  'receipt-application-xml':
    '6.4.1.1 gives the body (UTF-8 XML) but no media type for receipts: application/xml; charset=utf-8',
  'receipt-credentials-order': '6.4.1.1: pwd before userid in the query string (a query is not ordered)',
  'receipt-expect-continue':
    'RFC 9110 §10.1.1: receipts sent with Expect: 100-continue, the body after the interim answer (as Java clients do)',
  'receipt-slow':
    'no section bounds the time to a receipt: receipts come 1.5 s later than the simulator sends them (within the run timeout)',
  'mo-query-order': '6.4.5.1: the SMS MO parameters in another order in the query string',
  'mo-percent-encoding':
    'RFC 3986 §2.1 (hex digits of either case) and the form encoding (a space as + or %20): the SMS MO query percent-encoded with lower-case hex and %20',
} as const;

export type VariantName = keyof typeof VARIANTS;

/** The status codes the document shows (0, 12, 110) stay; the project's own choices become other numbers. */
const OTHER_CODES: Record<string, string> = {
  '19': '20',
  '401': '1',
  '402': '2',
  '405': '3',
  '408': '4',
  '413': '5',
  '415': '6',
  '429': '7',
  '500': '99',
};
/**
 * Failure words the document gives (6.4.12, 6.4.17 IMEI_TORPEDO), which spec/services make a rule of (failure.110); whether
 * that rule may rest on an example alone is the level audit's question, so this variant leaves them.
 */
const DOCUMENT_WORDS = ['No Device Response'];
const HTTP_FOR_CODE: Record<string, number> = {
  '12': 400,
  '19': 404,
  '110': 504,
  '401': 401,
  '402': 402,
  '405': 405,
  '408': 504,
  '413': 413,
  '415': 415,
  '429': 429,
  '500': 500,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A UUID-shaped id that maps each simulator id to one id (and so stays unique). */
function uuidOf(tid: string): string {
  const hex = BigInt(tid).toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Re-serialises a simple XML document (elements and text, as the MSE's are) with another layout. */
function layout(xml: string, indent: string | undefined, eol: string): string {
  const tokens = xml.match(/<!\[CDATA\[[\s\S]*?\]\]>|<[^>]*>|[^<]+/g) ?? [];
  let depth = 0;
  let out = '';
  let prev: 'open' | 'close' | 'text' = 'close';
  for (const t of tokens) {
    if (!t.startsWith('<') && !t.trim()) continue;
    if (t.startsWith('</')) {
      depth--;
      if (prev === 'close' && indent !== undefined) out += eol + indent.repeat(depth);
      out += t;
      prev = 'close';
    } else if (t.startsWith('<') && !t.startsWith('<![CDATA[')) {
      if (out && indent !== undefined) out += eol + indent.repeat(depth);
      out += t;
      if (!t.endsWith('/>')) depth++;
      prev = 'open';
    } else {
      out += t;
      prev = 'text';
    }
  }
  return out + (indent !== undefined ? eol : '');
}

function rewriteXml(text: string, on: (v: VariantName) => boolean, tidMap: (t: string) => string): string {
  const decl = /^\s*<\?xml[^>]*\?>\s*/.exec(text);
  let root = decl ? text.slice(decl[0].length) : text;
  root = root.replace(/<transaction-id>([0-9]+)<\/transaction-id>/g, (_m, t: string) => {
    return `<transaction-id>${tidMap(t)}</transaction-id>`;
  });
  if (on('error-message-wording'))
    root = root.replace(/<error-message>([^<]*)<\/error-message>/, (m, msg: string) => {
      if (DOCUMENT_WORDS.includes(msg)) return m;
      const named = /\[([^\]]+)\]/.exec(msg)?.[1];
      // The value refused, when the message quotes it: errata.failure-codes-from-examples reads naming it as SHOULD.
      const value = /"([^"]*)"/.exec(msg)?.[1];
      const words = /^Missing parameter/.test(msg)
        ? `O parâmetro obrigatório [${named}] não foi encontrado!`
        : named
          ? `Valor inválido para ${named}${value !== undefined ? ` (${value})` : ''}`
          : 'Falha na execução do serviço';
      return `<error-message>${words}</error-message>`;
    });
  if (on('status-codes-other'))
    root = root.replace(/<status-code>([0-9]+)<\/status-code>/, (m, c: string) =>
      OTHER_CODES[c] ? `<status-code>${OTHER_CODES[c]}</status-code>` : m,
    );
  if (on('xml-cdata-error-message'))
    root = root.replace(/<error-message>([^<]*)<\/error-message>/, (_m, msg: string) => {
      const plain = msg
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"');
      return plain.includes('&') ? _m : `<error-message><![CDATA[${plain}]]></error-message>`;
    });
  if (on('sms-receipt-command-status'))
    root = root.replace(
      /(<param-name>SMPP_MESSAGE_STATUS<\/param-name>\s*<param-value>)DELIVRD(<)/,
      '<param-name>SMPP_COMMAND_STATUS</param-name><param-value>0$2',
    );
  if (on('param-items-reversed'))
    root = root.replace(/<parameters>([\s\S]*)<\/parameters>/, (_m, inner: string) => {
      const items = inner.match(/<param-item>[\s\S]*?<\/param-item>/g) ?? [];
      return `<parameters>${items.reverse().join('')}</parameters>`;
    });
  if (on('xml-char-refs'))
    root = root.replace(/<([\w-]+)>([^<]+)<\/\1>/g, (m, tag: string, value: string) =>
      tag === 'transaction-id'
        ? m
        : `<${tag}>${value.replace(/[_\u0080-\uffff]/g, (c) => `&#${c.codePointAt(0)};`)}</${tag}>`,
    );
  if (on('xml-indent-tabs-crlf')) root = layout(root, '\t', '\r\n');
  else if (on('xml-no-whitespace')) root = layout(root, undefined, '');
  if (on('xml-tag-whitespace')) root = root.replace(/<(\/?[A-Za-z_][\w.-]*)>/g, '<$1 >');
  if (!decl) return root;
  const q = on('xml-declaration-single-quotes') ? "'" : '"';
  const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl[0])?.[1] ?? 'UTF-8';
  let declaration = `<?xml version=${q}1.0${q} encoding=${q}${on('xml-encoding-lower-case') ? enc.toLowerCase() : enc}${q}`;
  if (on('xml-standalone')) declaration += ` standalone=${q}yes${q}`;
  declaration += '?>';
  const eol = on('xml-indent-tabs-crlf') ? '\r\n' : on('xml-no-whitespace') ? '' : '\n';
  const comment = on('xml-comment') ? `<!-- MSE variant gateway -->${eol}` : '';
  const pi = on('xml-processing-instruction') ? `<?mse-gateway node="2"?>${eol}` : '';
  const trailing = on('xml-trailing-comment') ? '<!-- end of response -->\n' : '';
  return `${declaration}${eol}${comment}${pi}${root}${trailing}`;
}

export async function startVariantProxy(options: {
  upstream: () => string;
  listener: string;
  variants: VariantName[];
}) {
  const on = (v: VariantName) => options.variants.includes(v);
  const tidMap = (t: string) =>
    on('transaction-id-uuid') ? uuidOf(t) : on('transaction-id-20-digits') ? `7${t}` : t;
  const isXml = (body: Buffer) => /^\s*</.test(body.subarray(0, 64).toString('latin1'));
  const rewrite = (body: Buffer): Buffer => {
    if (!isXml(body)) return body;
    const text = rewriteXml(body.toString('utf8'), on, tidMap);
    const bytes = Buffer.from(text, 'utf8');
    return on('xml-bom') ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
  };
  const headerName = (name: string) => (on('http-header-case') ? name.toUpperCase() : name);

  /** Headers a variant adds or changes, for an answer or a delivery carrying `body`. */
  const shape = (headers: Record<string, string>, body: Buffer, receipt: boolean): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers))
      if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'host'].includes(k))
        out[headerName(k)] = v;
    const ct = Object.keys(out).find((k) => k.toLowerCase() === 'content-type');
    if (ct && /xml/i.test(out[ct]!)) {
      if (receipt && on('receipt-application-xml')) out[ct] = 'application/xml; charset=utf-8';
      else if (on('content-type-quoted-charset')) out[ct] = 'text/xml;charset="utf-8"';
      else if (on('content-type-no-charset')) out[ct] = 'TEXT/XML';
    }
    if (on('http-extra-headers')) {
      out[headerName('server')] = 'MSE-variant/3.0';
      out[headerName('cache-control')] = 'no-store';
      out[headerName('x-mse-node')] = 'node-2';
    }
    if (on('http-connection-close')) out[headerName('connection')] = 'close';
    if (!on('http-chunked')) out[headerName('content-length')] = String(body.length);
    return out;
  };

  const writeChunked = (w: { write(b: Buffer): unknown; end(b?: Buffer): unknown }, body: Buffer) => {
    if (on('http-chunked') && body.length > 1) {
      const half = Math.floor(body.length / 2);
      w.write(body.subarray(0, half));
      w.end(body.subarray(half));
    } else w.end(body);
  };

  /** Sends a request upstream, its body in two chunks when the variant says so, after a 100 Continue if asked. */
  const pass = (
    url: string,
    method: string,
    headers: Record<string, string>,
    body: Buffer,
    expectContinue = false,
  ) => {
    const sent = {
      ...headers,
      host: new URL(url).host,
      ...(expectContinue ? { expect: '100-continue' } : {}),
    };
    return forward(url, { method, headers: sent }, (r) => {
      if (expectContinue) r.on('continue', () => writeChunked(r, body));
      else writeChunked(r, body);
    });
  };

  const answer = (res: ServerResponse, m: Message) => {
    let status = m.status;
    const code = /<status-code>([0-9]+)<\/status-code>/.exec(m.body.toString('utf8'))?.[1];
    if (on('http-error-status') && status === 200 && code && code !== '0')
      status = HTTP_FOR_CODE[code] ?? 400;
    const body = rewrite(m.body);
    res.statusMessage = on('http-reason-phrase') && status === 200 ? 'Sucesso' : res.statusMessage;
    res.writeHead(status, shape(m.headers, body, false));
    writeChunked(res, body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const method = req.method ?? 'GET';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const body = await readAll(req);
      if (url.startsWith('/cb/')) {
        // Simulator → partner delivery (receipt, MO, USSD event).
        let path = url.slice(3);
        const receipt = path.startsWith('/receipt');
        if (receipt && on('receipt-slow')) await sleep(1_500);
        if (receipt && on('receipt-credentials-order')) {
          const [p, q = ''] = path.split('?');
          path = `${p}?${q.split('&').reverse().join('&')}`;
        }
        if (path.startsWith('/mo/sms') && on('mo-query-order')) {
          const [p, q = ''] = path.split('?');
          path = `${p}?${q.split('&').reverse().join('&')}`;
        }
        if (path.startsWith('/mo/sms') && on('mo-percent-encoding'))
          path = path.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()).replace(/\+/g, '%20');
        const out = rewrite(body);
        const first = await pass(
          `${options.listener}${path}`,
          method,
          out.length || method === 'POST' ? shape(headers, out, receipt) : headers,
          out,
          receipt && on('receipt-expect-continue'),
        );
        res.writeHead(first.status, { 'content-length': String(first.body.length) });
        res.end(first.body);
        return;
      }
      answer(res, await pass(`${options.upstream()}${url}`, method, headers, body));
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = on('http-short-keep-alive') ? 1_000 : 65_000;
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
