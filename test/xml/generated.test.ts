/**
 * Documents generated FROM each DTD (walking its content models and attribute lists), then damaged
 * now and then (a child dropped, repeated, swapped or foreign; an attribute missing or wrong; text
 * where only elements go). The derived validator and libxml2 must give the same verdict on each.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dtd, Particle } from '../../src/xml/dtd.ts';
import { loadDtd } from '../../src/xml/dtd.ts';
import { type DtdName, dtdNames, dtdPath, validateXml } from '../../src/xml/validate.ts';
import { xmllintPath } from './xmllint.ts';

const dir = mkdtempSync(join(tmpdir(), 'mse-dtdgen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const repeat = (occurrence: string): fc.Arbitrary<number> =>
  occurrence === '?'
    ? fc.nat(1)
    : occurrence === '*'
      ? fc.nat(3)
      : occurrence === '+'
        ? fc.integer({ min: 1, max: 3 })
        : fc.constant(1);

/** Child-name sequences the content model accepts. */
function names(p: Particle): fc.Arbitrary<string[]> {
  const once: fc.Arbitrary<string[]> =
    p.kind === 'name'
      ? fc.constant([p.name])
      : p.kind === 'seq'
        ? fc.tuple(...p.items.map(names)).map((parts) => parts.flat())
        : fc.oneof(...p.items.map(names));
  return repeat(p.occurrence).chain((n) =>
    fc.array(once, { minLength: n, maxLength: n }).map((r) => r.flat()),
  );
}

/** Sometimes breaks a valid sequence: drop, duplicate, swap, or add a foreign name. */
function damage(list: string[]): fc.Arbitrary<string[]> {
  return fc.oneof(
    { arbitrary: fc.constant(list), weight: 24 },
    {
      arbitrary: fc.nat().map((i) => list.filter((_, k) => list.length === 0 || k !== i % list.length)),
      weight: 1,
    },
    { arbitrary: fc.nat().map((i) => (list.length ? [...list, list[i % list.length]!] : list)), weight: 1 },
    { arbitrary: fc.constant([...list].reverse()), weight: 1 },
    { arbitrary: fc.constant<string[]>([...list, 'foreign']), weight: 1 },
  );
}

function elementGen(dtd: Dtd, name: string, depth: number): fc.Arbitrary<string> {
  const decl = dtd.elements.get(name);
  const attrs = [...(dtd.attributes.get(name)?.values() ?? [])];
  const attributes = fc
    .tuple(
      ...attrs.map((a) =>
        fc.oneof(
          {
            arbitrary: fc.constant(` ${a.name}="${a.type.kind === 'enum' ? a.type.values[0] : '1'}"`),
            weight: 8,
          },
          { arbitrary: fc.constant(''), weight: 1 },
          { arbitrary: fc.constant(` ${a.name}="wrong value"`), weight: 1 },
        ),
      ),
      fc.oneof(
        { arbitrary: fc.constant(''), weight: 12 },
        { arbitrary: fc.constant(' extra="1"'), weight: 1 },
      ),
    )
    .map((parts) => parts.join(''));
  const text = fc.oneof(
    { arbitrary: fc.constantFrom('', 'x', '0', '1191000000', '<![CDATA[a]]>', ' '), weight: 40 },
    { arbitrary: fc.constant('<b/>'), weight: 1 },
  );
  if (!decl || depth > 6) return attributes.map((a) => `<${name}${a}/>`);
  switch (decl.content.kind) {
    case 'empty':
      return fc
        .tuple(
          attributes,
          fc.oneof(
            { arbitrary: fc.constant(''), weight: 8 },
            { arbitrary: fc.constantFrom(' ', '<!--c-->', 'x'), weight: 1 },
          ),
        )
        .map(([a, inner]) => (inner ? `<${name}${a}>${inner}</${name}>` : `<${name}${a}/>`));
    case 'mixed':
    case 'any':
      return fc.tuple(attributes, text).map(([a, t]) => `<${name}${a}>${t}</${name}>`);
    case 'children':
      return fc
        .tuple(
          attributes,
          names(decl.content.particle).chain(damage),
          fc.oneof(
            { arbitrary: fc.constant('\n'), weight: 9 },
            { arbitrary: fc.constant('oops'), weight: 1 },
          ),
        )
        .chain(([a, list, sep]) =>
          (list.length
            ? fc.tuple(...list.map((n) => elementGen(dtd, n, depth + 1)))
            : fc.constant([] as string[])
          ).map((children) => `<${name}${a}>${sep}${(children as string[]).join(sep)}</${name}>`),
        );
  }
}

describe('documents generated from each DTD: derived validator and libxml2 agree', () => {
  for (const dtdName of dtdNames) {
    it(dtdName, () => {
      const dtd = loadDtd(dtdPath(dtdName));
      const root = [...dtd.elements.keys()][0]!;
      const seed = Number(process.env.MSE_XML_FUZZ_SEED ?? 7);
      const docs = fc
        .sample(elementGen(dtd, root, 0), { numRuns: 300, seed })
        .map((d) => `<?xml version="1.0" encoding="UTF-8"?>\n${d}\n`);
      const files = docs.map((doc, i) => {
        const file = join(dir, `${dtdName}-${i}.xml`);
        writeFileSync(file, doc);
        return file;
      });
      const r = spawnSync(
        xmllintPath,
        ['--noout', '--nonet', '--dtdvalid', dtdPath(dtdName as DtdName), ...files],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
        },
      );
      if (r.error) throw new Error(`xmllint could not run (${r.error.message}); install libxml2-utils`);
      const invalid = new Set(
        [...r.stderr.matchAll(new RegExp(`${dtdName}-(\\d+)\\.xml:\\d+: `, 'g'))].map((m) => Number(m[1])),
      );
      const disagreements = docs.filter((doc, i) => validateXml(doc, dtdName).ok === invalid.has(i));
      expect(disagreements.slice(0, 5)).toEqual([]);
      // Both verdicts must be well represented, or the comparison proves little.
      expect(invalid.size).toBeGreaterThan(30);
      expect(docs.length - invalid.size).toBeGreaterThan(15);
      console.log(`${dtdName}: ${docs.length - invalid.size} valid, ${invalid.size} invalid, all agreed`);
    });
  }
});
