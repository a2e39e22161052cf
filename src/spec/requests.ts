/**
 * Valid service parameters built from the spec alone: the gateway suite's harness and the load generator
 * (src/load) both build their requests here, so a load test sends what the suite calls valid.
 */
import { groupBounds, queryInputs } from './judge.ts';
import type { Service } from './types.ts';

export type Pairs = Array<[string, string]>;

/** The subscriber used when the caller names none: the document's example number (6.4.1). */
export const DEFAULT_SUBSCRIBER = '1191000000';

export interface RequestOptions {
  /** Test subscriber for inputs of format msisdn10; default DEFAULT_SUBSCRIBER. */
  subscriber?: string;
}

/** The value a request uses for an input: the test subscriber for phone numbers, else the spec's sample. */
export function sampleValue(service: Service, name: string, options: RequestOptions = {}): string {
  const input = service.inputs.find((i) => i.name === name);
  if (!input) throw new Error(`${service.id} has no input ${name}`);
  if (input.format === 'msisdn10') return options.subscriber ?? DEFAULT_SUBSCRIBER;
  return input.sample;
}

/** A valid set of service parameters: every required input, plus one member of each group that needs one. */
export function validParams(service: Service, options: RequestOptions = {}): Pairs {
  const names = new Set(
    queryInputs(service)
      .filter((i) => i.required)
      .map((i) => i.name),
  );
  for (const g of service.groups ?? [])
    if (groupBounds(g.kind).min > 0 && !g.members.some((m) => names.has(m))) names.add(g.members[0]!);
  return completeParams(
    service,
    queryInputs(service)
      .filter((i) => names.has(i.name))
      .map((i) => [i.name, sampleValue(service, i.name, options)]),
    options,
  );
}

/** Adds the inputs that other inputs' values make required (requiredWhen), until nothing changes. */
export function completeParams(service: Service, params: Pairs, options: RequestOptions = {}): Pairs {
  const out: Pairs = [...params];
  for (let changed = true; changed; ) {
    changed = false;
    for (const i of queryInputs(service)) {
      const when = i.requiredWhen;
      if (!when || out.some(([n]) => n === i.name)) continue;
      const trigger = out.find(([n]) => n === when.input)?.[1];
      if (trigger !== undefined && (!when.equals || when.equals.includes(trigger))) {
        out.push([i.name, sampleValue(service, i.name, options)]);
        changed = true;
      }
    }
  }
  return out;
}
