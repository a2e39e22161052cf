/**
 * Features (spec/features.yaml) and the outcome per feature: a claimed feature with a failure is
 * nonconformant, with a check skipped for lack of configuration incomplete, an unclaimed one not-claimed.
 */
import { describe, expect, it } from 'vitest';
import { type CheckResult, claimStatement } from '../../src/core/model.ts';
import {
  claimedFeatures,
  featureOf,
  featureResults,
  isConfigurationGap,
  loadFeatures,
} from '../../src/spec/features.ts';
import { loadSpec } from '../../src/spec/load.ts';

const features = loadFeatures();

function check(
  id: string,
  family: string,
  verdict: CheckResult['verdict'],
  service?: string,
  message?: string,
): CheckResult {
  return {
    id,
    rule: 'r',
    section: '6.2',
    level: 'MUST',
    family,
    ...(service ? { service } : {}),
    requirement: 'x',
    verdict,
    ...(message ? { message } : {}),
    durationMs: 0,
    exchanges: [],
  };
}

describe('features', () => {
  it('put every service in exactly one feature, with core claimed by everyone', () => {
    const listed = features.flatMap((f) => f.services).sort();
    expect(listed).toEqual(
      loadSpec()
        .services.map((s) => s.id)
        .sort(),
    );
    expect(claimedFeatures(['lbs'])).toEqual(new Set(['core', 'lbs']));
    expect(claimedFeatures(undefined).size).toBe(features.length);
  });

  it('give a check the feature of its family first, then of its service, else core', () => {
    expect(featureOf({ family: 'traffic', service: 'SYS_CTN_INFO' })).toBe('traffic-limits');
    expect(featureOf({ family: 'params', service: 'LBS_TORPEDO' })).toBe('lbs');
    expect(featureOf({ family: 'mo', service: 'USSD_MENU_ANSWER' })).toBe('ussd');
    expect(featureOf({ family: 'transport' })).toBe('core');
  });

  it('judge each feature', () => {
    const gap =
      'no profile for LBS_TORPEDO in the config (profiles.LBS_TORPEDO): the target is not provisioned for it';
    const checks = [
      check('a', 'params', 'pass', 'SMS_TEXT'),
      check('b', 'results', 'skip', undefined, 'not observable from outside the gateway'),
      check('c', 'params', 'pass', 'LBS_TRANSLATOR'),
      check('d', 'params', 'skip', 'LBS_TORPEDO', gap),
      check('e', 'params', 'fail', 'SYS_CTN_INFO'),
      check('f', 'params', 'not-claimed', 'WIB_PUSH'),
    ];
    const results = featureResults(checks, claimedFeatures(['lbs', 'subscriber-info']), features);
    const outcome = Object.fromEntries(results.map((r) => [r.id, r.outcome]));
    expect(outcome).toMatchObject({
      core: 'conformant',
      lbs: 'incomplete',
      'subscriber-info': 'nonconformant',
      wib: 'not-claimed',
    });
    expect(results.find((r) => r.id === 'lbs')?.gaps).toEqual([gap]);
    expect(isConfigurationGap('moTrigger.requests.mms is not configured: ...')).toBe(true);
    expect(isConfigurationGap('the delivery has no MSEIMEI to judge')).toBe(false);
    expect(claimStatement(results)).toMatch(
      /^conformant: Core; nonconformant: Subscriber info; incomplete \(checks skipped\): LBS; not claimed: SMS, MMS, /,
    );
  });
});
