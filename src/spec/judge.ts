/**
 * The one judge of a service's parameters. What a request's inputs and an execution response's outputs must
 * satisfy is decided here, keyed by rule id, and nowhere else: the simulator asks it to refuse, the suites to
 * judge, the docs to validate the document's examples, the load generator and the tests to check all three.
 */
import { inputRuleIds, outputRuleIds } from './catalogue.ts';
import type { Group, InputParameter, Service, Spec } from './types.ts';
import { checkInputValue, type ValueProblem } from './values.ts';

/** How many members of a group may be present: the single reading of each group kind. */
export function groupBounds(kind: Group['kind']): { min: number; max: number } {
  switch (kind) {
    case 'exactly-one':
      return { min: 1, max: 1 };
    case 'at-most-one':
      return { min: 0, max: 1 };
    case 'one-or-other':
      return { min: 1, max: Number.POSITIVE_INFINITY };
  }
}

/** What is wrong with the members present, or undefined when the group is satisfied. */
export function groupBreach(group: Group, present: string[]): string | undefined {
  const { min, max } = groupBounds(group.kind);
  if (present.length >= min && present.length <= max) return undefined;
  const got = present.length ? present.join(', ') : 'none';
  const wanted =
    min === max ? 'exactly one' : max === 1 ? 'at most one' : min === 1 ? 'at least one' : `${min} to ${max}`;
  return `${wanted} of ${group.members.join(', ')} expected, got ${got}`;
}

const queryInputsOf = new WeakMap<Service, readonly InputParameter[]>();

/**
 * Inputs that travel as query or form parameters (not USSD head or command elements). Kept per service:
 * the simulator asks on every request it serves.
 */
export function queryInputs(service: Service): readonly InputParameter[] {
  let inputs = queryInputsOf.get(service);
  if (!inputs) {
    inputs = service.inputs.filter((i) => i.in === undefined || i.in === 'query');
    queryInputsOf.set(service, inputs);
  }
  return inputs;
}

export type InputJudgement =
  | { rule: string; kind: 'missing'; input: InputParameter; when?: { input: string; value: string } }
  | { rule: string; kind: 'invalid'; input: InputParameter; problem: ValueProblem }
  | { rule: string; kind: 'group'; group: Group; present: string[]; message: string }
  | { rule: string; kind: 'payload'; limit: NonNullable<Service['payloadLimit']>; bytes: number };

/** Parameter values by name; a name may carry several values (the options of a USSD menu). */
type Params = ReadonlyMap<string, string | readonly string[]> | Readonly<Record<string, string | undefined>>;

/** A parameter's value or values as given, undefined when absent. */
function givenValue(params: Params, name: string): string | readonly string[] | undefined {
  return params instanceof Map ? params.get(name) : (params as Record<string, string | undefined>)[name];
}

/** The non-empty values of a parameter: an empty value counts as absent. */
function valuesOf(params: Params, name: string): readonly string[] {
  const value = givenValue(params, name);
  if (value === undefined || value === '') return [];
  return typeof value === 'string' ? [value] : value.filter((v) => v !== '');
}

/**
 * Every breach of the service's input rules by a request's parameters, in the order of the entry: for each
 * input, required, required-when, then the first broken constraint of each value; then the groups. An empty
 * value counts as absent. Control parameters (6.2) are not judged here. `inputs` defaults to the inputs that
 * travel as query or form parameters; a USSD or MMS MO document passes the inputs its elements carry.
 */
export function judgeInputs(
  spec: Spec,
  service: Service,
  params: Params,
  inputs: readonly InputParameter[] = queryInputs(service),
): InputJudgement[] {
  const out: InputJudgement[] = [];
  // Rule ids are spelled only for a breach: a valid request, the usual one, needs none.
  for (const input of inputs) {
    const value = givenValue(params, input.name);
    // One value (a query parameter, the usual case) is judged without a list of one.
    if (typeof value === 'string' && value !== '') {
      const problem = checkInputValue(input, value, spec.formats);
      if (problem) out.push(invalid(service, input, problem));
      continue;
    }
    const values = valuesOf(params, input.name);
    if (values.length === 0) {
      const when = input.requiredWhen;
      const trigger = when
        ? valuesOf(params, when.input).find((v) => !when.equals || when.equals.includes(v))
        : undefined;
      if (when && trigger !== undefined)
        out.push({
          rule: inputRuleIds(service, input).requiredWhen,
          kind: 'missing',
          input,
          when: { input: when.input, value: trigger },
        });
      else if (input.required)
        out.push({ rule: inputRuleIds(service, input).required, kind: 'missing', input });
      continue;
    }
    for (const value of values) {
      const problem = checkInputValue(input, value, spec.formats);
      if (problem) out.push(invalid(service, input, problem));
    }
  }
  for (const group of service.groups ?? []) {
    const present = group.members.filter((m) => valuesOf(params, m).length > 0);
    const message = groupBreach(group, present);
    if (message) out.push({ rule: group.rule, kind: 'group', group, present, message });
  }
  // Inputs that travel together in one payload (WAP push: TEXT and URL in at most five SMS, 6.4.13).
  const limit = service.payloadLimit;
  if (limit) {
    const bytes = limit.inputs.reduce(
      (n, name) => n + valuesOf(params, name).reduce((m, v) => m + Buffer.byteLength(v, 'utf8'), 0),
      0,
    );
    if (bytes > limit.maxBytes) out.push({ rule: limit.rule, kind: 'payload', limit, bytes });
  }
  return out;
}

function invalid(service: Service, input: InputParameter, problem: ValueProblem): InputJudgement {
  return {
    rule: constraintRule(inputRuleIds(service, input), problem.constraint),
    kind: 'invalid',
    input,
    problem,
  };
}

function constraintRule(
  ids: ReturnType<typeof inputRuleIds>,
  constraint: ValueProblem['constraint'],
): string {
  switch (constraint) {
    case 'type':
      return ids.type;
    case 'max-length':
      return ids.maxLength;
    case 'min-length':
      return ids.minLength;
    case 'format':
      return ids.format;
    case 'enum':
      return ids.enum;
    case 'not-in':
      return ids.notIn;
  }
}

export interface OutputItem {
  name: string;
  value: string;
}

export interface OutputJudge {
  rule: string;
  /** A problem, or undefined when the parameters satisfy the rule. */
  judge(params: OutputItem[], request: ReadonlyArray<readonly [string, string]>): string | undefined;
}

/** One judge per output rule of the service that the catalogue holds, in the order of the entry. */
export function outputJudges(spec: Spec, service: Service): OutputJudge[] {
  const judges: OutputJudge[] = [];
  const has = (rule: string) => spec.rules.has(rule);
  const value = (params: OutputItem[], name: string) => params.find((p) => p.name === name)?.value;
  for (const output of service.outputs) {
    const ids = outputRuleIds(service, output);
    if (output.required && has(ids.present))
      judges.push({
        rule: ids.present,
        judge: (params) =>
          value(params, output.name) === undefined ? `${output.name} is missing` : undefined,
      });
    const format = output.format ? spec.formats.get(output.format) : undefined;
    if (format && has(ids.format)) {
      const re = new RegExp(format.pattern, 'u');
      judges.push({
        rule: ids.format,
        judge: (params) => {
          const v = value(params, output.name);
          return v !== undefined && !re.test(v)
            ? `${output.name}="${v}" is not ${format.id} (${format.description})`
            : undefined;
        },
      });
    }
    const allowed = output.enum;
    if (allowed && has(ids.enum))
      judges.push({
        rule: ids.enum,
        judge: (params) => {
          const v = value(params, output.name);
          return v !== undefined && !allowed.includes(v)
            ? `${output.name}="${v}" is not one of ${allowed.map((e) => JSON.stringify(e)).join(', ')}`
            : undefined;
        },
      });
    const echoes = output.echoes;
    if (echoes && has(ids.echoes))
      judges.push({
        rule: ids.echoes,
        judge: (params, request) => {
          const v = value(params, output.name);
          const sent = request.find(([n]) => n === echoes)?.[1];
          if (v === undefined || sent === undefined) return undefined;
          return v !== sent ? `${output.name}="${v}", but the request's ${echoes} was "${sent}"` : undefined;
        },
      });
    const notBefore = output.notBefore;
    if (notBefore && has(ids.notBefore))
      judges.push({
        rule: ids.notBefore,
        judge: (params) => {
          const v = value(params, output.name);
          const other = value(params, notBefore);
          if (v === undefined || other === undefined) return undefined;
          return v < other ? `${output.name}="${v}" is earlier than ${notBefore}="${other}"` : undefined;
        },
      });
    const from = output.derivedFrom;
    if (from && has(ids.derived))
      judges.push({
        rule: ids.derived,
        judge: (params) => {
          const v = value(params, output.name);
          const other = value(params, from.output);
          if (v === undefined || other === undefined) return undefined;
          const expected = from.map[other] ?? from.map['*'];
          return expected !== undefined && v !== expected
            ? `${output.name}="${v}" with ${from.output}="${other}"; expected "${expected}"`
            : undefined;
        },
      });
    const of = output.prefixOf;
    if (of && has(ids.prefix))
      judges.push({
        rule: ids.prefix,
        judge: (params) => {
          const v = value(params, output.name);
          const other = value(params, of.output);
          if (v === undefined || other === undefined) return undefined;
          const expected = other.slice(0, of.length);
          return v !== expected
            ? `${output.name}="${v}", but the first ${of.length} characters of ${of.output}="${other}" are "${expected}"`
            : undefined;
        },
      });
  }
  for (const group of service.outputGroups ?? [])
    if (has(group.rule))
      judges.push({
        rule: group.rule,
        judge: (params) =>
          groupBreach(
            group,
            group.members.filter((m) => value(params, m) !== undefined),
          ),
      });
  return judges;
}

/** Every breach of the service's output rules by an execution response's parameters. */
export function judgeOutputs(
  spec: Spec,
  service: Service,
  params: OutputItem[],
  request: ReadonlyArray<readonly [string, string]> = [],
): { rule: string; message: string }[] {
  const out: { rule: string; message: string }[] = [];
  for (const j of outputJudges(spec, service)) {
    const message = j.judge(params, request);
    if (message) out.push({ rule: j.rule, message });
  }
  return out;
}
