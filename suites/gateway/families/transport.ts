/** Transport (6.1, 6.5): methods, media type, HTTP status, XML declaration, UTF-8 bytes. One set per API service. */
import { encodeQuery } from '../../../src/charset/latin1.ts';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import {
  apiServices,
  callApi,
  callRaw,
  define,
  ensure,
  expectAccepted,
  isTextXml,
  meta,
  notProvisioned,
  type Pairs,
  preferredMode,
  profileOf,
  requireAccepted,
  spec,
  utf8Problems,
  validParams,
} from '../harness.ts';

const F = 'transport';

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const skipReason = notProvisioned(service);
    const mode = preferredMode(service);
    if (!mode) continue;
    defs.push(
      define(
        meta(F, 'transport.get', { service, mode }),
        async (ctx) => {
          const get = await callApi(ctx, { service, method: 'GET', mode });
          expectAccepted(ctx, get, 'a valid request sent by GET');
        },
        { skipReason },
      ),
      define(
        meta(F, 'transport.post-form', { service, mode }),
        async (ctx) => {
          const post = await callApi(ctx, { service, method: 'POST', mode });
          expectAccepted(ctx, post, 'a valid request sent by POST (form body)');
        },
        { skipReason },
      ),
      define(
        meta(F, 'transport.post-query', { service, mode }),
        async (ctx) => {
          const a = await callApi(ctx, { service, method: 'POST', mode, bodyInQuery: true });
          expectAccepted(ctx, a, 'a valid request sent by POST with its parameters in the query string');
        },
        { skipReason },
      ),
      define(
        meta(F, 'transport.content-type', { service, mode }),
        async (ctx) => {
          const a = await callApi(ctx, { service, mode });
          if (a.sent.error) ctx.cannotJudge(`no answer: ${a.sent.error}`);
          ensure(
            ctx,
            isTextXml(a.contentType),
            `the answer's Content-Type is ${a.contentType === undefined ? 'missing' : `"${a.contentType}"`}, expected text/xml`,
          );
        },
        { skipReason },
      ),
      define(
        meta(F, 'transport.http-status.ok', { service, mode }),
        async (ctx) => {
          const a = await callApi(ctx, { service, mode });
          // Whether a valid request is accepted is transport.get's to judge; this check judges the HTTP status.
          requireAccepted(ctx, a, 'a valid request');
          ensure(
            ctx,
            a.status === 200,
            `an accepted request was answered with HTTP ${a.status}, expected 200`,
          );
        },
        { skipReason },
      ),
      define(
        meta(F, 'transport.utf-8', { service, mode, variant: 'declaration' }),
        async (ctx) => {
          const a = await callApi(ctx, { service, mode });
          if (a.sent.error) ctx.cannotJudge(`no answer: ${a.sent.error}`);
          const head = a.body
            .subarray(0, 100)
            .toString('latin1')
            .replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
          const m = /^<\?xml\s[^?]*\?>/.exec(head);
          // A body that is no XML at all has no declaration to judge: envelope.dtd-valid fails it.
          if (!m && a.read.xmlError)
            ctx.cannotJudge(`the body is not XML (${a.read.xmlError}; envelope.dtd-valid)`);
          ensure(
            ctx,
            m,
            `the answer does not start with an XML declaration (it starts "${head.slice(0, 30)}")`,
          );
          ensure(
            ctx,
            /encoding\s*=\s*["']UTF-8["']/i.test(m[0]),
            `the XML declaration ${m[0]} does not name encoding UTF-8`,
          );
        },
        { skipReason },
      ),
      define(
        meta(F, 'transport.utf-8', { service, mode, variant: 'bytes' }),
        async (ctx) => {
          const a = await callApi(ctx, { service, mode });
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
        { skipReason },
      ),
    );
  }
  defs.push(...latin1Requests());
  return defs;
}

/**
 * How the target treats a request percent-encoded in ISO-8859-1 with no charset declared (a GET cannot declare
 * one): WIB_PUSH's WML, whose 6.4.15 example declares ISO-8859-1, as public gateways send it. The document does
 * not oblige either reading (errata.request-charset-unstated), so what happened is reported, never failed.
 */
function latin1Requests(): CheckDefinition[] {
  const service = apiServices().find((s) => s.inputs.some((i) => i.name === 'WML'));
  const mode = service && preferredMode(service, ['async-oneway', 'sync', 'async-delivery']);
  if (!service || !mode) return [];
  return [
    define(
      meta(F, 'transport.request.latin1', { service, mode, variant: 'get' }),
      async (ctx) => {
        const p = profileOf(service)!;
        const pairs: Pairs = [
          ['profile', p.profile],
          ['pwd', p.password],
          ['mode', mode],
          ...(p.billingCode !== undefined ? ([['billingCode', p.billingCode]] as Pairs) : []),
          ...validParams(service).map(([n, v]): [string, string] =>
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
      },
      { skipReason: notProvisioned(service) },
    ),
  ];
}
