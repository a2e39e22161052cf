/**
 * What a partner meets in real traffic: the same delivery twice (the MSE redelivers whatever was not answered
 * 200), parameters it does not know, a time budget, and, when the URL is provisioned with credentials,
 * deliveries with wrong ones. One check per endpoint for each.
 */

import type { CheckContext, CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row, type Subject } from '../../../src/checks/rows.ts';
import type { CheckMeta } from '../../../src/checks/types.ts';
import type { SendResult } from '../../../src/client/http.ts';
import {
  buildMmsMoRequest,
  buildUssdEvent,
  type DeliveryCredentials,
  type Pairs,
  type PartnerEndpoints,
  sendMmsMo,
  sendReceipt,
  sendSmsMo,
  sendUssdEvent,
} from '../../../src/partner/client.ts';
import {
  describeAnswer,
  expect200,
  meta,
  missingEndpoint,
  needTaken,
  type PartnerEnv,
  record,
  sampleOf,
  serviceById,
  transactionId,
} from '../harness.ts';
import { sampleMms } from './mo.ts';

interface Endpoint {
  key: keyof PartnerEndpoints;
  name: string;
  /** A fresh delivery (new transaction id) for this endpoint; `send` delivers it, with options. */
  delivery(): (options: { extraQuery?: Pairs; credentials?: DeliveryCredentials }) => Promise<SendResult>;
  /** Whether the document provides credentials for this endpoint (6.4.1.1 receipts, 6.4.5.1 SMS MO). */
  credentials: boolean;
  /** The rule that judges whether a plain delivery to this endpoint is taken. */
  rule: string;
  /** One sentence of the delivery, as the rows' stimuli begin. */
  what: string;
}

function endpoints(env: PartnerEnv): Endpoint[] {
  const timeoutMs = env.timeoutMs;
  type Options = { extraQuery?: Pairs; credentials?: DeliveryCredentials };
  const extra = (o: Options) => ({ ...(o.extraQuery ? { extraQuery: o.extraQuery } : {}), timeoutMs });
  // Receipts and SMS MOs carry the configured credentials unless the check gives others.
  const withCreds = (o: Options) => {
    const c = o.credentials ?? env.credentials;
    return { ...(c ? { credentials: c } : {}), ...extra(o) };
  };
  const sms = serviceById(env, 'DELIVERY_SMS');
  const mms = serviceById(env, 'DELIVERY_MMS');
  const ussd = serviceById(env, 'USSD_USER_REQUEST');
  const profile = env.run.config.profiles.SMS_TEXT?.profile ?? 'sms-text-profile';
  return [
    {
      key: 'receipts',
      rule: 'receipts.partner.answers-200',
      name: 'receipt',
      what: "an SMS_TEXT receipt (SMPP_MESSAGE_STATUS DELIVRD) POSTed to the partner's receipt URL",
      credentials: true,
      delivery: () => {
        const tid = transactionId();
        return (o) =>
          sendReceipt(
            env.endpoints.receipts!,
            {
              statusCode: 0,
              profile,
              transactionId: tid,
              parameters: [{ name: 'SMPP_MESSAGE_STATUS', value: 'DELIVRD' }],
            },
            withCreds(o),
          );
      },
    },
    {
      key: 'smsMo',
      rule: 'mo.partner.answers-200',
      name: 'sms-mo',
      what: "an SMS MO sent by GET to the partner's SMS MO URL",
      credentials: true,
      delivery: () => {
        const id = transactionId();
        return (o) =>
          sendSmsMo(
            env.endpoints.smsMo!,
            {
              text: 'Promoção válida até amanhã',
              id,
              anum: env.subscriber,
              bnum: sampleOf(env, sms, 'BNUM'),
            },
            withCreds(o),
          );
      },
    },
    {
      key: 'mmsMo',
      rule: 'partner.mms-mo.answer-200',
      name: 'mms-mo',
      what: "an MMS MO (a small multipart message: text, a GIF, SMIL) POSTed to the partner's MMS MO URL",
      credentials: false,
      delivery: () => {
        const bnum = sampleOf(env, mms, 'BNUM');
        const document = buildMmsMoRequest({
          msgId: `0000000000000000000${transactionId()}`,
          anum: env.subscriber,
          bnum,
          mms: sampleMms(env.subscriber, bnum),
        });
        return (o) => sendMmsMo(env.endpoints.mmsMo!, document, extra(o));
      },
    },
    {
      key: 'ussd',
      rule: 'partner.ussd.answer-200',
      name: 'ussd-event',
      what: "a USSD user_init event POSTed to the partner's USSD URL",
      credentials: false,
      delivery: () => {
        const document = buildUssdEvent({
          msisdn: env.subscriber,
          shortCode: sampleOf(env, ussd, 'short_code'),
          sessionOwner: sampleOf(env, ussd, 'session_owner'),
          response: ['user_init', '1'],
        });
        return (o) => sendUssdEvent(env.endpoints.ussd!, document, extra(o));
      },
    },
  ];
}

/** A wrong password: the configured one with something appended, so it is never equal to it. */
function wrongCredentials(c: DeliveryCredentials): DeliveryCredentials {
  return { ...c, pwd: `${c.pwd ?? ''}-wrong` };
}

/** One endpoint of the partner, with the run's environment. */
interface Target extends Subject {
  env: PartnerEnv;
  ep: Endpoint;
}

const go = async (ctx: CheckContext, env: PartnerEnv, label: string, send: () => Promise<SendResult>) =>
  record(ctx, env, label, await send());
const noEndpoint = ({ env, ep }: Target) => missingEndpoint(env, ep.key);

const rows: PlacedRow<Target>[] = [
  row<Target>({
    rule: 'partner.duplicate.answer-200',
    variant: (t) => t.ep.name,
    stimulus: (t) => `${t.ep.what}, then the same delivery (same transaction id) again (6.4.1.1)`,
    skipReason: noEndpoint,
    judge: async (ctx: CheckContext, { env, ep }: Target) => {
      const deliver = ep.delivery();
      const first = await go(ctx, env, `MSE → partner: ${ep.name}`, () => deliver({}));
      needTaken(ctx, first, `the first ${ep.name}`, ep.rule);
      const second = await go(ctx, env, `MSE → partner: the same ${ep.name} again`, () => deliver({}));
      ctx.check(
        second.status === 200,
        `the partner answered the same ${ep.name} delivered again with ${describeAnswer(second)}; a redelivery must be answered 200 again, or the MSE keeps delivering it`,
      );
    },
  }),
  row<Target>({
    rule: 'partner.extra-parameters.ignored',
    variant: (t) => t.ep.name,
    stimulus: (t) =>
      `${t.ep.what}, plain to compare, then another with MSEIMEI and X_MSE_CONFORMANCE, parameters the partner does not know, added to its query (6.4.14)`,
    skipReason: noEndpoint,
    judge: async (ctx: CheckContext, { env, ep }: Target) => {
      const plain = await go(ctx, env, `MSE → partner: ${ep.name} (plain, to compare)`, () =>
        ep.delivery()({}),
      );
      needTaken(ctx, plain, `a plain ${ep.name}`, ep.rule);
      const deliver = ep.delivery();
      const a = await go(
        ctx,
        env,
        `MSE → partner: ${ep.name} with parameters the partner does not know`,
        () =>
          deliver({
            extraQuery: [
              ['MSEIMEI', '352206012229520'],
              ['X_MSE_CONFORMANCE', 'extra'],
            ],
          }),
      );
      expect200(ctx, a, `${ep.name} with unknown extra parameters`);
    },
  }),
  row<Target>({
    rule: 'partner.answer.time-budget',
    variant: (t) => t.ep.name,
    stimulus: (t) =>
      `${t.ep.what}, its answer timed against the budget (config partner.answerBudgetMs) (6.4.1.1)`,
    skipReason: noEndpoint,
    judge: async (ctx: CheckContext, { env, ep }: Target) => {
      const deliver = ep.delivery();
      const a = await go(ctx, env, `MSE → partner: ${ep.name} (timed)`, () => deliver({}));
      // No answer within a request timeout at least as long as the budget is slowness: the probe found the
      // partner reachable. A refused connection, or a timeout shorter than the budget, says nothing of its pace.
      if (a.status === undefined && a.sent.error?.startsWith('timeout') && env.timeoutMs >= env.budgetMs)
        ctx.fail(
          `the partner did not answer a ${ep.name} within ${env.timeoutMs} ms (timeouts.requestMs): it is slow, not unreachable; the budget is ${env.budgetMs} ms (config partner.answerBudgetMs)`,
        );
      if (a.status === undefined)
        ctx.cannotJudge(
          `no answer to a ${ep.name} (${describeAnswer(a)}) within the request timeout of ${env.timeoutMs} ms`,
        );
      ctx.check(
        a.durationMs <= env.budgetMs,
        `the partner took ${Math.round(a.durationMs)} ms to answer a ${ep.name}; the budget is ${env.budgetMs} ms (config partner.answerBudgetMs)`,
      );
    },
  }),
];

/** Only where the document provides credentials for the endpoint. */
const securityRows: PlacedRow<Target>[] = [
  row<Target>({
    rule: 'partner.credentials.wrong-refused',
    variant: (t) => t.ep.name,
    appliesTo: (t) => t.ep.credentials,
    stimulus: (t) =>
      `${t.ep.what} with the configured credentials, then another with a wrong password (6.4.1.1)`,
    skipReason: (t) =>
      noEndpoint(t) ??
      (t.env.credentials
        ? undefined
        : 'no credentials in the config (partner.credentials): the partner URL is not provisioned with any'),
    judge: async (ctx: CheckContext, { env, ep }: Target) => {
      // The right credentials first: a partner that refuses every delivery says nothing about wrong ones.
      const right = await go(ctx, env, `MSE → partner: ${ep.name} with the configured credentials`, () =>
        ep.delivery()({}),
      );
      needTaken(ctx, right, `a ${ep.name} with the configured credentials`, ep.rule);
      const deliver = ep.delivery();
      const a = await go(ctx, env, `MSE → partner: ${ep.name} with a wrong password`, () =>
        deliver({ credentials: wrongCredentials(env.credentials!) }),
      );
      ctx.check(
        a.status !== undefined,
        `no answer to a ${ep.name} with wrong credentials: ${describeAnswer(a)}`,
      );
      ctx.check(
        a.status !== 200,
        `the partner answered a ${ep.name} with a wrong password with HTTP 200: it takes deliveries from anyone`,
      );
    },
  }),
];

export function definitions(env: PartnerEnv): CheckDefinition[] {
  const targets = endpoints(env).map((ep) => ({ env, ep }));
  const metaOf =
    (family: string) =>
    (rule: string, o: MetaOptions): CheckMeta =>
      meta(env, family, rule, o);
  return [
    ...expandRows(metaOf('robustness'), targets, rows),
    ...expandRows(metaOf('security'), targets, securityRows),
  ];
}
