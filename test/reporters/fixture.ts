/**
 * A run report that exercises every reporter path: every verdict, a family skipped whole, Latin-1 bytes,
 * a hostile body, a timeout, and passwords the runner failed to mask (the reporters' last defence).
 */
import {
  type CheckResult,
  type Exchange,
  REPORT_SCHEMA_VERSION,
  type RunReport,
  summarize,
  type WireMessage,
} from '../../src/core/model.ts';

export const PASSWORD = 'S3cr3t pw!';
/** A password with a Latin-1 letter, so it can appear as UTF-8 or as ISO-8859-1 bytes. */
export const LATIN1_PASSWORD = 'senhaç9Z';
export const SECRETS = [PASSWORD, LATIN1_PASSWORD];

export const HOSTILE =
  '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">]]>&amp;\u0001\u001b[31m';

const TARGET = 'http://127.0.0.1:8080/MSE/api';
const AT = '2026-11-25T04:00:00.000Z';

function wire(parts: Omit<WireMessage, 'bodyBase64'> & { body?: Buffer | string }): WireMessage {
  const { body, ...rest } = parts;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? Buffer.alloc(0));
  return { ...rest, bodyBase64: bytes.toString('base64') };
}

const okResponse = (status: number, text: string) =>
  wire({
    status,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: text,
    bodyText: text,
  });

function exchange(label: string, request: WireMessage, response?: WireMessage, error?: string): Exchange {
  return { label, at: AT, request, ...(response ? { response } : {}), ...(error ? { error } : {}) };
}

const accepted =
  '<?xml version="1.0" encoding="UTF-8"?><mse-response><status-code>0</status-code><profile>1234</profile><transaction-id>42</transaction-id></mse-response>';

function check(partial: Partial<CheckResult> & Pick<CheckResult, 'id' | 'verdict'>): CheckResult {
  return {
    rule: 'sms-text.text.max-length',
    section: '6.4.1',
    level: 'MUST',
    family: 'params',
    requirement: 'The gateway refuses a TEXT longer than the service allows.',
    durationMs: 12.5,
    exchanges: [],
    ...partial,
  };
}

export function buildFixtureReport(): RunReport {
  const checks: CheckResult[] = [
    check({
      id: 'gateway.params.sms-text.text.max-length.inside',
      verdict: 'pass',
      service: 'sms-text',
      mode: 'sync',
      exchanges: [
        exchange(
          'suite → target /MSE/api',
          wire({
            method: 'GET',
            url: `${TARGET}?profile=1234&pwd=${encodeURIComponent(PASSWORD)}&mode=sync`,
            headers: {},
          }),
          okResponse(200, accepted),
        ),
      ],
    }),
    check({
      id: 'gateway.params.sms-text.text.max-length.outside',
      verdict: 'fail',
      service: 'sms-text',
      mode: 'assync-oneway',
      message: `expected status-code 12, got 0; body echoed ${HOSTILE}`,
      exchanges: [
        exchange(
          'suite → target /MSE/api',
          wire({
            method: 'POST',
            url: TARGET,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ profile: '1234', pwd: PASSWORD, TEXT: 'x'.repeat(161) }).toString(),
          }),
          wire({
            status: 200,
            headers: { 'content-type': 'text/xml', 'x-echo': `pwd=${PASSWORD} ${HOSTILE}` },
            body: `<?xml version="1.0"?><mse-response><status-code>0</status-code><error-message>${HOSTILE} ${PASSWORD}</error-message></mse-response>`,
          }),
        ),
      ],
    }),
    check({
      id: 'gateway.modes.sms-text.sync.accepted',
      rule: 'sms-text.mode.sync',
      section: '6.4.1',
      family: 'modes',
      verdict: 'non-strict',
      level: 'SHOULD',
      service: 'sms-text',
      mode: 'sync',
      message: 'the response took the asynchronous shape',
    }),
    check({
      id: 'gateway.smtp.autd.delivered',
      rule: 'smtp.autd',
      section: '7.1.2',
      family: 'smtp',
      verdict: 'skip',
      message: 'no SMTP address in the config (smtp.address)',
    }),
    check({
      id: 'gateway.smtp.autd.subject',
      rule: 'smtp.autd.subject',
      section: '7.1.2',
      family: 'smtp',
      verdict: 'skip',
      message: 'no SMTP address in the config (smtp.address)',
    }),
    check({
      id: 'gateway.envelope.transaction-id.unique',
      rule: 'envelope.transaction-id.unique',
      section: '6.5.1',
      family: 'envelope',
      verdict: 'known-failure',
      message: 'transaction-id 42 repeated',
      expectation: 'our gateway reuses ids after restart (TICKET-12)',
    }),
    check({
      id: 'gateway.envelope.xml-declaration',
      rule: 'envelope.xml-declaration',
      section: '6.5.1',
      family: 'envelope',
      verdict: 'unexpected-pass',
      expectation: 'declaration missing in 2.x',
    }),
    check({
      id: 'gateway.mo.sms.latin1',
      rule: 'mo.sms.charset',
      section: '6.4.6',
      family: 'mo',
      verdict: 'fail',
      service: 'sms-mo',
      message: 'TEXT was not ISO-8859-1',
      exchanges: [
        exchange(
          'target → listener SMS MO',
          wire({
            method: 'POST',
            url: `http://127.0.0.1:9000/mo?USER=partner&PWD=${LATIN1_PASSWORD}`,
            headers: { 'content-type': 'text/plain; charset=ISO-8859-1' },
            // Latin-1 bytes (not valid UTF-8), with the password in Latin-1 inside.
            body: Buffer.from(`TEXT=Ação é órfã&PWD=${LATIN1_PASSWORD}`, 'latin1'),
          }),
          okResponse(200, 'ok'),
        ),
        exchange(
          'target → listener receipt',
          wire({ method: 'POST', url: 'http://127.0.0.1:9000/receipt', headers: {}, body: 'x' }),
          undefined,
          'timeout after 5000 ms',
        ),
      ],
    }),
    check({
      id: 'gateway.results.lbs.latitude',
      rule: 'lbs.output.latitude',
      section: '6.4.9',
      family: 'results',
      verdict: 'informational',
      service: 'lbs',
      mode: 'sync',
      message: 'LATITUDE -23.55 observed',
      exchanges: [
        exchange(
          'suite → target /MSE/api',
          // The password as UTF-8 bytes inside a body the runner did not mask.
          wire({ method: 'POST', url: TARGET, headers: {}, body: `password=${LATIN1_PASSWORD}` }),
          okResponse(200, accepted),
        ),
      ],
    }),
  ];
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    suite: 'gateway',
    suiteVersion: '0.1.0',
    specHash: 'a'.repeat(64),
    target: TARGET,
    config: { target: TARGET, profiles: { 'sms-text': { profile: '1234', password: PASSWORD } } },
    strict: false,
    startedAt: AT,
    durationMs: 1234,
    summary: summarize(checks),
    checks,
  };
}
