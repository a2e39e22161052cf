/**
 * Check isolation (issue 10, item 3): a gateway that departs from one rule fails the checks of that rule and
 * no other. Each fault of the fault proxy here is scoped to one profile, so one run holds them all; its whole
 * failing set must be exactly the faults' own checks, and the checks that needed what a fault broke (an
 * accepted request, a refusal, a transaction id) say so as informational instead of failing.
 */
import { describe, expect, it } from 'vitest';
import { type Fault, startFaultProxy } from './broken/fault-proxy.ts';
import { runBehind } from './variants/run.ts';

/** Each fault, the checks that must fail on it (the checks of the rules it breaks), and some that cannot judge. */
const ISOLATED: { fault: Fault; fails: string[]; cannotJudge: string[] }[] = [
  {
    fault: { name: 'no-xml-declaration', profile: 'SMS_TEXT' },
    fails: ['gateway.transport.sms-text.utf-8.declaration'],
    cannotJudge: [],
  },
  {
    fault: { name: 'text-plain', profile: 'SMS_EMS' },
    fails: ['gateway.transport.sms-ems.content-type'],
    cannotJudge: [],
  },
  {
    // ISO-8859-1 bytes under a UTF-8 declaration: every other rule still judges the document, read as Latin-1.
    fault: { name: 'latin1-body', profile: 'IMEI_TRANSLATOR' },
    fails: ['gateway.transport.imei-translator.utf-8.bytes'],
    cannotJudge: [],
  },
  {
    // A gateway that refuses one mode its service allows: its receipts cannot be judged, not failed.
    fault: { name: 'refuse-async-delivery', profile: 'LBS_TRANSLATOR' },
    fails: [
      'gateway.modes.lbs-translator.mode.async-delivery.allowed.async-delivery',
      'gateway.modes.lbs-translator.mode.async-delivery.allowed.assync-delivery',
    ],
    cannotJudge: [
      'gateway.modes.lbs-translator.async.ack.async-delivery',
      'gateway.envelope.lbs-translator.parameters.not-in-ack',
      'gateway.receipts.lbs-translator.output.latitude.present',
      'gateway.receipts.lbs-translator.redelivery',
      'gateway.receipts.lbs-translator.success.http-200.after-204',
    ],
  },
  {
    // A mode the service refuses, accepted: what a refusal carries cannot be judged.
    fault: { name: 'accept-sync', profile: 'SMS_HEX_RING_UDH' },
    fails: ['gateway.modes.sms-hex-ring-udh.mode.sync.refused.sync'],
    cannotJudge: ['gateway.modes.sms-hex-ring-udh.refused.answer.sync'],
  },
  {
    // Two rules say an accepted request gets a transaction id (on-accepted, always-returned); both fail.
    fault: { name: 'omit-transaction-id', profile: 'SYS_CTN_INFO' },
    fails: [
      'gateway.envelope.sys-ctn-info.transaction-id.on-accepted',
      'gateway.envelope.sys-ctn-info.transaction-id.always-returned.post',
    ],
    cannotJudge: [
      'gateway.envelope.sys-ctn-info.transaction-id.format',
      'gateway.envelope.sys-ctn-info.transaction-id.unique',
    ],
  },
  {
    // The DTD fixes the order, and the order has a rule of its own: both, and nothing else.
    fault: { name: 'reorder-envelope', profile: 'EAI_CHECK_CREDIT' },
    fails: [
      'gateway.envelope.eai-check-credit.child-order.success',
      'gateway.envelope.eai-check-credit.child-order.failure',
      'gateway.envelope.eai-check-credit.dtd-valid.success',
      'gateway.envelope.eai-check-credit.dtd-valid.failure',
    ],
    cannotJudge: [],
  },
  {
    // Status 12's message must name the parameter: with no message at all, that cannot be judged.
    fault: { name: 'omit-error-message', profile: 'GERAR_PROTOCOLO' },
    fails: ['gateway.envelope.gerar-protocolo.error-message.on-failure'],
    cannotJudge: ['gateway.params.gerar-protocolo.control.input.error-code-12.msisdn.missing'],
  },
];

/** The reference's own informational results (a USSD menu beyond the limits, which it may refuse). */
const REFERENCE_INFORMATIONAL = /^gateway\.ussd\.ussd-menu\.limits\..*\.outside$|\.request\.latin1\.get$/;

describe('check isolation on the gateway side', { timeout: 240_000 }, () => {
  it('fails exactly the checks of the rule each fault breaks, and says what it cannot judge', async () => {
    const { code, report } = await runBehind((o) =>
      startFaultProxy({ ...o, faults: ISOLATED.map((f) => f.fault) }),
    );
    const failing = report.checks
      .filter((c) => !['pass', 'skip', 'informational'].includes(c.verdict))
      .map((c) => c.id)
      .sort();
    expect(failing).toEqual(ISOLATED.flatMap((f) => f.fails).sort());
    const verdict = (id: string) => report.checks.find((c) => c.id === id);
    const notSaid = ISOLATED.flatMap((f) => f.cannotJudge).filter(
      (id) => verdict(id)?.verdict !== 'informational' || !verdict(id)?.message?.startsWith('cannot judge'),
    );
    expect(notSaid).toEqual([]);
    // Nothing else is informational but what the faults made so, and the reference's own.
    const faulted = ISOLATED.map((f) => f.fault.profile!.toLowerCase().replace(/_/g, '-'));
    const stray = report.checks.filter(
      (c) =>
        c.verdict === 'informational' &&
        !REFERENCE_INFORMATIONAL.test(c.id) &&
        !faulted.some((slug) => c.id.includes(`.${slug}.`)),
    );
    expect(stray.map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(code).toBe(1);
  });
});
