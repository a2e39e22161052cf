/**
 * Receipts (6.4.1.1, 7.1.2): in async-delivery the execution response reaches the partner's URL by POST,
 * UTF-8, with the ack's transaction-id, the configured credentials and the service's outputs; once after
 * an HTTP 200, again after anything else; never in async-oneway.
 */
import { percentDecode } from '../../../src/charset/latin1.ts';
import type { Delivery } from '../../../src/listener/index.ts';
import type { CheckDefinition } from '../../../src/runner/register.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  define,
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
  withParam,
} from '../harness.ts';
import { echoedInputs, outputJudges } from './outputs.ts';

const F = 'receipts';

interface Flow {
  params: Pairs;
  transactionId: string;
  profile: string;
  receipt?: Delivery;
  reading?: Reading;
}

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
    const { transactionId, profile } = await sendDelivery(rec, service, params);
    const [receipt] = await waitDeliveries(rec, {
      kind: 'receipt',
      key: transactionId,
      timeoutMs: timeouts.receiptMs,
    });
    const f: Flow = { params, transactionId, profile };
    if (receipt) {
      f.receipt = receipt;
      f.reading = readMse(receipt.body);
    }
    return f;
  });
}

async function arrived(
  ctx: Recorder,
  service: Service,
): Promise<Flow & { receipt: Delivery; reading: Reading }> {
  const f = await flow(ctx, service);
  if (!f.receipt || !f.reading) {
    const others = listener
      ? (await listener.deliveries()).filter(
          (d) => d.kind === 'receipt' && d.body.includes(`<profile>${f.profile}</profile>`),
        )
      : [];
    ctx.fail(
      `no receipt with transaction-id ${f.transactionId} arrived within ${timeouts.receiptMs} ms${
        others.length
          ? ` (receipts of profile ${f.profile} came with transaction ids ${others.map((d) => d.key ?? 'none').join(', ')})`
          : ''
      }`,
    );
  }
  return f as Flow & { receipt: Delivery; reading: Reading };
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
  ctx: Recorder,
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
  try {
    ({ transactionId } = await sendDelivery(ctx, service, requestParams(service)));
  } catch (error) {
    await l.release({ holdId });
    throw error;
  }
  await l.release({ holdId, key: transactionId, status, times: 1 });
  const found = await waitDeliveries(ctx, {
    kind: 'receipt',
    key: transactionId,
    count: 2,
    timeoutMs: timeouts.redeliveryMs,
  });
  if (found[0] && found[0].answered === 200)
    ctx.skip('the receipt arrived before the suite could arrange its answer');
  if (!found.length) ctx.fail(`no receipt arrived for transaction ${transactionId}`);
  return { transactionId, found };
}

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
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
      body: (ctx: Recorder, f: Flow & { receipt: Delivery; reading: Reading }) => void,
      variant?: string,
    ) =>
      defs.push(
        define(
          meta(F, rule, { service, mode, ...(variant ? { variant } : {}) }),
          async (ctx) => body(ctx, await arrived(ctx, service)),
          o,
        ),
      );
    add('modes.async-delivery.receipt', () => {});
    add('receipts.post', (ctx, f) =>
      ensure(ctx, f.receipt.method === 'POST', `the receipt came by ${f.receipt.method}, not POST`),
    );
    add('receipts.credentials.query', (ctx, f) => {
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
    });
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
    add('receipts.transaction-id.same', (ctx, f) =>
      ensure(
        ctx,
        f.reading.transactionId === f.transactionId,
        `the receipt carries transaction-id ${f.reading.transactionId}, the ack ${f.transactionId}`,
      ),
    );
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
          const f = await arrived(ctx, service);
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
