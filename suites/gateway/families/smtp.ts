/**
 * SMTP AUTD (chapter 10): the partner's mail server notifies a handset by mail; the sender's domain is the
 * partner, the Received "for <NUMBER@domain>" clause the handset. Skipped without an SMTP address.
 */

import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { sendMail } from '../../../src/client/smtp.ts';
import type { Exchange } from '../../../src/core/model.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { checkInputValue, invalidSamples } from '../../../src/spec/values.ts';
import { define, ensure, meta, type Recorder, run, spec, subscriber, timeouts, token } from '../harness.ts';

const F = 'smtp';

interface MailShape {
  /** A Received header without the for clause (else: no Received header when there is no clause). */
  receivedWithoutFor?: boolean;
  /** The envelope recipient and To: local part (default: the for clause's number, or "someone"). */
  to?: string;
  /** Leave out the From: header. */
  noFromHeader?: boolean;
}

async function mail(
  ctx: Recorder,
  from: string,
  forClause: string | undefined,
  label: string,
  shape: MailShape = {},
) {
  const smtp = run.config.smtp;
  if (!smtp) return ctx.skip('no SMTP address in the config (smtp)');
  const domain = from.split('@')[1] ?? run.config.smtp?.from?.split('@')[1] ?? 'example.com';
  const to = shape.to ?? forClause ?? 'someone';
  const received = `Received: from exchange.${domain} by mse`;
  const message = [
    ...(forClause !== undefined
      ? [`${received}; for <${forClause}@${domain}>; ${new Date().toUTCString()}`]
      : shape.receivedWithoutFor
        ? [`${received}; ${new Date().toUTCString()}`]
        : []),
    ...(shape.noFromHeader ? [] : [`From: <${from}>`]),
    `To: <${to}@${domain}>`,
    `Subject: AUTD ${token('autd')}`,
    '',
    'new mail',
  ].join('\n');
  const result = await sendMail({
    host: smtp.host,
    port: smtp.port,
    from,
    to: `${to}@${domain}`,
    message,
    timeoutMs: timeouts.requestMs,
  });
  const exchange: Exchange = {
    label,
    at: new Date().toISOString(),
    request: {
      method: 'SMTP',
      url: `smtp://${smtp.host}:${smtp.port}`,
      headers: {},
      bodyBase64: Buffer.from(result.transcript).toString('base64'),
      bodyText: result.transcript,
    },
    ...(result.error ? { error: result.error } : {}),
  };
  ctx.record(exchange);
  return result;
}

const accepted = (r: { code: number; step: string }) => r.step === 'message' && r.code >= 200 && r.code < 300;

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  const service: Service | undefined = spec.services.find((s) => s.kind === 'smtp');
  if (!service) return defs;
  const skipReason = run.config.smtp
    ? undefined
    : 'no SMTP address in the config (smtp): the target has no AUTD interface to test';
  const from = () => run.config.smtp?.from;
  const needFrom = (ctx: Recorder) => from() ?? ctx.skip('no provisioned sender in the config (smtp.from)');
  const o = { skipReason };
  defs.push(
    define(
      meta(F, 'smtp.user.from-domain', { service, variant: 'provisioned' }),
      async (ctx) => {
        const r = await mail(ctx, needFrom(ctx), subscriber(), 'AUTD from the provisioned domain');
        ensure(
          ctx,
          accepted(r),
          `the notification was not accepted: ${r.step} answered ${r.code}${r.error ? ` (${r.error})` : ''}`,
        );
      },
      o,
    ),
    define(
      meta(F, 'smtp.user.from-domain', { service, variant: 'unknown-domain' }),
      async (ctx) => {
        const r = await mail(
          ctx,
          `someone@nao-provisionado-${token('d')}.example`,
          subscriber(),
          'AUTD from an unknown domain',
        );
        ensure(ctx, !accepted(r), 'a notification from a domain that is not provisioned was accepted');
      },
      o,
    ),
    define(
      meta(F, 'smtp.number.from-for-clause', { service }),
      async (ctx) => {
        const r = await mail(ctx, needFrom(ctx), undefined, 'AUTD without a for clause');
        ensure(
          ctx,
          !accepted(r),
          'a notification with no "for <NUMBER@domain>" clause was accepted: there is no handset to notify',
        );
      },
      o,
    ),
  );
  // 10.1 states the number's length in words too: one digit more is no handset's number.
  defs.push(
    define(
      meta(F, 'smtp.number.ten-digits', { service, variant: 'eleven-digits' }),
      async (ctx) => {
        const number = `${subscriber()}0`;
        const r = await mail(ctx, needFrom(ctx), number, `AUTD for ${number}`);
        ensure(ctx, !accepted(r), `a notification for "${number}" (eleven digits) was accepted`);
      },
      o,
    ),
  );
  // A mail that lacks one required input, with everything else in place: where the number or the sender
  // could still be found elsewhere (To:, the envelope), the mail carries it there, so only the input is missing.
  const lacking: Record<string, { label: string; send: (ctx: Recorder) => ReturnType<typeof mail> }> = {
    FOR: {
      label: 'a Received header without the for clause, the number only in RCPT TO and To:',
      send: (ctx) =>
        mail(ctx, needFrom(ctx), undefined, 'AUTD with a Received header but no for clause', {
          receivedWithoutFor: true,
          to: subscriber(),
        }),
    },
    FROM: {
      label: 'no From: header and a null envelope sender (MAIL FROM:<>)',
      send: (ctx) =>
        mail(ctx, '', subscriber(), 'AUTD without any sender', { noFromHeader: true, to: subscriber() }),
    },
  };
  for (const input of service.inputs) {
    const how = lacking[input.name];
    const rule = inputRuleIds(service, input).required;
    if (!input.required || !how || !spec.rules.has(rule)) continue;
    defs.push(
      define(
        meta(F, rule, { service }),
        async (ctx) => {
          const r = await how.send(ctx);
          ensure(
            ctx,
            !accepted(r),
            `a notification with ${how.label} was accepted: ${input.name} is missing`,
          );
        },
        o,
      ),
    );
  }
  const forInput = service.inputs.find((i) => i.name === 'FOR');
  if (forInput) {
    const ids = inputRuleIds(service, forInput);
    let n = 0;
    for (const s of invalidSamples(forInput, spec.formats)) {
      if (
        s.constraint !== 'format' ||
        !spec.rules.has(ids.format) ||
        checkInputValue(forInput, s.value, spec.formats)?.constraint !== 'format'
      )
        continue;
      n++;
      defs.push(
        define(
          meta(F, ids.format, { service, variant: `outside-${n}` }),
          async (ctx) => {
            const r = await mail(ctx, needFrom(ctx), s.value, `AUTD for ${s.value}`);
            ensure(ctx, !accepted(r), `a notification for "${s.value}" (not ten digits) was accepted`);
          },
          o,
        ),
      );
    }
  }
  return defs;
}
