/**
 * The harness's isolation helpers on their own: a part another rule governs is reported as "cannot judge"
 * (informational) naming that rule, never as a failure; a check's own judgement still fails.
 */
import { describe, expect, it } from 'vitest';
import { type CheckContext, executeCheck } from '../../src/checks/kernel.ts';
import type { SendResult } from '../../src/client/http.ts';
import { type Answer, needTaken, UssdReplyView } from '../../suites/partner/harness.ts';
import { partnerRun } from './execute.ts';

const RULES = { answer: 'partner.ussd.answer-200', reply: 'ussd.event.reply-command' };

function answer(status: number | undefined, body = ''): Answer {
  const sent = {
    request: { method: 'POST', url: 'http://127.0.0.1/ussd', body: Buffer.alloc(0), timeoutMs: 1 },
    at: new Date().toISOString(),
    durationMs: 1,
    ...(status === undefined ? { error: 'timeout: no response within 1 ms' } : {}),
  } as SendResult;
  const a: Answer = { sent, body: Buffer.from(body), durationMs: 1 };
  if (status !== undefined) a.status = status;
  return a;
}

async function outcome(body: (ctx: CheckContext) => void) {
  const meta = {
    id: 'partner.test',
    rule: 'ussd.index.reserved',
    section: '6.4.18',
    level: 'MUST' as const,
    family: 'ussd',
    requirement: '',
    tags: [],
  };
  const r = await executeCheck({ meta, run: body }, partnerRun('http://127.0.0.1'));
  return { outcome: r.outcome, message: r.message ?? '' };
}

const menuReply = (head: string, options: string) =>
  `<ussd_message_request><head>${head}</head><command><menu><options>${options}</options></menu></command></ussd_message_request>`;

describe('UssdReplyView', () => {
  it('leaves the status to partner.ussd.answer-200 and the structure to the reply rule', async () => {
    for (const a of [answer(undefined), answer(500, 'error'), answer(204)]) {
      const r = await outcome((ctx) => void new UssdReplyView(ctx, a, RULES).command(['menu']));
      expect(r.outcome).toBe('informational');
      expect(r.message).toMatch(/^cannot judge: .*partner\.ussd\.answer-200 judges that/);
    }
    for (const body of ['Obrigado!', '', '<ussd_message_request><head/><command/></ussd_message_request>']) {
      const r = await outcome(
        (ctx) => void new UssdReplyView(ctx, answer(200, body), RULES).command(['menu']),
      );
      expect(r.outcome, body).toBe('informational');
      expect(r.message).toMatch(/ussd\.event\.reply-command judges that/);
    }
    const noHead = await outcome(
      (ctx) => void new UssdReplyView(ctx, answer(200, '<ussd_message_request/>'), RULES).head(),
    );
    expect(noHead.outcome).toBe('informational');
  });

  it('hands the menu to its check when the head is off, and the check still fails on its own rule', async () => {
    const a = answer(200, menuReply('', '<option><index>9</index><subtitle>Mais</subtitle></option>'));
    const r = await outcome((ctx: CheckContext) => {
      const menu = new UssdReplyView(ctx, a, RULES).command(['menu']);
      ctx.check(!menu.options.some((o) => o.index === '9'), 'index 9 is reserved');
    });
    expect(r).toEqual({ outcome: 'fail', message: 'index 9 is reserved' });
  });

  it('skips a check on a command of another type', async () => {
    const a = answer(200, menuReply('', '<option><index>1</index><subtitle>A</subtitle></option>'));
    const r = await outcome((ctx) => void new UssdReplyView(ctx, a, RULES).command(['notify']));
    expect(r.outcome).toBe('skip');
  });

  it('leaves an absent or empty head value to the rule that requires it', async () => {
    const a = answer(
      200,
      menuReply('<msisdn> </msisdn>', '<option><index>1</index><subtitle>A</subtitle></option>'),
    );
    const r = await outcome(
      (ctx) => void new UssdReplyView(ctx, a, RULES).headValue('msisdn', 'ussd.event.reply-head.addressing'),
    );
    expect(r.outcome).toBe('informational');
    expect(r.message).toMatch(/ussd\.event\.reply-head\.addressing judges that/);
  });
});

describe('needTaken', () => {
  it('reports a refused baseline delivery as informational, naming the rule that judges it', async () => {
    const r = await outcome((ctx) => needTaken(ctx, answer(500), 'a plain SMS MO', 'mo.partner.answers-200'));
    expect(r.outcome).toBe('informational');
    expect(r.message).toMatch(/mo\.partner\.answers-200 judges that/);
    expect((await outcome((ctx) => needTaken(ctx, answer(200), 'x', 'y'))).outcome).toBe('pass');
  });
});
