/**
 * Execution results (6.3, 6.5.2, 7.1.3): a sync execution response carries the service's output parameters
 * with their formats and values. One sync request per service; each output rule is its own check.
 */
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import {
  apiServices,
  callApi,
  define,
  ensure,
  expectAccepted,
  meta,
  notProvisioned,
  type Pairs,
  sampleValue,
  shared,
  spec,
  validParams,
  withParam,
} from '../harness.ts';
import { echoedInputs, outputJudges } from './outputs.ts';

const F = 'results';

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    if (!service.modes.allowed.includes('sync') || !service.outputs.length) continue;
    const skipReason = notProvisioned(service);
    const request = (): Pairs => {
      let params = validParams(service);
      for (const name of echoedInputs(service)) params = withParam(params, name, sampleValue(service, name));
      return params;
    };
    for (const j of outputJudges(service))
      defs.push(
        define(
          meta(F, j.rule, { service, mode: 'sync' }),
          async (ctx) => {
            const params = request();
            const a = await shared(ctx, `results:${service.id}`, async (rec) => {
              const answer = await callApi(rec, { service, mode: 'sync', params });
              expectAccepted(rec, answer, 'a valid sync request');
              return answer;
            });
            if (!a.read.parameters)
              return ctx.cannotJudge(
                'the sync execution response carries no parameters (envelope.parameters.on-success)',
              );
            const problem = j.judge(a.read.parameters, params);
            ensure(ctx, !problem, `${problem}`);
          },
          { skipReason },
        ),
      );
  }
  // Rules no run can observe (the SMPP fields the gateway submits with, the SMS an AUTD mail causes) are listed
  // so that a report shows them, and skipped with the spec's reason (INTERPRETING 1).
  for (const rule of spec.rules.values()) {
    if (!rule.unobservable) continue;
    const service = spec.services.find((s) => s.id === rule.service);
    defs.push(
      define(meta(F, rule.id, service ? { service } : {}), () => {}, {
        skipReason: `not observable: ${rule.unobservable}`,
      }),
    );
  }
  return defs;
}
