/**
 * What each family of the gateway suite sends (h2spec's Desc): one sentence per family, read with the check's
 * service, mode and variant. A check whose stimulus this does not say well passes its own (`meta(..., { stimulus })`);
 * families written as rows (src/checks/rows.ts) give each row its own and have no entry here.
 */
import type { CheckMeta } from '../../src/checks/types.ts';

const words = (variant: string) => variant.replace(/[.-]/g, ' ');

/** The variant of a check: what its id adds after the rule's own part (`outside-1`, `wrong-password`, `post`). */
function variantOf(m: CheckMeta): string {
  const tail = m.rule.slice(m.rule.lastIndexOf('.') + 1);
  const at = m.id.lastIndexOf(`.${tail}.`);
  return at < 0 ? '' : m.id.slice(at + tail.length + 2);
}

const families: Record<string, (m: CheckMeta, v: string, service: string, mode: string) => string> = {
  ussd: (_m, v, s) => `a USSD command or event of ${s} through /MSE/ussd${v ? ` (${words(v)})` : ''}`,
};

export function stimulusOf(m: CheckMeta): string {
  const describe = families[m.family];
  const service = m.service ?? 'the service';
  const mode = m.mode ? ` in mode ${m.mode}` : '';
  return describe ? describe(m, variantOf(m), service, mode) : `as ${m.family} checks do (${m.rule})`;
}
