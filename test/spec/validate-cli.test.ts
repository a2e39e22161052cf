import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultFixturesDir, defaultSpecDir, projectRoot } from '../../src/spec/load.ts';

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** A private copy of spec/ (and fixtures/, which the loader finds beside it), broken by `breakIt`. */
function copySpec(breakIt: (specDir: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'mse-spec-'));
  workDirs.push(root);
  cpSync(defaultSpecDir, join(root, 'spec'), { recursive: true });
  cpSync(defaultFixturesDir, join(root, 'fixtures'), { recursive: true });
  breakIt(join(root, 'spec'));
  return join(root, 'spec');
}

function validate(specDir: string) {
  const run = spawnSync(
    process.execPath,
    [join(projectRoot, 'bin', 'mse-conformance.js'), 'spec', 'validate', '--spec', specDir],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: run.status, out: run.stdout, err: run.stderr };
}

const edit = (file: string, from: string | RegExp, to: string) => {
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(from, to);
  expect(changed, `${file} has no ${String(from)}`).not.toBe(text);
  writeFileSync(file, changed);
};

describe('mse-conformance spec validate', () => {
  it('accepts an intact copy of the spec and prints its counts', () => {
    const result = validate(copySpec(() => {}));
    expect(result.err).toBe('');
    expect(result.status).toBe(0);
    expect(result.out).toMatch(/services\s+29/);
    expect(result.out).toMatch(/errata\s+\d+/);
  });

  it.each([
    {
      what: 'a YAML syntax error',
      file: 'spec/services/ussd-menu.yaml',
      breakIt: (d: string) =>
        edit(join(d, 'services', 'ussd-menu.yaml'), 'methods: [POST]', 'methods: [POST'),
    },
    {
      what: 'a field the schema does not know',
      file: 'spec/services/sms-ems.yaml',
      breakIt: (d: string) =>
        edit(join(d, 'services', 'sms-ems.yaml'), /^receipt: sms$/m, 'receipt: sms\ncolour: red'),
    },
    {
      what: 'a sample that breaks its own constraint',
      file: 'spec/services/eai-check-credit.yaml',
      breakIt: (d: string) =>
        edit(join(d, 'services', 'eai-check-credit.yaml'), 'sample: "99"', 'sample: "1234567"'),
    },
    {
      what: 'an unknown errata id',
      file: 'spec/services/lbs-torpedo.yaml',
      breakIt: (d: string) =>
        edit(join(d, 'services', 'lbs-torpedo.yaml'), /errata\.example-omits-mode/g, 'errata.no-such-entry'),
    },
    {
      what: 'a missing fixture',
      file: 'spec/services/offer-insert.yaml',
      breakIt: (d: string) =>
        rmSync(join(d, '..', 'fixtures', 'document', '6.4.23-offer-insert-failure.xml')),
    },
    {
      what: 'an errata entry without its strictness',
      file: 'spec/ERRATA.md',
      breakIt: (d: string) => edit(join(d, 'ERRATA.md'), '- Strictness: always\n', ''),
    },
  ])('exits 2 naming the file on $what', ({ file, breakIt }) => {
    const result = validate(copySpec(breakIt));
    expect(result.status).toBe(2);
    expect(result.err).toContain(file);
    expect(result.out).toBe('');
  });
});
