/**
 * Judging a service's output parameters (6.3 and each service's output table), shared by the results family
 * (sync execution responses) and the receipts family (async-delivery receipts): one rule, one judge.
 */
import { outputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { type Pairs, spec } from '../harness.ts';

export interface OutputJudge {
  rule: string;
  /** A problem, or undefined when the parameters satisfy the rule. */
  judge(params: { name: string; value: string }[], request: Pairs): string | undefined;
}

/** Inputs whose values an output echoes: requests that feed output checks carry them. */
export function echoedInputs(service: Service): string[] {
  return service.outputs.flatMap((o) => (o.echoes ? [o.echoes] : []));
}

export function outputJudges(service: Service): OutputJudge[] {
  const judges: OutputJudge[] = [];
  const value = (params: { name: string; value: string }[], name: string) =>
    params.find((p) => p.name === name)?.value;
  for (const output of service.outputs) {
    const ids = outputRuleIds(service, output);
    if (output.required && spec.rules.has(ids.present))
      judges.push({
        rule: ids.present,
        judge: (params) =>
          value(params, output.name) === undefined ? `${output.name} is missing` : undefined,
      });
    const format = output.format ? spec.formats.get(output.format) : undefined;
    if (format && spec.rules.has(ids.format)) {
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
    if (output.enum && spec.rules.has(ids.enum))
      judges.push({
        rule: ids.enum,
        judge: (params) => {
          const v = value(params, output.name);
          return v !== undefined && !output.enum!.includes(v)
            ? `${output.name}="${v}" is not one of ${output.enum!.map((e) => JSON.stringify(e)).join(', ')}`
            : undefined;
        },
      });
    if (output.echoes && spec.rules.has(ids.echoes))
      judges.push({
        rule: ids.echoes,
        judge: (params, request) => {
          const v = value(params, output.name);
          const sent = request.find(([n]) => n === output.echoes)?.[1];
          if (v === undefined || sent === undefined) return undefined;
          return v !== sent
            ? `${output.name}="${v}", but the request's ${output.echoes} was "${sent}"`
            : undefined;
        },
      });
    if (output.notBefore && spec.rules.has(ids.notBefore))
      judges.push({
        rule: ids.notBefore,
        judge: (params) => {
          const v = value(params, output.name);
          const other = value(params, output.notBefore!);
          if (v === undefined || other === undefined) return undefined;
          return v < other
            ? `${output.name}="${v}" is earlier than ${output.notBefore}="${other}"`
            : undefined;
        },
      });
    if (output.derivedFrom && spec.rules.has(ids.derived)) {
      const from = output.derivedFrom;
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
    }
    if (output.prefixOf && spec.rules.has(ids.prefix)) {
      const of = output.prefixOf;
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
  }
  for (const group of service.outputGroups ?? []) {
    if (!spec.rules.has(group.rule)) continue;
    judges.push({
      rule: group.rule,
      judge: (params) => {
        const present = group.members.filter((m) => value(params, m) !== undefined);
        if (group.kind === 'exactly-one' && present.length !== 1)
          return `exactly one of ${group.members.join(', ')} expected, got ${present.length ? present.join(', ') : 'none'}`;
        if (group.kind === 'at-most-one' && present.length > 1)
          return `at most one of ${group.members.join(', ')} expected, got ${present.join(', ')}`;
        if (group.kind === 'one-or-other' && present.length === 0)
          return `one of ${group.members.join(', ')} expected, got none`;
        return undefined;
      },
    });
  }
  return judges;
}
