import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandHeadModel, readUssdReply } from '../../src/xml/ussd.ts';

const reply = (head: string, command: string, root = 'ussd_message_request') =>
  `<?xml version="1.0" encoding="UTF-8"?><${root}>${head}${command}</${root}>`;
const menu =
  '<command><menu><title>T</title><options><option><index>1</index><subtitle>A</subtitle></option></options></menu></command>';

describe('readUssdReply (errata.ussd-reply-head)', () => {
  it('reads the head elements the command DTD requires from the DTD itself', () => {
    expect(commandHeadModel().required).toEqual(['profile', 'password', 'msisdn', 'short_code', 'mode']);
    expect(commandHeadModel().declared).toContain('session_owner');
  });

  it('takes a head with only msisdn, short_code and session_owner, in any order, without a departure', () => {
    const r = readUssdReply(
      reply(
        '<head><session_owner>172.1.1.1</session_owner><short_code>100</short_code><msisdn>1199998888</msisdn></head>',
        menu,
      ),
    );
    expect(r.notXml).toBeUndefined();
    expect(r.envelope).toEqual([]);
    expect(r.commandProblems).toEqual([]);
    expect(r.head?.values).toEqual({ session_owner: '172.1.1.1', short_code: '100', msisdn: '1199998888' });
    expect(r.command).toEqual({ type: 'menu', title: 'T', options: [{ index: '1', subtitle: 'A' }] });
  });

  it('takes the command before the head (order of the root not judged)', () => {
    const r = readUssdReply(
      `<ussd_message_request>${menu}<head><msisdn>1</msisdn></head></ussd_message_request>`,
    );
    expect(r.envelope).toEqual([]);
    expect(r.head?.values.msisdn).toBe('1');
  });

  it('says when the bytes are no XML, refusing a DOCTYPE as the codec does', () => {
    expect(readUssdReply('Obrigado!').notXml).toMatch(/^MSE_XML_MALFORMED/);
    expect(readUssdReply('').notXml).toBeDefined();
    expect(readUssdReply('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x/>').notXml).toMatch(
      /DOCTYPE/,
    );
  });

  it('keeps the command when the envelope or the head is off, and the head when the command is off', () => {
    const noHead = readUssdReply(reply('', menu));
    expect(noHead.envelope.join()).toMatch(/0 <head>/);
    expect(noHead.head).toBeUndefined();
    expect(noHead.command?.type).toBe('menu');

    const twoHeads = readUssdReply(reply('<head><msisdn>1</msisdn></head><head/>', menu));
    expect(twoHeads.envelope.join()).toMatch(/2 <head>/);
    expect(twoHeads.command?.type).toBe('menu');

    const misordered = readUssdReply(
      reply(
        '<head><msisdn>1</msisdn></head>',
        '<command><menu><options><option><index>9</index><subtitle>A</subtitle></option></options><title>T</title></menu></command>',
      ),
    );
    expect(misordered.commandProblems.join()).toMatch(/title/);
    expect(misordered.command).toEqual({
      type: 'menu',
      title: 'T',
      options: [{ index: '9', subtitle: 'A' }],
    });
    expect(misordered.head?.values.msisdn).toBe('1');
  });

  it('reads no command from a command holding two, and says why', () => {
    const r = readUssdReply(
      reply(
        '<head/>',
        '<command><notify><content>a</content></notify><input><content>b</content></input></command>',
      ),
    );
    expect(r.command).toBeUndefined();
    expect(r.commandProblems.length).toBeGreaterThan(0);
  });

  it('reports a repeated head element or one holding elements instead of reading a value', () => {
    const r = readUssdReply(
      reply(
        '<head><msisdn>1</msisdn><msisdn>2</msisdn><short_code><x/></short_code><extra>e</extra></head>',
        menu,
      ),
    );
    expect(r.head?.values).toEqual({});
    expect(r.head?.problems.msisdn).toMatch(/more than once/);
    expect(r.head?.problems.short_code).toBeDefined();
    expect(r.head?.elements).toEqual(['msisdn', 'msisdn', 'short_code', 'extra']);
  });

  it('names a wrong root', () => {
    const r = readUssdReply(reply('<head/>', menu, 'ussd_message_response'));
    expect(r.envelope.join()).toMatch(/root element is <ussd_message_response>/);
    expect(r.head).toBeUndefined();
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        readUssdReply(Buffer.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (inner) => {
        readUssdReply(reply(`<head>${inner}</head>`, `<command>${inner}</command>`));
      }),
    );
  });
});
