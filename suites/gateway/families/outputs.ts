/**
 * Judging a service's output parameters (6.3 and each service's output table), shared by the results family
 * (sync execution responses) and the receipts family (async-delivery receipts). What each output rule means
 * is decided by the one judge (src/spec/judge.ts); this binds it to the suite's spec.
 */
import { outputJudges as judgesOf, type OutputJudge } from '../../../src/spec/judge.ts';
import type { Service } from '../../../src/spec/types.ts';
import { spec } from '../harness.ts';

/** Inputs whose values an output echoes: requests that feed output checks carry them. */
export function echoedInputs(service: Service): string[] {
  return service.outputs.flatMap((o) => (o.echoes ? [o.echoes] : []));
}

export function outputJudges(service: Service): OutputJudge[] {
  return judgesOf(spec, service);
}
