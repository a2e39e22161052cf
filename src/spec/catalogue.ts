import type { Format, InputParameter, Obligation, OutputParameter, Rule, Service } from './types.ts';

/** `short_code` → `short-code`, `MOTIVO_01` → `motivo-01`: the parameter's part of a rule id. */
export function paramSlug(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

export function inputRuleIds(service: Service, input: InputParameter) {
  const base = `${service.slug}.${paramSlug(input.name)}`;
  return {
    required: `${base}.required`,
    type: `${base}.type`,
    maxLength: `${base}.max-length`,
    minLength: `${base}.min-length`,
    format: `${base}.format`,
    enum: `${base}.enum`,
    notIn: `${base}.not-in`,
    requiredWhen: `${base}.required-when`,
  };
}

export function outputRuleIds(service: Service, output: OutputParameter) {
  const base = `${service.slug}.output.${paramSlug(output.name)}`;
  return {
    present: `${base}.present`,
    format: `${base}.format`,
    enum: `${base}.enum`,
    echoes: `${base}.echoes`,
    notBefore: `${base}.not-before`,
    derived: `${base}.derived`,
    prefix: `${base}.${paramSlug(output.prefixOf?.output ?? 'value')}-prefix`,
  };
}

export function modeRuleId(service: Service, mode: string, verdict: 'allowed' | 'refused'): string {
  return `${service.slug}.mode.${mode}.${verdict}`;
}

export const failureRuleId = (service: Service, code: number) => `${service.slug}.failure.${code}`;
export const smppRuleId = (service: Service, field: 'data-coding' | 'esm-class') =>
  `${service.slug}.smpp.${field}`;

/** The SMPP fields of a submit_sm travel from the MSE to the SMSC: neither role ever sees them. */
const SMPP_UNOBSERVABLE =
  'the SMPP fields travel from the MSE to the SMSC; neither the partner nor the suite sees the submit_sm';

/** Adds a rule of the service: its level (or level and errata), text and tags, in its section. */
type AddRule = (
  id: string,
  obligation: Rule['level'] | Obligation,
  text: string,
  tags: string[],
  section?: string,
  unobservable?: string,
) => void;

function ruleAdder(service: Service, origin: string, rules: Rule[]): AddRule {
  return (
    id: string,
    obligation: Rule['level'] | Obligation,
    text: string,
    tags: string[],
    section = service.section,
    unobservable?: string,
  ) => {
    const { level, errata } =
      typeof obligation === 'string' ? { level: obligation, errata: undefined } : obligation;
    rules.push({
      id,
      section,
      level,
      text,
      service: service.id,
      tags: [service.kind, ...tags],
      ...(unobservable ? { unobservable } : {}),
      origin,
      ...(errata?.length ? { errata } : {}),
    });
  };
}

/** A group's level, with the errata it rests on. */
function groupObligation(group: NonNullable<Service['groups']>[number]): Obligation {
  return {
    level: group.level,
    ...(group.errata ? { errata: group.errata } : {}),
  };
}

/**
 * Every rule a service entry states, derived from its data: a limit written once in the entry
 * becomes one rule here, and the checks cite that rule.
 */
export function deriveServiceRules(service: Service, formats: Map<string, Format>, origin: string): Rule[] {
  const rules: Rule[] = [];
  const add = ruleAdder(service, origin, rules);
  inputRules(add, service, formats);
  for (const group of service.groups ?? [])
    add(group.rule, groupObligation(group), group.text, ['input', 'group']);
  modeRules(add, service);
  outputRules(add, service, formats);
  for (const group of service.outputGroups ?? [])
    add(group.rule, groupObligation(group), group.text, ['output', 'group']);
  smppRules(add, service);
  for (const failure of service.failures ?? [])
    add(
      failureRuleId(service, failure.statusCode),
      { level: failure.level ?? 'MUST', ...(failure.errata ? { errata: failure.errata } : {}) },
      `${service.id} answers status-code ${failure.statusCode}${failure.errorMessage ? ` with "${failure.errorMessage}"` : ''} when ${failure.when}`,
      ['failure'],
      failure.section ?? service.section,
    );
  for (const rule of service.rules ?? [])
    rules.push({
      id: rule.id,
      section: rule.section ?? service.section,
      level: rule.level,
      text: rule.text,
      service: service.id,
      tags: [service.kind, ...(rule.tags ?? [])],
      ...(rule.unobservable ? { unobservable: rule.unobservable } : {}),
      origin,
      ...(rule.errata ? { errata: rule.errata } : {}),
    });
  return rules;
}

/** The rules of each input: required, conditionally required, type, lengths, format, values. */
function inputRules(add: AddRule, service: Service, formats: Map<string, Format>): void {
  for (const input of service.inputs) {
    const ids = inputRuleIds(service, input);
    const base: Obligation = {
      level: input.level ?? 'MUST',
      ...(input.errata ? { errata: input.errata } : {}),
    };
    const level = (kind: keyof NonNullable<InputParameter['levels']>) => input.levels?.[kind] ?? base;
    const section = input.section ?? service.section;
    const where = `${service.id} ${describeCarrier(service, input)}`;
    if (input.required)
      add(
        ids.required,
        'MUST',
        `${input.name} is required in every ${where}.`,
        ['input', 'required'],
        section,
      );
    if (input.requiredWhen) {
      const when = input.requiredWhen;
      const condition = when.equals
        ? `${when.input} is ${when.equals.join(' or ')}`
        : `${when.input} is present`;
      add(
        ids.requiredWhen,
        { level: when.level, ...(when.errata ? { errata: when.errata } : {}) },
        `${input.name} is required in a ${where} when ${condition}.`,
        ['input', 'required'],
        section,
      );
    }
    if (input.type === 'integer' && !input.format)
      add(
        ids.type,
        level('type'),
        `${input.name} in a ${where} is an integer written in decimal digits.`,
        ['input', 'format'],
        section,
      );
    if (input.maxLength !== undefined)
      add(
        ids.maxLength,
        level('maxLength'),
        `${input.name} in a ${where} holds at most ${input.maxLength} characters (characters, not bytes).`,
        ['input', 'length'],
        section,
      );
    if (input.minLength !== undefined)
      add(
        ids.minLength,
        level('minLength'),
        `${input.name} in a ${where} holds at least ${input.minLength} characters.`,
        ['input', 'length'],
        section,
      );
    if (input.format) {
      const format = formats.get(input.format);
      const each = input.listSeparator ? `each "${input.listSeparator}"-separated item of ` : '';
      add(
        ids.format,
        level('format'),
        `${each}${input.name} in a ${where} is ${lowerFirst(format?.description ?? input.format)}`,
        ['input', 'format'],
        section,
      );
    }
    if (input.enum)
      add(
        ids.enum,
        level('enum'),
        `${input.name} in a ${where} is one of ${input.enum.join(', ')}.`,
        ['input', 'enum'],
        section,
      );
    if (input.notIn)
      add(
        ids.notIn,
        level('notIn'),
        `${input.name} in a ${where} is never ${input.notIn.join(', ')}.`,
        ['input', 'enum'],
        section,
      );
  }
}

/** The modes the service accepts and refuses. */
function modeRules(add: AddRule, service: Service): void {
  const modeSection = service.modes.section ?? service.section;
  const modeLevel = (mode: (typeof service.modes.allowed)[number]) => service.modes.levels?.[mode] ?? 'MUST';
  for (const mode of service.modes.allowed)
    add(
      modeRuleId(service, mode, 'allowed'),
      modeLevel(mode),
      `${service.id} accepts mode ${mode}.`,
      ['mode'],
      modeSection,
    );
  for (const mode of service.modes.refused)
    add(
      modeRuleId(service, mode, 'refused'),
      modeLevel(mode),
      `${service.id} refuses mode ${mode}${service.modes.note ? `: ${service.modes.note}` : '.'}`,
      ['mode'],
      modeSection,
    );
}

/** The rules of each output of an execution response: presence, format, values, echo, date, consistency. */
function outputRules(add: AddRule, service: Service, formats: Map<string, Format>): void {
  for (const output of service.outputs) {
    const ids = outputRuleIds(service, output);
    const level = (kind: keyof NonNullable<OutputParameter['levels']>) => output.levels?.[kind] ?? 'MUST';
    if (output.required)
      add(
        ids.present,
        level('present'),
        `Every successful ${service.id} execution response carries ${output.name}.`,
        ['output'],
      );
    if (output.format) {
      const format = formats.get(output.format);
      add(
        ids.format,
        level('format'),
        `${output.name} in a ${service.id} execution response is ${lowerFirst(format?.description ?? output.format)}`,
        ['output', 'format'],
      );
    }
    if (output.enum)
      add(
        ids.enum,
        level('enum'),
        `${output.name} in a ${service.id} execution response is one of ${output.enum.map((v) => JSON.stringify(v)).join(', ')}.`,
        ['output', 'enum'],
      );
    if (output.echoes)
      add(
        ids.echoes,
        level('echoes'),
        `${output.name} in a ${service.id} execution response carries the request's ${output.echoes}.`,
        ['output', 'echo'],
      );
    if (output.notBefore)
      add(
        ids.notBefore,
        level('notBefore'),
        `${output.name} in a ${service.id} execution response is not earlier than ${output.notBefore}.`,
        ['output', 'date'],
      );
    if (output.derivedFrom) {
      const pairs = Object.entries(output.derivedFrom.map)
        .map(([from, to]) => `${from === '*' ? 'any other value' : from} gives ${to}`)
        .join(', ');
      add(
        ids.derived,
        level('derived'),
        `${output.name} in a ${service.id} execution response agrees with ${output.derivedFrom.output}: ${pairs}.`,
        ['output', 'consistency'],
      );
    }
  }
}

/** The SMPP fields the service submits with (unobservable by either role). */
function smppRules(add: AddRule, service: Service): void {
  const smppLevel: Obligation = {
    level: service.smpp?.level ?? 'MUST',
    ...(service.smpp?.errata ? { errata: service.smpp.errata } : {}),
  };
  if (service.smpp?.dataCoding !== undefined)
    add(
      smppRuleId(service, 'data-coding'),
      smppLevel,
      `${service.id} submits to the SMSC with data_coding ${service.smpp.dataCoding}.`,
      ['smpp', 'unobservable'],
      service.section,
      SMPP_UNOBSERVABLE,
    );
  if (service.smpp?.esmClass !== undefined)
    add(
      smppRuleId(service, 'esm-class'),
      smppLevel,
      `${service.id} submits to the SMSC with esm_class ${service.smpp.esmClass}.`,
      ['smpp', 'unobservable'],
      service.section,
      SMPP_UNOBSERVABLE,
    );
}

function describeCarrier(service: Service, input: InputParameter): string {
  switch (input.in) {
    case 'head':
      return 'command (USSD head element)';
    case 'command':
      return 'command (USSD command element)';
    case 'response':
      return 'event (USSD response element)';
    default:
      return service.kind === 'mo-delivery' ? 'delivery' : 'request';
  }
}

function lowerFirst(text: string): string {
  const sentence = text.endsWith('.') ? text : `${text}.`;
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
