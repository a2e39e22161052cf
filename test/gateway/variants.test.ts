/**
 * The dual of faults.test.ts: the gateway suite run against targets that differ from the reference simulator
 * only where the document, HTTP or XML allow a choice (test/gateway/variants/variant-proxy.ts) must find no
 * failure and nothing non-strict. Variants that cannot interact share a target, so two runs cover them all;
 * each variant also has a witness in the report, so a variant that silently stopped applying is caught.
 */
import { describe, expect, it } from 'vitest';
import type { Exchange, RunReport } from '../../src/core/model.ts';
import { runVariants } from './variants/run.ts';
import { VARIANTS, type VariantName } from './variants/variant-proxy.ts';

/** Two targets: alternatives of one choice (indented or not, which id format, which content type) are apart. */
const TARGETS: Record<string, VariantName[]> = {
  pretty: [
    'xml-indent-tabs-crlf',
    'xml-declaration-single-quotes',
    'xml-encoding-lower-case',
    'xml-standalone',
    'xml-comment',
    'param-items-reversed',
    'transaction-id-uuid',
    'error-message-wording',
    'http-chunked',
    'http-connection-close',
    'http-header-case',
    'http-extra-headers',
    'content-type-quoted-charset',
    'receipt-application-xml',
    'receipt-credentials-order',
    'receipt-slow',
    'mo-query-order',
    'xml-tag-whitespace',
    'xml-processing-instruction',
    'receipt-expect-continue',
  ],
  compact: [
    'xml-no-whitespace',
    'xml-bom',
    'xml-cdata-error-message',
    'xml-char-refs',
    'xml-trailing-comment',
    'mo-percent-encoding',
    'transaction-id-20-digits',
    'status-codes-other',
    'sms-receipt-command-status',
    'http-reason-phrase',
    'http-short-keep-alive',
    'content-type-no-charset',
    'http-error-status',
  ],
};

/**
 * Informational results the document allows: the reference's own (a USSD menu beyond the limits is refused,
 * which the document lets a gateway do) and a transaction id in a shape other than the examples'
 * (errata.transaction-id-format-examples-only).
 */
// Results that only report what the target chose where the document leaves the choice open.
const INFORMATIONAL = [
  /^gateway\.ussd\.ussd-menu\.limits\..*\.outside$/,
  /\.transaction-id\.format$/,
  /\.request\.latin1\.get$/,
];

const exchanges = (r: RunReport): Exchange[] => r.checks.flatMap((c) => c.exchanges ?? []);
const answers = (r: RunReport) =>
  exchanges(r).filter((e) => e.label.startsWith('suite → target') && e.response);
const deliveries = (r: RunReport) => exchanges(r).filter((e) => e.label.startsWith('target → listener'));
const bodies = (r: RunReport) => answers(r).map((e) => e.response?.bodyText ?? '');
const anyBody = (r: RunReport, re: RegExp) => bodies(r).some((b) => re.test(b));

/**
 * What each variant leaves in the report. Header case and the reason phrase never reach a report (Node's
 * client lower-cases names and drops the phrase; variants-proxy.test.ts reads those raw), nor do the delay
 * of receipt-slow or the closes of http-short-keep-alive (variants-keep-alive.test.ts shows what they cause).
 */
const WITNESS: Partial<Record<VariantName, (r: RunReport) => boolean>> = {
  'xml-indent-tabs-crlf': (r) => anyBody(r, /\r\n\t<status-code\s*>/),
  'xml-no-whitespace': (r) => anyBody(r, /\?><mse-response><status-code>/),
  'xml-declaration-single-quotes': (r) => anyBody(r, /^<\?xml version='1\.0'/),
  'xml-encoding-lower-case': (r) => anyBody(r, /encoding=.utf-8./),
  'xml-standalone': (r) => anyBody(r, /standalone=.yes./),
  'xml-comment': (r) => anyBody(r, /<!-- MSE variant gateway -->/),
  'xml-processing-instruction': (r) => anyBody(r, /<\?mse-gateway /),
  'xml-trailing-comment': (r) => anyBody(r, /<\/mse-response><!-- end of response -->/),
  'receipt-expect-continue': (r) => deliveries(r).some((e) => e.request.headers.expect === '100-continue'),
  'xml-bom': (r) => answers(r).some((e) => e.response?.bodyBase64.startsWith('77u/')),
  'xml-cdata-error-message': (r) => anyBody(r, /<error-message><!\[CDATA\[/),
  'param-items-reversed': (r) =>
    deliveries(r).some((e) => /MSGSTATUS[\s\S]*<param-name\s*>ANUM</.test(e.request.bodyText ?? '')),
  'transaction-id-uuid': (r) => anyBody(r, /<transaction-id\s*>[0-9a-f]{8}-[0-9a-f]{4}-/),
  'transaction-id-20-digits': (r) => anyBody(r, /<transaction-id>[0-9]{20}</),
  'error-message-wording': (r) => anyBody(r, /não foi encontrado/),
  'xml-char-refs': (r) => anyBody(r, /<profile>[A-Z]+&#95;/),
  'xml-tag-whitespace': (r) => anyBody(r, /<status-code >/),
  'mo-percent-encoding': (r) =>
    deliveries(r).some((e) => /\/mo\/sms\?(?=.*%20)(?=.*%[a-f][0-9a-f])/.test(e.request.url ?? '')),
  'status-codes-other': (r) => anyBody(r, /<status-code>1<\/status-code>/),
  'sms-receipt-command-status': (r) =>
    deliveries(r).some((e) => /SMPP(_|&#95;)COMMAND/.test(e.request.bodyText ?? '')),
  'http-chunked': (r) => answers(r).some((e) => e.response?.headers['transfer-encoding'] === 'chunked'),
  'http-connection-close': (r) => answers(r).some((e) => e.response?.headers.connection === 'close'),
  'http-extra-headers': (r) => answers(r).some((e) => e.response?.headers.server === 'MSE-variant/3.0'),
  'content-type-quoted-charset': (r) =>
    answers(r).some((e) => e.response?.headers['content-type'] === 'text/xml;charset="utf-8"'),
  'content-type-no-charset': (r) =>
    answers(r).some((e) => e.response?.headers['content-type'] === 'TEXT/XML'),
  'http-error-status': (r) => answers(r).some((e) => e.response?.status === 401),
  'receipt-application-xml': (r) =>
    deliveries(r).some((e) => e.request.headers['content-type']?.startsWith('application/xml')),
  'receipt-credentials-order': (r) => deliveries(r).some((e) => /\/receipt\?pwd=/.test(e.request.url ?? '')),
  'mo-query-order': (r) => deliveries(r).some((e) => /\/mo\/sms\?(USER|PWD)=/.test(e.request.url ?? '')),
};

describe.concurrent('gateway suite against variant targets', { timeout: 240_000 }, () => {
  it('every variant is in exactly one target', () => {
    const placed = Object.values(TARGETS).flat();
    expect(placed.slice().sort()).toEqual(Object.keys(VARIANTS).sort());
    expect(new Set(placed).size).toBe(placed.length);
  });

  for (const [name, variants] of Object.entries(TARGETS))
    it(`passes the ${name} target: no failure, nothing non-strict, exit 0`, async () => {
      // The 10 MB bodies of the availability and size checks judge no choice a variant makes, and cost most.
      const { code, stderr, report } = await runVariants(variants, [
        '--skip',
        'gateway.security.*.availability.*',
        '--skip',
        'gateway.security.*.body.size-limit',
      ]);
      expect(stderr).not.toMatch(/Error|error outside/);
      const judged = report.checks.filter(
        (c) =>
          ['fail', 'non-strict', 'unexpected-pass'].includes(c.verdict) ||
          (c.verdict === 'informational' && !INFORMATIONAL.some((re) => re.test(c.id))),
      );
      expect(judged.map((c) => `${c.verdict} ${c.id}: ${c.message}`)).toEqual([]);
      expect(variants.filter((v) => WITNESS[v] && !WITNESS[v](report))).toEqual([]);
      expect(report.summary.byVerdict.pass).toBeGreaterThan(1000);
      expect(code).toBe(0);
    });
});
