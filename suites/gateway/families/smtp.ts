/**
 * SMTP AUTD (chapter 10): the partner's mail server notifies a handset by mail; the sender's domain is the
 * partner, the Received "for <NUMBER@domain>" clause the handset. Skipped without an SMTP address.
 */

import type { CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import { sendMail } from '../../../src/client/smtp.ts';
import type { Exchange } from '../../../src/core/model.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { checkInputValue, invalidSamples } from '../../../src/spec/values.ts';
import { ensure, meta, type Recorder, run, spec, subscriber, timeouts, token } from '../harness.ts';

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

/** The SMTP AUTD service, or a value its FOR input must refuse (`outside-<n>` in sample order). */
interface Autd {
  service: Service;
}
interface Outside extends Autd {
  rule: string;
  value: string;
  n: number;
}

const noSmtp = () =>
  run.config.smtp
    ? undefined
    : 'no SMTP address in the config (smtp): the target has no AUTD interface to test';
const needFrom = (ctx: Recorder) =>
  run.config.smtp?.from ?? ctx.skip('no provisioned sender in the config (smtp.from)');

/** The rule a mail lacking `name` breaks, when the entry requires that input and the catalogue has its rule. */
function requiredRule(service: Service, name: string): string | undefined {
  const input = service.inputs.find((i) => i.name === name);
  if (!input?.required) return undefined;
  const rule = inputRuleIds(service, input).required;
  return spec.rules.has(rule) ? rule : undefined;
}

const refused = async (ctx: Recorder, sent: ReturnType<typeof mail>, message: string) =>
  ensure(ctx, !accepted(await sent), message);

// A mail that lacks one required input has everything else in place: where the number or the sender could
// still be found elsewhere (To:, the envelope), the mail carries it there, so only the input is missing.
const rows: PlacedRow<Autd>[] = [
  row<Autd>({
    rule: 'smtp.user.from-domain',
    variant: 'provisioned',
    stimulus:
      'a mail to the SMTP AUTD listener from the provisioned sender (smtp.from), its Received header "for <NUMBER@domain>" naming the test subscriber (10.1)',
    skipReason: noSmtp,
    judge: async (ctx) => {
      const r = await mail(ctx, needFrom(ctx), subscriber(), 'AUTD from the provisioned domain');
      ensure(
        ctx,
        accepted(r),
        `the notification was not accepted: ${r.step} answered ${r.code}${r.error ? ` (${r.error})` : ''}`,
      );
    },
  }),
  row<Autd>({
    rule: 'smtp.user.from-domain',
    variant: 'unknown-domain',
    stimulus:
      'a mail to the SMTP AUTD listener for the test subscriber, from a domain that is not provisioned (10.1)',
    skipReason: noSmtp,
    judge: (ctx) =>
      refused(
        ctx,
        mail(
          ctx,
          `someone@nao-provisionado-${token('d')}.example`,
          subscriber(),
          'AUTD from an unknown domain',
        ),
        'a notification from a domain that is not provisioned was accepted',
      ),
  }),
  row<Autd>({
    rule: 'smtp.number.from-for-clause',
    stimulus:
      'a mail to the SMTP AUTD listener from the provisioned sender with no Received header, so no "for <NUMBER@domain>" clause (10.1)',
    skipReason: noSmtp,
    judge: (ctx) =>
      refused(
        ctx,
        mail(ctx, needFrom(ctx), undefined, 'AUTD without a for clause'),
        'a notification with no "for <NUMBER@domain>" clause was accepted: there is no handset to notify',
      ),
  }),
  // 10.1 states the number's length in words too: one digit more is no handset's number.
  row<Autd>({
    rule: 'smtp.number.ten-digits',
    variant: 'eleven-digits',
    stimulus:
      'a mail to the SMTP AUTD listener whose for clause names the test subscriber with a digit appended (eleven digits) (10.1)',
    skipReason: noSmtp,
    judge: (ctx) => {
      const number = `${subscriber()}0`;
      return refused(
        ctx,
        mail(ctx, needFrom(ctx), number, `AUTD for ${number}`),
        `a notification for "${number}" (eleven digits) was accepted`,
      );
    },
  }),
  row<Autd>({
    rule: (t) => requiredRule(t.service, 'FOR')!,
    appliesTo: (t) => requiredRule(t.service, 'FOR') !== undefined,
    stimulus:
      'a mail to the SMTP AUTD listener from the provisioned sender with a Received header but no for clause, the number only in RCPT TO and To: (10.1)',
    skipReason: noSmtp,
    judge: (ctx) =>
      refused(
        ctx,
        mail(ctx, needFrom(ctx), undefined, 'AUTD with a Received header but no for clause', {
          receivedWithoutFor: true,
          to: subscriber(),
        }),
        'a notification with a Received header without the for clause was accepted: FOR is missing',
      ),
  }),
  row<Autd>({
    rule: (t) => requiredRule(t.service, 'FROM')!,
    appliesTo: (t) => requiredRule(t.service, 'FROM') !== undefined,
    stimulus:
      'a mail to the SMTP AUTD listener for the test subscriber with no From: header and a null envelope sender (MAIL FROM:<>) (10.1)',
    skipReason: noSmtp,
    judge: (ctx) =>
      refused(
        ctx,
        mail(ctx, '', subscriber(), 'AUTD without any sender', { noFromHeader: true, to: subscriber() }),
        'a notification with no From: header and a null envelope sender was accepted: FROM is missing',
      ),
  }),
];

const outsideRows: PlacedRow<Outside>[] = [
  row<Outside>({
    rule: (t) => t.rule,
    variant: (t) => `outside-${t.n}`,
    stimulus: (t) =>
      `a mail to the SMTP AUTD listener from the provisioned sender whose for clause names "${t.value}", not ten digits (10.1)`,
    skipReason: noSmtp,
    judge: (ctx, t) =>
      refused(
        ctx,
        mail(ctx, needFrom(ctx), t.value, `AUTD for ${t.value}`),
        `a notification for "${t.value}" (not ten digits) was accepted`,
      ),
  }),
];

/** The values of FOR's invalid samples that break its format alone, numbered in sample order. */
function outsideValues(service: Service): Outside[] {
  const input = service.inputs.find((i) => i.name === 'FOR');
  if (!input) return [];
  const rule = inputRuleIds(service, input).format;
  if (!spec.rules.has(rule)) return [];
  return invalidSamples(input, spec.formats)
    .filter(
      (s) =>
        s.constraint === 'format' && checkInputValue(input, s.value, spec.formats)?.constraint === 'format',
    )
    .map((s, i) => ({ service, rule, value: s.value, n: i + 1 }));
}

export function definitions(): CheckDefinition[] {
  const service = spec.services.find((s) => s.kind === 'smtp');
  if (!service) return [];
  const metaOf = (rule: string, o: MetaOptions) => meta(F, rule, o);
  return [
    ...expandRows(metaOf, [{ service }], rows),
    ...expandRows(metaOf, outsideValues(service), outsideRows),
  ];
}
