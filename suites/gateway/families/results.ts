/**
 * Execution results (6.3, 6.5.2, 7.1.3): a sync execution response carries the service's output parameters
 * with their formats and values. One sync request per service; each output rule is its own check.
 */
import type { CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import type { Rule, Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
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

/** An output rule of a service that answers in sync (outputs.ts). */
interface Output {
  service: Service;
  judge: ReturnType<typeof outputJudges>[number];
}

/** A valid request whose echoed inputs hold their samples, so the outputs that echo them can be compared. */
function request(service: Service): Pairs {
  let params = validParams(service);
  for (const name of echoedInputs(service)) params = withParam(params, name, sampleValue(service, name));
  return params;
}

/** One sync request per service, shared; each output rule judges its parameters. */
const outputRows: PlacedRow<Output>[] = [
  row<Output>({
    rule: (t) => t.judge.rule,
    mode: () => 'sync',
    stimulus: (t) =>
      `a valid sync request to ${t.service.id}, its echoed inputs set to their samples; the parameters of the answer are read (${t.judge.rule})`,
    skipReason: (t) => notProvisioned(t.service),
    judge: async (ctx, { service, judge }) => {
      const params = request(service);
      const a = await shared(ctx, `results:${service.id}`, async (rec) => {
        const answer = await callApi(rec, { service, mode: 'sync', params });
        expectAccepted(rec, answer, 'a valid sync request');
        return answer;
      });
      if (!a.read.parameters)
        return ctx.cannotJudge(
          'the sync execution response carries no parameters (envelope.parameters.on-success)',
        );
      const problem = judge.judge(a.read.parameters, params);
      ensure(ctx, !problem, `${problem}`);
    },
  }),
];

/** A rule no run can observe, with the spec's reason. */
interface Unobservable {
  service?: Service;
  rule: Rule & { unobservable: string };
}

// Rules no run can observe (the SMPP fields the gateway submits with, the SMS an AUTD mail causes) are listed
// so that a report shows them, and skipped with the spec's reason (INTERPRETING 1).
const unobservableRows: PlacedRow<Unobservable>[] = [
  row<Unobservable>({
    rule: (t) => t.rule.id,
    stimulus: (t) => `nothing: no run can observe this rule (${t.rule.unobservable})`,
    skipReason: (t) => `not observable: ${t.rule.unobservable}`,
    judge: () => {},
  }),
];

export function definitions(): CheckDefinition[] {
  const metaOf = (rule: string, o: MetaOptions) => meta(F, rule, o);
  const outputs = apiServices()
    .filter((service) => service.modes.allowed.includes('sync') && service.outputs.length)
    .flatMap((service) => outputJudges(service).map((judge) => ({ service, judge })));
  const unobservable = [...spec.rules.values()].flatMap((rule) => {
    if (!rule.unobservable) return [];
    const service = spec.services.find((s) => s.id === rule.service);
    const t: Unobservable = { rule: { ...rule, unobservable: rule.unobservable } };
    if (service) t.service = service;
    return [t];
  });
  return [...expandRows(metaOf, outputs, outputRows), ...expandRows(metaOf, unobservable, unobservableRows)];
}
