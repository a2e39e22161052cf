/** What each family of the partner suite sends to the partner (h2spec's Desc), read with the check's service. */
import type { CheckMeta } from '../../src/checks/types.ts';

const families: Record<string, (service: string) => string> = {
  robustness: (s) => `an unusual or hostile delivery${s === 'the service' ? '' : ` of ${s}`} to the partner`,
  security: (s) => `a delivery with wrong credentials${s === 'the service' ? '' : ` of ${s}`} to the partner`,
};

export function stimulusOf(m: CheckMeta): string {
  const describe = families[m.family];
  const service = m.service ?? 'the service';
  return describe ? describe(service) : `as ${m.family} checks do (${m.rule})`;
}
