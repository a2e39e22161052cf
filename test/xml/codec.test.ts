/**
 * The XML codec: strings stay strings, order is kept, bytes are decoded per the declaration and
 * refused when invalid in it, only predefined and numeric references are decoded, and malformed
 * input that fast-xml-parser alone would accept is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  childElements,
  findChild,
  parseXml,
  textOf,
  XmlError,
  type XmlErrorCode,
} from '../../src/xml/codec.ts';

function codeOf(input: string | Buffer): XmlErrorCode | null {
  try {
    parseXml(input);
    return null;
  } catch (e) {
    if (e instanceof XmlError) return e.code;
    throw e;
  }
}

describe('parseXml: values and structure', () => {
  it('keeps every value a string, digits and leading zeros included', () => {
    const { root } = parseXml(
      '<r a="007"><tx>1020606201622668099</tx><d>0608151207</d><n>1e3</n><b>true</b><h>0x10</h></r>',
    );
    expect(root.attributes.a).toBe('007');
    expect(childElements(root).map(textOf)).toEqual([
      '1020606201622668099',
      '0608151207',
      '1e3',
      'true',
      '0x10',
    ]);
  });

  it('keeps element order, repeated names and interleaved text', () => {
    const { root } = parseXml('<r><b>1</b><a/><b>2</b>t<b>3</b></r>');
    expect(root.children.map((c) => ('name' in c ? c.name : `#${c.text}`))).toEqual([
      'b',
      'a',
      'b',
      '#t',
      'b',
    ]);
    expect(findChild(root, 'b')).toEqual({ name: 'b', attributes: {}, children: [{ text: '1' }] });
  });

  it('returns the declaration, and none when absent', () => {
    expect(parseXml("<?xml version='1.0' encoding='UTF-8' standalone='yes'?><r/>").declaration).toEqual({
      version: '1.0',
      encoding: 'UTF-8',
    });
    expect(parseXml('<r/>').declaration).toBeUndefined();
  });

  it('decodes the five predefined entities and numeric references only', () => {
    const { root } = parseXml('<r a="&quot;&apos;&#x9;">&amp;&lt;&gt;&quot;&apos;&#233;&#xE7;&#128512;</r>');
    expect(textOf(root)).toBe('&<>"\'éç😀');
    expect(root.attributes.a).toBe('"\'\t');
    expect(codeOf('<r>&eacute;</r>')).toBe('MSE_XML_ENTITY');
    expect(codeOf('<r a="&x;"/>')).toBe('MSE_XML_ENTITY');
    expect(codeOf('<r>&#0;</r>')).toBe('MSE_XML_MALFORMED');
    expect(codeOf('<r>&#xFFFE;</r>')).toBe('MSE_XML_MALFORMED');
    expect(codeOf('<r>&#99999999999;</r>')).toBe('MSE_XML_MALFORMED');
    expect(codeOf('<r>a & b</r>')).toBe('MSE_XML_MALFORMED');
  });

  it('keeps CDATA verbatim and marks it', () => {
    const { root } = parseXml('<r> <![CDATA[a &amp; <b> ]]]]></r>');
    expect(root.children).toEqual([{ text: ' ' }, { text: 'a &amp; <b> ]]', cdata: true }]);
  });

  it('normalises line ends (XML 1.0 2.11) and attribute whitespace (3.3.3), keeps &#13;', () => {
    expect(textOf(parseXml('<r>a\r\nb\rc&#13;</r>').root)).toBe('a\nb\nc\r');
    expect(parseXml('<r a="x\ty\nz&#10;"/>').root.attributes.a).toBe('x y z\n');
  });

  it.each([
    ['<r>', 'unclosed root'],
    ['<r></s>', 'mismatched end tag'],
    ['<r/><r/>', 'two roots'],
    ['<r/>tail', 'text after the root'],
    ['head<r/>', 'text before the root'],
    [' <?xml version="1.0"?><r/>', 'declaration not at the start'],
    ['<r>]]></r>', ']]> in text'],
    ['<r a="<"/>', '< in an attribute value'],
    ['<r a="1" a="2"/>', 'duplicate attribute'],
    ['<r a=1/>', 'unquoted attribute'],
    ['<r a/>', 'attribute without value'],
    ['<r>\u0001</r>', 'a C0 control character'],
    ['<r>\uD800</r>', 'a lone surrogate'],
    ['<r><!-- a -- b --></r>', '-- inside a comment'],
    ['', 'empty input'],
    ['<?xml version="2.0"?><r/>', 'unknown XML version'],
    ['<1r/>', 'invalid name'],
  ])('refuses %j (%s) as MSE_XML_MALFORMED', (doc) => {
    expect(codeOf(doc)).toBe('MSE_XML_MALFORMED');
  });

  it('refuses names that would pollute prototypes instead of renaming them', () => {
    expect(codeOf('<__proto__/>')).toBe('MSE_XML_MALFORMED');
    expect(codeOf('<r constructor="x"/>')).toBe('MSE_XML_MALFORMED');
    expect(codeOf('<toString/>')).toBe('MSE_XML_MALFORMED');
  });
});

describe('parseXml: bytes and encodings', () => {
  const body = (s: string) => `<r>${s}</r>`;

  it('decodes UTF-8 by default and by declaration', () => {
    expect(textOf(parseXml(Buffer.from(body('ação'), 'utf8')).root)).toBe('ação');
    expect(
      textOf(parseXml(Buffer.from(`<?xml version="1.0" encoding="utf-8"?>${body('ação')}`, 'utf8')).root),
    ).toBe('ação');
  });

  it('decodes ISO-8859-1 byte-exactly when declared (0x80-0x9F too, not windows-1252)', () => {
    const doc = Buffer.from(
      `<?xml version="1.0" encoding="ISO-8859-1"?>${body('ação \u0085\u0093')}`,
      'latin1',
    );
    expect(textOf(parseXml(doc).root)).toBe('ação \u0085\u0093');
  });

  it('refuses a Latin-1 é (0xE9) in a document declared UTF-8, naming the byte', () => {
    const doc = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${body('caf\u00e9')}`, 'latin1');
    expect(codeOf(doc)).toBe('MSE_XML_ENCODING');
    expect(() => parseXml(doc)).toThrowError(/0xE9/);
    expect(codeOf(Buffer.from(body('caf\u00e9'), 'latin1'))).toBe('MSE_XML_ENCODING');
  });

  it('handles BOMs: UTF-8, UTF-16LE, UTF-16BE; refuses one that contradicts the declaration', () => {
    const bom8 = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(textOf(parseXml(Buffer.concat([bom8, Buffer.from(body('é'))])).root)).toBe('é');
    const le = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${body('é')}`, 'utf16le'),
    ]);
    expect(textOf(parseXml(le).root)).toBe('é');
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(body('é'), 'utf16le').swap16()]);
    expect(textOf(parseXml(be).root)).toBe('é');
    const lying = Buffer.concat([
      bom8,
      Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>${body('é')}`),
    ]);
    expect(codeOf(lying)).toBe('MSE_XML_ENCODING');
    const ascii = Buffer.concat([bom8, Buffer.from(`<?xml version="1.0" encoding="US-ASCII"?>${body('é')}`)]);
    expect(codeOf(ascii)).toBe('MSE_XML_ENCODING');
    expect(textOf(parseXml(`\uFEFF${body('x')}`).root)).toBe('x');
  });

  it('refuses encodings it cannot decode, and US-ASCII documents with high bytes', () => {
    expect(codeOf(Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${body('x')}`))).toBe(
      'MSE_XML_ENCODING',
    );
    expect(codeOf(Buffer.from(`<?xml version="1.0" encoding="Shift_JIS"?>${body('x')}`))).toBe(
      'MSE_XML_ENCODING',
    );
    expect(codeOf(Buffer.from(`<?xml version="1.0" encoding="US-ASCII"?>${body('\u00e9')}`, 'latin1'))).toBe(
      'MSE_XML_ENCODING',
    );
  });

  it('accepts Uint8Array input as well as Buffer', () => {
    expect(textOf(parseXml(new Uint8Array(Buffer.from(body('ok')))).root)).toBe('ok');
  });
});
