/**
 * An Artillery test generated from the spec: one scenario per mix entry (Artillery picks scenarios by
 * weight), each one request built by src/spec/requests.ts and percent-encoded by the project's encoder in
 * the entry's charset, arrival phases (warm-up, ramp, sustain, beyond the provisioned rate), and the
 * processor (processor.cjs) that sets the bytes and checks every answer.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { encodeQuery } from '../charset/latin1.ts';
import { validParams } from '../spec/requests.ts';
import type { Mode, Spec } from '../spec/types.ts';
import type { Mix } from './mix.ts';

export interface LoadProfile {
  profile: string;
  password: string;
  billingCode?: string;
}

export interface PhaseOptions {
  warmupSeconds: number;
  rampSeconds: number;
  sustainSeconds: number;
  /** Seconds beyond the provisioned rate (0: no such phase). */
  beyondSeconds: number;
}

export interface PlanOptions {
  spec: Spec;
  mix: Mix;
  /** Base URL of the gateway (its API is at `${target}${endpoints.api}`). */
  target: string;
  /** Where the processor sends what it saw (the ledger's intake on the listener). */
  ledgerUrl: string;
  /** The profile of each service of the mix, by service id. */
  profiles: Record<string, LoadProfile>;
  subscriber?: string;
  /** Arrivals per second of the sustain phase, all workers together. */
  rate: number;
  /** The 9.3 rate provisioned per profile, when known: the beyond phase drives the busiest profile past it. */
  provisioned?: number;
  phases: PhaseOptions;
  /** Artillery workers (machines) sharing the rate; each runs the same script. */
  workers: number;
  timeoutSeconds?: number;
}

export interface PlanEntry {
  name: string;
  service: string;
  mode: Mode;
  weight: number;
  profile: string;
  charset: 'UTF-8' | 'ISO-8859-1';
  method: 'GET' | 'POST';
  contentType?: string;
  /** `profile=...`, before the password the processor adds. */
  head: string;
  /** `&mode=...&billingCode=...&PARAMS`, after it. */
  tail: string;
  /** The service delivers a receipt to the partner in this mode (async-delivery of a service with one). */
  receipt: boolean;
}

export interface Phase {
  name: string;
  duration: number;
  arrivalRate: number;
  rampTo?: number;
}

export interface Plan {
  version: 1;
  apiPath: string;
  passwordKey: string;
  ledgerUrl: string;
  target: string;
  mixSource: string;
  rate: number;
  provisioned?: number;
  workers: number;
  phases: Phase[];
  entries: PlanEntry[];
}

/** The plan: requests and phases, all from the spec and the options (no password in it). */
export function buildPlan(o: PlanOptions): Plan {
  const total = o.mix.entries.reduce((s, e) => s + e.weight, 0);
  const entries = o.mix.entries.map((e): PlanEntry => {
    const service = o.spec.services.find((s) => s.id === e.service)!;
    const p = o.profiles[e.service];
    if (!p) throw new Error(`no profile for ${e.service}: give one in the config (profiles.${e.service})`);
    const tailPairs: Array<[string, string]> = [['mode', e.mode]];
    if (p.billingCode !== undefined) tailPairs.push(['billingCode', p.billingCode]);
    tailPairs.push(...validParams(service, o.subscriber ? { subscriber: o.subscriber } : {}));
    const entry: PlanEntry = {
      name: `${e.service} ${e.mode}${e.charset === 'UTF-8' ? '' : ` ${e.charset}`}`,
      service: e.service,
      mode: e.mode,
      weight: e.weight / total,
      profile: p.profile,
      charset: e.charset,
      method: e.charset === 'UTF-8' ? 'GET' : 'POST',
      head: encodeQuery([['profile', p.profile]], e.charset),
      tail: `&${encodeQuery(tailPairs, e.charset)}`,
      receipt: e.mode === 'async-delivery' && service.receipt !== 'none',
    };
    if (entry.method === 'POST')
      entry.contentType = `application/x-www-form-urlencoded; charset=${e.charset}`;
    return entry;
  });
  // The busiest profile's share of the traffic decides the rate at which it passes its provisioned one.
  const share = new Map<string, number>();
  for (const e of entries) share.set(e.profile, (share.get(e.profile) ?? 0) + e.weight);
  const busiest = Math.max(...share.values());
  const perWorker = (r: number) => Math.max(1, Math.round(r / o.workers));
  const warm = Math.max(1, Math.round(o.rate / 10));
  const phases: Phase[] = [];
  if (o.phases.warmupSeconds > 0)
    phases.push({ name: 'warm-up', duration: o.phases.warmupSeconds, arrivalRate: perWorker(warm) });
  if (o.phases.rampSeconds > 0)
    phases.push({
      name: 'ramp to target',
      duration: o.phases.rampSeconds,
      arrivalRate: perWorker(warm),
      rampTo: perWorker(o.rate),
    });
  phases.push({
    name: 'sustain',
    duration: Math.max(1, o.phases.sustainSeconds),
    arrivalRate: perWorker(o.rate),
  });
  if (o.phases.beyondSeconds > 0 && o.provisioned !== undefined)
    phases.push({
      name: 'beyond the provisioned rate',
      duration: o.phases.beyondSeconds,
      arrivalRate: perWorker(Math.ceil((2 * o.provisioned) / busiest)),
    });
  const plan: Plan = {
    version: 1,
    apiPath: o.spec.protocol.endpoints.api,
    passwordKey: o.spec.protocol.controlParameters.find((c) => c.name === 'pwd')!.name,
    ledgerUrl: o.ledgerUrl,
    target: o.target.replace(/\/+$/, ''),
    mixSource: o.mix.source,
    rate: o.rate,
    workers: o.workers,
    phases,
    entries,
  };
  if (o.provisioned !== undefined) plan.provisioned = o.provisioned;
  return plan;
}

/** The Artillery script (YAML). */
export function artilleryScript(plan: Plan, timeoutSeconds = 10): string {
  const script = {
    config: {
      target: plan.target,
      phases: plan.phases,
      processor: './processor.cjs',
      // A shared pool: keep-alive connections, as a partner's client would hold.
      http: { timeout: timeoutSeconds, pool: 64 },
    },
    scenarios: plan.entries.map((e, i) => ({
      name: e.name,
      // Artillery wants integer weights: per mille of the mix.
      weight: Math.max(1, Math.round(e.weight * 1000)),
      flow: [
        {
          [e.method === 'GET' ? 'get' : 'post']: {
            url: plan.apiPath,
            beforeRequest: `entry${i}`,
            afterResponse: 'check',
          },
        },
      ],
    })),
  };
  return `# Generated by mse-conformance load: ${plan.mixSource}\n${stringify(script)}`;
}

/** The processor, with the plan in it. */
export function processorSource(plan: Plan): string {
  const template = readFileSync(new URL('./processor.cjs', import.meta.url), 'utf8');
  return template.replace('/*PLAN*/ null', JSON.stringify(plan));
}
