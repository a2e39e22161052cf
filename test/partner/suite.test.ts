import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReferencePartner, startReferencePartner } from '../../src/partner/reference.ts';
import { executeChecks, partnerRun } from './execute.ts';

describe('partner suite against the reference partner', () => {
  let partner: ReferencePartner;
  beforeAll(async () => {
    partner = await startReferencePartner({ credentials: { userid: 'mse', pwd: 'partner-secret' } });
  });
  afterAll(() => partner.close());

  it('passes every check, the wrong-credentials ones included', async () => {
    const results = await executeChecks(
      partnerRun(partner.url, { credentials: { userid: 'mse', pwd: 'partner-secret' } }, { strict: true }),
    );
    const notPassing = [...results.values()].filter((r) => r.verdict !== 'pass' && r.verdict !== 'skip');
    expect(notPassing.map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    const skipped = [...results.values()].filter((r) => r.verdict === 'skip');
    console.log(`${results.size} checks, ${skipped.length} skipped`);
    for (const s of skipped) console.log(`  skip ${s.id}: ${s.message}`);
    expect(results.size).toBeGreaterThan(60);
  });
});
