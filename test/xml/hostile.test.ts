/**
 * Hostile XML (issue 7): no code path expands an entity or fetches an external DTD
 * (security.xml.doctype-refused, security.xml.no-entity-expansion); bombs are refused at once;
 * malformed, oversized and over-deep documents get an XmlError with the right code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/spec/load.ts';
import { parseXml, XmlError, type XmlErrorCode } from '../../src/xml/codec.ts';
import { readMmsMoRequest } from '../../src/xml/mms-mo.ts';
import { readMseResponse } from '../../src/xml/mse-response.ts';
import { readUssdRequest, readUssdResponse } from '../../src/xml/ussd.ts';
import { dtdPath, validateXml } from '../../src/xml/validate.ts';
import { xmllint } from './xmllint.ts';

const hostileDir = join(projectRoot, 'fixtures', 'edge', 'xml-hostile');

/** What parseXml answers for each hostile fixture; null = parses (then its DTD decides). */
const expected: Record<string, XmlErrorCode | null> = {
  'billion-laughs.xml': 'MSE_XML_DOCTYPE',
  'doctype-in-cdata.xml': null,
  'entity-in-attribute.xml': 'MSE_XML_ENTITY',
  'external-dtd.xml': 'MSE_XML_DOCTYPE',
  'external-entity-file.xml': 'MSE_XML_DOCTYPE',
  'external-entity-http.xml': 'MSE_XML_DOCTYPE',
  'internal-entity.xml': 'MSE_XML_DOCTYPE',
  'mismatched-tags.xml': 'MSE_XML_MALFORMED',
  'parameter-entity.xml': 'MSE_XML_DOCTYPE',
  'quadratic-blowup.xml': 'MSE_XML_DOCTYPE',
  'truncated.xml': 'MSE_XML_MALFORMED',
  'two-roots.xml': 'MSE_XML_MALFORMED',
  'unclosed-tag.xml': 'MSE_XML_MALFORMED',
  'undeclared-entity.xml': 'MSE_XML_ENTITY',
  'xinclude.xml': null,
};

function codeOf(fn: () => unknown): XmlErrorCode | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof XmlError) return e.code;
    throw e;
  }
}

describe('hostile fixtures', () => {
  const files = readdirSync(hostileDir).filter((f) => f.endsWith('.xml'));

  it('every hostile fixture has an expected outcome here', () => {
    expect(files.filter((f) => !(f in expected))).toEqual([]);
  });

  for (const file of files) {
    it(`${file}: ${expected[file] ?? 'parses'}`, () => {
      const bytes = readFileSync(join(hostileDir, file));
      expect(codeOf(() => parseXml(bytes))).toBe(expected[file] ?? null);
      // The same bytes as a string take the same path (the DOCTYPE scan runs on both).
      expect(codeOf(() => parseXml(bytes.toString('utf8')))).toBe(expected[file] ?? null);
    });
  }

  it('XInclude is never processed: the element is just undeclared in the DTD', () => {
    const r = validateXml(readFileSync(join(hostileDir, 'xinclude.xml')), 'mse-response');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/xi:include/);
  });

  it('DOCTYPE text inside CDATA is only text', () => {
    const mo = readMmsMoRequest(readFileSync(join(hostileDir, 'doctype-in-cdata.xml')));
    expect(mo.mms).toMatch(
      /^<!DOCTYPE x \[<!ENTITY y SYSTEM "file:\/\/\/etc\/passwd">\]> is only text here$/,
    );
  });
});

describe('DOCTYPE is refused wherever it hides', () => {
  const variants: Record<string, string | Buffer> = {
    'after a comment': '<?xml version="1.0"?><!-- x --><!DOCTYPE a><a/>',
    'lower-case': '<!doctype a><a/>',
    'after a UTF-8 BOM': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<!DOCTYPE a><a/>')]),
    'in UTF-16LE': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!DOCTYPE a><a/>', 'utf16le')]),
    'in UTF-16BE': Buffer.concat([
      Buffer.from([0xfe, 0xff]),
      Buffer.from('<!DOCTYPE a><a/>', 'utf16le').swap16(),
    ]),
    'in UTF-16LE without a BOM': Buffer.from(
      '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>',
      'utf16le',
    ),
    'a bare ENTITY declaration': '<a><!ENTITY x "y"></a>',
    'after the root': '<a/><!DOCTYPE a>',
    'inside the root': '<a><!DOCTYPE a></a>',
    'with invalid bytes after it (DOCTYPE wins)': Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE a><a>\xe9</a>',
      'latin1',
    ),
  };
  for (const [name, input] of Object.entries(variants))
    it(name, () => {
      expect(codeOf(() => parseXml(input))).toBe('MSE_XML_DOCTYPE');
      expect(validateXml(input, 'mse-response')).toMatchObject({
        ok: false,
        errors: [expect.stringMatching(/^MSE_XML_DOCTYPE/)],
      });
    });
});

describe('XXE: nothing is fetched or read', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  let dir: string;
  const secret = `secret-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('<!ENTITY leaked "LEAKED">');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'mse-xxe-'));
    writeFileSync(join(dir, 'secret.txt'), secret);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const documents = () => {
    const url = `http://127.0.0.1:${port}`;
    const file = `file://${join(dir, 'secret.txt')}`;
    const body = '<mse-response><status-code>0</status-code><profile>&x;</profile></mse-response>';
    return {
      'http general entity': `<?xml version="1.0"?><!DOCTYPE mse-response [<!ENTITY x SYSTEM "${url}/general">]>${body}`,
      'http external DTD': `<?xml version="1.0"?><!DOCTYPE mse-response SYSTEM "${url}/external.dtd">${body}`,
      'http public id': `<!DOCTYPE mse-response PUBLIC "-//X//Y" "${url}/public.dtd">${body}`,
      'http parameter entity': `<!DOCTYPE mse-response [<!ENTITY % p SYSTEM "${url}/param.dtd"> %p;]>${body}`,
      'file general entity': `<!DOCTYPE mse-response [<!ENTITY x SYSTEM "${file}">]>${body}`,
      'file parameter entity': `<!DOCTYPE mse-response [<!ENTITY % f SYSTEM "${file}"><!ENTITY % w "<!ENTITY x SYSTEM '${url}/?%f;'>"> %w;]>${body}`,
    };
  };

  it('every reader refuses every XXE document with MSE_XML_DOCTYPE and reveals nothing', () => {
    for (const [name, doc] of Object.entries(documents())) {
      for (const read of [parseXml, readMseResponse, readUssdRequest, readUssdResponse, readMmsMoRequest]) {
        let error: unknown;
        try {
          read(doc);
        } catch (e) {
          error = e;
        }
        expect(error, name).toBeInstanceOf(XmlError);
        expect((error as XmlError).code, name).toBe('MSE_XML_DOCTYPE');
        expect((error as XmlError).message).not.toContain(secret);
      }
    }
    expect(hits).toEqual([]);
  });

  it('xmllint, run as the tests run it (--nonet, no --noent), fetches nothing and substitutes nothing', () => {
    for (const [name, doc] of Object.entries(documents())) {
      const path = join(dir, `${name.replace(/ /g, '-')}.xml`);
      writeFileSync(path, doc);
      const plain = xmllint(path);
      const valid = xmllint(path, dtdPath('mse-response'));
      expect(plain.stderr + valid.stderr).not.toContain(secret);
    }
    expect(hits).toEqual([]);
  });

  it('the listener does record hits (control: the zero above is not vacuous)', async () => {
    const before = hits.length;
    const res = await fetch(`http://127.0.0.1:${port}/control`);
    await res.text();
    expect(hits.length).toBe(before + 1);
    hits.pop();
  });
});

describe('bombs and oversized input are refused without expansion', () => {
  it('billion laughs: refused before any expansion', () => {
    const bytes = readFileSync(join(hostileDir, 'billion-laughs.xml'));
    // Refused at the DOCTYPE, before any entity is read: a single expansion of &lol9; would be 10^9 characters.
    // How fast that is belongs to the bench (npm run bench), not to a timed assertion on a shared machine.
    expect(codeOf(() => parseXml(bytes))).toBe('MSE_XML_DOCTYPE');
  });

  it('billion laughs without its DOCTYPE: the undeclared reference is refused', () => {
    expect(codeOf(() => parseXml('<a>&lol9;&lol9;&lol9;</a>'))).toBe('MSE_XML_ENTITY');
  });

  it('a 10 MB body is refused by size before it is decoded', () => {
    const body = Buffer.alloc(10 * 1024 * 1024, 'a');
    body.write('<mse-response><profile>', 0);
    expect(codeOf(() => parseXml(body))).toBe('MSE_XML_TOO_LARGE');
    expect(codeOf(() => parseXml(body, { maxBytes: 100 }))).toBe('MSE_XML_TOO_LARGE');
  });

  it('deep nesting is refused before fast-xml-parser sees it', () => {
    const deep = `${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`;
    expect(codeOf(() => parseXml(deep))).toBe('MSE_XML_TOO_LARGE');
    const ok = `${'<a>'.repeat(60)}${'</a>'.repeat(60)}`;
    expect(codeOf(() => parseXml(ok))).toBe(null);
  });

  it('many attributes and long names terminate with a clear error or a parse', () => {
    const attrs = Array.from({ length: 5000 }, (_, i) => `a${i}="${i}"`).join(' ');
    expect(codeOf(() => parseXml(`<r ${attrs}/>`))).toBe(null);
    expect(codeOf(() => parseXml(`<r a="1" a="2"/>`))).toBe('MSE_XML_MALFORMED');
    expect(codeOf(() => parseXml(`<${'n'.repeat(100_000)}/>`))).toBe(null);
  });

  it('error messages quote at most a few dozen characters of the input', () => {
    const long = 'X'.repeat(500);
    for (const doc of [
      `<${long}>`,
      `<a>&${long};</a>`,
      `<a ${long}/>`,
      `<a>${long}</b>`,
      `<!DOCTYPE ${long}>`,
      `<a>${long}</a><${long}/>`,
    ]) {
      let message = '';
      try {
        parseXml(doc);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, doc.slice(0, 30)).not.toBe('');
      expect(message).not.toContain('X'.repeat(81));
    }
  });
});
