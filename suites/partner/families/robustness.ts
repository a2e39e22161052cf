/**
 * What a partner meets in real traffic: the same delivery twice (the MSE redelivers whatever was not answered
 * 200), parameters it does not know, a time budget, and, when the URL is provisioned with credentials,
 * deliveries with wrong ones. One check per endpoint for each.
 */

import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
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
  type Answer,
  define,
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
}

function endpoints(env: PartnerEnv): Endpoint[] {
  const timeoutMs = env.timeoutMs;
  const creds = (c: DeliveryCredentials | undefined) => (c ? { credentials: c } : {});
  const sms = serviceById(env, 'DELIVERY_SMS');
  const mms = serviceById(env, 'DELIVERY_MMS');
  const ussd = serviceById(env, 'USSD_USER_REQUEST');
  const profile = env.run.config.profiles.SMS_TEXT?.profile ?? 'sms-text-profile';
  return [
    {
      key: 'receipts',
      rule: 'receipts.partner.answers-200',
      name: 'receipt',
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
            {
              ...creds(o.credentials ?? env.credentials),
              ...(o.extraQuery ? { extraQuery: o.extraQuery } : {}),
              timeoutMs,
            },
          );
      },
    },
    {
      key: 'smsMo',
      rule: 'mo.partner.answers-200',
      name: 'sms-mo',
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
            {
              ...creds(o.credentials ?? env.credentials),
              ...(o.extraQuery ? { extraQuery: o.extraQuery } : {}),
              timeoutMs,
            },
          );
      },
    },
    {
      key: 'mmsMo',
      rule: 'partner.mms-mo.answer-200',
      name: 'mms-mo',
      credentials: false,
      delivery: () => {
        const bnum = sampleOf(env, mms, 'BNUM');
        const document = buildMmsMoRequest({
          msgId: `0000000000000000000${transactionId()}`,
          anum: env.subscriber,
          bnum,
          mms: sampleMms(env.subscriber, bnum),
        });
        return (o) =>
          sendMmsMo(env.endpoints.mmsMo!, document, {
            ...(o.extraQuery ? { extraQuery: o.extraQuery } : {}),
            timeoutMs,
          });
      },
    },
    {
      key: 'ussd',
      rule: 'partner.ussd.answer-200',
      name: 'ussd-event',
      credentials: false,
      delivery: () => {
        const document = buildUssdEvent({
          msisdn: env.subscriber,
          shortCode: sampleOf(env, ussd, 'short_code'),
          sessionOwner: sampleOf(env, ussd, 'session_owner'),
          response: ['user_init', '1'],
        });
        return (o) =>
          sendUssdEvent(env.endpoints.ussd!, document, {
            ...(o.extraQuery ? { extraQuery: o.extraQuery } : {}),
            timeoutMs,
          });
      },
    },
  ];
}

/** A wrong password: the configured one with something appended, so it is never equal to it. */
function wrongCredentials(c: DeliveryCredentials): DeliveryCredentials {
  return { ...c, pwd: `${c.pwd ?? ''}-wrong` };
}

export function definitions(env: PartnerEnv): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const ep of endpoints(env)) {
    const skip = missingEndpoint(env, ep.key);
    const go = async (ctx: CheckContext, label: string, send: () => Promise<SendResult>): Promise<Answer> =>
      record(ctx, env, label, await send());

    defs.push(
      define(
        meta(env, 'robustness', 'partner.duplicate.answer-200', { variant: ep.name }),
        async (ctx: CheckContext) => {
          const deliver = ep.delivery();
          const first = await go(ctx, `MSE → partner: ${ep.name}`, () => deliver({}));
          needTaken(ctx, first, `the first ${ep.name}`, ep.rule);
          const second = await go(ctx, `MSE → partner: the same ${ep.name} again`, () => deliver({}));
          ctx.check(
            second.status === 200,
            `the partner answered the same ${ep.name} delivered again with ${describeAnswer(second)}; a redelivery must be answered 200 again, or the MSE keeps delivering it`,
          );
        },
        skip,
      ),
      define(
        meta(env, 'robustness', 'partner.extra-parameters.ignored', { variant: ep.name }),
        async (ctx: CheckContext) => {
          const plain = await go(ctx, `MSE → partner: ${ep.name} (plain, to compare)`, () =>
            ep.delivery()({}),
          );
          needTaken(ctx, plain, `a plain ${ep.name}`, ep.rule);
          const deliver = ep.delivery();
          const a = await go(ctx, `MSE → partner: ${ep.name} with parameters the partner does not know`, () =>
            deliver({
              extraQuery: [
                ['MSEIMEI', '352206012229520'],
                ['X_MSE_CONFORMANCE', 'extra'],
              ],
            }),
          );
          expect200(ctx, a, `${ep.name} with unknown extra parameters`);
        },
        skip,
      ),
      define(
        meta(env, 'robustness', 'partner.answer.time-budget', { variant: ep.name }),
        async (ctx: CheckContext) => {
          const deliver = ep.delivery();
          const a = await go(ctx, `MSE → partner: ${ep.name} (timed)`, () => deliver({}));
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
        skip,
      ),
    );

    if (!ep.credentials) continue;
    const credentials = env.credentials;
    defs.push(
      define(
        meta(env, 'security', 'partner.credentials.wrong-refused', { variant: ep.name }),
        async (ctx: CheckContext) => {
          // The right credentials first: a partner that refuses every delivery says nothing about wrong ones.
          const right = await go(ctx, `MSE → partner: ${ep.name} with the configured credentials`, () =>
            ep.delivery()({}),
          );
          needTaken(ctx, right, `a ${ep.name} with the configured credentials`, ep.rule);
          const deliver = ep.delivery();
          const a = await go(ctx, `MSE → partner: ${ep.name} with a wrong password`, () =>
            deliver({ credentials: wrongCredentials(credentials!) }),
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
        skip ??
          (credentials
            ? undefined
            : 'no credentials in the config (partner.credentials): the partner URL is not provisioned with any'),
      ),
    );
  }
  return defs;
}
