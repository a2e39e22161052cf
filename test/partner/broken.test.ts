import { afterEach, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/core/model.ts';
import { type BrokenPartner, type Fault, startBrokenPartner } from './broken.ts';
import { executeChecks, partnerRun } from './execute.ts';

const CREDENTIALS = { userid: 'mse', pwd: 'partner-secret' };

/**
 * Each fault, and ids (globs) of checks that must fail on it. Every partner check family appears at least once.
 * Strict runs, so that a SHOULD broken shows as `fail` too. Isolation: no check outside `failing` and
 * `alsoFailing` may fail; a check whose precondition (another rule's) the fault broke reports informational.
 * `alsoFailing` lists departures the faulty partner makes besides its fault (a head reduced to the event's
 * fields has no profile, a SHOULD of errata.ussd-reply-head).
 */
const ANSWERS_200 = [
  'partner.receipts.*',
  'partner.mo.delivery-sms.answers-200',
  'partner.mo.delivery-sms.answers-200.*',
  'partner.mo.delivery-mms.*',
  'partner.ussd.*.answer-200',
  'partner.ussd.*.answer-200.document-example',
];
const cases: {
  fault: Fault;
  failing: string[];
  alsoFailing?: string[];
  passing?: string[];
  config?: { answerBudgetMs?: number };
  requestMs?: number;
}[] = [
  {
    fault: 'answers-500',
    failing: ANSWERS_200,
    // Nothing was taken, so redelivery, extra parameters and Latin-1 have nothing of their own to judge.
    passing: ['partner.robustness.answer.time-budget.*'],
  },
  {
    fault: 'answers-204',
    failing: ANSWERS_200,
  },
  {
    fault: 'refuses-post',
    failing: [
      'partner.receipts.*',
      'partner.mo.delivery-mms.*',
      'partner.ussd.*.answer-200',
      'partner.ussd.*.answer-200.*',
    ],
    passing: ['partner.mo.delivery-sms.*'],
  },
  {
    fault: 'rejects-latin1',
    failing: [
      'partner.mo.delivery-sms.sms-mo.latin1.portuguese',
      'partner.mo.delivery-sms.sms-mo.latin1.high-bytes',
      'partner.mo.delivery-sms.text.max-length.longest',
    ],
    passing: ['partner.mo.delivery-sms.sms-mo.latin1.ascii-bytes', 'partner.receipts.*', 'partner.ussd.*'],
  },
  {
    fault: 'ussd-plain-text',
    failing: ['partner.ussd.*.reply.command', 'partner.ussd.*.event.reply-command.document-example'],
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
    failing: [...ANSWERS_200, 'partner.robustness.answer.time-budget.*'],
    config: { answerBudgetMs: 400 },
    requestMs: 500,
  },
  {
    fault: 'duplicate-409',
    failing: ['partner.robustness.duplicate.answer-200.*'],
    // Which of the identical USSD events comes first depends on the order the checks run in.
    alsoFailing: ['partner.ussd.*', 'partner.robustness.*.ussd-event'],
    // Every USSD event of the suite is the same document (a subscriber dialling the same code again), so a
    // partner that refuses duplicates also refuses those: only the deliveries with unique ids must pass.
    passing: [
      'partner.receipts.*',
      'partner.mo.*',
      'partner.robustness.extra-parameters.ignored.receipt',
      'partner.robustness.extra-parameters.ignored.sms-mo',
      'partner.robustness.extra-parameters.ignored.mms-mo',
    ],
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
    // The notice of an input answer holds "Até": its é is one Latin-1 byte, invalid UTF-8. Declared as UTF-8,
    // such bytes make the reply malformed XML too (XML 1.0 4.3.3), so the reply rule's checks fail as well.
    failing: ['partner.ussd.ussd-input-answer.utf-8'],
    alsoFailing: [
      'partner.ussd.ussd-input-answer.reply.command',
      'partner.ussd.ussd-input-answer.event.reply-command.document-example',
    ],
    passing: ['partner.ussd.ussd-user-request.utf-8', 'partner.receipts.*'],
  },
  {
    fault: 'ussd-truncated-xml',
    failing: ['partner.ussd.*.reply.command', 'partner.ussd.*.event.reply-command.document-example'],
    passing: ['partner.ussd.*.answer-200', 'partner.ussd.*.utf-8'],
  },
  {
    fault: 'ussd-reserved-index-head-off',
    alsoFailing: ['partner.ussd.*.event.reply-head.profile'],
    // The head lacks msisdn and the menu holds index 0: each rule's checks catch their own departure.
    failing: ['partner.ussd.*.index.reserved', 'partner.ussd.*.event.reply-head.addressing'],
    passing: [
      'partner.ussd.*.reply.command',
      'partner.ussd.*.session-owner.forwarded',
      'partner.ussd.*.limits.*',
    ],
  },
  {
    fault: 'ussd-over-long-head-off',
    alsoFailing: ['partner.ussd.*.event.reply-head.profile'],
    failing: [
      'partner.ussd.ussd-user-request.limits.title',
      'partner.ussd.ussd-user-request.limits.subtitle',
      'partner.ussd.ussd-menu-answer.ussd-input.content.max-length',
      'partner.ussd.ussd-input-answer.ussd-notify.content.max-length',
      'partner.ussd.*.event.reply-head.addressing',
    ],
    passing: ['partner.ussd.*.reply.command', 'partner.ussd.*.index.reserved'],
  },
  {
    fault: 'ussd-misordered-menu-reserved',
    alsoFailing: ['partner.ussd.*.event.reply-head.profile'],
    failing: [
      'partner.ussd.*.reply.command',
      'partner.ussd.*.event.reply-command.document-example',
      'partner.ussd.*.index.reserved',
    ],
    passing: ['partner.ussd.*.event.reply-head.addressing', 'partner.ussd.*.session-owner.forwarded'],
  },
  {
    fault: 'ussd-two-commands',
    alsoFailing: ['partner.ussd.*.event.reply-head.profile'],
    failing: ['partner.ussd.*.reply.command', 'partner.ussd.*.event.reply-command.document-example'],
    passing: ['partner.ussd.*.event.reply-head.addressing', 'partner.ussd.*.answer-200'],
  },
  {
    fault: 'ussd-no-head',
    failing: [
      'partner.ussd.*.reply.command',
      'partner.ussd.*.event.reply-command.document-example',
      'partner.ussd.*.index.reserved',
    ],
    passing: ['partner.ussd.*.answer-200', 'partner.ussd.*.limits.*'],
  },
  {
    fault: 'ussd-other-subscriber',
    failing: ['partner.ussd.*.event.reply-head.same-session'],
    passing: ['partner.ussd.*.reply.command', 'partner.ussd.*.event.reply-head.addressing'],
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
          { credentials: CREDENTIALS, ...c.config },
          { strict: true, requestMs: c.requestMs ?? 5_000 },
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
      const allowed = [...c.failing, ...(c.alsoFailing ?? [])].map(glob);
      const stray = failing.filter((id) => !allowed.some((g) => g.test(id)));
      expect(
        stray.map((id) => `${id}: ${results.get(id)?.message}`),
        `checks of other rules failed on ${c.fault}`,
      ).toEqual([]);
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
