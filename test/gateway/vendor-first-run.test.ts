/**
 * A new vendor's first run, as the README's "Testing a real gateway" walks it: `gateway init`, an edited
 * config (the vendor's profile names, short codes, credentials, an http MO trigger for its own hook, the
 * features it claims), `gateway plan`, then the run. The target is not the simulator as the suite knows it:
 * another MO hook, other profile names, other refusal codes, no control API, no SMTP, no traffic limit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/checks/config.ts';
import type { RunReport } from '../../src/core/model.ts';
import { loadFeatures } from '../../src/spec/features.ts';
import { loadSpec, projectRoot } from '../../src/spec/load.ts';
import { freePort } from '../ports.ts';
import { runCli } from '../reliability/secrets.ts';
import { startVendorGateway, VENDOR, type VendorGateway, vendorProfileId } from './vendor/vendor-gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-vendor-'));
let gateway: VendorGateway;
let listenerPort: number;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['gateway', ...args], 300_000, dir);
}

beforeAll(async () => {
  listenerPort = await freePort();
  // The vendor provisions the partner's URL before the run: the listener's port is fixed for that.
  gateway = await startVendorGateway(`http://127.0.0.1:${listenerPort}`);
});

afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the vendor writes into the starter config: its gateway, as its own documentation would say. */
function edit(starter: Record<string, unknown>): Record<string, unknown> {
  const spec = loadSpec();
  const profiles: Record<string, unknown> = {};
  for (const s of spec.services.filter((x) => x.kind === 'api')) {
    const id = vendorProfileId(s.id);
    profiles[s.id] = {
      profile: id,
      password: `pw-${s.id.length}-${s.id.slice(0, 3).toLowerCase()}!`,
      ...(s.billingCode === 'required' ? { billingCode: VENDOR.billingCode, billingCodeRequired: true } : {}),
    };
  }
  profiles.USSD = { profile: 'acme-ussd', password: 'pw-ussd!', shortCode: VENDOR.ussdShortCode };
  profiles.DELIVERY_SMS = { shortCode: VENDOR.shortNumbers.sms };
  profiles.DELIVERY_MMS = { shortCode: VENDOR.shortNumbers.mms };
  profiles.WIB_MO = { shortCode: VENDOR.shortNumbers['wap-wib'] };
  const hook = `${gateway.url}/test-hooks`;
  const form = (body: Record<string, string>) => ({
    method: 'POST',
    url: `${hook}/mo`,
    format: 'form',
    body,
    expectStatus: 202,
  });
  return {
    ...starter,
    target: gateway.url,
    implementation: { name: 'acme-mse', version: '2.3.1', vendor: 'ACME' },
    features: loadFeatures()
      .filter((f) => f.level !== 'core' && f.id !== 'smtp-autd' && f.id !== 'traffic-limits')
      .map((f) => f.id),
    profiles,
    listener: {
      host: '127.0.0.1',
      port: 0,
      credentials: VENDOR.delivery,
      moCredentials: VENDOR.mo,
    },
    moTrigger: {
      kind: 'http',
      requests: {
        sms: form({ channel: 'sms', origin: '{from}', destination: '{to}', content: '{text}' }),
        mms: form({ channel: 'mms', origin: '{from}', destination: '{to}', mime: '{mms}' }),
        wib: form({ channel: 'wib', imei_bytes: '{imei}', tag: '{mark}' }),
        ussd: {
          method: 'PUT',
          url: `${hook}/ussd/{msisdn}`,
          format: 'json',
          body: { shortcode: '{shortCode}', action: '{kind}', input: '{value}', owner: '{sessionOwner}' },
          map: { kind: { 'user-init': 'open', 'menu-answer': 'select', 'input-answer': 'type' } },
          expectStatus: 202,
        },
      },
    },
    // The simulator's silent handset: a number ending in 0110.
    scenarios: { silentHandset: '1191000110' },
    timeouts: { requestMs: 15000, syncMs: 20000, receiptMs: 15000, quietMs: 800, redeliveryMs: 15000 },
  };
}

describe('a new vendor, from nothing to a conformant run', () => {
  it('init, edit, plan, run', async () => {
    const init = await cli(['init', 'acme.jsonc']);
    expect(init.code, init.stderr).toBe(0);
    const starter = parseConfigText(readFileSync(join(dir, 'acme.jsonc'), 'utf8'), 'acme.jsonc') as Record<
      string,
      unknown
    >;
    expect(starter.$schema).toMatch(/spec\/schema\/config\.schema\.json$/);
    // A second init does not overwrite the vendor's edits.
    expect((await cli(['init', 'acme.jsonc'])).code).toBe(2);

    writeFileSync(join(dir, 'acme.json'), JSON.stringify(edit(starter), null, 2));

    const plan = await cli(['plan', '--config', 'acme.json', '--listener-port', String(listenerPort)]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`http://127.0.0.1:${listenerPort}/receipt  with userid=acme-dlv&pwd=*****`);
    expect(plan.stdout).toContain('acme-sms-text (password *****)');
    expect(plan.stdout).toContain(`${VENDOR.shortNumbers.sms}   DELIVERY_SMS`);
    expect(plan.stdout).toContain('not claimed: SMTP AUTD, Traffic limits');
    expect(plan.stdout).not.toContain(VENDOR.delivery.pwd);
    expect(plan.stdout).not.toContain('pw-ussd!');

    const out = join(dir, 'out');
    const bundle = join(dir, 'bundle');
    const run = await cli([
      '--config',
      'acme.json',
      '--listener-port',
      String(listenerPort),
      '--out',
      out,
      '--report',
      'json,md',
      '--bundle',
      bundle,
    ]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    const failures = report.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.message}`);
    expect(failures).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`listener http://127.0.0.1:${listenerPort}`);

    // Every claimed feature is proven: nothing in it was skipped for lack of configuration.
    const claimed = report.features!.filter((f) => f.claimed);
    expect(claimed.map((f) => [f.id, f.outcome, f.gaps ?? []])).toEqual(
      claimed.map((f) => [f.id, 'conformant', []]),
    );
    expect(report.features!.filter((f) => !f.claimed).map((f) => f.id)).toEqual([
      'smtp-autd',
      'traffic-limits',
    ]);
    const smtp = report.checks.filter((c) => c.family === 'smtp');
    expect(smtp.length).toBeGreaterThan(0);
    expect(new Set(smtp.map((c) => c.verdict))).toEqual(new Set(['not-claimed']));
    // MO came through the vendor's own hook (recorded on the checks), USSD with its own words.
    const mo = report.checks.find((c) => c.id.startsWith('gateway.mo.') && c.service === 'USSD_MENU_ANSWER');
    expect(mo?.verdict).toBe('pass');
    expect(JSON.stringify(mo?.exchanges)).toContain('"action\\":\\"select\\"');

    const conformance = JSON.parse(readFileSync(join(out, 'conformance.json'), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    ajv.addSchema(JSON.parse(readFileSync(join(projectRoot, 'spec/schema/report.schema.json'), 'utf8')));
    const valid = ajv.validate(
      JSON.parse(readFileSync(join(projectRoot, 'spec/schema/conformance-report.schema.json'), 'utf8')),
      conformance,
    );
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
    expect(conformance.conformant).toBe(true);
    expect(conformance.implementation).toEqual({ name: 'acme-mse', version: '2.3.1', vendor: 'ACME' });
    expect(conformance.statement).toMatch(
      /^conformant: Core, SMS, MMS, .*; not claimed: SMTP AUTD, Traffic limits$/,
    );
    expect(readFileSync(join(bundle, 'conformance.json'), 'utf8')).toContain('"conformant": true');
    expect(readFileSync(join(out, 'report.json'), 'utf8')).not.toContain(VENDOR.mo.pwd);
  }, 240_000);

  it('a command trigger drives the same hook: the fields arrive in MSE_* variables', async () => {
    const hook = `${gateway.url}/test-hooks`;
    // The vendor's own injection script, in the language of its choice.
    const script = join(dir, 'inject.mjs');
    writeFileSync(
      script,
      `const e = process.env;
const words = { 'user-init': 'open', 'menu-answer': 'select', 'input-answer': 'type' };
const res = e.MSE_MO === 'ussd'
  ? await fetch(${JSON.stringify(hook)} + '/ussd/' + e.MSE_MSISDN, { method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shortcode: e.MSE_SHORT_CODE, action: words[e.MSE_KIND], input: e.MSE_VALUE, owner: e.MSE_SESSION_OWNER }) })
  : await fetch(${JSON.stringify(hook)} + '/mo', { method: 'POST', body: new URLSearchParams(e.MSE_MO === 'wib'
      ? { channel: 'wib', imei_bytes: e.MSE_IMEI, tag: e.MSE_MARK }
      : { channel: e.MSE_MO, origin: e.MSE_FROM, destination: e.MSE_TO, [e.MSE_MO === 'sms' ? 'content' : 'mime']: e.MSE_MO === 'sms' ? e.MSE_TEXT : e.MSE_MMS }) });
if (res.status !== 202) { console.error(await res.text()); process.exit(1); }
`,
    );
    const config = edit({ version: 1 });
    config.moTrigger = { kind: 'command', command: [process.execPath, script] };
    writeFileSync(join(dir, 'acme-command.json'), JSON.stringify(config));
    const out = join(dir, 'out-command');
    const run = await cli([
      '--config',
      'acme-command.json',
      '--listener-port',
      String(listenerPort),
      '--only',
      'family:mo',
      '--out',
      out,
      '--report',
      'json',
      '--quiet',
    ]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    expect(report.checks.length).toBeGreaterThan(40);
    expect(
      report.checks.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}: ${c.verdict} ${c.message}`),
    ).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
  }, 120_000);
});
