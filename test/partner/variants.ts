/**
 * Variant partners (test support), the dual of broken.ts: each is the reference partner changed only where
 * the document, HTTP or XML leave the choice to the implementer, so the partner suite must give each zero
 * failures. The reference app answers every delivery; a variant rewrites that answer (the USSD command's
 * head and formatting, the body and headers of an acknowledgement, the framing and pace of the response).
 * Real sockets on 127.0.0.1, closed by the caller.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  closeServer,
  createPartnerApp,
  listen,
  type PartnerApp,
  type PartnerCredentials,
} from '../../src/partner/reference.ts';
import { readUssdRequest, type UssdRequest, type UssdRequestHead } from '../../src/xml/ussd.ts';
import { escapeText } from '../../src/xml/write.ts';

/** What the reference app answered, before a variant rewrites it. */
export interface Answer {
  status: number;
  statusMessage?: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Send the body with Transfer-Encoding: chunked, in pieces. */
  chunked?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

type HeadName = 'profile' | 'password' | 'msisdn' | 'short_code' | 'mode' | 'session_owner' | string;

/** How a variant writes its USSD command: which head elements in which order, and the XML's surface. */
export interface ReplyStyle {
  /** Head element names in document order; those the command has no value for are left out. */
  head: HeadName[];
  /** Values for head elements the reference does not write (the 6.4.18 example's extras, another mode). */
  extraHead?: Record<string, string>;
  indent: string;
  newline: string;
  /** The XML declaration, or '' for none. */
  declaration: string;
  bom?: boolean;
  /** Text as CDATA sections instead of escaped text. */
  cdata?: boolean;
  /** Non-ASCII characters and vowels as numeric character references. */
  charRefs?: boolean;
  /** A comment before the root and inside the command. */
  comments?: boolean;
}

const REFERENCE_HEAD: HeadName[] = ['profile', 'password', 'msisdn', 'short_code', 'mode', 'session_owner'];

const baseStyle: ReplyStyle = {
  head: REFERENCE_HEAD,
  indent: '  ',
  newline: '\n',
  declaration: '<?xml version="1.0" encoding="UTF-8"?>',
};

export interface VariantDef {
  /** What the variant changes, and why the document allows it. */
  description: string;
  /** Rewrites the USSD command (parsed from the reference's answer) before it is written. */
  reply?: Partial<ReplyStyle> & { command?: (request: UssdRequest) => UssdRequest };
  /** Rewrites the answer to every delivery (after the USSD reply is written). */
  answer?: (answer: Answer, path: string) => Answer;
  /** False when the partner's URL is provisioned without credentials (the suite's config then has none either). */
  credentials?: false;
  /**
   * Checks (globs) expected to report non-strict on this variant, because the document recommends what the
   * variant leaves out (each with an errata entry). Everything else must pass or be skipped.
   */
  nonStrict?: string[];
}

const HEAD_KEYS: Record<string, keyof UssdRequestHead> = {
  profile: 'profile',
  password: 'password',
  msisdn: 'msisdn',
  short_code: 'shortCode',
  mode: 'mode',
  billingcode: 'billingCode',
  ctn_billing: 'ctnBilling',
  content_description: 'contentDescription',
  transaction_info: 'transactionInfo',
  session_owner: 'sessionOwner',
};

/**
 * Escaped text with non-ASCII characters as decimal references and vowels as hexadecimal ones (both forms
 * XML 1.0 4.1 allows), in one pass so that no reference is escaped again.
 */
const withCharRefs = (text: string) =>
  text.replace(/[^\x20-\x7e]|[aeiou&<>\r]/gu, (c) =>
    /[aeiou]/.test(c)
      ? `&#x${c.codePointAt(0)!.toString(16)};`
      : c === '&' || c === '<' || c === '>' || c === '\r'
        ? escapeText(c)
        : `&#${c.codePointAt(0)};`,
  );

/** Writes a ussd_message_request per style: the one writer of every variant, so only the style differs. */
export function writeReply(request: UssdRequest, style: ReplyStyle): string {
  const nl = style.newline;
  const pad = (depth: number) => style.indent.repeat(depth);
  const text = (value: string) =>
    style.cdata ? `<![CDATA[${value}]]>` : style.charRefs ? withCharRefs(value) : escapeText(value);
  const leaf = (name: string, value: string, depth: number) =>
    `${pad(depth)}<${name}>${text(value)}</${name}>`;
  const lines: string[] = [];
  if (style.declaration) lines.push(style.declaration);
  if (style.comments) lines.push('<!-- reply to a USSD event -->');
  lines.push('<ussd_message_request>', `${pad(1)}<head>`);
  for (const name of style.head) {
    const key = HEAD_KEYS[name];
    const value = style.extraHead?.[name] ?? (key ? request.head[key] : undefined);
    if (value !== undefined) lines.push(leaf(name, value, 2));
  }
  lines.push(`${pad(1)}</head>`, `${pad(1)}<command>`);
  if (style.comments) lines.push(`${pad(2)}<!-- one command: menu, input or notify -->`);
  const c = request.command;
  if (c.type === 'menu') {
    lines.push(`${pad(2)}<menu>`);
    if (c.title !== undefined) lines.push(leaf('title', c.title, 3));
    lines.push(`${pad(3)}<options>`);
    for (const o of c.options)
      lines.push(
        `${pad(4)}<option>`,
        leaf('index', o.index, 5),
        leaf('subtitle', o.subtitle, 5),
        `${pad(4)}</option>`,
      );
    lines.push(`${pad(3)}</options>`, `${pad(2)}</menu>`);
  } else lines.push(`${pad(2)}<${c.type}>`, leaf('content', c.content, 3), `${pad(2)}</${c.type}>`);
  lines.push(`${pad(1)}</command>`, '</ussd_message_request>');
  const xml = lines.join(nl) + nl;
  return style.bom ? `\uFEFF${xml}` : xml;
}

const ack =
  (body: string, contentType = 'text/plain; charset=UTF-8') =>
  (a: Answer, path: string) =>
    path === '/ussd' || a.status !== 200
      ? a
      : {
          ...a,
          headers: { ...a.headers, 'content-type': contentType },
          body: Buffer.from(body, 'utf8'),
        };
const ussdContentType = (contentType: string | undefined) => (a: Answer, path: string) => {
  if (path !== '/ussd') return a;
  const headers = { ...a.headers };
  if (contentType === undefined) delete headers['content-type'];
  else headers['content-type'] = contentType;
  return { ...a, headers };
};

/** Every variant, by name. */
export const VARIANTS = {
  'independent-head': {
    description:
      'the reply head carries what the event carried (msisdn, short_code, session_owner) and no profile, password or mode (errata.ussd-reply-head)',
    reply: { head: ['msisdn', 'short_code', 'session_owner'] },
    nonStrict: ['partner.ussd.*.event.reply-head.profile'],
  },
  'head-table-order': {
    description: 'head elements in the order of the input tables (mode third), not of the examples',
    reply: { head: ['profile', 'password', 'mode', 'msisdn', 'short_code', 'session_owner'] },
  },
  'head-reversed': {
    description:
      'head elements in reverse order: neither the tables nor the examples fix an order the MSE relies on',
    reply: { head: [...REFERENCE_HEAD].reverse() },
  },
  'head-example-extras': {
    description: 'the extra head elements of the 6.4.18 example (billingcode ... transaction_info)',
    reply: {
      head: [
        ...REFERENCE_HEAD.slice(0, 5),
        'billingcode',
        'ctn_billing',
        'content_description',
        'transaction_info',
        'session_owner',
      ],
      extraHead: {
        billingcode: 'DH2010',
        ctn_billing: '1199998888',
        content_description: 'Reply',
        transaction_info: 'Variant partner',
      },
    },
  },
  'mode-assync': {
    description: 'mode written "assync", as the text of 6.4.18-6.4.20 recommends (errata.ussd-mode-spelling)',
    reply: { extraHead: { mode: 'assync' } },
  },
  'menu-without-title': {
    description: 'a menu with no title: title is optional (6.4.18 table, "Obrigatório: Não")',
    reply: {
      command: (r) =>
        r.command.type === 'menu' ? { ...r, command: { type: 'menu', options: r.command.options } } : r,
    },
  },
  'menu-at-limits': {
    description:
      'a menu at the limits of 6.4.18 (title 150, each option 50 characters, 20 options; errata.ussd-limits-table-vs-text reads them inclusive) and indexes that skip 0, 8 and 9',
    reply: {
      command: (r) => {
        if (r.command.type !== 'menu')
          return { ...r, command: { type: r.command.type, content: 'Ç'.repeat(150) } };
        const indexes = Array.from({ length: 40 }, (_, i) => String(i + 1)).filter(
          (i) => !['8', '9'].includes(i),
        );
        return {
          ...r,
          command: {
            type: 'menu',
            title: 'Título '.repeat(25).slice(0, 150),
            // Two options at 50 characters, the rest short: all 20 stay within the ~1000 characters of 10 pages.
            options: indexes.slice(0, 20).map((index, k) => ({
              index,
              subtitle: k < 2 ? `Opção ${index} `.padEnd(50, 'ã') : `Opção ${index}`,
            })),
          },
        };
      },
    },
  },
  'notify-to-every-event': {
    description: 'a notice in answer to every event: the document asks for a command, any of the three',
    reply: {
      command: (r) => ({ ...r, command: { type: 'notify', content: 'Obrigado! Volte sempre.' } }),
    },
  },
  'input-to-every-event': {
    description: 'an input prompt in answer to every event: any of the three commands answers any event',
    reply: {
      command: (r) => ({ ...r, command: { type: 'input', content: 'Digite o número do pedido:' } }),
    },
  },
  'text-with-markup-characters': {
    description: 'texts holding & < > \' " (escaped as XML 1.0 2.4 requires)',
    reply: {
      command: (r) =>
        r.command.type === 'menu'
          ? {
              ...r,
              command: {
                type: 'menu',
                title: 'Saldo & extrato <novo>',
                options: [
                  { index: '1', subtitle: `"Saldo" d'agora` },
                  { index: '2', subtitle: 'Pedidos > 10' },
                ],
              },
            }
          : { ...r, command: { type: r.command.type, content: `R$ 37,90 & "troco" <0> d'agora` } },
    },
  },
  'xml-compact': {
    description: 'no whitespace between elements and no final newline',
    reply: { indent: '', newline: '' },
  },
  'xml-crlf-tabs': {
    description: 'CRLF line ends and tab indentation',
    reply: { indent: '\t', newline: '\r\n' },
  },
  'xml-no-declaration': {
    description: 'no XML declaration: XML 1.0 4.3.3 makes UTF-8 the default',
    reply: { declaration: '' },
  },
  'xml-declaration-no-encoding': {
    description: 'an XML declaration with no encoding (UTF-8 by default)',
    reply: { declaration: '<?xml version="1.0"?>' },
  },
  'xml-declaration-variants': {
    description: "single quotes, lower-case utf-8 and standalone='yes' in the declaration",
    reply: { declaration: "<?xml version='1.0' encoding='utf-8' standalone='yes'?>" },
  },
  'xml-bom': {
    description: 'a UTF-8 byte order mark before the declaration',
    reply: { bom: true },
  },
  'xml-cdata': {
    description: 'texts in CDATA sections',
    reply: { cdata: true },
  },
  'xml-char-refs': {
    description: 'non-ASCII characters and vowels as numeric character references, decimal and hexadecimal',
    reply: { charRefs: true },
  },
  'xml-comments': {
    description: 'comments before the root and inside the command',
    reply: { comments: true },
  },
  'content-type-application-xml': {
    description: 'the command as application/xml',
    answer: ussdContentType('application/xml'),
  },
  'content-type-spellings': {
    description: 'a quoted, lower-case charset parameter without a space',
    answer: ussdContentType('text/xml;charset="utf-8"'),
  },
  'content-type-none': {
    description: 'no Content-Type on the command (HTTP lets the recipient sniff it; the document names none)',
    answer: ussdContentType(undefined),
  },
  'ack-empty-body': {
    description:
      'receipts and MO acknowledged with HTTP 200 and an empty body: the document asks only for the 200',
    answer: ack(''),
  },
  'ack-arbitrary-body': {
    description: 'receipts and MO acknowledged with HTTP 200 and a JSON body',
    answer: ack('{"received":true}\n', 'application/json'),
  },
  'ack-html-body': {
    description: 'receipts and MO acknowledged with HTTP 200 and an HTML page',
    answer: ack('<!doctype html><title>ok</title><p>Recebido.</p>\n', 'text/html; charset=ISO-8859-1'),
  },
  'reason-phrase': {
    description: 'a reason phrase other than "OK" (RFC 9112 4: clients ignore it)',
    answer: (a) => (a.status === 200 ? { ...a, statusMessage: 'Recebido' } : a),
  },
  'header-spellings': {
    description: 'header names in other cases and extra headers (RFC 9110 5.1: names are case-insensitive)',
    answer: (a) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(a.headers)) headers[k.toUpperCase()] = v;
      return {
        ...a,
        headers: {
          ...headers,
          'Cache-Control': 'no-store',
          'X-Powered-By': 'variant',
          Server: 'variant/1.0',
        },
      };
    },
  },
  chunked: {
    description: 'every answer with Transfer-Encoding: chunked instead of Content-Length',
    answer: (a) => ({ ...a, chunked: true }),
  },
  'connection-close': {
    description: 'every answer with Connection: close',
    answer: (a) => ({ ...a, headers: { ...a.headers, connection: 'close' } }),
  },
  slow: {
    description: 'every answer 300 ms later than the reference, well within the time budget',
    answer: (a) => ({ ...a, delayMs: 300 }),
  },
  'no-credentials': {
    description:
      'a URL provisioned without user and password: receipts and MO carry credentials only when the URL has them (6.4.1.1, 6.4.5.1)',
    credentials: false,
  },
  'refuses-with-403': {
    description:
      'wrong credentials refused with 403 instead of 401: the document names no status for a refusal',
    answer: (a) => (a.status === 401 ? { ...a, status: 403, body: Buffer.from('forbidden\n') } : a),
  },
} satisfies Record<string, VariantDef>;

export type Variant = keyof typeof VARIANTS;

/** The reference app's answer, captured instead of sent, so that a variant can rewrite it. */
function capture(app: PartnerApp, req: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let sent: Omit<Answer, 'body'> | undefined;
    const fake = {
      get headersSent() {
        return sent !== undefined;
      },
      writeHead(status: number, headers: Record<string, string>) {
        sent = { status, headers: { ...headers } };
        return fake;
      },
      end(body?: Buffer | string) {
        resolve({ status: 200, headers: {}, ...sent, body: Buffer.from(body ?? '') });
      },
      destroy() {
        reject(new Error('the reference app gave up on the request'));
      },
    };
    app.handle(req, fake as unknown as ServerResponse);
  });
}

function rewriteReply(answer: Answer, def: VariantDef): Answer {
  if (!def.reply) return answer;
  const { command, ...style } = def.reply;
  const request = readUssdRequest(answer.body);
  const xml = writeReply(command ? command(request) : request, { ...baseStyle, ...style });
  return { ...answer, body: Buffer.from(xml, 'utf8') };
}

async function write(res: ServerResponse, a: Answer): Promise<void> {
  if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.headers)) if (k.toLowerCase() !== 'content-length') headers[k] = v;
  if (a.chunked) {
    headers['transfer-encoding'] = 'chunked';
    if (a.statusMessage) res.writeHead(a.status, a.statusMessage, headers);
    else res.writeHead(a.status, headers);
    const half = Math.ceil(a.body.length / 2);
    if (half) res.write(a.body.subarray(0, half));
    res.end(a.body.subarray(half));
    return;
  }
  headers['content-length'] = String(a.body.length);
  if (a.statusMessage) res.writeHead(a.status, a.statusMessage, headers);
  else res.writeHead(a.status, headers);
  res.end(a.body);
}

export interface VariantPartner {
  url: string;
  close(): Promise<void>;
}

export async function startVariantPartner(
  variant: Variant,
  credentials?: PartnerCredentials,
): Promise<VariantPartner> {
  const def: VariantDef = VARIANTS[variant];
  const app = createPartnerApp({
    ...(credentials && def.credentials !== false ? { credentials } : {}),
    ussdProfile: { profile: 'VARIANT_USSD', password: 'variant-ussd-pwd' },
  });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    capture(app, req)
      .then((a) => {
        let answer = path === '/ussd' && a.status === 200 ? rewriteReply(a, def) : a;
        if (def.answer) answer = def.answer(answer, path);
        return write(res, answer);
      })
      .catch(() => res.destroy());
  });
  const url = await listen(server, '127.0.0.1', 0);
  return { url, close: () => closeServer(server) };
}
