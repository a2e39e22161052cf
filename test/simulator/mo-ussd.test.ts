import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImeiBytes } from '../../src/simulator/backends.ts';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { loadSpec, projectRoot } from '../../src/spec/load.ts';
import { type Received, startReceiver } from './helpers.ts';

const spec = loadSpec();
let sim: Simulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** What the partner answers to USSD events: set per test. */
let ussdReply = '';

beforeAll(async () => {
  receiver = await startReceiver({
    reply: (r: Received) =>
      r.target.startsWith('/ussd') ? { status: 200, body: ussdReply } : { status: 200 },
  });
  sim = await startSimulator({ callback: receiver.url, clock: 'virtual', smtp: false, log: () => {} });
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

const control = (path: string, body: unknown) =>
  fetch(`${sim.controlUrl}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as Record<string, unknown>,
  }));

describe('MO deliveries (6.4.5, 6.4.7, 6.4.14)', () => {
  it('SMS MO is a GET in ISO-8859-1 with TEXT, ID, ANUM, BNUM, USER, PWD', async () => {
    const from = receiver.received.length;
    const r = await control('/mo/sms', { from: '1191000000', to: '3301', text: 'Promoção já!' });
    expect(r.status).toBe(200);
    await sim.advance(100);
    const got = receiver.received.slice(from);
    expect(got).toHaveLength(1);
    expect(got[0]!.method).toBe('GET');
    expect(got[0]!.target).toBe(
      `/mo/sms?TEXT=Promo%E7%E3o+j%E1%21&ID=${r.json.transactionId}&ANUM=1191000000&BNUM=3301&USER=mse&PWD=mse-secret`,
    );
    const t = sim.transactions().find((x) => x.transactionId === r.json.transactionId)!;
    expect(t.delivery).toBe('delivered');
    expect(t.deliveries[0]!.url).toContain('PWD=***');
  });

  it('SMS MO to a number that is not 33NN/2NNN, or a text beyond the limit, is refused', async () => {
    expect((await control('/mo/sms', { from: '1191000000', to: '4001', text: 'x' })).status).toBe(400);
    const max = spec.services
      .find((s) => s.kind === 'mo-delivery' && s.group === 'sms')!
      .inputs.find((i) => i.name === 'TEXT')!.maxLength!;
    expect(
      (await control('/mo/sms', { from: '1191000000', to: '3301', text: 'x'.repeat(max + 1) })).status,
    ).toBe(400);
    expect((await control('/mo/sms', { from: '1191000000', to: '3399', text: 'x' })).status).toBe(400);
  });

  it('MMS MO is the REQUEST document POSTed in UTF-8, MMS percent-encoded in CDATA', async () => {
    const from = receiver.received.length;
    const mms = readFileSync(join(projectRoot, 'fixtures/document/6.4.6-mms.mime'), 'latin1').slice(0, 400);
    const r = await control('/mo/mms', { from: '1191000000', to: '3302', mms: `${mms}\nç` });
    expect(r.status).toBe(200);
    await sim.advance(100);
    const got = receiver.received.slice(from)[0]!;
    expect(got.method).toBe('POST');
    expect(got.target).toBe('/mo/mms');
    expect(got.headers['content-type']).toBe('text/xml; charset=UTF-8');
    const xml = got.body.toString('utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<REQUEST REQ_TYPE="Rcv_MMS_MO">/);
    expect(xml).toContain(`MSG_ID="${String(r.json.transactionId).padStart(39, '0')}"`);
    expect(xml).toContain('<ANUM>1191000000</ANUM>');
    expect(xml).toContain('<BNUM>3302</BNUM>');
    expect(xml).toContain('%0A%C3%A7]]></MMS>');
    const { validateXml } = await import('../../src/xml/validate.ts');
    expect(validateXml(got.body, 'mms-mo-request').ok).toBe(true);
  });

  it('WIB MO translates IMEI bytes into MSEIMEI (15th digit 0), maker and model; nothing when it fails', async () => {
    const from = receiver.received.length;
    await control('/mo/wib', { params: { IMEI: encodeImeiBytes('352206012229529'), OP: 'menu' } });
    await control('/mo/wib', { params: { IMEI: 'ZZ', OP: 'menu' } });
    await sim.advance(100);
    const [ok, failed] = receiver.received.slice(from);
    expect(ok!.target).toBe(
      `/mo/wib?IMEI=${encodeImeiBytes('352206012229529')}&OP=menu&MSEIMEI=352206012229520&MSEIMEIMANUF=sonyericsson&MSEIMEIMODEL=K790i`,
    );
    expect(failed!.target).toBe('/mo/wib?IMEI=ZZ&OP=menu');
  });
});

const menu = (owner?: string) => `<?xml version="1.0" encoding="UTF-8"?>
<ussd_message_request>
  <head><profile>USSD_MENU</profile><password>senha</password><msisdn>1199998888</msisdn><short_code>100</short_code><mode>assync</mode>${owner ? `<session_owner>${owner}</session_owner>` : ''}</head>
  <command><menu>
    <title>This is an example menu. It contains over 150 chars and will be paged by USSD.</title>
    <options>
      <option><index>1</index><subtitle>This is the first menu item.</subtitle></option>
      <option><index>2</index><subtitle>This is the second menu item.</subtitle></option>
      <option><index>3</index><subtitle>This is the third menu item.</subtitle></option>
      <option><index>4</index><subtitle>This is the forth menu item.</subtitle></option>
    </options>
  </menu></command>
</ussd_message_request>`;

describe('USSD (6.4.18-6.4.23)', () => {
  it('pages a long menu as the document shows, handles 0/9 locally and forwards a choice from any page', async () => {
    ussdReply = menu();
    const from = receiver.received.length;
    const opened = await control('/ussd/event', {
      msisdn: '1199998888',
      shortCode: '100',
      kind: 'user-init',
    });
    expect(opened.status).toBe(200);
    const reply = opened.json.reply as { valid: boolean };
    expect(reply.valid, JSON.stringify(opened.json)).toBe(true);
    const event = receiver.received.slice(from)[0]!;
    expect(event.target).toBe('/ussd');
    expect(event.body.toString()).toContain('<user_init>1</user_init>');
    const { validateXml } = await import('../../src/xml/validate.ts');
    expect(validateXml(event.body, 'ussd_message_response').ok).toBe(true);

    const screens = opened.json.screens as { page: number; pages: number; text: string }[];
    const notice = spec.protocol.ussd.notice;
    expect(screens[0]).toMatchObject({ page: 1, pages: 2 });
    expect(screens[0]!.text).toBe(
      `This is an example menu. It contains over 150 chars and will be paged by USSD.\n1. This is the first menu item.\n${notice}`,
    );
    const next = await control('/ussd/event', {
      msisdn: '1199998888',
      shortCode: '100',
      kind: 'menu-answer',
      value: spec.protocol.ussd.next,
    });
    expect(next.json.paged).toBe(true);
    expect((next.json.screen as { text: string }).text).toBe(
      `2. This is the second menu item.\n3. This is the third menu item.\n4. This is the forth menu item.\n${notice}`,
    );
    const again = await control('/ussd/event', {
      msisdn: '1199998888',
      shortCode: '100',
      kind: 'menu-answer',
      value: spec.protocol.ussd.next,
    });
    expect((again.json.screen as { page: number }).page).toBe(2);
    const back = await control('/ussd/event', {
      msisdn: '1199998888',
      shortCode: '100',
      kind: 'menu-answer',
      value: spec.protocol.ussd.previous,
    });
    expect((back.json.screen as { page: number }).page).toBe(1);
    expect(receiver.received.length - from).toBe(1);

    // Option 3 is on page 2, chosen while page 1 shows: forwarded to the partner, who notifies.
    ussdReply = `<?xml version="1.0" encoding="UTF-8"?><ussd_message_request><head><profile>USSD_MENU</profile><password>senha</password><msisdn>1199998888</msisdn><short_code>100</short_code><mode>async</mode></head><command><notify><content>Obrigado</content></notify></command></ussd_message_request>`;
    const chosen = await control('/ussd/event', {
      msisdn: '1199998888',
      shortCode: '100',
      kind: 'menu-answer',
      value: '3',
    });
    expect((chosen.json.reply as { valid: boolean }).valid).toBe(true);
    expect(receiver.received.at(-1)!.body.toString()).toContain('<index>3</index>');
    expect((chosen.json.screens as { text: string }[])[0]!.text).toBe('Obrigado');
    // The notification ended the session.
    expect(
      (
        await control('/ussd/event', {
          msisdn: '1199998888',
          shortCode: '100',
          kind: 'menu-answer',
          value: '1',
        })
      ).status,
    ).toBe(409);
  });

  it('an invalid reply from the partner is recorded as such', async () => {
    ussdReply = '<not-a-command/>';
    const r = await control('/ussd/event', { msisdn: '1199990000', shortCode: '100', kind: 'user-init' });
    const reply = r.json.reply as { valid: boolean; problem: string };
    expect(reply.valid).toBe(false);
    expect(reply.problem).toContain('ussd_message_request');
    const t = sim.transactions().find((x) => x.transactionId === r.json.transactionId)!;
    expect(t.reply?.valid).toBe(false);
  });

  it('input answers are forwarded as <input>', async () => {
    ussdReply = `<?xml version="1.0" encoding="UTF-8"?><ussd_message_request><head><profile>USSD_MENU</profile><password>senha</password><msisdn>1199997777</msisdn><short_code>100</short_code><mode>async</mode></head><command><input><content>Please input your CPF:</content></input></command></ussd_message_request>`;
    await control('/ussd/event', { msisdn: '1199997777', shortCode: '100', kind: 'user-init' });
    const r = await control('/ussd/event', {
      msisdn: '1199997777',
      shortCode: '100',
      kind: 'input-answer',
      value: '12345678909',
    });
    expect(r.status).toBe(200);
    expect(receiver.received.at(-1)!.body.toString()).toContain('<input>12345678909</input>');
  });

  it('commands on /MSE/ussd: reserved indexes and limits are refused with 12, a valid menu is paged in the timeline', async () => {
    const post = async (xml: string) => {
      const res = await fetch(`${sim.url}/MSE/ussd`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: xml,
      });
      return (await res.text()).match(/<status-code>(\d+)<\/status-code>/)![1];
    };
    expect(await post(menu('172.1.1.1'))).toBe('0');
    const t = sim
      .transactions()
      .filter((x) => x.kind === 'ussd-command')
      .at(-1)!;
    expect(t.screens?.[0]?.pages).toBe(2);
    expect(t.pages).toHaveLength(2);
    expect(t.pages![1]).toMatch(/^2\. This is the second menu item\.\n/);
    expect(await post(menu().replace('<index>4</index>', '<index>9</index>'))).toBe('12');
    const limit = spec.protocol.ussd.limits.find((l) => l.name === 'subtitle')!.limited;
    expect(await post(menu().replace('This is the forth menu item.', 'x'.repeat(limit + 1)))).toBe('12');
    expect(await post(menu().replace('<password>senha</password>', '<password>nope</password>'))).toBe('401');
    expect(await post(menu().replace('<mode>assync</mode>', '<mode>sometimes</mode>'))).toBe('405');
  });
});

/** A reply to a USSD event with the given head content and command (errata.ussd-reply-head). */
const reply = (head: string, command: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ussd_message_request><head>${head}</head>${command}</ussd_message_request>`;
const choice =
  '<command><menu><title>Saldo</title><options><option><index>1</index><subtitle>Ver saldo</subtitle></option></options></menu></command>';

/** Opens a session for msisdn with the partner answering `answer`; returns the reply and the timeline. */
const open = async (msisdn: string, answer: string) => {
  ussdReply = answer;
  const r = await control('/ussd/event', { msisdn, shortCode: '100', kind: 'user-init' });
  expect(r.status).toBe(200);
  const t = sim.transactions().find((x) => x.transactionId === r.json.transactionId)!;
  return {
    reply: r.json.reply as { valid: boolean; problem?: string; body?: string },
    screens: (r.json.screens ?? []) as { text: string }[],
    t,
  };
};

describe('partner replies to USSD events (errata.ussd-reply-head, 6.4.21-6.4.23)', () => {
  it('a head with only msisdn and short_code is applied, its missing profile, password and mode noted', async () => {
    const r = await open(
      '1199991001',
      reply('<msisdn>1199991001</msisdn><short_code>100</short_code>', choice),
    );
    expect(r.reply.valid, r.reply.problem).toBe(true);
    expect(r.screens[0]!.text).toBe('Saldo\n1. Ver saldo');
    expect(r.t.notes).toContain('reply head read, in order: msisdn, short_code');
    expect(r.t.notes.join('\n')).toMatch(/no profile, password, mode \(SHOULD/);
    // The session now awaits a choice from the menu: the choice goes to the partner.
    ussdReply = reply(
      '<msisdn>1199991001</msisdn><short_code>100</short_code>',
      '<command><notify><content>Ok</content></notify></command>',
    );
    const chosen = await control('/ussd/event', {
      msisdn: '1199991001',
      shortCode: '100',
      kind: 'menu-answer',
      value: '1',
    });
    expect((chosen.json.screens as { text: string }[])[0]!.text).toBe('Ok');
  });

  it('a head in another order, and a command before the head, are applied', async () => {
    const r = await open(
      '1199991002',
      `<ussd_message_request>${choice}<head><mode>async</mode><short_code>100</short_code><password>senha</password><msisdn>1199991002</msisdn><profile>USSD_MENU</profile></head></ussd_message_request>`,
    );
    expect(r.reply.valid, r.reply.problem).toBe(true);
    expect(r.screens[0]!.text).toBe('Saldo\n1. Ver saldo');
    expect(r.t.notes).toContain('reply head read, in order: mode, short_code, password, msisdn, profile');
    expect(JSON.stringify(r.t.reply)).not.toContain('senha');
  });

  it('a head with elements the command DTD does not declare, and session_owner, is applied', async () => {
    const r = await open(
      '1199991003',
      reply(
        '<session_owner>172.9.9.9</session_owner><msisdn>1199991003</msisdn><canal>web</canal><short_code>100</short_code>',
        '<command><input><content>Digite o CPF:</content></input></command>',
      ),
    );
    expect(r.reply.valid, r.reply.problem).toBe(true);
    expect(r.screens[0]!.text).toBe('Digite o CPF:');
    expect(r.t.notes).toContain('reply head read, in order: session_owner, msisdn, canal, short_code');
    // The session's owner stays the MSE's; the reply's other one is noted.
    expect(r.t.notes.join('\n')).toMatch(/session_owner 172\.9\.9\.9 is not the session's/);
  });

  it.each([
    ['no XML', 'Obrigado!', /status 415: Refused XML: MSE_XML_MALFORMED/],
    ['no command', reply('<msisdn>1199991004</msisdn><short_code>100</short_code>', ''), /0 <command>/],
    [
      'an empty command',
      reply('<msisdn>1199991004</msisdn><short_code>100</short_code>', '<command/>'),
      /\[command\]/,
    ],
    [
      'two commands',
      reply(
        '<msisdn>1199991004</msisdn><short_code>100</short_code>',
        '<command><notify><content>a</content></notify><input><content>b</content></input></command>',
      ),
      /\[command\]/,
    ],
    ['no msisdn', reply('<short_code>100</short_code>', choice), /Missing parameter \[msisdn\]/],
    ['no short_code', reply('<msisdn>1199991004</msisdn>', choice), /Missing parameter \[short_code\]/],
    [
      'a repeated msisdn',
      reply('<msisdn>1199991004</msisdn><msisdn>1199991004</msisdn><short_code>100</short_code>', choice),
      /\[msisdn\]: .*more than once/,
    ],
    [
      'a reserved index',
      reply(
        '<msisdn>1199991004</msisdn><short_code>100</short_code>',
        '<command><menu><options><option><index>9</index><subtitle>A</subtitle></option></options></menu></command>',
      ),
      /\[index\]: index may not be "9"/,
    ],
  ])('a reply with %s is refused and shows nothing', async (_name, answer, problem) => {
    const r = await open('1199991004', answer);
    expect(r.reply.valid).toBe(false);
    expect(r.reply.problem).toMatch(problem);
    expect(r.screens).toEqual([]);
    expect(r.t.reply?.valid).toBe(false);
    expect(r.t.screens).toBeUndefined();
  });

  it("a reply with another subscriber's msisdn or another short_code does not drive this session", async () => {
    const other = await open(
      '1199991005',
      reply('<msisdn>1199991006</msisdn><short_code>100</short_code>', choice),
    );
    expect(other.reply.valid).toBe(false);
    expect(other.reply.problem).toMatch(/msisdn 1199991006 is not the session's 1199991005/);
    expect(other.screens).toEqual([]);
    // Neither the other subscriber's session is opened nor this one shows the menu.
    const theirs = await control('/ussd/event', {
      msisdn: '1199991006',
      shortCode: '100',
      kind: 'menu-answer',
      value: '1',
    });
    expect(theirs.status).toBe(409);
    expect(other.t.screens).toBeUndefined();

    const code = await open(
      '1199991007',
      reply('<msisdn>1199991007</msisdn><short_code>200</short_code>', choice),
    );
    expect(code.reply.valid).toBe(false);
    expect(code.reply.problem).toMatch(/short_code 200 is not the session's 100/);
  });

  it('a refused reply keeps its password masked', async () => {
    const r = await open(
      '1199991008',
      reply('<profile>USSD_MENU</profile><password>s3gr3d0</password><msisdn>1199991008</msisdn>', choice),
    );
    expect(r.reply.valid).toBe(false);
    expect(r.reply.body).toBeDefined();
    expect(r.reply.body).not.toContain('s3gr3d0');
  });
});
