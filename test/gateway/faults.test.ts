/**
 * The gateway suite catches faults: it runs (as a user would, through the CLI) against the reference
 * simulator, where nothing fails, and against a deliberately broken MSE (a fault proxy in front of the
 * simulator, plus a fake SMTP server that accepts anything), where exactly the expected check ids fail.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/checks/config.ts';
import { emptyConfig } from '../../src/cli/run.ts';
import type { RunReport } from '../../src/core/model.ts';
import { configFromSimulator, embeddedProfiles } from '../../src/runner/embedded.ts';
import { defaultProfiles, startSimulator } from '../../src/simulator/index.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { freePort } from '../ports.ts';
import { runCli } from '../reliability/secrets.ts';
import { type Fault, SLOW_SYNC_MS, startFaultProxy } from './broken/fault-proxy.ts';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mse-gw-'));
  dirs.push(d);
  return d;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['gateway', ...args]);
}

/** An SMTP server that accepts every message: the broken AUTD interface. */
async function acceptAllSmtp(): Promise<{ port: number; server: Server }> {
  const server = createNetServer((socket) => {
    socket.write('220 accept-all\r\n');
    let data = false;
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let i = buffer.indexOf('\r\n');
      while (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (data) {
          if (line === '.') {
            data = false;
            socket.write('250 queued\r\n');
          }
        } else if (/^DATA/i.test(line)) {
          data = true;
          socket.write('354 go on\r\n');
        } else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
        i = buffer.indexOf('\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

async function runBroken(
  faults: Fault[],
  args: string[],
  withFakeSmtp = false,
  timeouts: Partial<RunConfig['timeouts']> = {},
): Promise<{ code: number; report: RunReport }> {
  const port = await freePort();
  let upstream = '';
  const proxy = await startFaultProxy({
    upstream: () => upstream,
    listener: `http://127.0.0.1:${port}`,
    faults,
  });
  closers.push(proxy.close);
  const sim = await startSimulator({
    callback: `${proxy.url}/cb`,
    profiles: embeddedProfiles(defaultProfiles(`${proxy.url}/cb`)),
    log: () => {},
    retry: { delaysMs: [50, 200, 1000] },
  });
  closers.push(sim.close);
  upstream = sim.url;
  const base: RunConfig = {
    ...emptyConfig(),
    timeouts: {
      requestMs: 5_000,
      syncMs: 10_000,
      syncLimitMs: 8_000,
      receiptMs: 4_000,
      quietMs: 800,
      redeliveryMs: 4_000,
      ...timeouts,
    },
  };
  const config = configFromSimulator(base, sim, 'partner@empresa.com.br');
  config.target = proxy.url;
  config.listener = { ...config.listener, host: '127.0.0.1', port };
  if (withFakeSmtp) {
    const fake = await acceptAllSmtp();
    closers.push(() => new Promise<void>((r) => fake.server.close(() => r())));
    config.smtp = { host: '127.0.0.1', port: fake.port, from: 'partner@empresa.com.br' };
  }
  const dir = tmp();
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const result = await cli(['--config', file, '--report', 'json', '--out', dir, '--quiet', ...args]);
  expect(result.stderr).not.toMatch(/Error|error outside/);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
  return { code: result.code, report };
}

/** The embedded run's profile with a traffic limit (9.3), which the traffic checks alone use. */
const LIMITED = embeddedProfiles(defaultProfiles('http://127.0.0.1:1')).find((p) => p.rate)!.id;

const verdictOf = (report: RunReport, id: string) =>
  report.checks.find((c) => c.id === id)?.verdict ?? 'absent';

/** Each fault of the broken MSE, scoped to one profile, with the check ids that must catch it. */
const FAULTS: { fault: Fault; catches: string[] }[] = [
  {
    fault: { name: 'no-xml-declaration', profile: 'SMS_TEXT' },
    catches: ['gateway.transport.sms-text.utf-8.declaration'],
  },
  { fault: { name: 'text-plain', profile: 'SMS_EMS' }, catches: ['gateway.transport.sms-ems.content-type'] },
  {
    fault: { name: 'latin1-body', profile: 'IMEI_TRANSLATOR' },
    catches: ['gateway.transport.imei-translator.utf-8.bytes'],
  },
  {
    fault: { name: 'reorder-envelope', profile: 'EAI_CHECK_CREDIT' },
    catches: [
      'gateway.envelope.eai-check-credit.child-order.success',
      'gateway.envelope.eai-check-credit.dtd-valid.success',
    ],
  },
  {
    fault: { name: 'omit-transaction-id', profile: 'SYS_CTN_INFO' },
    catches: ['gateway.envelope.sys-ctn-info.transaction-id.on-accepted'],
  },
  {
    fault: { name: 'repeat-transaction-id', profile: 'SYS_CTN_INFO_TYPE' },
    catches: ['gateway.envelope.sys-ctn-info-type.transaction-id.unique'],
  },
  {
    fault: { name: 'omit-error-message', profile: 'GERAR_PROTOCOLO' },
    catches: ['gateway.envelope.gerar-protocolo.error-message.on-failure'],
  },
  {
    fault: { name: 'parameters-in-ack', profile: 'SMS_HEX_RING' },
    catches: ['gateway.envelope.sms-hex-ring.parameters.not-in-ack'],
  },
  {
    fault: { name: 'accept-everything', profile: 'OFFER_INSERT' },
    catches: [
      'gateway.params.offer-insert.ctn.format.outside-1',
      'gateway.control.offer-insert.auth.refused.wrong-password',
      'gateway.failures.offer-insert.control.input.required-missing.no-parameters',
      'gateway.failures.offer-insert.control.profile.bound-to-service.other-service-parameters',
      'gateway.control.offer-insert.mode.required-single-mode',
    ],
  },
  {
    fault: { name: 'accept-sync', profile: 'SMS_HEX_RING_UDH' },
    catches: ['gateway.modes.sms-hex-ring-udh.mode.sync.refused.sync'],
  },
  {
    fault: { name: 'refuse-password-alias', profile: 'MMS_MT' },
    catches: ['gateway.control.mms-mt.pwd.password-alias'],
  },
  {
    fault: { name: 'bad-output-format', profile: 'LBS_TRANSLATOR' },
    catches: ['gateway.results.lbs-translator.output.latitude.format'],
  },
  {
    fault: { name: 'no-swap', profile: 'SMS_TEXT' },
    catches: ['gateway.receipts.sms-text.output.anum.echoes', 'gateway.receipts.sms-text.output.bnum.echoes'],
  },
  {
    fault: { name: 'double-receipt', profile: 'SMS_EMS' },
    catches: ['gateway.receipts.sms-ems.one-per-request'],
  },
  {
    fault: { name: 'no-receipt', profile: 'LBS_TORPEDO' },
    catches: ['gateway.receipts.lbs-torpedo.modes.async-delivery.receipt'],
  },
  {
    fault: { name: 'accept-204', profile: 'LBS_TRANSLATOR' },
    catches: ['gateway.receipts.lbs-translator.success.http-200.after-204'],
  },
  {
    fault: { name: 'never-retry', profile: 'IMEI_TORPEDO' },
    catches: ['gateway.receipts.imei-torpedo.redelivery'],
  },
  {
    fault: { name: 'receipt-wrong-credentials', profile: 'LBS_TRANSLATOR_BYTES' },
    catches: ['gateway.receipts.lbs-translator-bytes.credentials.query'],
  },
  {
    fault: { name: 'echo-password', profile: 'WIB_PUSH' },
    catches: ['gateway.security.wib-push.password.not-echoed'],
  },
  { fault: { name: 'fetch-entities' }, catches: ['gateway.security.ussd-menu.xml.no-entity-expansion'] },
  { fault: { name: 'mo-utf8' }, catches: ['gateway.mo.delivery-sms.sms.iso-8859-1'] },
  { fault: { name: 'mo-post' }, catches: ['gateway.mo.delivery-sms.sms.get'] },
  {
    fault: { name: 'mo-accept-204' },
    catches: ['gateway.failures.delivery-sms.mo.success.http-200.after-204'],
  },
  { fault: { name: 'ussd-get-accepted' }, catches: ['gateway.ussd.ussd-menu.post-only'] },
  {
    fault: { name: 'garble-failure-message', profile: 'IMEI_TORPEDO' },
    catches: ['gateway.failures.imei-torpedo.failure.110.error-message'],
  },
  // The limited profile refuses beyond its burst, but without an error-message and never again accepts.
  {
    fault: { name: 'omit-error-message', profile: LIMITED },
    catches: ['gateway.traffic.limit-per-user-service.error-message'],
  },
  {
    fault: { name: 'never-refill', profile: LIMITED },
    catches: ['gateway.traffic.limit-per-user-service.refill'],
  },
  {
    fault: { name: 'wrong-tac', profile: 'IMEI_TRANSLATOR' },
    catches: [
      'gateway.results.imei-translator.output.tac.imei-prefix',
      'gateway.receipts.imei-translator.output.tac.imei-prefix',
    ],
  },
  {
    fault: { name: 'wrong-tac', profile: 'IMEI_TORPEDO' },
    catches: ['gateway.receipts.imei-torpedo.output.tac.imei-prefix'],
  },
  {
    fault: { name: 'execute-refused-sync', profile: 'LBS_TORPEDO' },
    catches: ['gateway.modes.lbs-torpedo.refused.answer.sync'],
  },
  {
    fault: { name: 'omit-transaction-id-on-post', profile: 'SMS_WAP_PUSH' },
    catches: ['gateway.envelope.sms-wap-push.transaction-id.always-returned.post'],
  },
  {
    fault: { name: 'truncate-long-push', profile: 'SMS_WAP_PUSH' },
    catches: ['gateway.failures.sms-wap-push.size.five-messages.outside'],
  },
  {
    fault: { name: 'garble-status-12', profile: 'OFFER_DELETE' },
    catches: [
      'gateway.failures.offer-delete.failure.12.status-code',
      'gateway.failures.offer-delete.failure.12.error-message',
    ],
  },
  {
    fault: { name: 'garble-status-12', profile: 'SYS_CTN_INFO_TYPE' },
    catches: [
      'gateway.failures.sys-ctn-info-type.failure.12.status-code',
      'gateway.failures.sys-ctn-info-type.failure.12.error-message',
    ],
  },
  {
    fault: { name: 'parameters-in-ack', profile: 'SYS_CHARGE_SUBSCRIB' },
    catches: ['gateway.failures.sys-charge-subscrib.control.outputs.conditions.none-defined'],
  },
  {
    fault: { name: 'receipt-for-refused', profile: 'SMS_HEX_RING_UDH' },
    catches: ['gateway.failures.sms-hex-ring-udh.envelope.status-code.zero-is-success.refused-not-executed'],
  },
  {
    fault: { name: 'accept-any-ussd-root' },
    catches: ['gateway.failures.ussd-menu.ussd.command.document.other-root'],
  },
  {
    fault: { name: 'drop-session-owner' },
    catches: ['gateway.ussd.ussd-user-request.session-owner.in-event'],
  },
  {
    fault: { name: 'drop-sms-status', profile: 'SMS_HEX_RING_UDH' },
    catches: [
      'gateway.receipts.sms-hex-ring-udh.output.msgstatus.present',
      'gateway.receipts.sms-hex-ring-udh.output.smpp-status.one-of',
    ],
  },
];

/**
 * Faults that would hide the ones above on the same profile or event, caught in a run of their own. The run is not
 * strict, so a check of a SHOULD rule reports its departure as non-strict: each catch names the verdict it expects.
 */
const MORE_FAULTS: { fault: Fault; catches: [id: string, verdict: 'fail' | 'non-strict'][] }[] = [
  // An SMS MO without ID hides the MO redelivery check (failures.delivery-sms.mo.success.http-200.after-204).
  { fault: { name: 'mo-drop-id' }, catches: [['gateway.mo.delivery-sms.sms.parameters', 'fail']] },
  {
    // 110 is shown only in the examples (errata.failure-codes-from-examples): SHOULD.
    fault: { name: 'hide-device-failure', profile: 'LBS_TORPEDO' },
    catches: [['gateway.failures.lbs-torpedo.failure.110.status-code', 'non-strict']],
  },
  {
    fault: { name: 'no-traffic-limit', profile: LIMITED },
    catches: [['gateway.traffic.limit-per-user-service.refused', 'fail']],
  },
  {
    fault: { name: 'refuse-session-owner', profile: 'USSD_NOTIFY' },
    catches: [['gateway.ussd.ussd-notify.session-owner.forwarded.accepted', 'fail']],
  },
  {
    // Conditions stated in words are MUST; values and formats the document only implies are SHOULD.
    fault: { name: 'accept-everything', profile: 'GERAR_PROTOCOLO' },
    catches: [
      ['gateway.params.gerar-protocolo.tipo-retorno.required-when.missing', 'fail'],
      ['gateway.params.gerar-protocolo.situacao.enum.outside-1', 'non-strict'],
      ['gateway.params.gerar-protocolo.ind-usuario-autent.enum.outside-1', 'non-strict'],
      ['gateway.params.gerar-protocolo.msisdn.format.outside-1', 'non-strict'],
    ],
  },
  {
    fault: { name: 'accept-everything', profile: 'MMS_MT' },
    catches: [['gateway.params.mms-mt.ctn.format.outside-1', 'non-strict']],
  },
];

describe('gateway suite', { timeout: 180_000 }, () => {
  it('passes the reference simulator: no failing check, exit 0, all four reports', async () => {
    const dir = tmp();
    const result = await cli(['--out', dir, '--quiet']);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
    const failing = report.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'unexpected-pass');
    expect(failing.map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.summary.total).toBeGreaterThan(1000);
    // The canonical report matches its published schema.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(projectRoot, 'spec', 'schema', 'report.schema.json'), 'utf8')) as object,
    );
    expect(validate(report) ? [] : validate.errors?.slice(0, 3)).toEqual([]);
    for (const f of ['junit.xml', 'report.html', 'summary.md'])
      expect(readFileSync(join(dir, f), 'utf8').length).toBeGreaterThan(100);
    // Secrets never reach a report: the simulator's profile password is "senha", its delivery pwd "mse-secret".
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).not.toContain('mse-secret');
  });

  it('catches every fault of the broken MSE with the expected check ids (and exits 1)', async () => {
    const { code, report } = await runBroken(
      FAULTS.map((f) => f.fault),
      [
        '--strict',
        '--skip',
        'gateway.security.*.availability.*',
        '--skip',
        'gateway.security.*.body.size-limit',
      ],
      true,
    );
    const missed = FAULTS.flatMap((f) =>
      f.catches
        .filter((id) => verdictOf(report, id) !== 'fail')
        .map((id) => `${f.fault.name}: ${id} is ${verdictOf(report, id)}`),
    );
    expect(missed).toEqual([]);
    for (const id of [
      'gateway.smtp.smtp-autd.user.from-domain.unknown-domain',
      'gateway.smtp.smtp-autd.for.required',
      'gateway.smtp.smtp-autd.from.required',
      'gateway.smtp.smtp-autd.number.ten-digits.eleven-digits',
    ])
      expect(`${id}: ${verdictOf(report, id)}`).toBe(`${id}: fail`);
    // Every family is shown to fail on the broken MSE.
    const families = new Set(report.checks.filter((c) => c.verdict === 'fail').map((c) => c.family));
    expect([...families].sort()).toEqual(
      [
        'control',
        'envelope',
        'failures',
        'traffic',
        'mo',
        'modes',
        'params',
        'receipts',
        'results',
        'security',
        'smtp',
        'transport',
        'ussd',
      ].sort(),
    );
    expect(code).toBe(1);
  });

  it('catches faults that would hide others, MUST ones as fail and SHOULD ones as non-strict', async () => {
    const { code, report } = await runBroken(
      MORE_FAULTS.map((f) => f.fault),
      [
        '--only',
        'family:failures',
        '--only',
        'family:traffic',
        '--only',
        'rule:ussd.session-owner.*',
        '--only',
        'rule:gerar-protocolo.*',
        '--only',
        'rule:mms-mt.ctn.*',
        '--only',
        'rule:mo.sms.*',
      ],
    );
    const missed = MORE_FAULTS.flatMap((f) =>
      f.catches
        .filter(([id, verdict]) => verdictOf(report, id) !== verdict)
        .map(([id, verdict]) => `${f.fault.name}: ${id} is ${verdictOf(report, id)}, not ${verdict}`),
    );
    expect(missed).toEqual([]);
    // The checks the faults do not touch still pass: the faults are caught, not the run broken.
    expect(verdictOf(report, 'gateway.failures.imei-torpedo.failure.110.status-code')).toBe('pass');
    expect(verdictOf(report, 'gateway.ussd.ussd-menu.session-owner.forwarded.accepted')).toBe('pass');
    expect(code).toBe(1);
  });

  it('judges a late sync answer non-strict and a sync request without an answer a failure, each by its own rule', async () => {
    const { code, report } = await runBroken(
      [
        { name: 'slow-sync', profile: 'OFFER_INSERT' },
        { name: 'hang-up-sync', profile: 'OFFER_DELETE' },
      ],
      ['--only', 'rule:modes.sync.*'],
      false,
      // slow-sync answers SLOW_SYNC_MS late: beyond the limit, within the run's patience.
      { syncLimitMs: SLOW_SYNC_MS - 1_500, syncMs: SLOW_SYNC_MS + 5_000 },
    );
    const verdicts = Object.fromEntries(
      [
        'gateway.modes.offer-insert.sync.time-limit',
        'gateway.modes.offer-insert.sync.answered',
        'gateway.modes.offer-delete.sync.answered',
        'gateway.modes.offer-delete.sync.time-limit',
        'gateway.modes.sys-ctn-info-type.sync.answered',
        'gateway.modes.sys-ctn-info-type.sync.time-limit',
      ].map((id) => [id, verdictOf(report, id)]),
    );
    expect(verdicts).toEqual({
      // Late, but answered: only the approximate limit is departed from.
      'gateway.modes.offer-insert.sync.time-limit': 'non-strict',
      'gateway.modes.offer-insert.sync.answered': 'pass',
      // No answer: the obligation to answer is broken; how late it was cannot be judged.
      'gateway.modes.offer-delete.sync.answered': 'fail',
      'gateway.modes.offer-delete.sync.time-limit': 'informational',
      // A profile without faults passes both.
      'gateway.modes.sys-ctn-info-type.sync.answered': 'pass',
      'gateway.modes.sys-ctn-info-type.sync.time-limit': 'pass',
    });
    expect(code).toBe(1);
  });

  it('waits out no receipt deadline when every receipt comes with a new transaction id, in any family', async () => {
    // A deadline far beyond a healthy run: a check that waits it out shows, whatever the machine's load.
    const receiptMs = 60_000;
    const { code, report } = await runBroken([{ name: 'receipt-new-transaction-id' }], [], false, {
      receiptMs,
      redeliveryMs: receiptMs,
    });
    const waitedOut = report.checks
      .filter((c) => (c.durationMs ?? 0) >= receiptMs)
      .map((c) => `${c.id}: ${Math.round(c.durationMs ?? 0)} ms, ${c.verdict}: ${c.message}`);
    expect(waitedOut).toEqual([]);
    // The failures family reads a failure from the receipt: with none carrying the id, it cannot judge.
    expect(verdictOf(report, 'gateway.failures.lbs-torpedo.failure.110.status-code')).toBe('informational');
    expect(verdictOf(report, 'gateway.receipts.lbs-torpedo.transaction-id.same')).toBe('fail');
    expect(code).toBe(1);
  });

  it('fails the receipt checks of receipts that come by GET or with a new transaction id, and says what came', async () => {
    const { code, report } = await runBroken(
      [
        { name: 'receipt-by-get', profile: 'SMS_TEXT' },
        { name: 'receipt-new-transaction-id', profile: 'SMS_EMS' },
      ],
      [
        '--only',
        'gateway.receipts.sms-text.*',
        '--only',
        'gateway.receipts.sms-ems.*',
        '--only',
        'rule:deliveries.*',
      ],
    );
    const check = (id: string) => report.checks.find((c) => c.id === id);
    // receipts.post is SHOULD (errata.receipt-method-post-get): a receipt by GET is non-strict, not a failure.
    expect(verdictOf(report, 'gateway.receipts.sms-text.post')).toBe('non-strict');
    expect(check('gateway.receipts.sms-text.post')?.message).toMatch(
      /came by GET to \/receipt\?.*not by POST/,
    );
    expect(check('gateway.receipts.sms-text.post')?.message).not.toContain('mse-secret');
    expect(verdictOf(report, 'gateway.receipts.sms-ems.transaction-id.same')).toBe('fail');
    expect(check('gateway.receipts.sms-ems.transaction-id.same')?.message).toMatch(
      /receipts of profile SMS_EMS came by POST to \/receipt\?.*\(transaction-id 9[0-9]{18}\)/,
    );
    // Each fault fails its own rule; what depends on a receipt the suite cannot use says so, never fails.
    for (const id of [
      'gateway.receipts.sms-text.modes.async-delivery.receipt',
      'gateway.receipts.sms-text.credentials.query',
      'gateway.receipts.sms-text.one-per-request',
      'gateway.receipts.sms-ems.post',
    ])
      expect(`${id}: ${verdictOf(report, id)}`).toBe(`${id}: pass`);
    for (const id of [
      'gateway.receipts.sms-text.body.mse-response',
      'gateway.receipts.sms-ems.modes.async-delivery.receipt',
      'gateway.receipts.sms-ems.body.mse-response',
      'gateway.receipts.sms-ems.redelivery',
    ])
      expect(`${id}: ${verdictOf(report, id)}`).toBe(`${id}: informational`);
    // The receipts with new transaction ids matched no request of the run, and are listed as such.
    expect(verdictOf(report, 'gateway.receipts.deliveries.unmatched')).toBe('informational');
    expect(check('gateway.receipts.deliveries.unmatched')?.message).toMatch(/naming profile SMS_EMS/);
    expect(code).toBe(1);
  });

  it('catches a gateway that goes down after an oversized body (SHOULD: non-strict, a failure under --strict)', async () => {
    const lenient = await runBroken(
      [{ name: 'crash-on-big-body' }],
      ['--only', 'gateway.security.*.availability.*'],
    );
    expect(verdictOf(lenient.report, 'gateway.security.sms-text.availability.after-bad-input')).toBe(
      'non-strict',
    );
    expect(lenient.code).toBe(0);
    const { code, report } = await runBroken(
      [{ name: 'crash-on-big-body' }],
      ['--strict', '--only', 'gateway.security.*.availability.*'],
    );
    expect(verdictOf(report, 'gateway.security.sms-text.availability.after-bad-input')).toBe('fail');
    expect(code).toBe(1);
  });

  it('turns listed failures into known-failure and a listed pass into unexpected-pass', async () => {
    const dir = tmp();
    const file = join(dir, 'expectations.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        knownFailures: {
          'gateway.control.offer-insert.auth.refused.wrong-password':
            'our gateway accepts everything on OFFER_INSERT (ticket 12)',
          'gateway.control.sms-text.pwd.required': 'listed by mistake: this one passes',
        },
      }),
    );
    const { code, report } = await runBroken(
      [{ name: 'accept-everything', profile: 'OFFER_INSERT' }],
      [
        '--only',
        'gateway.control.offer-insert.auth.refused.wrong-password',
        '--only',
        'gateway.control.sms-text.pwd.required',
        '--expectations',
        file,
      ],
    );
    expect(verdictOf(report, 'gateway.control.offer-insert.auth.refused.wrong-password')).toBe(
      'known-failure',
    );
    expect(verdictOf(report, 'gateway.control.sms-text.pwd.required')).toBe('unexpected-pass');
    expect(code).toBe(1);
  });
});
