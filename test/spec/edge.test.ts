import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { decodeQuery } from '../../src/charset/latin1.ts';
import { defaultFixturesDir, loadSpec } from '../../src/spec/load.ts';
import { charLength, checkInputValue } from '../../src/spec/values.ts';
import { textOf } from '../../src/xml/codec.ts';
import { dtdForRoot, validateXml } from '../../src/xml/validate.ts';

interface Entry {
  what: string;
  expect: 'accept' | 'refuse';
  rule?: string;
  encoding?: 'UTF-8' | 'ISO-8859-1';
  characters?: number;
  text?: string;
}

const spec = loadSpec();
const edgeDir = join(defaultFixturesDir, 'edge');
const manifest = parseYaml(readFileSync(join(edgeDir, 'manifest.yaml'), 'utf8')) as Record<string, Entry>;
const entries = Object.entries(manifest);
const bytes = (file: string) => readFileSync(join(edgeDir, file));
const portuguese = bytes('text/portuguese-utf8.txt').toString('utf8');
const smsText = spec.services.find((s) => s.id === 'SMS_TEXT')!.inputs.find((i) => i.name === 'TEXT')!;

describe('edge fixtures', () => {
  it('lists every file of text/ and xml-encoding/, and every entry names an existing file and a known rule', () => {
    for (const dir of ['text', 'xml-encoding'])
      for (const file of readdirSync(join(edgeDir, dir)))
        expect(manifest, `${dir}/${file}`).toHaveProperty([`${dir}/${file}`]);
    for (const [file, entry] of entries) {
      expect(existsSync(join(edgeDir, file)), file).toBe(true);
      expect(['accept', 'refuse'], file).toContain(entry.expect);
      expect(entry.what.length, file).toBeGreaterThan(10);
      if (entry.rule) expect(spec.rules.has(entry.rule), `${file}: ${entry.rule}`).toBe(true);
    }
  });

  it('holds the same Portuguese text in ISO-8859-1 and UTF-8, with different bytes', () => {
    const latin1 = bytes('text/portuguese-latin1.txt');
    expect(latin1.toString('latin1')).toBe(portuguese);
    expect(latin1.length).toBe(charLength(portuguese));
    expect(bytes('text/portuguese-utf8.txt').length).toBeGreaterThan(latin1.length);
  });

  it('decodes the ISO-8859-1 MO query byte-exactly, and the UTF-8 one only as mojibake under ISO-8859-1', () => {
    const text = (file: string) =>
      decodeQuery(bytes(file).toString('latin1').trim(), 'ISO-8859-1').find(([n]) => n === 'TEXT')?.[1];
    expect(text('text/portuguese-latin1.query')).toBe(portuguese);
    expect(text('text/portuguese-utf8.query')).not.toBe(portuguese);
  });

  it.each(entries.filter(([, e]) => e.characters !== undefined))(
    '%s has its characters and is judged by the TEXT limit as the manifest says',
    (file, entry) => {
      const value = bytes(file).toString(entry.encoding === 'ISO-8859-1' ? 'latin1' : 'utf8');
      expect(charLength(value)).toBe(entry.characters);
      if (entry.encoding === 'UTF-8') expect(bytes(file).length).toBeGreaterThan(charLength(value));
      const problem = checkInputValue(smsText, value, spec.formats);
      expect(problem?.constraint).toBe(entry.expect === 'refuse' ? 'max-length' : undefined);
    },
  );

  it.each(entries.filter(([file]) => file.endsWith('.xml')))(
    '%s is read or refused as the manifest says',
    (file, entry) => {
      const raw = bytes(file);
      const root = /<(mse-response|ussd_message_request|ussd_message_response|REQUEST)[\s>]/.exec(
        raw.toString('latin1'),
      )?.[1];
      const dtd = root ? dtdForRoot(root) : undefined;
      const result = validateXml(raw, dtd ?? 'mse-response');
      expect(result.ok, result.ok ? file : result.errors.join('; ')).toBe(entry.expect === 'accept');
      if (result.ok && entry.text !== undefined) {
        const content: string[] = [];
        const walk = (el: typeof result.document.root) => {
          if (el.name === 'content') content.push(textOf(el));
          for (const c of el.children) if ('name' in c) walk(c);
        };
        walk(result.document.root);
        expect(content).toEqual([entry.text]);
      }
    },
  );
});
