/**
 * Service parameters (6.3 and each service's table): every required input missing; every constraint just
 * inside (accepted) and just outside (refused); lengths counted in characters (Portuguese text); groups.
 * Everything comes from the service entries: a new service or limit in spec/ is new checks here.
 */
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import { groupBounds } from '../../../src/spec/judge.ts';
import type { InputParameter, Service } from '../../../src/spec/types.ts';
import { checkInputValue, invalidSamples } from '../../../src/spec/values.ts';
import {
  type Answer,
  apiServices,
  callApi,
  completeParams,
  define,
  ensure,
  expectAccepted,
  expectRefused,
  meta,
  notProvisioned,
  type Pairs,
  preferredMode,
  queryInputs,
  requireRefused,
  sampleValue,
  spec,
  validParams,
  withParam,
} from '../harness.ts';

const F = 'params';
/** Portuguese letters that take two bytes in UTF-8 and one character in the document's count. */
const ACCENTED = 'çãõéêáóíúâÇÃ';

function accented(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ACCENTED[i % ACCENTED.length];
  return out;
}

/** Values just inside an input's constraints, each with the constraint it sits at. */
export function insideSamples(
  input: InputParameter,
): { value: string; constraint: keyof ReturnType<typeof inputRuleIds>; variant: string }[] {
  const out: { value: string; constraint: keyof ReturnType<typeof inputRuleIds>; variant: string }[] = [];
  if (input.maxLength !== undefined && !input.format && !input.enum && input.type === 'string') {
    out.push({ value: 'x'.repeat(input.maxLength), constraint: 'maxLength', variant: 'inside' });
    out.push({ value: accented(input.maxLength), constraint: 'maxLength', variant: 'inside-accented' });
  }
  if (input.minLength !== undefined && !input.format && !input.enum)
    out.push({ value: 'x'.repeat(input.minLength), constraint: 'minLength', variant: 'inside' });
  if (input.format) {
    let i = 0;
    for (const value of spec.formats.get(input.format)?.valid ?? [])
      out.push({ value, constraint: 'format', variant: `inside-${++i}` });
  }
  for (const value of input.enum ?? []) out.push({ value, constraint: 'enum', variant: `inside-${value}` });
  return out.filter((s) => checkInputValue(input, s.value, spec.formats) === undefined);
}

const CONSTRAINT_KEY: Record<string, keyof ReturnType<typeof inputRuleIds>> = {
  'max-length': 'maxLength',
  'min-length': 'minLength',
  format: 'format',
  enum: 'enum',
  'not-in': 'notIn',
  type: 'type',
};

/** A value to send for one input, the rule it probes, and whether the target must accept it. */
export interface ConstraintProbe {
  rule: string;
  variant: string;
  value: string;
  accepted: boolean;
  /** The constraint an outside value breaks (`max-length`, `format`, ...). */
  breaks?: string;
}

/**
 * Every value that probes an input's constraints: just inside each (accepted) and just outside each
 * (refused), numbered per rule. Shared by the query-parameter and USSD families, so both probe alike.
 */
export function constraintProbes(service: Service, input: InputParameter): ConstraintProbe[] {
  const ids = inputRuleIds(service, input);
  const out: ConstraintProbe[] = [];
  for (const s of insideSamples(input))
    if (spec.rules.has(ids[s.constraint]))
      out.push({ rule: ids[s.constraint], variant: s.variant, value: s.value, accepted: true });
  const counters = new Map<string, number>();
  for (const s of invalidSamples(input, spec.formats)) {
    const key = CONSTRAINT_KEY[s.constraint];
    if (!key || !spec.rules.has(ids[key])) continue;
    // The sample must really break this constraint and no earlier one (so the check cites the right rule).
    if (checkInputValue(input, s.value, spec.formats)?.constraint !== s.constraint) continue;
    const n = (counters.get(ids[key]) ?? 0) + 1;
    counters.set(ids[key], n);
    out.push({
      rule: ids[key],
      variant: `outside-${n}`,
      value: s.value,
      accepted: false,
      breaks: s.constraint,
    });
  }
  return out;
}

/** A value short enough for a message: long ones are cut, with their length in characters. */
export function clip(value: string): string {
  const n = [...value].length;
  return n > 40 ? `${value.slice(0, 20)}…(${n} characters)` : value;
}

function refusedWithName(answer: Answer, name: string): boolean {
  return (answer.read.errorMessage ?? '').toUpperCase().includes(name.toUpperCase());
}

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const skipReason = notProvisioned(service);
    const mode = preferredMode(service);
    if (!mode) continue;
    const o = { skipReason };
    const call = (params: Pairs) => ({ service, mode, params });
    for (const input of queryInputs(service)) {
      const ids = inputRuleIds(service, input);
      // Without the input itself, and without the other members of its exclusive groups.
      const exclusive = (service.groups ?? [])
        .filter((g) => groupBounds(g.kind).max === 1 && g.members.includes(input.name))
        .flatMap((g) => g.members);
      const base = () => {
        let params = withParam(validParams(service), input.name, undefined);
        for (const m of exclusive) params = withParam(params, m, undefined);
        return params;
      };
      if (input.required && spec.rules.has(ids.required)) {
        defs.push(
          define(
            meta(F, ids.required, { service, mode, variant: 'missing' }),
            async (ctx) =>
              expectRefused(ctx, await callApi(ctx, call(base())), `a request without ${input.name}`),
            o,
          ),
          define(
            meta(F, 'control.input.error-code-12', {
              service,
              mode,
              variant: `${input.name.toLowerCase()}.missing`,
            }),
            async (ctx) => {
              const a = await callApi(ctx, call(base()));
              // That it is refused is the required rule's check; this one judges the code and the message.
              requireRefused(ctx, a, `a request without ${input.name}`);
              if (!a.read.errorMessage)
                ctx.cannotJudge(
                  `the refusal has no error-message to name ${input.name} (envelope.error-message.on-failure)`,
                );
              ensure(
                ctx,
                a.read.statusCode === '12',
                `a missing ${input.name} was refused with status-code ${a.read.statusCode}, the document shows 12`,
              );
              ensure(
                ctx,
                refusedWithName(a, input.name),
                `the error-message "${a.read.errorMessage}" does not name the missing parameter ${input.name}`,
              );
            },
            o,
          ),
        );
      }
      const when = input.requiredWhen;
      if (when && spec.rules.has(ids.requiredWhen)) {
        // The trigger set to a value that asks for the input (the first listed, or its sample).
        const trigger = when.equals?.[0] ?? sampleValue(service, when.input);
        const asked = () => completeParams(service, withParam(validParams(service), when.input, trigger));
        defs.push(
          define(
            meta(F, ids.requiredWhen, { service, mode, variant: 'missing' }),
            async (ctx) =>
              expectRefused(
                ctx,
                await callApi(ctx, call(withParam(asked(), input.name, undefined))),
                `a request with ${when.input}=${trigger} but without ${input.name}`,
              ),
            o,
          ),
          define(
            meta(F, ids.requiredWhen, { service, mode, variant: 'present' }),
            async (ctx) =>
              expectAccepted(
                ctx,
                await callApi(ctx, call(asked())),
                `a request with ${when.input}=${trigger} and ${input.name}`,
              ),
            o,
          ),
        );
      }
      for (const probe of constraintProbes(service, input))
        defs.push(
          define(
            meta(F, probe.rule, { service, mode, variant: probe.variant }),
            async (ctx) =>
              probe.accepted
                ? expectAccepted(
                    ctx,
                    await callApi(ctx, call(completeParams(service, [...base(), [input.name, probe.value]]))),
                    `${input.name}="${clip(probe.value)}", within its constraints`,
                  )
                : expectRefused(
                    ctx,
                    await callApi(ctx, call([...base(), [input.name, probe.value]])),
                    `${input.name}="${clip(probe.value)}", which breaks ${probe.breaks}`,
                  ),
            o,
          ),
        );
    }
    for (const group of service.groups ?? []) {
      if (!spec.rules.has(group.rule)) continue;
      const without = () => {
        let params = validParams(service);
        for (const m of group.members) params = withParam(params, m, undefined);
        return params;
      };
      const sample = (name: string) => queryInputs(service).find((i) => i.name === name)?.sample ?? '1';
      const { min, max } = groupBounds(group.kind);
      if (min > 0)
        defs.push(
          define(
            meta(F, group.rule, { service, mode, variant: 'none' }),
            async (ctx) =>
              expectRefused(
                ctx,
                await callApi(ctx, call(without())),
                `a request with none of ${group.members.join(', ')}`,
              ),
            o,
          ),
        );
      if (max < group.members.length)
        defs.push(
          define(
            meta(F, group.rule, { service, mode, variant: 'both' }),
            async (ctx) =>
              expectRefused(
                ctx,
                await callApi(
                  ctx,
                  call([...without(), ...group.members.map((m) => [m, sample(m)] as [string, string])]),
                ),
                `a request with all of ${group.members.join(', ')}`,
              ),
            o,
          ),
        );
    }
  }
  return defs;
}

export type { Service };
