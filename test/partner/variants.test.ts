/**
 * The dual of broken.test.ts: partners that differ from the reference only where the document, HTTP or XML
 * allow a choice must get zero failures, and no non-strict result except where the document recommends what
 * the variant leaves out (listed per variant, each with its errata entry). Nothing may be informational
 * either: that would mean the suite could not judge a conforming answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildUssdEvent } from '../../src/partner/client.ts';
import { startReferencePartner } from '../../src/partner/reference.ts';
import { executeChecks, partnerRun } from './execute.ts';
import {
  startVariantPartner,
  VARIANTS,
  type Variant,
  type VariantDef,
  type VariantPartner,
} from './variants.ts';

const CREDENTIALS = { userid: 'mse', pwd: 'partner-secret' };

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

describe('partner suite against variant partners (allowed differences only)', () => {
  let partner: VariantPartner | undefined;
  afterEach(async () => {
    await partner?.close();
    partner = undefined;
  });

  for (const [name, def] of Object.entries(VARIANTS) as [Variant, VariantDef][])
    it(`passes a partner with ${name}: ${def.description}`, async () => {
      partner = await startVariantPartner(name, CREDENTIALS);
      const results = await executeChecks(
        partnerRun(partner.url, def.credentials === false ? {} : { credentials: CREDENTIALS }),
      );
      const expectedNonStrict = (def.nonStrict ?? []).map(glob);
      const unexpected = [...results.values()]
        .filter((r) => r.verdict !== 'pass' && r.verdict !== 'skip')
        .filter((r) => !(r.verdict === 'non-strict' && expectedNonStrict.some((g) => g.test(r.id))))
        .map((r) => `${r.id} ${r.verdict}: ${r.message}`);
      expect(unexpected).toEqual([]);
      // A listed non-strict result must really occur: the list is the variant's claim, not a blanket excuse.
      for (const pattern of def.nonStrict ?? []) {
        const matched = [...results.values()].filter((r) => glob(pattern).test(r.id));
        expect(matched.length, `no check matches ${pattern}`).toBeGreaterThan(0);
        for (const r of matched) expect(r.verdict, r.id).toBe('non-strict');
      }
      expect(results.size).toBeGreaterThan(60);
    });
});

/** What a partner answers to a USSD event, an SMS MO and a receipt with a wrong password, as seen on the wire. */
async function probe(url: string): Promise<string[]> {
  const event = buildUssdEvent({
    msisdn: '1199998888',
    shortCode: '100',
    sessionOwner: '172.1.1.1',
    response: ['user_init', '1'],
  });
  const answers = await Promise.all([
    fetch(`${url}/ussd`, { method: 'POST', body: event }),
    fetch(`${url}/mo/sms?TEXT=Oi&ID=1&ANUM=1199998888&BNUM=3301&USER=mse&PWD=partner-secret`),
    fetch(`${url}/receipt?userid=mse&pwd=wrong`, { method: 'POST', body: '<mse-response/>' }),
  ]);
  return Promise.all(
    answers.map(async (r) => {
      const framing = ['content-type', 'transfer-encoding', 'connection', 'server'].map(
        (k) => `${k}=${r.headers.get(k)}`,
      );
      const body = Buffer.from(await r.arrayBuffer()).toString('latin1');
      return `${r.status} ${r.statusText} ${framing.join(' ')}\n${body}`;
    }),
  );
}

describe('variant partners', () => {
  it('each differs from the reference partner where it says it does', async () => {
    const reference = await startReferencePartner({
      credentials: CREDENTIALS,
      ussdProfile: { profile: 'VARIANT_USSD', password: 'variant-ussd-pwd' },
    });
    try {
      const expected = await probe(reference.url);
      for (const name of Object.keys(VARIANTS) as Variant[]) {
        const def: VariantDef = VARIANTS[name];
        if (def.answer?.({ status: 200, headers: {}, body: Buffer.alloc(0) }, '/ussd').delayMs) continue;
        const variant = await startVariantPartner(name, CREDENTIALS);
        try {
          expect(await probe(variant.url), name).not.toEqual(expected);
        } finally {
          await variant.close();
        }
      }
    } finally {
      await reference.close();
    }
  });
});
