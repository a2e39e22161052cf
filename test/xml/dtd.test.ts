/**
 * The DTD parser, the validators derived from it, and hand-made documents for order and
 * cardinality (6.5.1), each also checked by libxml2 so that the two validators agree.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveValidator, matchContent } from '../../src/xml/derive.ts';
import { DtdError, formatContentModel, parseDtd } from '../../src/xml/dtd.ts';
import { readMseResponse } from '../../src/xml/mse-response.ts';
import { type DtdName, dtdPath, validateXml, validatorFor } from '../../src/xml/validate.ts';
import { xmllint } from './xmllint.ts';

describe('parseDtd', () => {
  it('reads the 6.5.1 DTD: sequence with ?, +, #PCDATA', () => {
    const dtd = parseDtd(readFileSync(dtdPath('mse-response'), 'utf8'));
    expect([...dtd.elements.keys()]).toEqual([
      'mse-response',
      'status-code',
      'profile',
      'transaction-id',
      'error-message',
      'parameters',
      'param-item',
      'param-name',
      'param-value',
    ]);
    expect(formatContentModel(dtd.elements.get('mse-response')!.content)).toBe(
      '(status-code?, profile, transaction-id?, error-message?, parameters?)',
    );
    expect(formatContentModel(dtd.elements.get('parameters')!.content)).toBe('(param-item+)');
    expect(dtd.elements.get('profile')!.content).toEqual({ kind: 'mixed', names: [] });
  });

  it('reads choices, nested groups, EMPTY, ANY, mixed content and attribute lists', () => {
    const dtd = parseDtd(`<!-- c -->
      <!ELEMENT r ((a | b)*, c+, (d, e?)?)>
      <!ELEMENT a EMPTY> <!ELEMENT b ANY> <!ELEMENT c (#PCDATA | a)*> <!ELEMENT d (#PCDATA)> <!ELEMENT e (a)>
      <!ATTLIST r k (x | y) #REQUIRED  f CDATA #FIXED "1"  i CDATA #IMPLIED  t NMTOKEN "n" >`);
    expect(formatContentModel(dtd.elements.get('r')!.content)).toBe('((a | b)*, c+, (d, e?)?)');
    expect(dtd.elements.get('a')!.content).toEqual({ kind: 'empty' });
    expect(dtd.elements.get('b')!.content).toEqual({ kind: 'any' });
    expect(dtd.elements.get('c')!.content).toEqual({ kind: 'mixed', names: ['a'] });
    const attrs = dtd.attributes.get('r')!;
    expect(attrs.get('k')).toEqual({
      name: 'k',
      type: { kind: 'enum', values: ['x', 'y'] },
      default: { kind: 'required' },
    });
    expect(attrs.get('f')!.default).toEqual({ kind: 'fixed', value: '1' });
    expect(attrs.get('i')!.default).toEqual({ kind: 'implied' });
    expect(attrs.get('t')).toMatchObject({
      type: { kind: 'NMTOKEN' },
      default: { kind: 'default', value: 'n' },
    });
  });

  it.each([
    ['<!ENTITY x "y">', 'MSE_DTD_ENTITY'],
    ['<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;', 'MSE_DTD_ENTITY'],
    ['<!ELEMENT a %p;>', 'MSE_DTD_ENTITY'],
    ['<!ELEMENT a (b)> <!ATTLIST a x ENTITY #IMPLIED>', 'MSE_DTD_ENTITY'],
    ['<!ELEMENT a (b)> <!ATTLIST a x CDATA "&y;">', 'MSE_DTD_ENTITY'],
    ['<!NOTATION n SYSTEM "x">', 'MSE_DTD_UNSUPPORTED'],
    ['<![INCLUDE[ <!ELEMENT a EMPTY> ]]>', 'MSE_DTD_UNSUPPORTED'],
    ['<!ELEMENT a (b, c | d)>', 'MSE_DTD_SYNTAX'],
    ['<!ELEMENT a (b>', 'MSE_DTD_SYNTAX'],
    ['<!ELEMENT a (#PCDATA | b)>', 'MSE_DTD_SYNTAX'],
    ['<!ELEMENT a EMPTY> <!ELEMENT a ANY>', 'MSE_DTD_SYNTAX'],
    ['<!ELEMENT a (b, #PCDATA)>', 'MSE_DTD_SYNTAX'],
    ['junk', 'MSE_DTD_SYNTAX'],
  ])('refuses %s with %s', (text, code) => {
    let error: unknown;
    try {
      parseDtd(text, 'test.dtd');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DtdError);
    expect((error as DtdError).code).toBe(code);
    expect((error as DtdError).message).toMatch(/^test\.dtd:\d+: /);
  });
});

describe('derived validator', () => {
  it('derives one JSON Schema per element, from the DTD', () => {
    const v = validatorFor('mse-response');
    expect(v.root).toBe('mse-response');
    expect(Object.keys(v.schemas)).toHaveLength(9);
    const schema = v.schemas['mse-response'] as { properties: { children: { items: { enum: string[] } } } };
    expect(schema.properties.children.items.enum).toEqual([
      'status-code',
      'profile',
      'transaction-id',
      'error-message',
      'parameters',
    ]);
  });

  it('refuses content models that are not deterministic (XML 1.0 appendix E), as libxml2 does', () => {
    for (const model of ['(a?, a)', '((a, b) | (a, c))', '(a*, a)']) {
      const text = `<!ELEMENT r ${model}> <!ELEMENT a EMPTY> <!ELEMENT b EMPTY> <!ELEMENT c EMPTY>`;
      expect(() => deriveValidator(parseDtd(text))).toThrowError(
        expect.objectContaining({ code: 'MSE_DTD_SYNTAX' }),
      );
      const file = join(tmp, 'nondeterministic.dtd');
      writeFileSync(file, text);
      const doc = join(tmp, 'nd.xml');
      writeFileSync(doc, '<r><a/></r>');
      expect(xmllint(doc, file).stderr).toMatch(/not determinist/);
    }
    expect(() => deriveValidator(parseDtd('<!ELEMENT r (a, (b | c)?, a?)>'))).not.toThrow();
  });

  it('parseDtd throws nothing but DtdError on arbitrary text', () => {
    const pieces = [
      '<!ELEMENT',
      '<!ATTLIST',
      '<!ENTITY',
      ' ',
      'a',
      '(',
      ')',
      ',',
      '|',
      '?',
      '*',
      '+',
      '#PCDATA',
      'EMPTY',
      'ANY',
      '>',
      'CDATA',
      '#REQUIRED',
      '#FIXED',
      '"x"',
      '%p;',
      '<!--',
      '-->',
      '<?xml',
      '?>',
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((a) => a.join('')),
        ),
        (text) => {
          try {
            deriveValidator(parseDtd(text));
          } catch (e) {
            if (
              !(e instanceof DtdError) &&
              !(e instanceof Error && e.message === 'the DTD declares no element')
            )
              throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('compiles content models to automata that decide order and cardinality', () => {
    const dtd = parseDtd('<!ELEMENT r ((a | b)*, c+, (d, e?)?)>');
    const v = deriveValidator(dtd);
    const automaton = v.rules.get('r')!.automaton!;
    const ok = (names: string) => matchContent(automaton, names ? names.split(' ') : []) === undefined;
    expect(ok('c')).toBe(true);
    expect(ok('a b a c c d')).toBe(true);
    expect(ok('c d e')).toBe(true);
    expect(ok('')).toBe(false);
    expect(ok('c e')).toBe(false);
    expect(ok('c a')).toBe(false);
    expect(ok('c d e e')).toBe(false);
    expect(matchContent(automaton, ['c', 'e'])).toMatch(/<e> is not allowed after <c>; expected .*<d>/);
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'mse-dtd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const m = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response>${inner}</mse-response>\n`;
const item = (n: string, v: string) =>
  `<param-item><param-name>${n}</param-name><param-value>${v}</param-value></param-item>`;

/** [description, dtd, document, valid] */
const cases: Array<[string, DtdName, string, boolean]> = [
  [
    'the 6.1 ack',
    'mse-response',
    m('<status-code>0</status-code><profile>p</profile><transaction-id>1020606201622668099</transaction-id>'),
    true,
  ],
  ['profile alone (status-code is optional in the DTD)', 'mse-response', m('<profile>p</profile>'), true],
  [
    'every child, in order',
    'mse-response',
    m(
      `<status-code>1</status-code><profile>p</profile><transaction-id>1</transaction-id><error-message>e</error-message><parameters>${item('A', '1')}${item('B', '2')}</parameters>`,
    ),
    true,
  ],
  ['status-code after profile', 'mse-response', m('<profile>p</profile><status-code>0</status-code>'), false],
  [
    'two profiles',
    'mse-response',
    m('<status-code>0</status-code><profile>p</profile><profile>q</profile>'),
    false,
  ],
  ['no profile', 'mse-response', m('<status-code>0</status-code>'), false],
  [
    'two status-codes',
    'mse-response',
    m('<status-code>0</status-code><status-code>0</status-code><profile>p</profile>'),
    false,
  ],
  [
    'parameters without param-item',
    'mse-response',
    m('<profile>p</profile><parameters></parameters>'),
    false,
  ],
  [
    'param-value before param-name',
    'mse-response',
    m(
      '<profile>p</profile><parameters><param-item><param-value>1</param-value><param-name>A</param-name></param-item></parameters>',
    ),
    false,
  ],
  [
    'param-item without param-value',
    'mse-response',
    m('<profile>p</profile><parameters><param-item><param-name>A</param-name></param-item></parameters>'),
    false,
  ],
  [
    'error-message before transaction-id',
    'mse-response',
    m('<profile>p</profile><error-message>e</error-message><transaction-id>1</transaction-id>'),
    false,
  ],
  ['text between elements', 'mse-response', m('<profile>p</profile>text'), false],
  ['an element inside #PCDATA', 'mse-response', m('<profile>p<b/></profile>'), false],
  ['an undeclared element', 'mse-response', m('<profile>p</profile><extra/>'), false],
  ['an undeclared attribute', 'mse-response', m('<profile x="1">p</profile>'), false],
  [
    'whitespace and comments between elements',
    'mse-response',
    m(
      '\n  <profile>p</profile>\n  <!-- c -->\n  <parameters>\n    ' +
        item('A', ' 1 ') +
        '\n  </parameters>\n',
    ),
    true,
  ],
  ['CDATA in #PCDATA', 'mse-response', m('<profile><![CDATA[p<]]></profile>'), true],
  [
    'the MMS MO REQUEST',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG MSG_ID="1"/><ANUM>1</ANUM><BNUM>2</BNUM><MMS><![CDATA[x]]></MMS></REQUEST>',
    true,
  ],
  [
    'REQ_TYPE with spaces around (not normalised: the document has no DOCTYPE)',
    'mms-mo-request',
    '<REQUEST REQ_TYPE=" Rcv_MMS_MO "><MSG MSG_ID="1"/><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'REQUEST without REQ_TYPE',
    'mms-mo-request',
    '<REQUEST><MSG MSG_ID="1"/><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'REQ_TYPE of another value',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_SMS_MO"><MSG MSG_ID="1"/><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'MSG without MSG_ID',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG/><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'MSG with content (declared EMPTY)',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG MSG_ID="1"> </MSG><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'MSG holding a comment (EMPTY allows no content at all)',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG MSG_ID="1"><!--c--></MSG><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'MSG written as start and end tag',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG MSG_ID="1"></MSG><ANUM>1</ANUM><BNUM>2</BNUM><MMS>x</MMS></REQUEST>',
    true,
  ],
  [
    'a CDATA section (even empty) between elements',
    'mse-response',
    m('<![CDATA[]]><profile>p</profile>'),
    false,
  ],
  ['a character reference to a space between elements', 'mse-response', m('&#32;<profile>p</profile>'), true],
  [
    'comments and processing instructions between elements',
    'mse-response',
    m('<!--c--><?pi x?><profile>p<!--c--></profile>'),
    true,
  ],
  [
    'a namespace declaration (undeclared attribute)',
    'mse-response',
    '<mse-response xmlns="urn:x"><profile>p</profile></mse-response>',
    false,
  ],
  [
    'BNUM before ANUM',
    'mms-mo-request',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO"><MSG MSG_ID="1"/><BNUM>2</BNUM><ANUM>1</ANUM><MMS>x</MMS></REQUEST>',
    false,
  ],
  [
    'a menu without title',
    'ussd_message_request',
    '<ussd_message_request><head><profile>p</profile><password>x</password><msisdn>1</msisdn><short_code>100</short_code><mode>async</mode></head><command><menu><options><option><index>1</index><subtitle>s</subtitle></option></options></menu></command></ussd_message_request>',
    true,
  ],
  [
    'a menu without options',
    'ussd_message_request',
    '<ussd_message_request><head><profile>p</profile><password>x</password><msisdn>1</msisdn><short_code>100</short_code><mode>async</mode></head><command><menu><title>t</title><options/></menu></command></ussd_message_request>',
    false,
  ],
  [
    'two commands at once',
    'ussd_message_request',
    '<ussd_message_request><head><profile>p</profile><password>x</password><msisdn>1</msisdn><short_code>100</short_code><mode>async</mode></head><command><input><content>a</content></input><notify><content>b</content></notify></command></ussd_message_request>',
    false,
  ],
  [
    'a command without password',
    'ussd_message_request',
    '<ussd_message_request><head><profile>p</profile><msisdn>1</msisdn><short_code>100</short_code><mode>async</mode></head><command><notify><content>b</content></notify></command></ussd_message_request>',
    false,
  ],
  [
    'a user_init event',
    'ussd_message_response',
    '<ussd_message_response><head><msisdn>1</msisdn><short_code>100</short_code></head><response><user_init>1</user_init></response></ussd_message_response>',
    true,
  ],
  [
    'an event with an empty response',
    'ussd_message_response',
    '<ussd_message_response><head><msisdn>1</msisdn><short_code>100</short_code></head><response/></ussd_message_response>',
    false,
  ],
  [
    'an event with session_owner before short_code',
    'ussd_message_response',
    '<ussd_message_response><head><msisdn>1</msisdn><session_owner>s</session_owner><short_code>100</short_code></head><response><index>2</index></response></ussd_message_response>',
    false,
  ],
];

describe('hand-made documents: derived validator and libxml2 agree', () => {
  cases.forEach(([description, dtd, doc, valid], i) => {
    it(`${dtd}: ${description} is ${valid ? 'valid' : 'invalid'}`, () => {
      const ours = validateXml(doc, dtd);
      expect(ours.ok, ours.ok ? '' : ours.errors.join('; ')).toBe(valid);
      const file = join(tmp, `case-${i}.xml`);
      writeFileSync(file, doc);
      const lint = xmllint(file, dtdPath(dtd));
      expect(lint.status === 0, lint.stderr).toBe(valid);
    });
  });

  it('says where and what: status-code after profile', () => {
    const r = validateXml(m('<profile>p</profile><status-code>0</status-code>'), 'mse-response');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toEqual([
        '/mse-response: <status-code> is not allowed after <profile>; expected <transaction-id> or <error-message> or <parameters> or the end of the element (content model (status-code?, profile, transaction-id?, error-message?, parameters?))',
      ]);
  });

  it('names repeated elements by position in error paths', () => {
    const r = validateXml(
      m(
        `<profile>p</profile><parameters>${item('A', '1')}<param-item><param-value>1</param-value></param-item></parameters>`,
      ),
      'mse-response',
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors[0]).toMatch(
        /^\/mse-response\/parameters\/param-item\[2\]: <param-value> is not allowed as the first child/,
      );
  });

  it('keeps a 19-digit transaction-id a string, digit for digit', () => {
    const r = readMseResponse(
      m(
        '<status-code>0</status-code><profile>p</profile><transaction-id>1020606201622668099</transaction-id>',
      ),
    );
    expect(r.transactionId).toBe('1020606201622668099');
    expect(typeof r.transactionId).toBe('string');
    // As a number it would have been rounded: the reason values stay strings.
    expect(String(Number('1020606201622668099'))).not.toBe('1020606201622668099');
  });

  it('keeps leading zeros and element order of parameters', () => {
    const r = readMseResponse(
      m(
        `<status-code>0</status-code><profile>p</profile><parameters>${item('INITIALDATE', '0608151207')}${item('ANUM', '333')}${item('BNUM', '1191000000')}</parameters>`,
      ),
    );
    expect(r.parameters).toEqual([
      { name: 'INITIALDATE', value: '0608151207' },
      { name: 'ANUM', value: '333' },
      { name: 'BNUM', value: '1191000000' },
    ]);
  });

  it('readMseResponse refuses an invalid document with MSE_XML_INVALID and a missing or non-numeric status-code', () => {
    for (const doc of [
      m('<profile>p</profile><status-code>0</status-code>'),
      m('<profile>p</profile>'),
      m('<status-code>zero</status-code><profile>p</profile>'),
      m('<status-code>00</status-code><profile>p</profile>'),
      m('<status-code>-1</status-code><profile>p</profile>'),
    ])
      expect(() => readMseResponse(doc)).toThrowError(expect.objectContaining({ code: 'MSE_XML_INVALID' }));
    expect(readMseResponse(m('<status-code> 7 </status-code><profile>p</profile>')).statusCode).toBe(7);
  });
});
