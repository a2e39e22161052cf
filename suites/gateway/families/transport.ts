/** Transport (6.1, 6.5): methods, media type, HTTP status, XML declaration, UTF-8 bytes. One set per API service. */
import type { CheckDefinition } from '../../../src/runner/register.ts';
import {
  apiServices,
  callApi,
  define,
  ensure,
  expectAccepted,
  isTextXml,
  meta,
  notProvisioned,
  preferredMode,
  requireAccepted,
  utf8Problems,
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
  return defs;
}
