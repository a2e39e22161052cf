import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/spec/load.ts';
import { parseXml, XmlError } from '../../src/xml/codec.ts';
import { buildMmsMoRequest, decodeMms, encodeMms, readMmsMoRequest } from '../../src/xml/mms-mo.ts';
import { buildMseResponse, type MseResponse, readMseResponse } from '../../src/xml/mse-response.ts';
import {
  buildUssdRequest,
  buildUssdResponse,
  readUssdRequest,
  readUssdResponse,
} from '../../src/xml/ussd.ts';
import { dtdNames, validateXml } from '../../src/xml/validate.ts';

const sample = `<?xml version="1.0" encoding="UTF-8" ?>
<mse-response>
  <status-code>0</status-code>
  <profile>profileID</profile>
  <transaction-id>1020606201622668099</transaction-id>
  <parameters>
    <param-item><param-name>ANUM</param-name><param-value>333</param-value></param-item>
  </parameters>
</mse-response>
`;

const fragments = [
  '<',
  '>',
  '</',
  '/>',
  'mse-response',
  'profile',
  'a',
  ' ',
  '\n',
  '=',
  '"',
  "'",
  '&',
  ';',
  '&amp;',
  '&lt;',
  '&#233;',
  '&#x0;',
  '&x;',
  '#',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<!DOCTYPE a [',
  '<!ENTITY x "y">',
  ']>',
  '<?xml version="1.0" encoding="ISO-8859-1"?>',
  '<?pi x?>',
  '\uFEFF',
  '\u0000',
  '\uD800',
  'é',
  '😀',
  '__proto__',
];

/** XML-ish token soup: far more likely than random text to reach deep into the parser. */
const xmlish = fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((a) => a.join(''));

/** A valid document damaged: truncated, a byte replaced, or a range removed. */
const mutated = fc
  .tuple(
    fc.nat(),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('truncate', 'replace', 'delete', 'insert'),
  )
  .map(([p, q, byte, how]) => {
    const b = Buffer.from(sample);
    const i = p % b.length;
    const j = Math.min(b.length, i + (q % 20));
    switch (how) {
      case 'truncate':
        return b.subarray(0, i);
      case 'replace':
        return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i + 1)]);
      case 'delete':
        return Buffer.concat([b.subarray(0, i), b.subarray(j)]);
      default:
        return Buffer.concat([
          b.subarray(0, i),
          Buffer.from(fragments[byte % fragments.length]!),
          b.subarray(i),
        ]);
    }
  });

const anyInput: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  xmlish,
  xmlish.map((s) => Buffer.from(s, 'latin1')),
  mutated,
);

describe('fuzzing the codec and validators', () => {
  it('parseXml throws nothing but XmlError on any input (a hang fails by the test timeout)', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        try {
          const doc = parseXml(input);
          expect(typeof doc.root.name).toBe('string');
        } catch (e) {
          if (!(e instanceof XmlError)) throw e;
          expect(e.message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('validateXml never throws, for every DTD', () => {
    fc.assert(
      fc.property(anyInput, fc.constantFrom(...dtdNames), (input, dtd) => {
        const r = validateXml(input, dtd);
        if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 1500 },
    );
  });

  it('the readers throw nothing but XmlError on damaged documents of their own type', () => {
    const fixtures = [
      '6.4.1.1-receipt.xml',
      '6.4.18-command.xml',
      '6.4.22-event.xml',
      '6.4.7.1-mo-request.xml',
    ].map((f) => readFileSync(join(projectRoot, 'fixtures', 'document', f)));
    const readers = [readMseResponse, readUssdRequest, readUssdResponse, readMmsMoRequest];
    const damaged = fc
      .tuple(fc.nat(3), fc.nat(), fc.nat(40), fc.constantFrom(...fragments))
      .map(([which, at, cut, insert]) => {
        const b = fixtures[which]!;
        const i = at % b.length;
        return {
          which,
          bytes: Buffer.concat([
            b.subarray(0, i),
            Buffer.from(insert),
            b.subarray(Math.min(b.length, i + cut)),
          ]),
        };
      });
    fc.assert(
      fc.property(damaged, ({ which, bytes }) => {
        try {
          readers[which]!(bytes);
        } catch (e) {
          if (!(e instanceof XmlError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Text XML 1.0 can carry: any code point but C0 controls (except tab, LF, CR), U+FFFE/U+FFFF and surrogates. */
const xmlText = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .map((s) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
const withMarkup = fc.oneof(
  xmlText,
  fc
    .array(fc.constantFrom('&', '<', '>', ']]>', '"', "'", '\r', '\r\n', ' ', '\t', '&amp;', 'ç', '😀'), {
      maxLength: 10,
    })
    .map((a) => a.join('')),
);

describe('round trips', () => {
  it('buildMseResponse -> readMseResponse returns what was built, for any XML-legal Unicode values', () => {
    const response: fc.Arbitrary<MseResponse> = fc.record(
      {
        statusCode: fc.integer({ min: 0, max: 999_999 }),
        profile: withMarkup,
        transactionId: fc.oneof(fc.stringMatching(/^[0-9]{19}$/), withMarkup),
        errorMessage: withMarkup,
        parameters: fc.array(fc.record({ name: withMarkup, value: withMarkup }), {
          minLength: 1,
          maxLength: 5,
        }),
      },
      { requiredKeys: ['statusCode', 'profile'] },
    );
    fc.assert(
      fc.property(response, (r) => {
        expect(readMseResponse(buildMseResponse(r))).toEqual(r);
        expect(readMseResponse(Buffer.from(buildMseResponse(r), 'utf8'))).toEqual(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('the builder replaces characters XML cannot carry with U+FFFD (documented policy), never writes them raw', () => {
    const illegal = fc.constantFrom('\u0000', '\u0001', '\u001f', '\uFFFE', '\uFFFF', '\uD800', '\uDC00');
    fc.assert(
      fc.property(xmlText, illegal, xmlText, (a, bad, b) => {
        const read = readMseResponse(buildMseResponse({ statusCode: 0, profile: a + bad + b }));
        expect(read.profile).toBe(`${a}\uFFFD${b}`);
      }),
      { numRuns: 300 },
    );
  });

  it('USSD request and response builders round-trip', () => {
    const head = fc.record(
      {
        profile: withMarkup,
        password: withMarkup,
        msisdn: withMarkup,
        shortCode: withMarkup,
        mode: withMarkup,
        billingCode: withMarkup,
        ctnBilling: withMarkup,
        contentDescription: withMarkup,
        transactionInfo: withMarkup,
        sessionOwner: withMarkup,
      },
      { requiredKeys: ['profile', 'password', 'msisdn', 'shortCode', 'mode'] },
    );
    const command = fc.oneof(
      fc.record(
        {
          type: fc.constant('menu' as const),
          title: withMarkup,
          options: fc.array(fc.record({ index: withMarkup, subtitle: withMarkup }), {
            minLength: 1,
            maxLength: 4,
          }),
        },
        { requiredKeys: ['type', 'options'] },
      ),
      fc.record({ type: fc.constantFrom('input' as const, 'notify' as const), content: withMarkup }),
    );
    fc.assert(
      fc.property(head, command, (h, c) => {
        const request = { head: h, command: c };
        expect(readUssdRequest(buildUssdRequest(request))).toEqual(request);
      }),
      { numRuns: 500 },
    );
    const event = fc.record({
      head: fc.record(
        { msisdn: withMarkup, shortCode: withMarkup, sessionOwner: withMarkup },
        { requiredKeys: ['msisdn', 'shortCode'] },
      ),
      response: fc.record({
        kind: fc.constantFrom('user_init' as const, 'index' as const, 'input' as const),
        value: withMarkup,
      }),
    });
    fc.assert(
      fc.property(event, (e) => {
        expect(readUssdResponse(buildUssdResponse(e))).toEqual(e);
      }),
      { numRuns: 500 },
    );
  });

  it('MMS MO: the MMS survives CDATA (even "]]>"), and encodeMms/decodeMms are byte-exact', () => {
    fc.assert(
      fc.property(
        fc.record({ msgId: withMarkup, anum: withMarkup, bnum: withMarkup }),
        fc.uint8Array({ maxLength: 300 }),
        (ids, bytes) => {
          const mms = encodeMms(bytes);
          const read = readMmsMoRequest(buildMmsMoRequest({ ...ids, mms }));
          expect(read).toEqual({ ...ids, mms });
          expect(Buffer.compare(decodeMms(read.mms), Buffer.from(bytes))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
    expect(readMmsMoRequest(buildMmsMoRequest({ msgId: '1', anum: '1', bnum: '2', mms: 'a]]>b' })).mms).toBe(
      'a]]>b',
    );
  });
});
