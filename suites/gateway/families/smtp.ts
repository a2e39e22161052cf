/**
 * SMTP AUTD (chapter 10): the partner's mail server notifies a handset by mail; the sender's domain is the
 * partner, the Received "for <NUMBER@domain>" clause the handset. Skipped without an SMTP address.
 */
import type { Exchange } from '../../../reporters/model.ts';
import { sendMail } from '../../../src/client/smtp.ts';
import type { CheckDefinition } from '../../../src/runner/register.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { checkInputValue, invalidSamples } from '../../../src/spec/values.ts';
import { define, ensure, meta, type Recorder, run, spec, subscriber, timeouts, token } from '../harness.ts';

const F = 'smtp';

async function mail(ctx: Recorder, from: string, forClause: string | undefined, label: string) {
  const smtp = run.config.smtp;
  if (!smtp) return ctx.skip('no SMTP address in the config (smtp)');
  const domain = from.split('@')[1] ?? 'example.com';
  const message = [
    ...(forClause !== undefined
      ? [
          `Received: from exchange.${domain} by mse; for <${forClause}@${domain}>; ${new Date().toUTCString()}`,
        ]
      : []),
    `From: <${from}>`,
    `To: <${forClause ?? 'someone'}@${domain}>`,
    `Subject: AUTD ${token('autd')}`,
    '',
    'new mail',
  ].join('\n');
  const result = await sendMail({
    host: smtp.host,
    port: smtp.port,
    from,
    to: `${forClause ?? 'someone'}@${domain}`,
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
