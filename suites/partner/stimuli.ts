/** What each family of the partner suite sends to the partner (h2spec's Desc), read with the check's service. */
import type { CheckMeta } from '../../src/checks/types.ts';

const families: Record<string, (service: string) => string> = {
  receipts: (s) => `a receipt of ${s} POSTed to the partner's receipt URL, as the MSE sends it (6.4.1.1)`,
  mo: (s) => `an MO of ${s} delivered to the partner's MO URL as the MSE delivers it`,
  ussd: (s) => `a USSD event of ${s} POSTed to the partner's USSD URL; its reply is read`,
  robustness: (s) => `an unusual or hostile delivery${s === 'the service' ? '' : ` of ${s}`} to the partner`,
  security: (s) => `a delivery with wrong credentials${s === 'the service' ? '' : ` of ${s}`} to the partner`,
};

export function stimulusOf(m: CheckMeta): string {
  const describe = families[m.family];
  const service = m.service ?? 'the service';
  return describe ? describe(service) : `as ${m.family} checks do (${m.rule})`;
}
