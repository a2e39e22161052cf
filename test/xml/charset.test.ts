/**
 * Charset helpers: byte-exact ISO-8859-1 and UTF-8 percent-encoding (SMS MO is ISO-8859-1, 6.4.5.1;
 * XML bodies are UTF-8, 6.1 / 6.4.1.1 / 6.4.7.1) and detection of encoding declarations that lie.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CharsetError,
  declaredEncoding,
  decodeBody,
  decodeQuery,
  encodeQuery,
  encodingMismatch,
  normalizeEncoding,
  parseFormBody,
  queryEncodingMismatch,
} from '../../src/charset/latin1.ts';
import { projectRoot } from '../../src/spec/load.ts';

const portuguese = 'Promoção válida até amanhã: pão, avô, você, ação, João';

function charsetCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof CharsetError) return e.code;
    throw e;
  }
}

describe('encodeQuery / decodeQuery', () => {
  it('writes ç as %E7 in ISO-8859-1 and %C3%A7 in UTF-8', () => {
    expect(encodeQuery([['TEXT', 'ç']], 'ISO-8859-1')).toBe('TEXT=%E7');
    expect(encodeQuery([['TEXT', 'ç']], 'UTF-8')).toBe('TEXT=%C3%A7');
    expect(encodeQuery([['TEXT', 'ç ã õ é ê á ó']], 'ISO-8859-1')).toBe('TEXT=%E7+%E3+%F5+%E9+%EA+%E1+%F3');
    expect(encodeQuery([['TEXT', 'ç ã õ é ê á ó']], 'UTF-8')).toBe(
      'TEXT=%C3%A7+%C3%A3+%C3%B5+%C3%A9+%C3%AA+%C3%A1+%C3%B3',
    );
  });

  it('round-trips Portuguese text byte-exactly in both charsets', () => {
    for (const charset of ['ISO-8859-1', 'UTF-8'] as const) {
      const params: Array<[string, string]> = [
        ['TEXT', portuguese],
        ['ANUM', '1191000000'],
      ];
      expect(decodeQuery(encodeQuery(params, charset), charset)).toEqual(params);
    }
  });

  it('round-trips every byte 0x20-0xFF in ISO-8859-1', () => {
    const all = Array.from({ length: 0xe0 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    const q = encodeQuery([['TEXT', all]], 'ISO-8859-1');
    expect(decodeQuery(q, 'ISO-8859-1')).toEqual([['TEXT', all]]);
    // Each byte becomes exactly one character (no windows-1252 remapping of 0x80-0x9F).
    expect([...decodeQuery(q, 'ISO-8859-1')[0]![1]].map((c) => c.charCodeAt(0))).toEqual(
      Array.from({ length: 0xe0 }, (_, i) => 0x20 + i),
    );
  });

  it('keeps & + = % # inside a value', () => {
    const params: Array<[string, string]> = [['TEXT', 'a&b+c=d%e#f 1+1=2 100%']];
    const q = encodeQuery(params, 'ISO-8859-1');
    expect(q).toBe('TEXT=a%26b%2Bc%3Dd%25e%23f+1%2B1%3D2+100%25');
    expect(decodeQuery(q, 'ISO-8859-1')).toEqual(params);
    expect(decodeQuery(q, 'UTF-8')).toEqual(params);
  });

  it('refuses a character outside Latin-1 under ISO-8859-1, with a code', () => {
    expect(charsetCode(() => encodeQuery([['TEXT', 'preço €5']], 'ISO-8859-1'))).toBe(
      'MSE_CHARSET_UNMAPPABLE',
    );
    expect(encodeQuery([['TEXT', 'preço €5']], 'UTF-8')).toBe('TEXT=pre%C3%A7o+%E2%82%AC5');
  });

  it('reports invalid UTF-8 (a Latin-1 byte in a UTF-8 query) with a code and the parameter', () => {
    let error: unknown;
    try {
      decodeQuery('ANUM=1&TEXT=p%E3o', 'UTF-8');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CharsetError);
    expect((error as CharsetError).code).toBe('MSE_CHARSET_INVALID_UTF8');
    expect((error as CharsetError).message).toMatch(/TEXT/);
    expect(decodeQuery('ANUM=1&TEXT=p%E3o', 'ISO-8859-1')).toEqual([
      ['ANUM', '1'],
      ['TEXT', 'pão'],
    ]);
    // decodeURIComponent and URLSearchParams do not do this: the reason these helpers exist.
    expect(() => decodeURIComponent('p%E3o')).toThrow();
    expect(new URLSearchParams('TEXT=p%E3o').get('TEXT')).toBe('p\uFFFDo');
  });

  it('handles the edges of the query syntax', () => {
    expect(decodeQuery('', 'UTF-8')).toEqual([]);
    expect(decodeQuery('?a=1&&b&c=', 'UTF-8')).toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', ''],
    ]);
    expect(decodeQuery('a=%zz%4', 'UTF-8')).toEqual([['a', '%zz%4']]);
    expect(decodeQuery('a=x=y', 'UTF-8')).toEqual([['a', 'x=y']]);
    expect(decodeQuery('a=%41%2b+', 'UTF-8')).toEqual([['a', 'A+ ']]);
    // Raw Latin-1 characters (a request target Node read as latin1) are bytes.
    expect(decodeQuery('TEXT=p\u00e3o', 'ISO-8859-1')).toEqual([['TEXT', 'pão']]);
  });

  it('property: any Latin-1 pairs round-trip under ISO-8859-1, any Unicode pairs under UTF-8', () => {
    const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(fc.array(fc.tuple(latin1, latin1)), (params) => {
        const q = encodeQuery(params, 'ISO-8859-1');
        expect(q).toMatch(/^[A-Za-z0-9.\-*_+%&=]*$/);
        expect(decodeQuery(q, 'ISO-8859-1')).toEqual(params);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }))),
        (params) => {
          expect(decodeQuery(encodeQuery(params, 'UTF-8'), 'UTF-8')).toEqual(params);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: decodeQuery on arbitrary text throws nothing but CharsetError', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.constantFrom('UTF-8', 'ISO-8859-1') as fc.Arbitrary<'UTF-8' | 'ISO-8859-1'>,
        (raw, charset) => {
          try {
            decodeQuery(raw, charset);
          } catch (e) {
            expect(e).toBeInstanceOf(CharsetError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('encoding labels from the wire', () => {
  it('a label named as a property of every object (__proto__, constructor) is no encoding', () => {
    for (const label of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
      expect(normalizeEncoding(label), label).toBeUndefined();
    // The counterexample fast-check found: an XML declaration whose encoding is "__proto__".
    const doc = Buffer.from('<?xml version="1.0" encoding="__proto__"?>');
    expect(() => encodingMismatch(doc)).not.toThrow();
    expect(encodingMismatch(doc)).toMatch(/__proto__/);
  });
});

describe('charset helpers on arbitrary bytes', () => {
  it('parseFormBody, decodeBody, declaredEncoding and encodingMismatch throw nothing but CharsetError', () => {
    const contentType = fc.constantFrom(
      undefined,
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=ISO-8859-1',
      'text/xml',
      'text/xml; charset=utf-16',
      'text/plain; charset=x-unknown',
    );
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(
          fc.constantFrom('<?xml version="1.0" encoding="', '\uFEFF<?xml version="1.0" encoding="'),
          fc.string(),
          fc.uint8Array({ maxLength: 50 }),
        )
        .map(([a, label, rest]) => Buffer.concat([Buffer.from(`${a}${label}"?>`), Buffer.from(rest)])),
    );
    fc.assert(
      fc.property(bytes, contentType, (b, ct) => {
        for (const f of [
          () => parseFormBody(b, ct),
          () => decodeBody(b, ct),
          () => declaredEncoding(b),
          () => encodingMismatch(b),
        ])
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(CharsetError);
          }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('queryEncodingMismatch (SMS MO must be ISO-8859-1, 6.4.5.1)', () => {
  const text = (name: string) =>
    readFileSync(join(projectRoot, 'fixtures', 'edge', 'text', name), 'latin1').trim();

  it('accepts the Latin-1 fixture and flags the UTF-8 one, naming TEXT', () => {
    expect(queryEncodingMismatch(text('portuguese-latin1.query'), 'ISO-8859-1')).toBeUndefined();
    expect(queryEncodingMismatch(text('portuguese-utf8.query'), 'ISO-8859-1')).toMatch(
      /^parameter TEXT: .*UTF-8/,
    );
    expect(queryEncodingMismatch(text('portuguese-utf8.query'), 'UTF-8')).toBeUndefined();
    expect(queryEncodingMismatch(text('portuguese-latin1.query'), 'UTF-8')).toMatch(
      /^parameter TEXT: .*not valid UTF-8/,
    );
    expect(queryEncodingMismatch('ANUM=1191000000&TEXT=plain+ascii', 'ISO-8859-1')).toBeUndefined();
  });
});

describe('parseFormBody and decodeBody', () => {
  it('honours charset= in the Content-Type (UTF-8 by default)', () => {
    const latin1 = Buffer.from('TEXT=p%E3o+doce&ANUM=333', 'ascii');
    expect(parseFormBody(latin1, 'application/x-www-form-urlencoded; charset=ISO-8859-1')).toEqual([
      ['TEXT', 'pão doce'],
      ['ANUM', '333'],
    ]);
    expect(charsetCode(() => parseFormBody(latin1))).toBe('MSE_CHARSET_INVALID_UTF8');
    expect(parseFormBody(Buffer.from('TEXT=p%C3%A3o'), 'application/x-www-form-urlencoded')).toEqual([
      ['TEXT', 'pão'],
    ]);
    expect(
      parseFormBody(Buffer.from('TEXT=p%C3%A3o'), 'application/x-www-form-urlencoded; charset="utf-8"'),
    ).toEqual([['TEXT', 'pão']]);
    expect(
      charsetCode(() =>
        parseFormBody(Buffer.from('a=1'), 'application/x-www-form-urlencoded; charset=Shift_JIS'),
      ),
    ).toBe('MSE_CHARSET_UNSUPPORTED');
  });

  it('decodes bodies by charset parameter, then XML rules, then UTF-8', () => {
    expect(decodeBody(Buffer.from('pão', 'latin1'), 'text/plain; charset=ISO-8859-1')).toBe('pão');
    expect(decodeBody(Buffer.from('pão', 'utf8'), 'text/plain')).toBe('pão');
    expect(charsetCode(() => decodeBody(Buffer.from('pão', 'latin1'), 'text/plain'))).toBe(
      'MSE_CHARSET_INVALID_UTF8',
    );
    const xml = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>pão</a>', 'latin1');
    expect(decodeBody(xml, 'text/xml')).toContain('pão');
    // Node's fetch Response.text() always decodes UTF-8 and loses the é: the reason decodeBody exists.
    expect(Buffer.from('é', 'latin1').toString('utf8')).toBe('\uFFFD');
  });
});

describe('declaredEncoding and encodingMismatch', () => {
  const utf8Doc = '<?xml version="1.0" encoding="UTF-8"?><a>Parâmetro inválido</a>';
  const latinDecl = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Parâmetro inválido</a>';

  it('reads the declared label as written', () => {
    expect(declaredEncoding(Buffer.from(utf8Doc))).toBe('UTF-8');
    expect(declaredEncoding(Buffer.from("<?xml version='1.0' encoding='iso-8859-1' ?><a/>"))).toBe(
      'iso-8859-1',
    );
    expect(declaredEncoding(Buffer.from('<?xml version="1.0"?><a/>'))).toBeUndefined();
    expect(declaredEncoding(Buffer.from('<a/>'))).toBeUndefined();
    expect(
      declaredEncoding(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(latinDecl, 'utf16le')])),
    ).toBe('ISO-8859-1');
  });

  it('detects Latin-1 bytes under a UTF-8 declaration', () => {
    expect(encodingMismatch(Buffer.from(utf8Doc, 'utf8'))).toBeUndefined();
    expect(encodingMismatch(Buffer.from(utf8Doc, 'latin1'))).toMatch(/not valid UTF-8.*ISO-8859-1/);
  });

  it('detects UTF-8 bytes under an ISO-8859-1 declaration (the mojibake case)', () => {
    expect(encodingMismatch(Buffer.from(latinDecl, 'latin1'))).toBeUndefined();
    expect(encodingMismatch(Buffer.from(latinDecl, 'utf8'))).toMatch(/valid UTF-8/);
    // Pure ASCII is consistent with every declaration.
    expect(
      encodingMismatch(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>x</a>')),
    ).toBeUndefined();
  });

  it('detects a BOM that contradicts the declaration, and checks an explicit label (e.g. from Content-Type)', () => {
    const bomLatin = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(latinDecl, 'utf8')]);
    expect(encodingMismatch(bomLatin)).toMatch(/byte-order mark/);
    expect(encodingMismatch(Buffer.from(utf8Doc, 'utf8'), 'ISO-8859-1')).toMatch(/valid UTF-8/);
    expect(encodingMismatch(Buffer.from('<a>é</a>', 'latin1'), 'US-ASCII')).toMatch(/outside ASCII/);
    expect(encodingMismatch(Buffer.from('<a/>'), 'EBCDIC')).toMatch(/not one this project can check/);
  });
});
