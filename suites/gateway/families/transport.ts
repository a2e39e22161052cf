/** Transport (6.1, 6.5): methods, media type, HTTP status, XML declaration, UTF-8 bytes. One set per API service. */
import { encodeQuery } from '../../../src/charset/latin1.ts';
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import type { Mode, Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  callRaw,
  ensure,
  expectAccepted,
  isTextXml,
  type Pairs,
  preferredMode,
  profileOf,
  requireAccepted,
  spec,
  utf8Problems,
  validParams,
} from '../harness.ts';
import { type Case, expand, row } from '../rows.ts';

interface TransportCase extends Case {
  mode: Mode;
}

/** The one service whose input takes a document that declares ISO-8859-1 (WIB_PUSH's WML, 6.4.15). */
const latin1Service = () => apiServices().find((s) => s.inputs.some((i) => i.name === 'WML'));

const rows = [
  row<TransportCase>({
    rule: 'transport.get',
    stimulus: 'a valid request to {service} in mode {mode}, sent by GET',
    judge: async (ctx, c) =>
      expectAccepted(ctx, await callApi(ctx, { ...c, method: 'GET' }), 'a valid request sent by GET'),
  }),
  row<TransportCase>({
    rule: 'transport.post-form',
    stimulus: 'a valid request to {service} in mode {mode}, sent by POST as a form body',
    judge: async (ctx, c) =>
      expectAccepted(
        ctx,
        await callApi(ctx, { ...c, method: 'POST' }),
        'a valid request sent by POST (form body)',
      ),
  }),
  row<TransportCase>({
    rule: 'transport.post-query',
    stimulus:
      'a valid request to {service} in mode {mode}, sent by POST with its parameters in the query string',
    judge: async (ctx, c) =>
      expectAccepted(
        ctx,
        await callApi(ctx, { ...c, method: 'POST', bodyInQuery: true }),
        'a valid request sent by POST with its parameters in the query string',
      ),
  }),
  row<TransportCase>({
    rule: 'transport.content-type',
    stimulus: "a valid request to {service} in mode {mode}; the answer's Content-Type is read",
    judge: async (ctx, c) => {
      const a = await callApi(ctx, c);
      if (a.sent.error) ctx.cannotJudge(`no answer: ${a.sent.error}`);
      ensure(
        ctx,
        isTextXml(a.contentType),
        `the answer's Content-Type is ${a.contentType === undefined ? 'missing' : `"${a.contentType}"`}, expected text/xml`,
      );
    },
  }),
  row<TransportCase>({
    rule: 'transport.http-status.ok',
    stimulus: "a valid request to {service} in mode {mode}; the answer's HTTP status is read",
    judge: async (ctx, c) => {
      const a = await callApi(ctx, c);
      // Whether a valid request is accepted is transport.get's to judge; this check judges the HTTP status.
      requireAccepted(ctx, a, 'a valid request');
      ensure(ctx, a.status === 200, `an accepted request was answered with HTTP ${a.status}, expected 200`);
    },
  }),
  row<TransportCase>({
    rule: 'transport.utf-8',
    variant: 'declaration',
    stimulus: "a valid request to {service} in mode {mode}; the answer's XML declaration is read",
    judge: async (ctx, c) => {
      const a = await callApi(ctx, c);
      if (a.sent.error) ctx.cannotJudge(`no answer: ${a.sent.error}`);
      const head = a.body
        .subarray(0, 100)
        .toString('latin1')
        .replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
      const m = /^<\?xml\s[^?]*\?>/.exec(head);
      // A body that is no XML at all has no declaration to judge: envelope.dtd-valid fails it.
      if (!m && a.read.xmlError)
        ctx.cannotJudge(`the body is not XML (${a.read.xmlError}; envelope.dtd-valid)`);
      ensure(ctx, m, `the answer does not start with an XML declaration (it starts "${head.slice(0, 30)}")`);
      ensure(
        ctx,
        /encoding\s*=\s*["']UTF-8["']/i.test(m[0]),
        `the XML declaration ${m[0]} does not name encoding UTF-8`,
      );
    },
  }),
  row<TransportCase>({
    rule: 'transport.utf-8',
    variant: 'bytes',
    stimulus: "a valid request to {service} in mode {mode}; the answer's bytes and declared charset are read",
    judge: async (ctx, c) => {
      const a = await callApi(ctx, c);
      if (a.sent.error) ctx.cannotJudge(`no answer: ${a.sent.error}`);
      const problem = utf8Problems(a.body);
      ensure(ctx, !problem, `${problem}`);
      const declared = /charset=([^;\s]+)/i.exec(a.contentType ?? '')?.[1];
      ensure(
        ctx,
        !declared || /^utf-?8$/i.test(declared.replace(/"/g, '')),
        `the Content-Type declares charset ${declared}, but the body must be UTF-8`,
      );
    },
  }),
  /**
   * How the target treats a request percent-encoded in ISO-8859-1 with no charset declared (a GET cannot declare
   * one), as public gateways send WML. The document does not oblige either reading
   * (errata.request-charset-unstated), so what happened is reported, never failed.
   */
  row<TransportCase>({
    rule: 'transport.request.latin1',
    variant: 'get',
    applies: (s) => s === latin1Service(),
    cases: (service) => {
      const mode = preferredMode(service, ['async-oneway', 'sync', 'async-delivery']);
      return mode ? [{ service, mode }] : [];
    },
    stimulus:
      'a valid GET to {service} in mode {mode} whose WML ("Atenção") is percent-encoded in ISO-8859-1',
    judge: latin1Get,
  }),
];

async function latin1Get(ctx: CheckContext, c: TransportCase): Promise<void> {
  const p = profileOf(c.service)!;
  const pairs: Pairs = [
    ['profile', p.profile],
    ['pwd', p.password],
    ['mode', c.mode],
    ...(p.billingCode !== undefined ? ([['billingCode', p.billingCode]] as Pairs) : []),
    ...validParams(c.service).map(([n, v]): [string, string] =>
      n === 'WML' ? [n, '<?xml version="1.0" encoding="ISO-8859-1"?><wml>Atenção</wml>'] : [n, v],
    ),
  ];
  const a = await callRaw(
    ctx,
    { method: 'GET', path: `${spec.protocol.endpoints.api}?${encodeQuery(pairs, 'ISO-8859-1')}` },
    `suite → target GET ${spec.protocol.endpoints.api} (WML percent-encoded in ISO-8859-1)`,
  );
  const what = 'a GET whose WML is percent-encoded in ISO-8859-1 ("Atenção" as Aten%E7%E3o)';
  if (a.sent.error) ctx.inform(`${what} got no answer (${a.sent.error})`);
  if (a.read.statusCode === '0')
    ctx.inform(`the target accepted ${what}: it reads such requests as ISO-8859-1`);
  ctx.inform(
    `the target refused ${what}: HTTP ${a.status}, ${
      a.read.statusCode === undefined
        ? `no status-code (${a.read.xmlError ?? 'not an mse-response'})`
        : `status-code ${a.read.statusCode}${a.read.errorMessage ? ` ("${a.read.errorMessage}")` : ''}`
    }; senders must percent-encode UTF-8 for it`,
  );
}

/** Every row once per API service, in the mode the service prefers (services with no mode are left out). */
export function definitions(): CheckDefinition[] {
  return expand('transport', rows, apiServices(), (service: Service) => {
    const mode = preferredMode(service);
    return mode ? [{ service, mode }] : [];
  });
}
