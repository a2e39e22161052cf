import { describe, expect, it } from 'vitest';
import { latin1QueryValue, spellBytes, utf8QueryValue } from '../../src/docs/encoding.ts';
import { checkRequestUrl, displayText } from '../../src/docs/examples.ts';
import { esc, markdown } from '../../src/docs/html.ts';
import { loadSpec } from '../../src/spec/load.ts';

describe('byte-by-byte spelling of the delivery pages', () => {
  it('spells ç as one ISO-8859-1 byte and two UTF-8 bytes', () => {
    const [c] = spellBytes('ç');
    expect(c).toEqual({
      char: 'ç',
      codePoint: 'U+00E7',
      latin1: '0xE7',
      latin1Query: '%E7',
      utf8: '0xC3 0xA7',
      utf8Query: '%C3%A7',
    });
  });

  it('has no ISO-8859-1 byte for characters above U+00FF', () => {
    expect(spellBytes('€')[0]?.latin1).toBeUndefined();
    expect(() => latin1QueryValue('€')).toThrow(RangeError);
  });

  it('encodes whole query values in each charset', () => {
    expect(latin1QueryValue('promoção já')).toBe('promo%E7%E3o+j%E1');
    expect(utf8QueryValue('ção')).toBe('%C3%A7%C3%A3o');
  });
});

describe('what the pages show', () => {
  it('escapes markup and keeps inline code from Markdown', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(markdown('- `<b>` stays text')).toBe('<ul><li><code>&lt;b&gt;</code> stays text</li></ul>');
  });

  it('spells control bytes of binary fixtures as \\xNN', () => {
    expect(displayText('GIF\u0000\u0015a\n')).toBe('GIF\\x00\\x15a\n');
  });

  it('finds what a request URL breaks, parameter by parameter', () => {
    const spec = loadSpec();
    const sms = spec.services.find((s) => s.id === 'SMS_TEXT')!;
    const ok = 'http://h/MSE/api?profile=p&pwd=s&mode=async-oneway&BNUM=1191000000&TEXT=oi';
    expect(checkRequestUrl(spec, sms, ok)).toEqual([]);
    const bad = checkRequestUrl(
      spec,
      sms,
      `http://h/MSE/api?profile=p&mode=sync&BNUM=119100000&TEXT=${'x'.repeat(161)}`,
    ).map((p) => p.detail);
    expect(bad.some((p) => p.includes('pwd'))).toBe(true);
    expect(bad.some((p) => p.includes('sync'))).toBe(true);
    expect(bad.some((p) => p.includes('BNUM'))).toBe(true);
    expect(bad.some((p) => p.includes('161'))).toBe(true);
  });
});

describe('markdown subset', () => {
  it('renders a pipe table with escaped cells', () => {
    const html = markdown('| Budget | Default |\n|---|---|\n| `sync` | 60 s <b> |');
    expect(html).toContain('<th>Budget</th><th>Default</th>');
    expect(html).toContain('<td><code>sync</code></td><td>60 s &lt;b&gt;</td>');
  });
});
