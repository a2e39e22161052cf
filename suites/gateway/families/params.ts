/**
 * Service parameters (6.3 and each service's table): every required input missing; every constraint just
 * inside (accepted) and just outside (refused); lengths counted in characters (Portuguese text); groups.
 * Everything comes from the service entries: a new service or limit in spec/ is new checks here.
 */
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import { groupBounds, queryInputs } from '../../../src/spec/judge.ts';
import type { Group, InputParameter, Mode, Service } from '../../../src/spec/types.ts';
import { checkInputValue, invalidSamples } from '../../../src/spec/values.ts';
import {
  type Answer,
  apiServices,
  callApi,
  completeParams,
  ensure,
  expectAccepted,
  expectRefused,
  type Pairs,
  preferredMode,
  requireRefused,
  sampleValue,
  spec,
  validParams,
  withParam,
} from '../harness.ts';
import { type Case, expand, row } from '../rows.ts';

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

interface ParamCase extends Case {
  mode: Mode;
  input: InputParameter;
  /** The valid parameters without the input, nor the other members of its exclusive groups. */
  base: () => Pairs;
  probe?: ConstraintProbe;
}

interface GroupCase extends Case {
  mode: Mode;
  group: Group;
  /** The valid parameters without any member of the group. */
  without: () => Pairs;
}

const call = (c: { service: Service; mode: Mode }, params: Pairs) => ({
  service: c.service,
  mode: c.mode,
  params,
});

/** One case per query input of the service for which `keep` holds. */
function inputs(keep: (service: Service, input: InputParameter) => boolean) {
  return (service: Service): ParamCase[] => {
    const mode = preferredMode(service);
    if (!mode) return [];
    return queryInputs(service)
      .filter((input) => keep(service, input))
      .map((input) => ({ service, mode, input, base: () => base(service, input) }));
  };
}

function base(service: Service, input: InputParameter): Pairs {
  const exclusive = (service.groups ?? [])
    .filter((g) => groupBounds(g.kind).max === 1 && g.members.includes(input.name))
    .flatMap((g) => g.members);
  let params = withParam(validParams(service), input.name, undefined);
  for (const m of exclusive) params = withParam(params, m, undefined);
  return params;
}

const required = inputs((s, i) => Boolean(i.required) && spec.rules.has(inputRuleIds(s, i).required));
const requiredWhen = inputs(
  (s, i) => Boolean(i.requiredWhen) && spec.rules.has(inputRuleIds(s, i).requiredWhen),
);
const probes = (service: Service) =>
  inputs(() => true)(service).flatMap((c) =>
    constraintProbes(service, c.input).map((probe): ParamCase => ({ ...c, probe, variant: probe.variant })),
  );

/** The trigger of a requiredWhen set to a value that asks for the input (the first listed, or its sample). */
function asked(c: ParamCase): { trigger: string; params: Pairs } {
  const when = c.input.requiredWhen!;
  const trigger = when.equals?.[0] ?? sampleValue(c.service, when.input);
  return {
    trigger,
    params: completeParams(c.service, withParam(validParams(c.service), when.input, trigger)),
  };
}

/** One case per group of the service whose rule is in the catalogue and whose bounds `keep` holds for. */
function groups(keep: (group: Group, bounds: { min: number; max: number }) => boolean) {
  return (service: Service): GroupCase[] => {
    const mode = preferredMode(service);
    if (!mode) return [];
    return (service.groups ?? [])
      .filter((g) => spec.rules.has(g.rule) && keep(g, groupBounds(g.kind)))
      .map((group) => ({
        service,
        mode,
        group,
        without: () => group.members.reduce((p, m) => withParam(p, m, undefined), validParams(service)),
      }));
  };
}

const inputRows = [
  row<ParamCase>({
    rule: (c) => inputRuleIds(c.service, c.input).required,
    variant: 'missing',
    cases: required,
    stimulus: (c) => `a valid request to {service} in mode {mode} without ${c.input.name}`,
    judge: async (ctx, c) =>
      expectRefused(ctx, await callApi(ctx, call(c, c.base())), `a request without ${c.input.name}`),
  }),
  row<ParamCase>({
    rule: 'control.input.error-code-12',
    cases: (s) => required(s).map((c) => ({ ...c, variant: `${c.input.name.toLowerCase()}.missing` })),
    stimulus: (c) =>
      `a valid request to {service} in mode {mode} without ${c.input.name}; the refusal is read`,
    judge: errorCode12,
  }),
  row<ParamCase>({
    rule: (c) => inputRuleIds(c.service, c.input).requiredWhen,
    variant: 'missing',
    cases: requiredWhen,
    stimulus: (c) =>
      `a valid request to {service} in mode {mode} with ${c.input.requiredWhen!.input}=${asked(c).trigger}, which asks for ${c.input.name}, but without it`,
    judge: async (ctx, c) => {
      const { trigger, params } = asked(c);
      expectRefused(
        ctx,
        await callApi(ctx, call(c, withParam(params, c.input.name, undefined))),
        `a request with ${c.input.requiredWhen!.input}=${trigger} but without ${c.input.name}`,
      );
    },
  }),
  row<ParamCase>({
    rule: (c) => inputRuleIds(c.service, c.input).requiredWhen,
    variant: 'present',
    cases: requiredWhen,
    stimulus: (c) =>
      `a valid request to {service} in mode {mode} with ${c.input.requiredWhen!.input}=${asked(c).trigger}, which asks for ${c.input.name}, and with it`,
    judge: async (ctx, c) => {
      const { trigger, params } = asked(c);
      expectAccepted(
        ctx,
        await callApi(ctx, call(c, params)),
        `a request with ${c.input.requiredWhen!.input}=${trigger} and ${c.input.name}`,
      );
    },
  }),
  row<ParamCase>({
    rule: (c) => c.probe!.rule,
    cases: probes,
    stimulus: (c) =>
      `a valid request to {service} in mode {mode} with ${c.input.name}="${clip(c.probe!.value)}", ${
        c.probe!.accepted ? 'just within its constraints' : `which breaks ${c.probe!.breaks}`
      }`,
    judge: async (ctx, c) => {
      const { input, probe } = c as ParamCase & { probe: ConstraintProbe };
      if (probe.accepted)
        expectAccepted(
          ctx,
          await callApi(ctx, call(c, completeParams(c.service, [...c.base(), [input.name, probe.value]]))),
          `${input.name}="${clip(probe.value)}", within its constraints`,
        );
      else
        expectRefused(
          ctx,
          await callApi(ctx, call(c, [...c.base(), [input.name, probe.value]])),
          `${input.name}="${clip(probe.value)}", which breaks ${probe.breaks}`,
        );
    },
  }),
];

const groupRows = [
  row<GroupCase>({
    rule: (c) => c.group.rule,
    variant: 'none',
    cases: groups((_g, { min }) => min > 0),
    stimulus: (c) => `a valid request to {service} in mode {mode} with none of ${c.group.members.join(', ')}`,
    judge: async (ctx, c) =>
      expectRefused(
        ctx,
        await callApi(ctx, call(c, c.without())),
        `a request with none of ${c.group.members.join(', ')}`,
      ),
  }),
  row<GroupCase>({
    rule: (c) => c.group.rule,
    variant: 'both',
    cases: groups((g, { max }) => max < g.members.length),
    stimulus: (c) => `a valid request to {service} in mode {mode} with all of ${c.group.members.join(', ')}`,
    judge: async (ctx, c) => {
      const sample = (name: string) => queryInputs(c.service).find((i) => i.name === name)?.sample ?? '1';
      const all = c.group.members.map((m): [string, string] => [m, sample(m)]);
      expectRefused(
        ctx,
        await callApi(ctx, call(c, [...c.without(), ...all])),
        `a request with all of ${c.group.members.join(', ')}`,
      );
    },
  }),
];

async function errorCode12(ctx: CheckContext, c: ParamCase): Promise<void> {
  const name = c.input.name;
  const a = await callApi(ctx, call(c, c.base()));
  // That it is refused is the required rule's check; this one judges the code and the message.
  requireRefused(ctx, a, `a request without ${name}`);
  if (!a.read.errorMessage)
    ctx.cannotJudge(`the refusal has no error-message to name ${name} (envelope.error-message.on-failure)`);
  ensure(
    ctx,
    a.read.statusCode === '12',
    `a missing ${name} was refused with status-code ${a.read.statusCode}, the document shows 12`,
  );
  ensure(
    ctx,
    refusedWithName(a, name),
    `the error-message "${a.read.errorMessage}" does not name the missing parameter ${name}`,
  );
}

/** Every row per API service, each over the service's inputs or groups (services with no mode are left out). */
export function definitions(): CheckDefinition[] {
  const none = () => [];
  return [
    ...expand<ParamCase>('params', inputRows, apiServices(), none),
    ...expand<GroupCase>('params', groupRows, apiServices(), none),
  ];
}

export type { Service };
