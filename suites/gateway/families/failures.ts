/**
 * Failures the document shows (the `failures` of a service entry): when the config says how to provoke one
 * (scenarios: a test number, a profile dedicated to the failure, or a switch run before the check and undone
 * after it), the service answers with the failure's status-code and error-message, in the execution response
 * of its mode (the receipt, for async-delivery). Failures no scenario can provoke (a missing or malformed CTN,
 * status-code 12) are the params family's required and format checks.
 */
import { type ScenarioConfig, type ScenarioName, scenarioOf } from '../../../src/runner/config.ts';
import type { CheckDefinition } from '../../../src/runner/register.ts';
import { failureRuleId } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { runAction } from '../../../src/triggers/index.ts';
import {
  type Answer,
  apiServices,
  callApi,
  define,
  ensure,
  expectAccepted,
  meta,
  notProvisioned,
  preferredMode,
  queryInputs,
  type Reading,
  type Recorder,
  readMse,
  run,
  shared,
  subscriber,
  timeouts,
  validParams,
  waitDeliveries,
  withParam,
} from '../harness.ts';

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
  const defs: CheckDefinition[] = [];
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
