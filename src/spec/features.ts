/**
 * Features (spec/features.yaml): the services grouped into what a gateway claims to implement. Core is
 * always claimed; a check belongs to the feature that lists its family, else to its service's, else to core.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import {
  type CheckResult,
  FAILING_VERDICTS,
  type FeatureOutcome,
  type FeatureResult,
  type Verdict,
} from '../core/model.ts';
import { SpecError } from './errors.ts';
import { defaultSpecDir, loadSpec } from './load.ts';

export interface Feature {
  id: string;
  name: string;
  level: 'core' | 'extended';
  sections: string[];
  description: string;
  services: string[];
  families?: string[];
}

export const CORE_FEATURE = 'core';

let cached: Feature[] | undefined;

/** Loads and validates spec/features.yaml: schema, known services, each service in exactly one feature. */
export function loadFeatures(specDir = defaultSpecDir): Feature[] {
  if (cached && specDir === defaultSpecDir) return cached;
  const file = join(specDir, 'features.yaml');
  const data: unknown = parseYaml(readFileSync(file, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(
    JSON.parse(readFileSync(join(specDir, 'schema', 'features.schema.json'), 'utf8')) as object,
  );
  if (!validate(data))
    throw new SpecError(
      'MSE_SPEC_INVALID',
      file,
      (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; '),
    );
  const features = data as Feature[];
  const services = loadSpec(specDir).services.map((s) => s.id);
  const owner = new Map<string, string>();
  for (const f of features)
    for (const s of f.services) {
      if (!services.includes(s))
        throw new SpecError(
          'MSE_SPEC_INVALID',
          file,
          `feature ${f.id} lists ${s}, which spec/services lacks`,
        );
      if (owner.has(s))
        throw new SpecError('MSE_SPEC_INVALID', file, `${s} is in features ${owner.get(s)} and ${f.id}`);
      owner.set(s, f.id);
    }
  const orphan = services.filter((s) => !owner.has(s));
  if (orphan.length)
    throw new SpecError('MSE_SPEC_INVALID', file, `services in no feature: ${orphan.join(', ')}`);
  if (!features.some((f) => f.id === CORE_FEATURE && f.level === 'core'))
    throw new SpecError('MSE_SPEC_INVALID', file, `no feature ${CORE_FEATURE} of level core`);
  if (specDir === defaultSpecDir) cached = features;
  return features;
}

/** The feature a check belongs to: a feature's family first (a traffic check is about 9.3, whatever service it uses), then its service's. */
export function featureOf(check: { service?: string; family: string }, features = loadFeatures()): string {
  const byFamily = features.find((x) => x.families?.includes(check.family));
  if (byFamily) return byFamily.id;
  const service = check.service;
  return (service && features.find((x) => x.services.includes(service))?.id) || CORE_FEATURE;
}

/** The claimed features: core plus the config's list, or every feature when the config has none. */
export function claimedFeatures(claimed: string[] | undefined, features = loadFeatures()): Set<string> {
  if (!claimed) return new Set(features.map((f) => f.id));
  return new Set([CORE_FEATURE, ...claimed]);
}

/**
 * A skip the configuration could remove: the suite's skip messages name the config key ("... in the config
 * (profiles.SMS_EMS)", "moTrigger.requests.mms is not configured"). Skips for other reasons (a rule not
 * observable from outside, an optional value the target did not send) do not make a claim incomplete.
 */
export function isConfigurationGap(message: string | undefined): boolean {
  return !!message && /\bin the config\b|\bis not configured\b|\bnot configured for\b/.test(message);
}

/** The outcome of every feature, from the checks' verdicts and the set of claimed features. */
export function featureResults(
  checks: CheckResult[],
  claimed: ReadonlySet<string>,
  features: Feature[],
): FeatureResult[] {
  return features.map((f) => {
    const mine = checks.filter((c) => featureOf(c, features) === f.id);
    const byVerdict: Partial<Record<Verdict, number>> = {};
    for (const c of mine) byVerdict[c.verdict] = (byVerdict[c.verdict] ?? 0) + 1;
    const gaps = [
      ...new Set(
        mine.filter((c) => c.verdict === 'skip' && isConfigurationGap(c.message)).map((c) => c.message!),
      ),
    ];
    const failing = mine.some((c) => FAILING_VERDICTS.includes(c.verdict));
    const outcome: FeatureOutcome = !claimed.has(f.id)
      ? 'not-claimed'
      : failing
        ? 'nonconformant'
        : gaps.length
          ? 'incomplete'
          : 'conformant';
    return {
      id: f.id,
      name: f.name,
      level: f.level,
      claimed: claimed.has(f.id),
      outcome,
      checks: mine.length,
      byVerdict,
      ...(outcome === 'incomplete' ? { gaps: gaps.slice(0, 10) } : {}),
    };
  });
}
