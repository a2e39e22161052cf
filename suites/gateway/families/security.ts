/**
 * Security (6.2, 6.4.18, 9.3): XML bodies are never expanded (an out-of-band XXE probe pointing at the
 * suite's own listener must never be fetched), DOCTYPEs and malformed or mis-encoded bodies are refused,
 * an oversized body is refused without taking the gateway down, no wrong password ever succeeds, and no
 * answer ever carries the password it was sent.
 */
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import {
  apiServices,
  callApi,
  callRaw,
  define,
  ensure,
  expectAccepted,
  expectRefused,
  meta,
  notProvisioned,
  preferredMode,
  profileOf,
  run,
  spec,
  timeouts,
  token,
  ussdCommandServices,
  validParams,
  waitDeliveries,
} from '../harness.ts';
import { callUssd, ussdBody } from './ussd.ts';

const F = 'security';
const OVERSIZED_BYTES = 10 * 1024 * 1024;

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  const ussd = ussdCommandServices().find((s) => profileOf(s)) ?? ussdCommandServices()[0];
  const api = apiServices().find((s) => profileOf(s) && preferredMode(s)) ?? apiServices()[0];
  if (ussd) {
    const skipReason =
      notProvisioned(ussd) ?? (run.listenerUrl ? undefined : 'the run has no listener to observe fetches');
    const o = { skipReason };
    /** A valid command whose content refers to an external entity on the listener (never to be fetched). */
    const xxe = (mark: string) => {
      const body = ussdBody(ussd);
      const url = `${run.listenerUrl}/xxe/${mark}`;
      return body
        .replace(
          '<?xml version="1.0" encoding="UTF-8"?>',
          `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ussd_message_request [<!ENTITY probe SYSTEM "${url}">]>`,
        )
        .replace(/<(content|subtitle)>[^<]*<\/\1>/, '<$1>&probe;</$1>');
    };
    const post = (body: string | Buffer, label: string) => (ctx: Parameters<typeof callRaw>[0]) =>
      callRaw(
        ctx,
        {
          method: 'POST',
          path: spec.protocol.endpoints.ussd,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body,
        },
        label,
      );
    defs.push(
      define(
        meta(F, 'security.xml.no-entity-expansion', { service: ussd }),
        async (ctx) => {
          const mark = token('xxe');
          await post(xxe(mark), 'USSD command with an external entity')(ctx);
          const fetched = await waitDeliveries(ctx, {
            kind: 'other',
            contains: mark,
            timeoutMs: timeouts.quietMs,
          });
          ensure(
            ctx,
            !fetched.length,
            `the gateway fetched the external entity ${run.listenerUrl}/xxe/${mark} named in the body`,
          );
        },
        o,
      ),
      define(
        meta(F, 'security.xml.doctype-refused', { service: ussd }),
        async (ctx) =>
          expectRefused(
            ctx,
            await post(xxe(token('xxe')), 'USSD command with a DOCTYPE')(ctx),
            'a USSD command with a DOCTYPE',
          ),
        o,
      ),
      define(
        meta(F, 'security.xml.malformed-refused', { service: ussd }),
        async (ctx) => {
          const body = ussdBody(ussd).replace('</command>', '');
          expectRefused(
            ctx,
            await post(body, 'malformed USSD command')(ctx),
            'a USSD command that is not well-formed XML',
          );
        },
        o,
      ),
      define(
        meta(F, 'security.xml.encoding-mismatch', { service: ussd }),
        async (ctx) => {
          // Declared UTF-8, but "ção" written in ISO-8859-1 bytes.
          const body = Buffer.from(
            ussdBody(ussd, { values: { content: 'Atenção', subtitle: 'Atenção' } }),
            'latin1',
          );
          expectRefused(
            ctx,
            await post(body, 'USSD command in ISO-8859-1 bytes declared UTF-8')(ctx),
            'a body whose bytes are not the UTF-8 it declares',
          );
        },
        o,
      ),
      define(
        meta(F, 'security.password.not-echoed', { service: ussd, variant: 'ussd' }),
        async (ctx) => {
          const wrong = `Wr0ng-${token('pw')}`;
          const a = await callUssd(ctx, ussd, { password: wrong }, 'USSD command with a wrong password');
          ensure(
            ctx,
            !a.body.includes(wrong),
            'the answer to a USSD command contains the password it was sent',
          );
        },
        o,
      ),
    );
  }
  if (api) {
    const skipReason = notProvisioned(api);
    const o = { skipReason };
    defs.push(
      define(
        meta(F, 'security.body.size-limit', { service: api }),
        async (ctx) => {
          const filler = Buffer.alloc(OVERSIZED_BYTES, 'A');
          const head = Buffer.from(
            `profile=${encodeURIComponent(profileOf(api)?.profile ?? '')}&mode=${preferredMode(api)}&PAD=`,
          );
          const a = await callRaw(
            ctx,
            {
              method: 'POST',
              path: spec.protocol.endpoints.api,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: Buffer.concat([head, filler]),
              timeoutMs: timeouts.requestMs * 3,
            },
            `POST of ${OVERSIZED_BYTES} bytes`,
          );
          ensure(ctx, a.read.statusCode !== '0', 'a 10 MB request body was accepted (status-code 0)');
        },
        { ...o, timeoutMs: timeouts.requestMs * 4 + 5_000 },
      ),
      define(
        meta(F, 'security.availability.after-bad-input', { service: api }),
        async (ctx) => {
          const filler = Buffer.alloc(OVERSIZED_BYTES, 'A');
          await callRaw(
            ctx,
            {
              method: 'POST',
              path: spec.protocol.endpoints.api,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: filler,
              timeoutMs: timeouts.requestMs * 3,
            },
            `POST of ${OVERSIZED_BYTES} bytes`,
          );
          expectAccepted(
            ctx,
            await callApi(ctx, { service: api }),
            'a valid request right after an oversized one',
          );
        },
        { ...o, timeoutMs: timeouts.requestMs * 4 + 5_000 },
      ),
    );
  }
  for (const service of apiServices()) {
    const mode = preferredMode(service);
    if (!mode) continue;
    const skipReason = notProvisioned(service);
    const o = { skipReason };
    const p = () => profileOf(service)!;
    const variants: [string, () => string][] = [
      ['empty', () => ''],
      [
        'other-case',
        () =>
          p().password.toUpperCase() !== p().password
            ? p().password.toUpperCase()
            : p().password.toLowerCase() === p().password
              ? `${p().password}X`
              : p().password.toLowerCase(),
      ],
      ['extra-character', () => `${p().password} `],
      ['prefix', () => p().password.slice(0, -1)],
    ];
    for (const [variant, value] of variants)
      defs.push(
        define(
          meta(F, 'control.auth.refused', { service, mode, variant: `password-${variant}` }),
          async (ctx) => {
            const v = value();
            if (v === p().password) ctx.skip('this variant equals the real password');
            expectRefused(
              ctx,
              await callApi(ctx, { service, mode, password: v }),
              `a request with a ${variant.replace('-', ' ')} password`,
            );
          },
          o,
        ),
      );
    defs.push(
      define(
        meta(F, 'security.password.not-echoed', { service, mode }),
        async (ctx) => {
          const wrong = `Wr0ng-${token('pw')}`;
          const refused = await callApi(ctx, { service, mode, password: wrong });
          ensure(ctx, !refused.body.includes(wrong), 'the answer to a wrong password contains that password');
          const alias = await callApi(ctx, { service, mode, password: wrong, passwordKey: 'password' });
          ensure(ctx, !alias.body.includes(wrong), 'the answer to a wrong password= contains that password');
          const ok = await callApi(ctx, { service, mode, params: validParams(service) });
          // Only a distinctive password can be looked for: a short one may be an ordinary word of a message.
          if (p().password.length >= 8)
            ensure(ctx, !ok.body.includes(p().password), 'the answer contains the profile password');
        },
        o,
      ),
    );
  }
  return defs;
}
