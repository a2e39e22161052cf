/**
 * Failures the document shows (the `failures` of a service entry): when the config names a subscriber that
 * provokes one (scenarios), the service answers it with the failure's status-code and error-message, in the
 * execution response of its mode (the receipt, for async-delivery). Failures no test subscriber can provoke
 * (a missing or malformed CTN, status-code 12) are the params family's required and format checks.
 */
import type { RunConfig } from '../../../src/checks/config.ts';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { failureRuleId } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
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
  timeouts,
  validParams,
  waitDeliveries,
  withParam,
} from '../harness.ts';

const F = 'failures';

type Scenario = keyof NonNullable<RunConfig['scenarios']>;

/** Which config scenario provokes a status-code (status-codes.yaml gives the codes' meaning). */
const SCENARIO_OF: Record<number, Scenario> = { 110: 'silentHandset', 19: 'unknownSubscriber' };

/** The request with every phone-number input set to the scenario's subscriber, and what came of it. */
async function provoke(
  ctx: Recorder,
  service: Service,
  number: string,
): Promise<{ reading: Reading; where: string }> {
  return shared(ctx, `failure:${service.id}:${number}`, async (rec) => {
    let params = validParams(service);
    for (const input of queryInputs(service))
      if (input.format === 'msisdn10' && params.some(([n]) => n === input.name))
        params = withParam(params, input.name, number);
    const mode = preferredMode(service, ['sync', 'async-delivery']);
    if (!mode)
      return rec.skip(`${service.id} has no mode whose outcome the partner sees (sync or async-delivery)`);
    const a: Answer = await callApi(rec, { service, mode, params });
    if (mode === 'sync') return { reading: a.read, where: 'the sync response' };
    // The request is valid: the failure comes with the execution, in the receipt (6.4.1.1).
    expectAccepted(rec, a, `a valid async-delivery request for ${number}`);
    const tid = a.read.transactionId;
    if (!tid) return rec.fail('the acknowledgement carries no transaction-id, so no receipt can be matched');
    const [receipt] = await waitDeliveries(rec, { kind: 'receipt', key: tid, timeoutMs: timeouts.receiptMs });
    if (!receipt)
      return rec.fail(`no receipt with transaction-id ${tid} arrived within ${timeouts.receiptMs} ms`);
    return { reading: readMse(receipt.body), where: 'the receipt' };
  });
}

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  const scenarios = run.config.scenarios ?? {};
  for (const service of apiServices())
    for (const failure of service.failures ?? []) {
      const scenario = SCENARIO_OF[failure.statusCode];
      if (!scenario) continue;
      const rule = failureRuleId(service, failure.statusCode);
      const number = scenarios[scenario];
      const skipReason =
        notProvisioned(service) ??
        (number
          ? undefined
          : `no scenarios.${scenario} in the config: the suite has no subscriber that provokes status-code ${failure.statusCode}`);
      const code = String(failure.statusCode);
      defs.push(
        define(
          meta(F, rule, { service, variant: 'status-code' }),
          async (ctx) => {
            const { reading, where } = await provoke(ctx, service, number!);
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
            const { reading, where } = await provoke(ctx, service, number!);
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
