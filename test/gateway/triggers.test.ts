/**
 * MO triggers (src/triggers) and the config in the document's shape (src/checks/config.ts): request
 * templates, a command, a person with a handset, and the errors a mistyped config gets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from '../../src/checks/config.ts';
import { UsageError } from '../../src/cli/common.ts';
import { isConfigurationGap } from '../../src/spec/features.ts';
import { buildRequest, fireMoTrigger, placeholderValues, triggerGap } from '../../src/triggers/index.ts';

let server: Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(req.url?.startsWith('/refuse') ? 409 : 202, { 'content-type': 'text/plain' });
      res.end(req.url?.startsWith('/refuse') ? 'no such subscriber' : 'queued');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const ussd = placeholderValues('ussd', {
  msisdn: '1191234567',
  shortCode: '555',
  event: 'menu-answer',
  value: '2',
});

describe('request templates', () => {
  it('fill every format with escaping for it, and leave out members whose field does not apply', () => {
    const json = buildRequest(
      {
        url: 'http://h/u/{msisdn}?s={shortCode}',
        format: 'json',
        body: { a: '{kind}', owner: '{sessionOwner}', list: ['{value}'] },
      },
      ussd,
      1000,
    );
    expect(json.method).toBe('POST');
    expect(json.url).toBe('http://h/u/1191234567?s=555');
    expect(JSON.parse(json.body!)).toEqual({ a: 'menu-answer', list: ['2'] });
    expect(json.headers['content-type']).toBe('application/json; charset=UTF-8');

    const sms = placeholderValues('sms', { from: '1191000000', to: '3301', text: 'Olá & <b> "x"' });
    const form = buildRequest(
      { url: 'http://h/', format: 'form', body: { t: '{text}', k: '{kind}', o: '{sessionOwner}' } },
      sms,
      1000,
    );
    expect(new URLSearchParams(form.body!).get('t')).toBe('Olá & <b> "x"');
    expect(new URLSearchParams(form.body!).has('o')).toBe(false);
    expect(new URLSearchParams(form.body!).get('k')).toBe('sms');
    const xml = buildRequest({ url: 'http://h/', format: 'xml', body: '<m to="{to}">{text}</m>' }, sms, 1000);
    expect(xml.body).toBe('<m to="3301">Olá &amp; &lt;b&gt; &quot;x&quot;</m>');
    const evil = placeholderValues('sms', { text: 'a\r\nX-Evil: 1' });
    const header = buildRequest({ url: 'http://h/{text}', headers: { 'X-Text': '{text}' } }, evil, 1000);
    expect(header.headers['x-text']).toBe('a  X-Evil: 1');
    expect(header.url).toBe(`http://h/${encodeURIComponent('a\r\nX-Evil: 1')}`);
    expect(header.method).toBe('GET');
  });

  it('map the suite words to the hook words', () => {
    const r = buildRequest(
      { url: 'http://h/', body: { a: '{kind}' }, map: { kind: { 'menu-answer': 'select' } } },
      ussd,
      1000,
    );
    expect(JSON.parse(r.body!)).toEqual({ a: 'select' });
  });
});

describe('firing', () => {
  it('http: the expected status means injected; another is a refusal with the answer, recorded with secrets masked', async () => {
    const recorded: string[] = [];
    const ok = await fireMoTrigger(
      {
        kind: 'http',
        requests: {
          sms: {
            url: `${base}/mo`,
            headers: { Authorization: 'Bearer tok-123456' },
            body: { t: '{text}' },
            expectStatus: 202,
          },
        },
      },
      'sms',
      { from: '1191000000', to: '3301', text: 'oi' },
      { secrets: ['tok-123456'], record: (e) => recorded.push(JSON.stringify(e)), waitMs: 1234 },
    );
    expect(ok).toMatchObject({ ok: true, waitMs: 1234 });
    expect(seen.at(-1)?.headers.authorization).toBe('Bearer tok-123456');
    expect(recorded.join()).not.toContain('tok-123456');
    const refused = await fireMoTrigger(
      { kind: 'http', requests: { sms: { url: `${base}/refuse`, body: { t: '{text}' } } } },
      'sms',
      { text: 'oi' },
      { secrets: [], waitMs: 1 },
    );
    expect(refused).toMatchObject({ ok: false });
    expect(!refused.ok && refused.reason).toMatch(/HTTP 409 no such subscriber/);
    // A hook that does not work leaves a claimed feature incomplete, never conformant.
    expect(isConfigurationGap(!refused.ok ? refused.reason : undefined)).toBe(true);
    const missing = await fireMoTrigger(
      { kind: 'http', requests: { sms: { url: base } } },
      'mms',
      {},
      { secrets: [], waitMs: 1 },
    );
    expect(!missing.ok && missing.reason).toMatch(/moTrigger\.requests\.mms is not configured/);
  });

  it('command: the fields in MSE_* variables and in the arguments; exit 0 means injected', async () => {
    const script =
      "if (process.env.MSE_SESSION_OWNER !== 'own-1' || process.env.MSE_KIND !== 'user-init' || process.argv[1] !== '555') { console.error('bad ' + process.env.MSE_KIND); process.exit(3) }";
    const trigger = { kind: 'command' as const, command: [process.execPath, '-e', script, '{shortCode}'] };
    const fired = await fireMoTrigger(
      trigger,
      'ussd',
      { msisdn: '1191234567', shortCode: '555', event: 'user-init', sessionOwner: 'own-1' },
      { secrets: [], waitMs: 5 },
    );
    expect(fired.ok).toBe(true);
    const failed = await fireMoTrigger(
      trigger,
      'ussd',
      { msisdn: '1191234567', shortCode: '555', event: 'menu-answer' },
      { secrets: [], waitMs: 5 },
    );
    expect(!failed.ok && failed.reason).toMatch(/exited with 3: bad menu-answer/);
    expect(triggerGap({ ...trigger, kinds: ['sms'] }, 'ussd')).toMatch(/moTrigger\.kinds/);
  });

  it('manual: says what to do, waits the window, and says when the delivery came', async () => {
    const printed: string[] = [];
    const fired = await fireMoTrigger(
      { kind: 'manual', windowMs: 60_000 },
      'sms',
      { from: '1191000000', to: '3301', text: 'Olá c1' },
      { secrets: [], waitMs: 5, print: (t) => printed.push(t) },
    );
    expect(fired.ok && fired.waitMs).toBe(60_000);
    expect(printed[0]).toBe("MO (sms): from 1191000000 send 'Olá c1' to 3301 — waiting up to 60 s");
    if (fired.ok) fired.done(true);
    expect(printed.at(-1)).toMatch(/sms delivery arrived after \d+ s/);
    // The next instruction is not blocked by the first (its lock was released).
    const next = await fireMoTrigger(
      { kind: 'manual', windowMs: 1000 },
      'ussd',
      { msisdn: '1191000000', shortCode: '100', event: 'user-init' },
      { secrets: [], waitMs: 5, print: (t) => printed.push(t) },
    );
    if (next.ok) next.done(false);
    expect(printed.join('\n')).toContain('from 1191000000 dial *100#');
    expect(printed.at(-1)).toBe('  no ussd delivery within 1 s');
  });

  it('manual: a second instruction waits until the first delivery came', async () => {
    const o = { secrets: [], waitMs: 5, print: () => {} };
    const first = await fireMoTrigger({ kind: 'manual', windowMs: 60_000 }, 'sms', { text: 'a' }, o);
    let second: Awaited<ReturnType<typeof fireMoTrigger>> | undefined;
    const pending = fireMoTrigger({ kind: 'manual', windowMs: 60_000 }, 'sms', { text: 'b' }, o).then((r) => {
      second = r;
      return r;
    });
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    expect(second).toBeUndefined();
    if (first.ok) first.done(true);
    const next = await pending;
    expect(next.ok).toBe(true);
    if (next.ok) next.done(true);
  });
});

describe('config', () => {
  const problem = (value: unknown) => {
    try {
      validateConfig(value, 'c.json');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    return 'valid';
  };

  it('one USSD profile serves the six USSD operations; MO services need only a short code', () => {
    const c = validateConfig(
      {
        version: 1,
        profiles: {
          USSD: { profile: 'P_USSD', password: 'pw', shortCode: '555' },
          USSD_NOTIFY: { profile: 'P_NOTIFY', password: 'pw2' },
          DELIVERY_SMS: { shortCode: '3355' },
        },
      },
      'c.json',
    );
    expect(Object.keys(c.profiles).sort()).toEqual(
      [
        'USSD_INPUT',
        'USSD_INPUT_ANSWER',
        'USSD_MENU',
        'USSD_MENU_ANSWER',
        'USSD_NOTIFY',
        'USSD_USER_REQUEST',
      ].sort(),
    );
    expect(c.profiles.USSD_MENU?.profile).toBe('P_USSD');
    expect(c.profiles.USSD_NOTIFY?.profile).toBe('P_NOTIFY');
    expect(c.mo?.DELIVERY_SMS).toEqual({ shortCode: '3355' });
    expect(c.mo?.USSD_USER_REQUEST).toEqual({ shortCode: '555' });
    expect(c.profiles.DELIVERY_SMS).toBeUndefined();
  });

  it('old configs keep working: six USSD entries, MO entries with profile and password', () => {
    const c = validateConfig(
      {
        version: 1,
        profiles: {
          USSD_MENU: { profile: 'U', password: 'p', shortCode: '100' },
          DELIVERY_SMS: { profile: 'D', password: 'p', shortCode: '3301' },
        },
        moTrigger: { kind: 'simulator-control', url: 'http://127.0.0.1:1/__control' },
        scenarios: { silentHandset: '1191000110' },
      },
      'c.json',
    );
    expect(c.profiles.USSD_MENU?.profile).toBe('U');
    expect(c.mo?.DELIVERY_SMS?.shortCode).toBe('3301');
  });

  it('says what is wrong, where, and how to fix it', () => {
    expect(problem({ version: 1, profiles: { SMS_TEXT: { profile: 'P' } } })).toContain(
      '/profiles/SMS_TEXT: missing "password": SMS_TEXT is called by the suite',
    );
    expect(problem({ version: 1, profiles: { USSD: { shortCode: '1' } } })).toContain(
      '/profiles/USSD: missing "profile"',
    );
    expect(problem({ version: 1, profiles: { SMS_TXT: { profile: 'P', password: 'p' } } })).toContain(
      '/profiles/SMS_TXT: no service SMS_TXT in spec/services',
    );
    expect(
      problem({ version: 1, moTrigger: { kind: 'http', requests: { sms: { url: 'http://h/{texto}' } } } }),
    ).toContain('/moTrigger/requests/sms: unknown placeholder {texto}');
    expect(
      problem({
        version: 1,
        moTrigger: { kind: 'http', requests: { sms: { url: 'http://h/', format: 'form', body: 'x' } } },
      }),
    ).toContain('a form body is an object of strings');
    expect(problem({ version: 1, moTrigger: { kind: 'http' } })).toContain(
      'missing required property "requests"',
    );
    expect(problem({ version: 1, moTrigger: { kind: 'pigeon' } })).toContain('/moTrigger/kind');
    expect(problem({ version: 1, moTrigger: { kind: 'command', command: [] } })).toContain(
      '/moTrigger/command',
    );
    expect(problem({ version: 1, features: ['sms', 'telepathy'] })).toContain('unknown feature "telepathy"');
    expect(problem({ version: 1, scenarios: { silentHandset: {} } })).toContain(
      '/scenarios/silentHandset: give a number, profiles, or a before switch',
    );
    expect(
      problem({
        version: 1,
        scenarios: { silentHandset: { before: { command: ['x'], http: { url: 'http://h' } } } },
      }),
    ).toContain('give either http or command');
  });

  it('reads JSON with comments (a URL keeps its //) and YAML', () => {
    const text = '// top\n{ "version": 1, /* note */ "target": "http://x//y" // end\n}';
    expect(parseConfigText(text, 'c.jsonc')).toEqual({ version: 1, target: 'http://x//y' });
    expect(parseConfigText('version: 1\ntarget: http://x\n', 'c.yaml')).toEqual({
      version: 1,
      target: 'http://x',
    });
  });
});
