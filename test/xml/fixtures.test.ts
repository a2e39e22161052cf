/**
 * Every XML fixture is checked by the derived validator and by libxml2, and the two must agree:
 * both valid or both invalid (envelope.dtd-valid, 6.5.1). Files are found at collection time; the
 * root element decides the DTD, and XML that is not an MSE document (WML) is skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredEncoding, detectBom, normalizeEncoding } from '../../src/charset/encoding.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { parseXml, XmlError } from '../../src/xml/codec.ts';
import { dtdForRoot, dtdPath, validateXml } from '../../src/xml/validate.ts';
import { xmllint } from './xmllint.ts';

const fixturesDir = join(projectRoot, 'fixtures');

function xmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return xmlFiles(p);
    return e.name.endsWith('.xml') ? [p] : [];
  });
}

/**
 * The one place the codec is deliberately stricter than libxml2: libxml2 lets a byte-order mark
 * silently override a contradicting encoding declaration; the codec refuses the contradiction
 * (security.xml.encoding-mismatch).
 */
function bomContradictsDeclaration(bytes: Buffer): boolean {
  const bom = detectBom(bytes);
  const declared = declaredEncoding(bytes);
  if (!bom || declared === undefined) return false;
  const named = normalizeEncoding(declared);
  return !(named === bom.encoding || (named?.startsWith('UTF-16') && bom.encoding.startsWith('UTF-16')));
}

const files = xmlFiles(fixturesDir).sort();
const tally = { validBoth: 0, invalidBoth: 0, malformedBoth: 0, doctypeRefused: 0, skipped: 0, strict: 0 };

describe('XML fixtures: derived validator agrees with libxml2', () => {
  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    const name = relative(fixturesDir, file);
    it(name, () => {
      const bytes = readFileSync(file);
      let root: string;
      try {
        root = parseXml(bytes).root.name;
      } catch (e) {
        expect(e).toBeInstanceOf(XmlError);
        const code = (e as XmlError).code;
        if (code === 'MSE_XML_DOCTYPE') {
          // libxml2 accepts DOCTYPEs; the codec refuses them by design. XXE tests cover the rest.
          tally.doctypeRefused++;
          return;
        }
        const lint = xmllint(file);
        if (bomContradictsDeclaration(bytes)) {
          expect(code).toBe('MSE_XML_ENCODING');
          tally.strict++;
          return;
        }
        // Not well-formed for us (malformed, bad encoding, undefined entity): libxml2 must agree.
        expect(lint.status, `${name}: codec says ${code}, xmllint says well-formed`).toBe(1);
        tally.malformedBoth++;
        return;
      }
      const dtd = dtdForRoot(root);
      if (!dtd) {
        tally.skipped++;
        return;
      }
      const ours = validateXml(bytes, dtd);
      const lint = xmllint(file, dtdPath(dtd));
      const theirs = lint.status === 0;
      expect(
        ours.ok,
        `${name} against ${dtd}.dtd: derived says ${ours.ok ? 'valid' : `invalid (${ours.ok ? '' : ours.errors.join('; ')})`}, xmllint says ${theirs ? 'valid' : `invalid (${lint.stderr.split('\n')[0]})`}`,
      ).toBe(theirs);
      if (theirs) tally.validBoth++;
      else tally.invalidBoth++;
    });
  }

  it('reports the agreement counts', () => {
    // Printed for the record (the figures go into the report); the per-file tests above assert.
    console.log(`xml fixtures: ${JSON.stringify(tally)} of ${files.length} files`);
    expect(
      tally.validBoth +
        tally.invalidBoth +
        tally.malformedBoth +
        tally.doctypeRefused +
        tally.skipped +
        tally.strict,
    ).toBe(files.length);
  });
});
