import { afterEach, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/core/model.ts';
import { type BrokenPartner, type Fault, startBrokenPartner } from './broken.ts';
import { executeChecks, partnerRun } from './execute.ts';

const CREDENTIALS = { userid: 'mse', pwd: 'partner-secret' };

/**
 * Each fault, and ids (globs) of checks that must fail on it. Every partner check family appears at least once.
 * Strict runs, so that a SHOULD broken shows as `fail` too.
 */
const cases: { fault: Fault; failing: string[]; passing?: string[] }[] = [
  {
    fault: 'answers-500',
    failing: [
      'partner.receipts.sms-text.answers-200.delivrd',
      'partner.mo.delivery-sms.answers-200',
      'partner.mo.delivery-mms.mms-mo.answer-200.multipart',
      'partner.ussd.ussd-user-request.answer-200',
      'partner.robustness.duplicate.answer-200.*',
    ],
  },
  {
    fault: 'answers-204',
    failing: [
      'partner.receipts.*',
      'partner.mo.*',
      'partner.ussd.*.answer-200',
      'partner.ussd.*.reply.command',
    ],
  },
  {
    fault: 'refuses-post',
    failing: ['partner.receipts.*', 'partner.mo.delivery-mms.*', 'partner.ussd.*.answer-200'],
    passing: ['partner.mo.delivery-sms.*'],
  },
  {
    fault: 'rejects-latin1',
    failing: [
      'partner.mo.delivery-sms.sms-mo.latin1.portuguese',
      'partner.mo.delivery-sms.sms-mo.latin1.high-bytes',
      'partner.mo.delivery-sms.text.max-length.longest',
      'partner.robustness.duplicate.answer-200.sms-mo',
      'partner.robustness.extra-parameters.ignored.sms-mo',
    ],
    passing: ['partner.mo.delivery-sms.sms-mo.latin1.ascii-bytes', 'partner.receipts.*', 'partner.ussd.*'],
  },
  {
    fault: 'ussd-plain-text',
    failing: ['partner.ussd.*.reply.command', 'partner.ussd.*.session-owner.forwarded'],
    passing: ['partner.ussd.*.answer-200', 'partner.receipts.*'],
  },
  {
    fault: 'ussd-reserved-index',
    failing: ['partner.ussd.*.index.reserved'],
    passing: ['partner.ussd.*.reply.command', 'partner.ussd.*.limits.*'],
  },
  {
    fault: 'ussd-over-long',
    failing: [
      'partner.ussd.ussd-user-request.limits.title',
      'partner.ussd.ussd-user-request.limits.subtitle',
      'partner.ussd.ussd-menu-answer.ussd-input.content.max-length',
      'partner.ussd.ussd-input-answer.ussd-notify.content.max-length',
    ],
    passing: ['partner.ussd.*.reply.command', 'partner.ussd.*.index.reserved'],
  },
  {
    fault: 'times-out',
    failing: [
      'partner.receipts.*',
      'partner.mo.*',
      'partner.ussd.*.answer-200',
      'partner.robustness.answer.time-budget.*',
    ],
  },
  {
    fault: 'duplicate-409',
    failing: ['partner.robustness.duplicate.answer-200.*'],
    // Every USSD event of the suite is the same document (a subscriber dialling the same code again), so a
    // partner that refuses duplicates also refuses those: only the deliveries with unique ids must pass.
    passing: ['partner.receipts.*', 'partner.mo.*', 'partner.robustness.extra-parameters.*'],
  },
  {
    fault: 'accepts-wrong-credentials',
    failing: [
      'partner.security.credentials.wrong-refused.receipt',
      'partner.security.credentials.wrong-refused.sms-mo',
    ],
    passing: ['partner.receipts.*', 'partner.mo.*', 'partner.ussd.*', 'partner.robustness.*'],
  },
  {
    fault: 'rejects-unknown-parameters',
    failing: ['partner.robustness.extra-parameters.ignored.*'],
    passing: ['partner.receipts.*', 'partner.mo.*', 'partner.ussd.*', 'partner.robustness.duplicate.*'],
  },
  {
    fault: 'ussd-drops-session-owner',
    failing: ['partner.ussd.*.session-owner.forwarded'],
    passing: ['partner.ussd.*.reply.command', 'partner.ussd.*.answer-200'],
  },
  {
    fault: 'ussd-latin1-reply',
    // The notice of an input answer holds "Até": its é is one Latin-1 byte, invalid UTF-8.
    failing: ['partner.ussd.ussd-input-answer.utf-8'],
    passing: ['partner.ussd.ussd-user-request.utf-8', 'partner.receipts.*'],
  },
];

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

describe('partner suite against broken partners', () => {
  let partner: BrokenPartner | undefined;
  afterEach(async () => {
    await partner?.close();
    partner = undefined;
  });

  for (const c of cases)
    it(`catches a partner that ${c.fault.replace(/-/g, ' ')}`, async () => {
      partner = await startBrokenPartner(c.fault, CREDENTIALS);
      const results = await executeChecks(
        partnerRun(
          partner.url,
          { credentials: CREDENTIALS },
          { strict: true, requestMs: c.fault === 'times-out' ? 500 : 5_000 },
        ),
      );
      const verdicts = new Map<string, Verdict>([...results.values()].map((r) => [r.id, r.verdict]));
      for (const pattern of c.failing) {
        const matched = [...verdicts].filter(([id]) => glob(pattern).test(id));
        expect(matched.length, `no check matches ${pattern}`).toBeGreaterThan(0);
        for (const [id, verdict] of matched) expect(verdict, `${id} on ${c.fault}`).toBe('fail');
      }
      for (const pattern of c.passing ?? []) {
        const matched = [...verdicts].filter(([id]) => glob(pattern).test(id));
        expect(matched.length, `no check matches ${pattern}`).toBeGreaterThan(0);
        for (const [id, verdict] of matched)
          expect(['pass', 'skip'], `${id} on ${c.fault}: ${results.get(id)?.message}`).toContain(verdict);
      }
      const failing = [...results.values()].filter((r) => r.verdict === 'fail').map((r) => r.id);
      console.log(`${c.fault}: ${failing.length} failing checks: ${failing.sort().join(' ')}`);
    });
});

describe('strictness on the partner role', () => {
  it('reports a broken SHOULD as non-strict, and as a failure only under --strict', async () => {
    const partner = await startBrokenPartner('accepts-wrong-credentials', CREDENTIALS);
    try {
      const lenient = await executeChecks(partnerRun(partner.url, { credentials: CREDENTIALS }));
      const strict = await executeChecks(
        partnerRun(partner.url, { credentials: CREDENTIALS }, { strict: true }),
      );
      const id = 'partner.security.credentials.wrong-refused.receipt';
      expect(lenient.get(id)?.verdict).toBe('non-strict');
      expect(strict.get(id)?.verdict).toBe('fail');
      expect([...lenient.values()].filter((r) => r.verdict === 'fail')).toEqual([]);
    } finally {
      await partner.close();
    }
  });
});
