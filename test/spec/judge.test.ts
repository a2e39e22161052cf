import { describe, expect, it } from 'vitest';
import { groupBounds, groupBreach, judgeInputs, judgeOutputs, queryInputs } from '../../src/spec/judge.ts';
import { loadSpec } from '../../src/spec/load.ts';
import type { Group, Service } from '../../src/spec/types.ts';
import { invalidSamples } from '../../src/spec/values.ts';

const spec = loadSpec();
const judged = spec.services.filter((s) => queryInputs(s).length > 0);

/** Every input with its sample, except the later members of each group: a request the entry accepts. */
function sampleRequest(service: Service): Map<string, string> {
  const later = new Set((service.groups ?? []).flatMap((g) => g.members.slice(groupBounds(g.kind).min)));
  return new Map(
    queryInputs(service).flatMap((i) => (later.has(i.name) ? [] : [[i.name, i.sample] as const])),
  );
}

describe('judgeInputs', () => {
  it.each(judged.map((s) => [s.id, s] as const))(
    '%s: the entry samples satisfy every input rule',
    (_, service) => {
      expect(judgeInputs(spec, service, sampleRequest(service))).toEqual([]);
    },
  );

  it.each(judged.map((s) => [s.id, s] as const))(
    '%s: each invalid sample breaks exactly the rule of its constraint',
    (_, service) => {
      for (const input of queryInputs(service))
        for (const bad of invalidSamples(input, spec.formats)) {
          const params = sampleRequest(service);
          for (const g of service.groups ?? [])
            if (g.members.includes(input.name)) for (const m of g.members) params.delete(m);
          params.set(input.name, bad.value);
          const rules = judgeInputs(spec, service, params).map((j) => j.rule);
          expect(rules, `${input.name}=${JSON.stringify(bad.value)}`).toEqual([
            `${service.slug}.${input.name.toLowerCase().replace(/_/g, '-')}.${bad.constraint}`,
          ]);
          for (const rule of rules) expect(spec.rules.has(rule), rule).toBe(true);
        }
    },
  );

  it('a missing required input breaks its required rule, and an empty value counts as missing', () => {
    for (const service of judged)
      for (const input of queryInputs(service).filter((i) => i.required)) {
        const params = sampleRequest(service);
        params.set(input.name, '');
        expect(judgeInputs(spec, service, params)[0]).toMatchObject({ kind: 'missing', input });
      }
  });
});

describe('group kinds have one reading', () => {
  const group = (kind: Group['kind']): Group => ({
    rule: 'x',
    kind,
    members: ['A', 'B'],
    level: 'MUST',
    text: '',
  });
  it.each([
    ['exactly-one', [], true],
    ['exactly-one', ['A'], false],
    ['exactly-one', ['A', 'B'], true],
    ['at-most-one', [], false],
    ['at-most-one', ['B'], false],
    ['at-most-one', ['A', 'B'], true],
    ['one-or-other', [], true],
    ['one-or-other', ['A'], false],
    ['one-or-other', ['A', 'B'], false],
  ] as const)('%s with %j present: breach %s', (kind, present, breach) => {
    expect(groupBreach(group(kind), [...present]) !== undefined).toBe(breach);
  });
});

describe('judgeOutputs', () => {
  it('a required output that is missing breaks its present rule; a value off its format breaks format', () => {
    const service = spec.services.find((s) => s.outputs.some((o) => o.required && o.format))!;
    const output = service.outputs.find((o) => o.required && o.format)!;
    const rules = judgeOutputs(spec, service, []).map((j) => j.rule);
    expect(rules).toContain(`${service.slug}.output.${output.name.toLowerCase().replace(/_/g, '-')}.present`);
    const bad = judgeOutputs(spec, service, [{ name: output.name, value: '\u0000not a value' }]).map(
      (j) => j.rule,
    );
    expect(bad).toContain(`${service.slug}.output.${output.name.toLowerCase().replace(/_/g, '-')}.format`);
  });
});
