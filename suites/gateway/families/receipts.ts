/**
 * Receipts (6.4.1.1, 7.1.2): in async-delivery the execution response reaches the partner's URL by POST,
 * UTF-8, with the ack's transaction-id, the configured credentials and the service's outputs; once after
 * an HTTP 200, again after anything else; never in async-oneway.
 */
import { percentDecode } from '../../../src/charset/latin1.ts';
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import type { Delivery } from '../../../src/listener/index.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  define,
  describeDelivery,
  dtdErrors,
  ensure,
  listener,
  meta,
  notProvisioned,
  type Pairs,
  profileOf,
  type Reading,
  type Recorder,
  readMse,
  requireAccepted,
  run,
  sampleValue,
  shared,
  timeouts,
  utf8Problems,
  validParams,
  waitDeliveries,
  waitReceipts,
  withParam,
} from '../harness.ts';
import { echoedInputs, outputJudges } from './outputs.ts';

const F = 'receipts';

interface Flow {
  params: Pairs;
  transactionId: string;
  profile: string;
  /** Epoch ms just before the request was sent. */
  sinceAt: number;
  receipt?: Delivery;
  reading?: Reading;
  /** Receipts of the profile that carry no transaction id the run knows (by GET without one, or a new one). */
  evidence: Delivery[];
}

type Arrived = Flow & { receipt: Delivery; reading: Reading };

function requestParams(service: Service): Pairs {
  let params = validParams(service);
  for (const name of echoedInputs(service)) params = withParam(params, name, sampleValue(service, name));
  return params;
}

/** Sends an async-delivery request and returns its transaction id (the ack must accept it). */
async function sendDelivery(
  rec: Recorder,
  service: Service,
  params: Pairs,
): Promise<{ transactionId: string; profile: string }> {
  const ack = await callApi(rec, { service, mode: 'async-delivery', params });
  requireAccepted(rec, ack, 'a valid async-delivery request');
  if (!ack.read.transactionId)
    return rec.cannotJudge(
      'the acknowledgement carries no transaction-id (envelope.transaction-id.on-accepted), so no receipt can be matched to it',
    );
  return { transactionId: ack.read.transactionId, profile: ack.profile ?? '' };
}

function flow(ctx: Recorder, service: Service): Promise<Flow> {
  return shared(ctx, `receipt:${service.id}`, async (rec) => {
    const params = requestParams(service);
    const sinceAt = Date.now();
    const { transactionId, profile } = await sendDelivery(rec, service, params);
    const {
      found: [receipt],
      evidence,
    } = await waitReceipts(rec, { key: transactionId, profile, sinceAt, timeoutMs: timeouts.receiptMs });
    const f: Flow = { params, transactionId, profile, sinceAt, evidence };
    if (receipt) {
      f.receipt = receipt;
      f.reading = readMse(receipt.body);
    }
    return f;
  });
}

/** What the profile's receipts that no check could match looked like, in a sentence. */
function evidenceText(f: Flow): string {
  const shown = f.evidence.slice(0, 3).map(describeDelivery).join('; ');
  const more = f.evidence.length > 3 ? ` and ${f.evidence.length - 3} more` : '';
  return `receipts of profile ${f.profile} came ${shown}${more}`;
}

/** What did arrive at the listener after the request, when no receipt for it did. */
async function whatArrived(f: Flow): Promise<string> {
  const others = listener
    ? (await listener.deliveries()).filter(
        (d) =>
          d.at >= f.sinceAt &&
          (d.kind === 'other' || d.kind === 'receipt') &&
          (d.profile === f.profile || d.profile === undefined),
      )
    : [];
  if (!others.length) return 'nothing else arrived at the listener for this profile';
  const shown = others
    .slice(0, 3)
    .map((d) => `a ${d.kind === 'other' ? 'delivery' : 'receipt'} ${describeDelivery(d)}`);
  return `what did arrive: ${shown.join('; ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`;
}

/**
 * The flow's receipt, for a check that judges it. When none carried the ack's transaction-id, the check cannot
 * judge: what did arrive is said, and the checks of the rules it departs from fail (modes.async-delivery.receipt
 * when nothing came, receipts.transaction-id.same when receipts came with other ids). `body`: the check reads
 * the receipt's body, which a receipt by GET does not have (receipts.post judges the method).
 */
async function arrived(
  ctx: CheckContext,
  service: Service,
  needs: 'any' | 'body' = 'body',
): Promise<Arrived> {
  const f = await flow(ctx, service);
  if (f.receipt && f.reading) {
    if (needs === 'body' && !f.receipt.body.length)
      ctx.cannotJudge(
        `the receipt for ${f.transactionId} came ${describeDelivery(f.receipt)}: there is no body to judge (see receipts.post)`,
      );
    return f as Arrived;
  }
  if (f.evidence.length)
    ctx.cannotJudge(
      `no receipt carried the ack's transaction-id ${f.transactionId}; ${evidenceText(f)} (see receipts.transaction-id.same)`,
    );
  ctx.cannotJudge(
    `no receipt for transaction ${f.transactionId} arrived within ${timeouts.receiptMs} ms (see modes.async-delivery.receipt)`,
  );
}

function queryParam(raw: string, name: string): string | undefined {
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key === name) return percentDecode(eq < 0 ? '' : part.slice(eq + 1), 'UTF-8');
  }
  return undefined;
}

/**
 * Sends an async-delivery request and answers its first receipt with `status` (a hold on the profile's
 * receipts covers the time until the ack names the transaction); resolves with the receipts of that
 * transaction seen within the redelivery budget.
 */
async function answerFirst(
  ctx: CheckContext,
  service: Service,
  status: number,
): Promise<{ transactionId: string; found: Delivery[] }> {
  const l = listener;
  if (!l) return ctx.skip('the run has no listener');
  const holdId = await l.hold({
    kind: 'receipt',
    contains: `<profile>${profileOf(service)?.profile}</profile>`,
  });
  let transactionId: string;
  let profile: string;
  const sinceAt = Date.now();
  try {
    ({ transactionId, profile } = await sendDelivery(ctx, service, requestParams(service)));
  } catch (error) {
    await l.release({ holdId });
    throw error;
  }
  // The wait is asked for before the hold lets the receipt go, so its key is known when the receipt comes.
  const started = Date.now();
  const waiting = waitReceipts(ctx, {
    key: transactionId,
    profile,
    sinceAt,
    timeoutMs: timeouts.redeliveryMs,
  });
  await l.release({ holdId, key: transactionId, status, times: 1 });
  const { found: first, evidence } = await waiting;
  if (!first.length && evidence.length)
    ctx.cannotJudge(
      `no receipt carried the ack's transaction-id ${transactionId}; ${evidenceText({ profile, evidence } as Flow)} (see receipts.transaction-id.same)`,
    );
  if (!first.length)
    ctx.cannotJudge(
      `no receipt for transaction ${transactionId} arrived within ${timeouts.redeliveryMs} ms (see modes.async-delivery.receipt)`,
    );
  // A receipt the hold did not catch (it came before the hold, or without the body the hold looks into) was
  // answered 200: nothing is to be redelivered, and waiting for a second one would only wait out the budget.
  if (first[0]!.answered === 200) ctx.skip('the receipt arrived before the suite could arrange its answer');
  const found = await waitDeliveries(ctx, {
    kind: 'receipt',
    key: transactionId,
    count: 2,
    timeoutMs: Math.max(0, timeouts.redeliveryMs - (Date.now() - started)),
  });
  return { transactionId, found };
}

/** The rule whose check the runner completes when the run ends (src/runner/cli.ts, unmatchedDeliveries). */
export const UNMATCHED_RULE = 'deliveries.unmatched';

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [
    define(meta(F, UNMATCHED_RULE), async (ctx) => {
      // Only the end of the run can tell which deliveries matched nothing; the runner replaces this verdict
      // then. Run alone (the vitest wrapper), the check lists what is unmatched so far.
      const unmatched = listener ? await listener.unmatched() : [];
      if (!unmatched.length) ctx.skip('no delivery so far matched nothing the run did');
      ctx.inform(
        `${unmatched.length} deliver${unmatched.length === 1 ? 'y' : 'ies'} matched no request of the run so far`,
      );
    }),
  ];
  for (const service of apiServices()) {
    const skipReason = notProvisioned(service);
    const o = { skipReason };
    const mode = 'async-delivery';
    if (service.modes.allowed.includes('async-oneway') && service.receipt !== 'none')
      defs.push(
        define(
          meta(F, 'modes.async-oneway.no-receipt', { service, mode: 'async-oneway' }),
          async (ctx) => {
            const ack = await callApi(ctx, { service, mode: 'async-oneway', params: requestParams(service) });
            requireAccepted(ctx, ack, 'a valid async-oneway request');
            if (!ack.read.transactionId)
              return ctx.cannotJudge(
                'the acknowledgement carries no transaction-id (envelope.transaction-id.on-accepted)',
              );
            const found = await waitDeliveries(ctx, {
              kind: 'receipt',
              key: ack.read.transactionId,
              timeoutMs: timeouts.quietMs,
            });
            ensure(
              ctx,
              !found.length,
              `a receipt for the async-oneway transaction ${ack.read.transactionId} was delivered`,
            );
          },
          o,
        ),
      );
    if (!service.modes.allowed.includes(mode) || service.receipt === 'none') continue;
    const add = (
      rule: string,
      body: (ctx: Recorder, f: Arrived) => void,
      variant?: string,
      needs: 'any' | 'body' = 'body',
    ) =>
      defs.push(
        define(
          meta(F, rule, { service, mode, ...(variant ? { variant } : {}) }),
          async (ctx) => body(ctx, await arrived(ctx, service, needs)),
          o,
        ),
      );
    defs.push(
      define(
        meta(F, 'modes.async-delivery.receipt', { service, mode }),
        async (ctx) => {
          const f = await flow(ctx, service);
          if (f.receipt) return;
          if (f.evidence.length)
            ctx.cannotJudge(
              `a receipt may have come, but none carried the ack's transaction-id ${f.transactionId}; ${evidenceText(f)} (see receipts.transaction-id.same)`,
            );
          ctx.fail(
            `no receipt with transaction-id ${f.transactionId} arrived within ${timeouts.receiptMs} ms; ${await whatArrived(f)}`,
          );
        },
        o,
      ),
      define(
        meta(F, 'receipts.post', { service, mode }),
        async (ctx) => {
          const f = await flow(ctx, service);
          if (f.receipt)
            ensure(
              ctx,
              f.receipt.method === 'POST',
              `the receipt for ${f.transactionId} came ${describeDelivery(f.receipt)}, not by POST`,
            );
          else if (f.evidence.length) {
            const wrong = f.evidence.find((d) => d.method !== 'POST');
            ensure(
              ctx,
              !wrong,
              `a receipt of profile ${f.profile} came ${wrong && describeDelivery(wrong)}, not by POST`,
            );
          } else
            ctx.cannotJudge(
              `no receipt for transaction ${f.transactionId} arrived within ${timeouts.receiptMs} ms (see modes.async-delivery.receipt)`,
            );
        },
        o,
      ),
      define(
        meta(F, 'receipts.transaction-id.same', { service, mode }),
        async (ctx) => {
          const f = await flow(ctx, service);
          if (!f.receipt && f.evidence.length)
            ctx.fail(`no receipt carried the ack's transaction-id ${f.transactionId}; ${evidenceText(f)}`);
          const a = await arrived(ctx, service, 'any');
          // A receipt without a body was matched by the transaction-id of its query; receipts.post judges the GET.
          const carried = a.receipt.body.length ? a.reading.transactionId : a.receipt.key;
          ensure(
            ctx,
            carried === a.transactionId,
            `the receipt carries transaction-id ${carried}, the ack ${a.transactionId}`,
          );
        },
        o,
      ),
    );
    add(
      'receipts.credentials.query',
      (ctx, f) => {
        const creds = run.config.listener.credentials;
        if (!creds?.userid && !creds?.pwd)
          ctx.skip('no delivery credentials in the config (listener.credentials)');
        const userid = queryParam(f.receipt.rawQuery, 'userid');
        const pwd = queryParam(f.receipt.rawQuery, 'pwd');
        ensure(
          ctx,
          userid === creds?.userid,
          `the receipt's userid is ${userid === undefined ? 'missing' : `"${userid}"`}, expected "${creds?.userid}"`,
        );
        ensure(
          ctx,
          pwd === creds?.pwd,
          `the receipt's pwd is ${pwd === undefined ? 'missing' : 'not the configured one'}`,
        );
      },
      undefined,
      'any',
    );
    add('receipts.body.mse-response', (ctx, f) => {
      const errors = dtdErrors(f.receipt.body);
      ensure(
        ctx,
        !errors.length,
        `the receipt body is not a valid mse-response: ${errors.slice(0, 3).join('; ')}`,
      );
    });
    add('receipts.utf-8', (ctx, f) => {
      const problem = utf8Problems(f.receipt.body);
      ensure(ctx, !problem, `the receipt body: ${problem}`);
    });
    add(
      'envelope.profile.echoes-request',
      (ctx, f) =>
        ensure(
          ctx,
          f.reading.profile === f.profile,
          `the receipt names profile "${f.reading.profile}", the request "${f.profile}"`,
        ),
      'receipt',
    );
    add(
      'envelope.parameters.on-success',
      (ctx, f) => {
        if (!service.outputs.length) ctx.skip(`${service.id} defines no output parameters`);
        if (f.reading.statusCode !== '0')
          ctx.skip(
            `the receipt reports status-code ${f.reading.statusCode}; outputs are promised on success only`,
          );
        ensure(ctx, f.reading.parameters?.length, 'the successful receipt carries no parameters');
      },
      'receipt',
    );
    for (const j of outputJudges(service))
      add(j.rule, (ctx, f) => {
        if (f.reading.statusCode !== '0')
          ctx.skip(
            `the receipt reports status-code ${f.reading.statusCode}; outputs are promised on success only`,
          );
        const problem = j.judge(f.reading.parameters ?? [], f.params);
        ensure(ctx, !problem, `in the receipt: ${problem}`);
      });
    defs.push(
      define(
        meta(F, 'receipts.one-per-request', { service, mode }),
        async (ctx) => {
          const f = await arrived(ctx, service, 'any');
          const all = await waitDeliveries(ctx, {
            kind: 'receipt',
            key: f.transactionId,
            count: 2,
            timeoutMs: timeouts.quietMs,
          });
          ensure(
            ctx,
            all.length === 1,
            `${all.length} receipts arrived for transaction ${f.transactionId} after the first was answered HTTP 200`,
          );
        },
        o,
      ),
      define(
        meta(F, 'receipts.success.http-200', { service, mode, variant: 'after-204' }),
        async (ctx) => {
          // 204 is not 200: the receipt was not delivered. Judged against the same target's answer to a 500, so
          // that a target that never redelivers is left to receipts.redelivery (SHOULD), not failed here.
          const [after204, after500] = await Promise.all([
            answerFirst(ctx, service, 204),
            answerFirst(ctx, service, 500),
          ]);
          if (after204.found.length >= 2) return;
          if (after500.found.length < 2)
            ctx.skip(
              'the target redelivers after no non-200 answer at all (see receipts.redelivery), so 204 cannot be told apart',
            );
          ctx.fail(
            `the receipt answered 204 was not delivered again, but the one answered 500 was: the target took 204 for a delivery`,
          );
        },
        { ...o, timeoutMs: timeouts.redeliveryMs + timeouts.requestMs + 5_000 },
      ),
      define(
        meta(F, 'receipts.redelivery', { service, mode }),
        async (ctx) => {
          // The first receipt is answered 500: it was not delivered (6.4.1.1), so it must come again.
          const { found } = await answerFirst(ctx, service, 500);
          ensure(
            ctx,
            found.length >= 2,
            `the receipt answered HTTP 500 was not delivered again within ${timeouts.redeliveryMs} ms`,
          );
        },
        { ...o, timeoutMs: timeouts.redeliveryMs + timeouts.requestMs + 5_000 },
      ),
    );
  }
  return defs;
}
