/**
 * Refusals and failures (6.3, 6.4, 6.5.2): what a gateway answers when a request cannot be executed.
 * - The failures of a service entry: those a configured subscriber provokes (scenarios), answered in the
 *   execution response of the mode (the receipt, for async-delivery), and those a request provokes (the entry's
 *   stimulus: an input left out or set to a bad value), answered at once.
 * - A request the service cannot take: without its parameters, with another service's, or beyond a payload limit.
 * - What status-code 0 promises: a refused request is not executed (no receipt), and a service with no outputs
 *   answers its executions without parameters.
 */

import { type ScenarioConfig, type ScenarioName, scenarioOf } from '../../../src/checks/config.ts';
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import type { Delivery } from '../../../src/listener/index.ts';
import { failureRuleId } from '../../../src/spec/catalogue.ts';
import { queryInputs } from '../../../src/spec/judge.ts';
import type { Service } from '../../../src/spec/types.ts';
import { runAction } from '../../../src/triggers/index.ts';
import {
  type Answer,
  apiServices,
  callApi,
  callRaw,
  ensure,
  evidenceText,
  expectAccepted,
  listener,
  meta,
  notProvisioned,
  type Pairs,
  preferredMode,
  profileOf,
  type Reading,
  type Recorder,
  readMse,
  receiptOfAck,
  run,
  shared,
  spec,
  subscriber,
  timeouts,
  token,
  ussdCommandServices,
  validParams,
  waitDeliveries,
  withParam,
} from '../harness.ts';
import { injectAndWait, noTrigger, shortNumberOf } from './mo.ts';
import { ussdBody } from './ussd.ts';

const F = 'failures';

/** Which config scenario provokes a status-code (status-codes.yaml gives the codes' meaning). */
const SCENARIO_OF: Record<number, ScenarioName> = { 110: 'silentHandset', 19: 'unknownSubscriber' };

/** Why the scenario cannot provoke the failure on this service, or undefined when it can. */
function scenarioGap(name: ScenarioName, s: ScenarioConfig | undefined, service: Service, code: number) {
  if (!s)
    return `no scenarios.${name} in the config: the suite cannot provoke status-code ${code} (give a number, a profile or a switch)`;
  if (!s.number && !s.before && !s.profiles?.[service.id])
    return `scenarios.${name}.profiles has no ${service.id} entry in the config: the suite cannot provoke status-code ${code} on it`;
  return undefined;
}

/**
 * The request made under the scenario (its number in every phone-number input, its profile, its switch on),
 * and what came of it. The switch is undone whatever happens; a switch that fails is a skip, not a failure.
 */
async function provoke(
  ctx: Recorder,
  service: Service,
  name: ScenarioName,
  scenario: ScenarioConfig,
): Promise<{ reading: Reading; where: string }> {
  return shared(ctx, `failure:${service.id}:${name}`, async (rec) => {
    const number = scenario.number ?? subscriber();
    let params = validParams(service);
    for (const input of queryInputs(service))
      if (input.format === 'msisdn10' && params.some(([n]) => n === input.name))
        params = withParam(params, input.name, number);
    const mode = preferredMode(service, ['sync', 'async-delivery']);
    if (!mode)
      return rec.skip(`${service.id} has no mode whose outcome the partner sees (sync or async-delivery)`);
    const values = { scenario: name, service: service.id, number };
    const o = { secrets: run.secrets, record: (e: Parameters<Recorder['record']>[0]) => rec.record(e) };
    if (scenario.before) {
      const problem = await runAction(scenario.before, values, o, `suite → scenario switch ${name} on`);
      if (problem)
        return rec.skip(
          `the switch that turns scenarios.${name} on (in the config) did not succeed: ${problem}`,
        );
    }
    try {
      return await execute(rec, service, mode, params, number, scenario.profiles?.[service.id]);
    } finally {
      // An http switch's exchange is recorded on the check, so a failed "off" shows in the report.
      if (scenario.after) await runAction(scenario.after, values, o, `suite → scenario switch ${name} off`);
    }
  });
}

/** One request in the scenario, and its execution response (the sync answer, or the receipt). */
async function execute(
  rec: Recorder,
  service: Service,
  mode: 'sync' | 'async-delivery' | 'async-oneway',
  params: ReturnType<typeof validParams>,
  number: string,
  entry: Parameters<typeof callApi>[1]['entry'],
): Promise<{ reading: Reading; where: string }> {
  const a: Answer = await callApi(rec, { service, mode, params, ...(entry ? { entry } : {}) });
  if (mode === 'sync') return { reading: a.read, where: 'the sync response' };
  // The request is valid: the failure comes with the execution, in the receipt (6.4.1.1).
  expectAccepted(rec, a, `a valid async-delivery request for ${number}`);
  const tid = a.read.transactionId;
  if (!tid) return rec.fail('the acknowledgement carries no transaction-id, so no receipt can be matched');
  const reading = await receiptOf(rec, a, tid, timeouts.receiptMs);
  if (!reading)
    return rec.cannotJudge(
      `no receipt with transaction-id ${tid} arrived within ${timeouts.receiptMs} ms, so the execution's outcome is unknown (see modes.async-delivery.receipt)`,
    );
  return { reading, where: 'the receipt' };
}

/** What an answer is, in a few words, for messages. */
function describe(r: Reading): string {
  if (r.xmlError) return `a body that is not readable XML (${r.xmlError})`;
  if (r.statusCode === undefined) return 'an answer without status-code';
  return `status-code ${r.statusCode}${r.errorMessage ? ` ("${r.errorMessage}")` : ''}`;
}

/** The answer did not reach a status-code: whether the request was refused is another rule's question. */
function needStatus(ctx: CheckContext, a: Answer, what: string): string {
  if (a.sent.error) return ctx.cannotJudge(`${what}: no answer (${a.sent.error})`);
  if (a.read.statusCode === undefined) return ctx.cannotJudge(`${what}: ${describe(a.read)}`);
  return a.read.statusCode;
}

/** Another API service whose valid parameters leave out a required input of `service`. */
function foreignParams(service: Service): { other: Service; params: Pairs } | undefined {
  const required = queryInputs(service)
    .filter((i) => i.required)
    .map((i) => i.name);
  for (const other of apiServices()) {
    if (other.id === service.id) continue;
    const params = validParams(other);
    if (required.some((name) => !params.some(([n]) => n === name))) return { other, params };
  }
  return undefined;
}

type Subject = { service: Service };

const rowsOf = <T extends Subject>(subjects: readonly T[], rows: readonly PlacedRow<T>[]) =>
  expandRows((rule, o) => meta(F, rule, o), subjects, rows);
type Failure = NonNullable<Service['failures']>[number];

/** A failure of a service entry that a request provokes (the entry's stimulus: an input left out or bad). */
interface Provoked extends Subject {
  failure: Failure;
  stimulus: NonNullable<Failure['stimulus']>;
  code: string;
  /** The request, in a few words: `with msisdn=123`, `without text`. */
  what: string;
}

const provokedSubjects = (): Provoked[] =>
  apiServices().flatMap((service) =>
    (service.failures ?? []).flatMap((failure) => {
      const stimulus = failure.stimulus;
      if (!stimulus) return [];
      const what =
        stimulus.value === undefined
          ? `without ${stimulus.input}`
          : `with ${stimulus.input}=${stimulus.value}`;
      return [{ service, failure, stimulus, code: String(failure.statusCode), what }];
    }),
  );

/** The provoking request, sent once and judged by both rows. */
const provokedAnswer = (ctx: CheckContext, t: Provoked) =>
  shared(ctx, `provoked:${t.service.id}:${t.failure.statusCode}`, (rec) =>
    callApi(rec, {
      service: t.service,
      mode: preferredMode(t.service, ['sync', 'async-delivery', 'async-oneway']),
      params: withParam(validParams(t.service), t.stimulus.input, t.stimulus.value),
    }),
  );

/**
 * Failures a request provokes, judged on the immediate answer: its status-code, and an error-message that
 * names what was wrong (the value, when the stimulus sets one; else the parameter).
 */
const provokedRows: PlacedRow<Provoked>[] = [
  row<Provoked>({
    rule: (t) => failureRuleId(t.service, t.failure.statusCode),
    variant: 'status-code',
    stimulus: (t) =>
      `a ${t.service.id} request ${t.what}, made to fail as the document shows (${t.failure.when})`,
    skipReason: (t) => notProvisioned(t.service),
    judge: async (ctx, t) => {
      const a = await provokedAnswer(ctx, t);
      const got = needStatus(ctx, a, `a ${t.service.id} request ${t.what}`);
      ensure(
        ctx,
        got === t.code,
        `a ${t.service.id} request ${t.what} was answered ${describe(a.read)}, expected status-code ${t.code}`,
      );
    },
  }),
  row<Provoked>({
    rule: (t) => failureRuleId(t.service, t.failure.statusCode),
    variant: 'error-message',
    stimulus: (t) => `a ${t.service.id} request ${t.what}; the refusal's error-message is read`,
    skipReason: (t) => notProvisioned(t.service),
    judge: async (ctx, t) => {
      const a = await provokedAnswer(ctx, t);
      const got = needStatus(ctx, a, `a ${t.service.id} request ${t.what}`);
      if (got === '0')
        return ctx.cannotJudge(
          `a ${t.service.id} request ${t.what} was accepted: there is no failure to describe`,
        );
      const message = a.read.errorMessage;
      // Carrying an error-message at all is envelope.error-message.on-failure's rule.
      if (!message)
        return ctx.cannotJudge(`the refusal of a ${t.service.id} request ${t.what} carries no error-message`);
      const named = t.stimulus.value ?? t.stimulus.input;
      ensure(
        ctx,
        message.includes(named),
        `the refusal of a ${t.service.id} request ${t.what} says "${message}", which does not name ${t.stimulus.value === undefined ? `the parameter ${named}` : `the value ${named}`} (${t.failure.when})`,
      );
    },
  }),
];

const hasRequiredInput = (service: Service) => queryInputs(service).some((i) => i.required);
const anyMode = (service: Service) => preferredMode(service, ['sync', 'async-delivery', 'async-oneway']);

/** A refusal is any status-code but 0, judged at once, as validation happens at the interface (6.3 b). */
function refused(ctx: CheckContext, a: Answer, what: string): void {
  const got = needStatus(ctx, a, what);
  ensure(ctx, got !== '0', `${what} was accepted (status-code 0)`);
}

/** A request that leads to a receipt, and the receipt's reading; undefined (with why) when none can be had. */
/**
 * The execution response of an accepted async-delivery request: its receipt, undefined when none came. When
 * receipts of the profile came but none with the ack's transaction-id, that is receipts.transaction-id.same's
 * to judge, and this check cannot judge its own rule.
 */
async function receiptOf(
  ctx: Recorder,
  ack: Answer,
  tid: string,
  timeoutMs: number,
): Promise<Reading | undefined> {
  const { receipt, evidence } = await receiptOfAck(ctx, ack, tid, timeoutMs);
  if (!receipt && evidence.length)
    return ctx.cannotJudge(
      `no receipt carried the ack's transaction-id ${tid}; ${evidenceText(ack.profile ?? '', evidence)} (see receipts.transaction-id.same)`,
    );
  return receipt ? readMse(receipt.body) : undefined;
}

/** The inputs of a payload limit, each filled so that together they pass the limit by 100 bytes. */
function oversized(service: Service, limit: NonNullable<Service['payloadLimit']>) {
  const each = Math.ceil((limit.maxBytes + 100) / limit.inputs.length);
  let params = validParams(service);
  for (const name of limit.inputs) {
    const sample = service.inputs.find((i) => i.name === name)?.sample ?? name;
    params = withParam(params, name, `${sample}${'x'.repeat(Math.max(0, each - sample.length))}`);
  }
  const what = `a ${service.id} request whose ${limit.inputs.join(' and ')} hold ${limit.inputs.length * each} bytes (limit ${limit.maxBytes})`;
  return { params, what };
}

const payloadMode = (service: Service) => preferredMode(service, ['async-delivery', 'sync', 'async-oneway']);
const noOutputsMode = (service: Service) => {
  const mode = preferredMode(service, ['sync', 'async-delivery']);
  return !mode || (mode === 'async-delivery' && service.receipt === 'none') ? undefined : mode;
};

/**
 * Requests the profile's service cannot take (6.3, 6.4): none of its parameters, or another service's; beyond
 * a payload limit (6.4.13), refused at once or in the receipt. And what status-code 0 means (6.3, 6.5.2): a
 * refused async-delivery request is not executed, and a service with no output parameters answers its
 * successful executions without parameters.
 */
const serviceRows: PlacedRow<Subject>[] = [
  row({
    rule: 'control.input.required-missing',
    variant: 'no-parameters',
    appliesTo: (t) => hasRequiredInput(t.service),
    stimulus: (t) => `a request to ${t.service.id} with its profile and none of its parameters`,
    skipReason: (t) => notProvisioned(t.service),
    judge: async (ctx, { service }) => {
      const a = await callApi(ctx, { service, mode: anyMode(service), params: [] });
      refused(ctx, a, `a ${service.id} request with none of its parameters`);
    },
  }),
  row({
    rule: 'control.profile.bound-to-service',
    variant: 'other-service-parameters',
    appliesTo: (t) => hasRequiredInput(t.service) && foreignParams(t.service) !== undefined,
    stimulus: (t) =>
      `a request of the ${t.service.id} profile with the valid parameters of ${foreignParams(t.service)?.other.id}`,
    skipReason: (t) => notProvisioned(t.service),
    judge: async (ctx, { service }) => {
      const foreign = foreignParams(service)!;
      const a = await callApi(ctx, { service, mode: anyMode(service), params: foreign.params });
      refused(ctx, a, `a request of the ${service.id} profile with the parameters of ${foreign.other.id}`);
    },
  }),
  row({
    rule: (t) => t.service.payloadLimit!.rule,
    variant: 'outside',
    appliesTo: (t) => t.service.payloadLimit !== undefined,
    mode: (t) => payloadMode(t.service),
    stimulus: (t) => `${oversized(t.service, t.service.payloadLimit!).what}, in ${payloadMode(t.service)}`,
    skipReason: (t) => notProvisioned(t.service),
    timeoutMs: timeouts.requestMs + timeouts.receiptMs + 5_000,
    judge: async (ctx, { service }) => {
      const mode = payloadMode(service);
      const { params, what } = oversized(service, service.payloadLimit!);
      const a = await callApi(ctx, { service, mode, params });
      if (needStatus(ctx, a, what) !== '0') return;
      if (mode === 'sync') return ctx.fail(`${what} was executed (status-code 0)`);
      if (mode !== 'async-delivery')
        return ctx.cannotJudge(`${what} was accepted in ${mode}, which shows no outcome of the execution`);
      const tid = a.read.transactionId;
      if (!tid)
        return ctx.cannotJudge(`${what} was accepted without transaction-id, so its receipt cannot be found`);
      const r = await receiptOf(ctx, a, tid, timeouts.receiptMs);
      if (!r)
        return ctx.cannotJudge(`${what} was accepted and no receipt for ${tid} arrived to say how it ended`);
      ensure(
        ctx,
        r.statusCode !== '0',
        `${what} was accepted and its receipt reports success (status-code 0)`,
      );
    },
  }),
  row({
    rule: 'envelope.status-code.zero-is-success',
    variant: 'refused-not-executed',
    appliesTo: ({ service }) =>
      service.modes.allowed.includes('async-delivery') &&
      service.receipt !== 'none' &&
      hasRequiredInput(service),
    mode: () => 'async-delivery',
    stimulus: (t) =>
      `an async-delivery request to ${t.service.id} with none of its parameters; the listener waits for a receipt`,
    skipReason: (t) => notProvisioned(t.service),
    timeoutMs: timeouts.requestMs + timeouts.quietMs + 5_000,
    judge: async (ctx, { service }) => {
      const what = `an async-delivery ${service.id} request with none of its parameters`;
      const a = await callApi(ctx, { service, mode: 'async-delivery', params: [] });
      const got = needStatus(ctx, a, what);
      if (got === '0') return ctx.cannotJudge(`${what} was accepted (see control.input.required-missing)`);
      const tid = a.read.transactionId;
      if (!tid)
        return ctx.cannotJudge(
          `the refusal carries no transaction-id, so a receipt for it cannot be told apart`,
        );
      const found = await waitDeliveries(ctx, { kind: 'receipt', key: tid, timeoutMs: timeouts.quietMs });
      ensure(
        ctx,
        !found.length,
        `${what} was refused with status-code ${got}, yet a receipt for its transaction ${tid} arrived: it was executed`,
      );
    },
  }),
  row({
    rule: 'control.outputs.conditions',
    variant: 'none-defined',
    appliesTo: ({ service }) => !service.outputs.length && noOutputsMode(service) !== undefined,
    mode: (t) => noOutputsMode(t.service),
    stimulus: (t) =>
      `a valid request to ${t.service.id}, which defines no outputs, in ${noOutputsMode(t.service)}; its execution response is read`,
    skipReason: (t) => notProvisioned(t.service),
    timeoutMs: timeouts.syncMs + timeouts.receiptMs + 5_000,
    judge: async (ctx, { service }) => {
      const mode = noOutputsMode(service)!;
      const a = await callApi(ctx, { service, mode, params: validParams(service) });
      let reading: Reading | undefined = a.read;
      let where = 'the sync answer';
      if (mode === 'async-delivery') {
        if (needStatus(ctx, a, `a valid ${service.id} request`) !== '0')
          return ctx.cannotJudge(`a valid ${service.id} request was refused: ${describe(a.read)}`);
        const tid = a.read.transactionId;
        if (!tid)
          return ctx.cannotJudge(
            'the acknowledgement carries no transaction-id, so no receipt can be matched',
          );
        reading = await receiptOf(ctx, a, tid, timeouts.receiptMs);
        if (!reading) return ctx.cannotJudge(`no receipt for ${tid} arrived within ${timeouts.receiptMs} ms`);
        where = 'the receipt';
      }
      if (reading.statusCode !== '0')
        return ctx.cannotJudge(
          `${where} reports ${describe(reading)}; the rule is about successful executions`,
        );
      ensure(
        ctx,
        !reading.children.includes('parameters'),
        `${where} of a successful ${service.id} execution carries parameters (${(reading.parameters ?? []).map((p) => p.name).join(', ') || 'empty'}), but ${service.id} defines no output parameters`,
      );
    },
  }),
];

/** A document that is no ussd_message_request (6.4.18) is not a command: it is not executed. */
const ussdDocumentRows: PlacedRow<Subject>[] = [
  row({
    rule: 'ussd.command.document',
    variant: 'other-root',
    stimulus: (t) => `a ${t.service.id} USSD command POSTed to /MSE/ussd whose root element is ussd_message`,
    skipReason: (t) => notProvisioned(t.service),
    judge: async (ctx, { service }) => {
      const body = ussdBody(service).replace(/ussd_message_request/g, 'ussd_message');
      const a = await callRaw(
        ctx,
        {
          method: 'POST',
          path: spec.protocol.endpoints.ussd,
          headers: { 'content-type': 'text/xml; charset=UTF-8' },
          body,
        },
        'a USSD command whose root element is ussd_message',
      );
      if (a.sent.error) return ctx.cannotJudge(`no answer (${a.sent.error})`);
      ensure(
        ctx,
        a.read.statusCode !== '0',
        'a document whose root is ussd_message, not ussd_message_request, was accepted (status-code 0) as a command',
      );
    },
  }),
];

/**
 * Triggers an SMS MO and answers its first delivery with `status` (a hold keeps it until the suite knows its
 * ID); resolves with the deliveries of that MO seen within the redelivery budget.
 */
async function answerFirstMo(ctx: CheckContext, service: Service, status: number): Promise<Delivery[]> {
  const l = listener;
  if (!l) return ctx.skip('the run has no listener');
  const mark = token('mo');
  const holdId = await l.hold({ kind: 'sms-mo', contains: mark });
  let first: Delivery | undefined;
  try {
    [first] = await injectAndWait(
      ctx,
      'sms',
      {
        from: run.config.subscribers[0] ?? '1191000000',
        to: shortNumberOf(service),
        text: `Teste ${mark}`,
      },
      { kind: 'sms-mo', contains: mark },
    );
  } catch (error) {
    await l.release({ holdId });
    throw error;
  }
  if (!first || first.key === undefined) {
    await l.release({ holdId });
    return ctx.cannotJudge(
      first
        ? 'the SMS MO carries no ID, so its attempts cannot be told apart'
        : `no SMS MO marked ${mark} arrived`,
    );
  }
  await l.release({ holdId, key: first.key, status, times: 1 });
  return waitDeliveries(ctx, { kind: 'sms-mo', key: first.key, count: 2, timeoutMs: timeouts.redeliveryMs });
}

/**
 * 6.4.5.1: an SMS MO counts as delivered only when the partner answers HTTP 200, so one answered 204 was not
 * delivered. Judged against the same target's answer to a 500: a target that redelivers neither is not judged
 * here (the document obliges no redelivery of MOs), one that redelivers after 500 only took 204 for a delivery.
 */
const moRows: PlacedRow<Subject>[] = [
  row({
    rule: 'mo.success.http-200',
    variant: 'after-204',
    stimulus:
      'two SMS MOs the configured trigger makes the target deliver; the listener answers the first delivery of one 204, of the other 500, and waits for redeliveries',
    skipReason: () => noTrigger('sms'),
    timeoutMs: timeouts.receiptMs + timeouts.redeliveryMs + 5_000,
    judge: async (ctx, { service }) => {
      const [after204, after500] = await Promise.all([
        answerFirstMo(ctx, service, 204),
        answerFirstMo(ctx, service, 500),
      ]);
      if (after204.length >= 2) return;
      if (after500.length < 2)
        return ctx.skip(
          'the target delivers an SMS MO once whatever the answer, so 204 cannot be told apart',
        );
      ctx.fail(
        'the SMS MO answered 204 was not delivered again, but the one answered 500 was: 204 was taken for a delivery',
      );
    },
  }),
];

/** A failure of a service entry that a configured subscriber provokes (a scenario of the config). */
interface Scenario extends Subject {
  failure: Failure;
  name: ScenarioName;
  scenario: ScenarioConfig | undefined;
  code: string;
  number: string;
}

const scenarioSubjects = (): Scenario[] =>
  apiServices().flatMap((service) =>
    (service.failures ?? []).flatMap((failure) => {
      const name = SCENARIO_OF[failure.statusCode];
      if (!name) return [];
      const scenario = scenarioOf(run.config, name);
      const number = scenario?.number ?? subscriber();
      return [{ service, failure, name, scenario, code: String(failure.statusCode), number }];
    }),
  );

const scenarioSkip = (t: Scenario) =>
  notProvisioned(t.service) ?? scenarioGap(t.name, t.scenario, t.service, t.failure.statusCode);

/**
 * The failures a configured subscriber provokes (scenarios), answered in the execution response of the mode
 * (the receipt, for async-delivery): the status-code, and the error-message the document shows.
 */
const scenarioRows: PlacedRow<Scenario>[] = [
  row<Scenario>({
    rule: (t) => failureRuleId(t.service, t.failure.statusCode),
    variant: 'status-code',
    stimulus: (t) =>
      `a valid request to ${t.service.id} for the subscriber of scenarios.${t.name} (${t.failure.when.replace(/\.$/, '')}); its execution response is read`,
    skipReason: scenarioSkip,
    judge: async (ctx, t) => {
      const { reading, where } = await provoke(ctx, t.service, t.name, t.scenario!);
      ensure(
        ctx,
        reading.statusCode === t.code,
        `${where} for ${t.number} (${t.failure.when.replace(/\.$/, '')}) has status-code ${reading.statusCode ?? '(none)'}, expected ${t.code}`,
      );
    },
  }),
  row<Scenario>({
    rule: (t) => failureRuleId(t.service, t.failure.statusCode),
    variant: 'error-message',
    stimulus: (t) =>
      `a valid request to ${t.service.id} for the subscriber of scenarios.${t.name}; the failure's error-message is read`,
    skipReason: scenarioSkip,
    judge: async (ctx, t) => {
      const { reading, where } = await provoke(ctx, t.service, t.name, t.scenario!);
      if (reading.statusCode !== t.code)
        return ctx.skip(`${where} has status-code ${reading.statusCode ?? '(none)'}, not ${t.code}`);
      ensure(ctx, reading.errorMessage, `${where} with status-code ${t.code} has no error-message`);
      const shown = t.failure.errorMessage;
      if (shown)
        ensure(
          ctx,
          reading.errorMessage === shown,
          `${where} has error-message "${reading.errorMessage}", the document shows "${shown}"`,
        );
    },
  }),
];

export function definitions(): CheckDefinition[] {
  const services = apiServices().map((service) => ({ service }));
  const ussd = ussdCommandServices().find((s) => profileOf(s)) ?? ussdCommandServices()[0];
  const moSms = spec.services.find((s) => s.kind === 'mo-delivery' && s.group === 'sms');
  return [
    ...rowsOf(provokedSubjects(), provokedRows),
    ...rowsOf(services, serviceRows),
    ...rowsOf(ussd ? [{ service: ussd }] : [], ussdDocumentRows),
    ...rowsOf(moSms ? [{ service: moSms }] : [], moRows),
    ...rowsOf(scenarioSubjects(), scenarioRows),
  ];
}
