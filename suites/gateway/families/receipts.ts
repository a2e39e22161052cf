/**
 * Receipts (6.4.1.1, 7.1.2): in async-delivery the execution response reaches the partner's URL by POST,
 * UTF-8, with the ack's transaction-id, the configured credentials and the service's outputs; once after
 * an HTTP 200, again after anything else; never in async-oneway.
 */
import { percentDecode } from '../../../src/charset/latin1.ts';
import type { CheckContext, CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import type { Delivery } from '../../../src/listener/index.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  describeDelivery,
  dtdErrors,
  ensure,
  evidenceText,
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
      `no receipt carried the ack's transaction-id ${f.transactionId}; ${evidenceText(f.profile, f.evidence)} (see receipts.transaction-id.same)`,
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
      `no receipt carried the ack's transaction-id ${transactionId}; ${evidenceText(profile, evidence)} (see receipts.transaction-id.same)`,
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

/** The rule whose check the runner completes when the run ends (src/cli/run.ts, unmatchedDeliveries). */
export const UNMATCHED_RULE = 'deliveries.unmatched';

type Subject = { service: Service };

const sendsReceipts = ({ service }: Subject) =>
  service.modes.allowed.includes('async-delivery') && service.receipt !== 'none';
const MODE = () => 'async-delivery';
const skipOf = ({ service }: Subject) => notProvisioned(service);
const REQUEST = (t: Subject) =>
  `a valid async-delivery request to ${t.service.id}, answered 200 by the listener`;

/** A judge of the receipt that arrived for the subject's request (`any`: with or without a body). */
const onArrived =
  (body: (ctx: CheckContext, f: Arrived, t: Subject) => void, needs: 'any' | 'body' = 'body') =>
  async (ctx: CheckContext, t: Subject): Promise<void> =>
    body(ctx, await arrived(ctx, t.service, needs), t);

/** Deliveries that matched nothing the run did: judged at the end of the run, by the runner. */
const unmatchedRows: PlacedRow<Partial<Subject>>[] = [
  row<Partial<Subject>>({
    rule: UNMATCHED_RULE,
    stimulus: 'every request of the run; the listener keeps the deliveries that matched none of them',
    judge: async (ctx) => {
      // Only the end of the run can tell which deliveries matched nothing; the runner replaces this verdict
      // then. Run alone (the vitest wrapper), the check lists what is unmatched so far.
      const unmatched = listener ? await listener.unmatched() : [];
      if (!unmatched.length) ctx.skip('no delivery so far matched nothing the run did');
      ctx.inform(
        `${unmatched.length} deliver${unmatched.length === 1 ? 'y' : 'ies'} matched no request of the run so far`,
      );
    },
  }),
];

/** Whether a receipt comes, how (POST, the ack's transaction-id) and how it is made (6.4.1.1). */
const arrivalRows: PlacedRow<Subject>[] = [
  row<Subject>({
    rule: 'modes.async-oneway.no-receipt',
    appliesTo: ({ service }) => service.modes.allowed.includes('async-oneway') && service.receipt !== 'none',
    mode: () => 'async-oneway',
    stimulus: (t) => `a valid async-oneway request to ${t.service.id}; the listener waits for a receipt`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      const ack = await callApi(ctx, { service, mode: 'async-oneway', params: requestParams(service) });
      requireAccepted(ctx, ack, 'a valid async-oneway request');
      const tid = ack.read.transactionId;
      if (!tid)
        return ctx.cannotJudge(
          'the acknowledgement carries no transaction-id (envelope.transaction-id.on-accepted)',
        );
      const found = await waitDeliveries(ctx, { kind: 'receipt', key: tid, timeoutMs: timeouts.quietMs });
      ensure(ctx, !found.length, `a receipt for the async-oneway transaction ${tid} was delivered`);
    },
  }),
  row<Subject>({
    rule: 'modes.async-delivery.receipt',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the listener waits for its receipt`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      const f = await flow(ctx, service);
      if (f.receipt) return;
      if (f.evidence.length)
        ctx.cannotJudge(
          `a receipt may have come, but none carried the ack's transaction-id ${f.transactionId}; ${evidenceText(f.profile, f.evidence)} (see receipts.transaction-id.same)`,
        );
      ctx.fail(
        `no receipt with transaction-id ${f.transactionId} arrived within ${timeouts.receiptMs} ms; ${await whatArrived(f)}`,
      );
    },
  }),
  row<Subject>({
    rule: 'receipts.post',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the method of its receipt is read`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
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
  }),
  row<Subject>({
    rule: 'receipts.transaction-id.same',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the transaction-id of its receipt is compared with the ack's`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      const f = await flow(ctx, service);
      if (!f.receipt && f.evidence.length)
        ctx.fail(
          `no receipt carried the ack's transaction-id ${f.transactionId}; ${evidenceText(f.profile, f.evidence)}`,
        );
      const a = await arrived(ctx, service, 'any');
      // A receipt without a body was matched by the transaction-id of its query; receipts.post judges the GET.
      const carried = a.receipt.body.length ? a.reading.transactionId : a.receipt.key;
      ensure(
        ctx,
        carried === a.transactionId,
        `the receipt carries transaction-id ${carried}, the ack ${a.transactionId}`,
      );
    },
  }),
];

/** What the receipt carries: credentials, an mse-response in UTF-8, the request's profile, the outputs. */
const contentRows: PlacedRow<Subject>[] = [
  row<Subject>({
    rule: 'receipts.credentials.query',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) =>
      `${REQUEST(t)}; userid and pwd of its receipt's query are compared with listener.credentials`,
    skipReason: skipOf,
    judge: onArrived((ctx, f) => {
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
    }, 'any'),
  }),
  row<Subject>({
    rule: 'receipts.body.mse-response',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; its receipt's body is validated against the mse-response DTD`,
    skipReason: skipOf,
    judge: onArrived((ctx, f) => {
      const errors = dtdErrors(f.receipt.body);
      ensure(
        ctx,
        !errors.length,
        `the receipt body is not a valid mse-response: ${errors.slice(0, 3).join('; ')}`,
      );
    }),
  }),
  row<Subject>({
    rule: 'receipts.utf-8',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the encoding of its receipt's body is read`,
    skipReason: skipOf,
    judge: onArrived((ctx, f) => {
      const problem = utf8Problems(f.receipt.body);
      ensure(ctx, !problem, `the receipt body: ${problem}`);
    }),
  }),
  row<Subject>({
    rule: 'envelope.profile.echoes-request',
    variant: 'receipt',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the profile its receipt names is compared with the request's`,
    skipReason: skipOf,
    judge: onArrived((ctx, f) =>
      ensure(
        ctx,
        f.reading.profile === f.profile,
        `the receipt names profile "${f.reading.profile}", the request "${f.profile}"`,
      ),
    ),
  }),
  row<Subject>({
    rule: 'envelope.parameters.on-success',
    variant: 'receipt',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the parameters of its successful receipt are looked for`,
    skipReason: skipOf,
    judge: onArrived((ctx, f, { service }) => {
      if (!service.outputs.length) ctx.skip(`${service.id} defines no output parameters`);
      if (f.reading.statusCode !== '0')
        ctx.skip(
          `the receipt reports status-code ${f.reading.statusCode}; outputs are promised on success only`,
        );
      ensure(ctx, f.reading.parameters?.length, 'the successful receipt carries no parameters');
    }),
  }),
];

/** Once delivered (HTTP 200), a receipt comes once; answered otherwise, it was not delivered and comes again. */
const deliveryRows: PlacedRow<Subject>[] = [
  row<Subject>({
    rule: 'receipts.one-per-request',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; after its receipt, the listener waits for a second one`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
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
  }),
  row<Subject>({
    rule: 'receipts.success.http-200',
    variant: 'after-204',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) =>
      `two valid async-delivery requests to ${t.service.id}; the listener answers the first receipt of one 204, of the other 500, and waits for redeliveries`,
    skipReason: skipOf,
    timeoutMs: timeouts.redeliveryMs + timeouts.requestMs + 5_000,
    judge: async (ctx, { service }) => {
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
  }),
  row<Subject>({
    rule: 'receipts.redelivery',
    appliesTo: sendsReceipts,
    mode: MODE,
    stimulus: (t) =>
      `a valid async-delivery request to ${t.service.id}; the listener answers its first receipt 500`,
    skipReason: skipOf,
    timeoutMs: timeouts.redeliveryMs + timeouts.requestMs + 5_000,
    judge: async (ctx, { service }) => {
      // The first receipt is answered 500: it was not delivered (6.4.1.1), so it must come again.
      const { found } = await answerFirst(ctx, service, 500);
      ensure(
        ctx,
        found.length >= 2,
        `the receipt answered HTTP 500 was not delivered again within ${timeouts.redeliveryMs} ms`,
      );
    },
  }),
];

/** An output rule of the service (outputs.ts), judged on the parameters of a successful receipt. */
type Output = Subject & { judge: ReturnType<typeof outputJudges>[number] };

const outputRows: PlacedRow<Output>[] = [
  row<Output>({
    rule: (t) => t.judge.rule,
    mode: MODE,
    stimulus: (t) => `${REQUEST(t)}; the outputs of its successful receipt are read (${t.judge.rule})`,
    skipReason: skipOf,
    judge: async (ctx, t) => {
      const f = await arrived(ctx, t.service, 'body');
      if (f.reading.statusCode !== '0')
        ctx.skip(
          `the receipt reports status-code ${f.reading.statusCode}; outputs are promised on success only`,
        );
      const problem = t.judge.judge(f.reading.parameters ?? [], f.params);
      ensure(ctx, !problem, `in the receipt: ${problem}`);
    },
  }),
];

export function definitions(): CheckDefinition[] {
  const metaOf = (rule: string, o: MetaOptions) => meta(F, rule, o);
  const services = apiServices().map((service) => ({ service }));
  const outputs = services
    .filter(sendsReceipts)
    .flatMap((t) => outputJudges(t.service).map((judge) => ({ ...t, judge })));
  return [
    ...expandRows(metaOf, [{}], unmatchedRows),
    ...expandRows(metaOf, services, [...arrivalRows, ...contentRows, ...deliveryRows]),
    ...expandRows(metaOf, outputs, outputRows),
  ];
}
