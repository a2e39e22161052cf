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
import type { Delivery } from '../../../src/listener/index.ts';
import { failureRuleId } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { runAction } from '../../../src/triggers/index.ts';
import {
  type Answer,
  apiServices,
  callApi,
  callRaw,
  define,
  ensure,
  expectAccepted,
  listener,
  meta,
  notProvisioned,
  type Pairs,
  preferredMode,
  profileOf,
  queryInputs,
  type Reading,
  type Recorder,
  readMse,
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
  const [receipt] = await waitDeliveries(rec, { kind: 'receipt', key: tid, timeoutMs: timeouts.receiptMs });
  if (!receipt)
    return rec.fail(`no receipt with transaction-id ${tid} arrived within ${timeouts.receiptMs} ms`);
  return { reading: readMse(receipt.body), where: 'the receipt' };
}

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [
    ...provokedFailures(),
    ...unfitRequests(),
    ...payloadLimits(),
    ...statusZeroPromises(),
    ...ussdDocument(),
    ...moNotDelivered(),
  ];
  for (const service of apiServices())
    for (const failure of service.failures ?? []) {
      const name = SCENARIO_OF[failure.statusCode];
      if (!name) continue;
      const rule = failureRuleId(service, failure.statusCode);
      const scenario = scenarioOf(run.config, name);
      const number = scenario?.number ?? subscriber();
      const skipReason = notProvisioned(service) ?? scenarioGap(name, scenario, service, failure.statusCode);
      const code = String(failure.statusCode);
      defs.push(
        define(
          meta(F, rule, { service, variant: 'status-code' }),
          async (ctx) => {
            const { reading, where } = await provoke(ctx, service, name, scenario!);
            ensure(
              ctx,
              reading.statusCode === code,
              `${where} for ${number} (${failure.when.replace(/\.$/, '')}) has status-code ${reading.statusCode ?? '(none)'}, expected ${code}`,
            );
          },
          { skipReason },
        ),
        define(
          meta(F, rule, { service, variant: 'error-message' }),
          async (ctx) => {
            const { reading, where } = await provoke(ctx, service, name, scenario!);
            if (reading.statusCode !== code)
              return ctx.skip(`${where} has status-code ${reading.statusCode ?? '(none)'}, not ${code}`);
            ensure(ctx, reading.errorMessage, `${where} with status-code ${code} has no error-message`);
            if (failure.errorMessage)
              ensure(
                ctx,
                reading.errorMessage === failure.errorMessage,
                `${where} has error-message "${reading.errorMessage}", the document shows "${failure.errorMessage}"`,
              );
          },
          { skipReason },
        ),
      );
    }
  return defs;
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

/**
 * Failures a request provokes (the entry's stimulus), judged on the immediate answer: its status-code, and an
 * error-message that names what was wrong (the value, when the stimulus sets one; else the parameter).
 */
function provokedFailures(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices())
    for (const failure of service.failures ?? []) {
      const stimulus = failure.stimulus;
      if (!stimulus) continue;
      const rule = failureRuleId(service, failure.statusCode);
      const code = String(failure.statusCode);
      const mode = preferredMode(service, ['sync', 'async-delivery', 'async-oneway']);
      const what =
        stimulus.value === undefined
          ? `without ${stimulus.input}`
          : `with ${stimulus.input}=${stimulus.value}`;
      const provoke = (ctx: CheckContext) =>
        shared(ctx, `provoked:${service.id}:${failure.statusCode}`, (rec) =>
          callApi(rec, {
            service,
            mode,
            params: withParam(validParams(service), stimulus.input, stimulus.value),
          }),
        );
      const o = { skipReason: notProvisioned(service) };
      defs.push(
        define(
          meta(F, rule, { service, variant: 'status-code' }),
          async (ctx) => {
            const a = await provoke(ctx);
            const got = needStatus(ctx, a, `a ${service.id} request ${what}`);
            ensure(
              ctx,
              got === code,
              `a ${service.id} request ${what} was answered ${describe(a.read)}, expected status-code ${code}`,
            );
          },
          o,
        ),
        define(
          meta(F, rule, { service, variant: 'error-message' }),
          async (ctx) => {
            const a = await provoke(ctx);
            const got = needStatus(ctx, a, `a ${service.id} request ${what}`);
            if (got === '0')
              return ctx.cannotJudge(
                `a ${service.id} request ${what} was accepted: there is no failure to describe`,
              );
            const message = a.read.errorMessage;
            // Carrying an error-message at all is envelope.error-message.on-failure's rule.
            if (!message)
              return ctx.cannotJudge(
                `the refusal of a ${service.id} request ${what} carries no error-message`,
              );
            const named = stimulus.value ?? stimulus.input;
            ensure(
              ctx,
              message.includes(named),
              `the refusal of a ${service.id} request ${what} says "${message}", which does not name ${stimulus.value === undefined ? `the parameter ${named}` : `the value ${named}`} (${failure.when})`,
            );
          },
          o,
        ),
      );
    }
  return defs;
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

/**
 * Requests the profile's service cannot take (6.3, 6.4): none of its parameters, or another service's. The
 * answer is judged at once, as validation happens at the interface (6.3 b); any status-code but 0 will do.
 */
function unfitRequests(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    if (!queryInputs(service).some((i) => i.required)) continue;
    const o = { skipReason: notProvisioned(service) };
    const mode = preferredMode(service, ['sync', 'async-delivery', 'async-oneway']);
    const refused = (ctx: CheckContext, a: Answer, what: string) => {
      const got = needStatus(ctx, a, what);
      ensure(ctx, got !== '0', `${what} was accepted (status-code 0)`);
    };
    defs.push(
      define(
        meta(F, 'control.input.required-missing', { service, variant: 'no-parameters' }),
        async (ctx) => {
          const a = await callApi(ctx, { service, mode, params: [] });
          refused(ctx, a, `a ${service.id} request with none of its parameters`);
        },
        o,
      ),
    );
    const foreign = foreignParams(service);
    if (foreign)
      defs.push(
        define(
          meta(F, 'control.profile.bound-to-service', { service, variant: 'other-service-parameters' }),
          async (ctx) => {
            const a = await callApi(ctx, { service, mode, params: foreign.params });
            refused(
              ctx,
              a,
              `a request of the ${service.id} profile with the parameters of ${foreign.other.id}`,
            );
          },
          o,
        ),
      );
  }
  return defs;
}

/**
 * Payload limits (6.4.13): inputs whose bytes together exceed the limit before any header is added. The
 * gateway refuses the request, at once or in the receipt; either is a refusal.
 */
function payloadLimits(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const limit = service.payloadLimit;
    if (!limit) continue;
    const mode = preferredMode(service, ['async-delivery', 'sync', 'async-oneway']);
    const each = Math.ceil((limit.maxBytes + 100) / limit.inputs.length);
    defs.push(
      define(
        meta(F, limit.rule, { service, mode, variant: 'outside' }),
        async (ctx) => {
          let params = validParams(service);
          for (const name of limit.inputs) {
            const sample = service.inputs.find((i) => i.name === name)?.sample ?? name;
            params = withParam(params, name, `${sample}${'x'.repeat(Math.max(0, each - sample.length))}`);
          }
          const bytes = limit.inputs.length * each;
          const what = `a ${service.id} request whose ${limit.inputs.join(' and ')} hold ${bytes} bytes (limit ${limit.maxBytes})`;
          const a = await callApi(ctx, { service, mode, params });
          const got = needStatus(ctx, a, what);
          if (got !== '0') return;
          if (mode === 'sync') return ctx.fail(`${what} was executed (status-code 0)`);
          if (mode !== 'async-delivery')
            return ctx.cannotJudge(
              `${what} was accepted in ${mode}, which shows no outcome of the execution`,
            );
          const tid = a.read.transactionId;
          if (!tid)
            return ctx.cannotJudge(
              `${what} was accepted without transaction-id, so its receipt cannot be found`,
            );
          const [receipt] = await waitDeliveries(ctx, {
            kind: 'receipt',
            key: tid,
            timeoutMs: timeouts.receiptMs,
          });
          if (!receipt)
            return ctx.cannotJudge(
              `${what} was accepted and no receipt for ${tid} arrived to say how it ended`,
            );
          const r = readMse(receipt.body);
          ensure(
            ctx,
            r.statusCode !== '0',
            `${what} was accepted and its receipt reports success (status-code 0)`,
          );
        },
        { skipReason: notProvisioned(service), timeoutMs: timeouts.requestMs + timeouts.receiptMs + 5_000 },
      ),
    );
  }
  return defs;
}

/**
 * What status-code 0 means (6.3, 6.5.2): a refused async-delivery request is not executed, so no receipt comes
 * for it; and a service with no output parameters answers its successful executions without parameters.
 */
function statusZeroPromises(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const o = { skipReason: notProvisioned(service) };
    if (
      service.modes.allowed.includes('async-delivery') &&
      service.receipt !== 'none' &&
      queryInputs(service).some((i) => i.required)
    )
      defs.push(
        define(
          meta(F, 'envelope.status-code.zero-is-success', {
            service,
            mode: 'async-delivery',
            variant: 'refused-not-executed',
          }),
          async (ctx) => {
            const what = `an async-delivery ${service.id} request with none of its parameters`;
            const a = await callApi(ctx, { service, mode: 'async-delivery', params: [] });
            const got = needStatus(ctx, a, what);
            if (got === '0')
              return ctx.cannotJudge(`${what} was accepted (see control.input.required-missing)`);
            const tid = a.read.transactionId;
            if (!tid)
              return ctx.cannotJudge(
                `the refusal carries no transaction-id, so a receipt for it cannot be told apart`,
              );
            const found = await waitDeliveries(ctx, {
              kind: 'receipt',
              key: tid,
              timeoutMs: timeouts.quietMs,
            });
            ensure(
              ctx,
              !found.length,
              `${what} was refused with status-code ${got}, yet a receipt for its transaction ${tid} arrived: it was executed`,
            );
          },
          { ...o, timeoutMs: timeouts.requestMs + timeouts.quietMs + 5_000 },
        ),
      );
    if (service.outputs.length) continue;
    const mode = preferredMode(service, ['sync', 'async-delivery']);
    if (!mode || (mode === 'async-delivery' && service.receipt === 'none')) continue;
    defs.push(
      define(
        meta(F, 'control.outputs.conditions', { service, mode, variant: 'none-defined' }),
        async (ctx) => {
          const a = await callApi(ctx, { service, mode, params: validParams(service) });
          let reading = a.read;
          let where = 'the sync answer';
          if (mode === 'async-delivery') {
            if (needStatus(ctx, a, `a valid ${service.id} request`) !== '0')
              return ctx.cannotJudge(`a valid ${service.id} request was refused: ${describe(a.read)}`);
            const tid = a.read.transactionId;
            if (!tid)
              return ctx.cannotJudge(
                'the acknowledgement carries no transaction-id, so no receipt can be matched',
              );
            const [receipt] = await waitDeliveries(ctx, {
              kind: 'receipt',
              key: tid,
              timeoutMs: timeouts.receiptMs,
            });
            if (!receipt)
              return ctx.cannotJudge(`no receipt for ${tid} arrived within ${timeouts.receiptMs} ms`);
            reading = readMse(receipt.body);
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
        { ...o, timeoutMs: timeouts.syncMs + timeouts.receiptMs + 5_000 },
      ),
    );
  }
  return defs;
}

/** A document that is no ussd_message_request (6.4.18) is not a command: it is not executed. */
function ussdDocument(): CheckDefinition[] {
  const service = ussdCommandServices().find((s) => profileOf(s)) ?? ussdCommandServices()[0];
  if (!service) return [];
  return [
    define(
      meta(F, 'ussd.command.document', { service, variant: 'other-root' }),
      async (ctx) => {
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
      { skipReason: notProvisioned(service) },
    ),
  ];
}

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
function moNotDelivered(): CheckDefinition[] {
  const service = spec.services.find((s) => s.kind === 'mo-delivery' && s.group === 'sms');
  if (!service) return [];
  return [
    define(
      meta(F, 'mo.success.http-200', { service, variant: 'after-204' }),
      async (ctx) => {
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
      { skipReason: noTrigger('sms'), timeoutMs: timeouts.receiptMs + timeouts.redeliveryMs + 5_000 },
    ),
  ];
}
