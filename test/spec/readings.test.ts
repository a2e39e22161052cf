import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpecError } from '../../src/spec/errors.ts';
import {
  compareSections,
  defaultFixturesDir,
  defaultSpecDir,
  loadSpec,
  parseErrata,
} from '../../src/spec/load.ts';

const temps: string[] = [];
function copyOfSpec(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mse-spec-'));
  temps.push(dir);
  cpSync(defaultSpecDir, join(dir, 'spec'), { recursive: true });
  return join(dir, 'spec');
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadSpec', () => {
  it('loads once and derives a rule for every constraint of a service entry', () => {
    const spec = loadSpec();
    expect(loadSpec()).toBe(spec);
    const rule = spec.rules.get('sms-text.text.max-length');
    expect(rule).toMatchObject({ section: '6.4.1', level: 'MUST', service: 'SMS_TEXT' });
    expect(rule?.text).toContain('160');
    expect(spec.rules.get('sms-text.mode.sync.refused')?.section).toBe('7.1.3');
    expect(spec.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes the level of every derived rule from the entry, with the errata entries it rests on', () => {
    const spec = loadSpec();
    const at = (id: string) => {
      const r = spec.rules.get(id);
      return r && { level: r.level, errata: r.errata };
    };
    // Output (`levels`), input (`level` and one constraint's `levels`), mode, failure, group, requiredWhen.
    expect(at('sms-text.output.msgstatus.present')).toEqual({
      level: 'MUST',
      errata: ['errata.msgstatus-kept'],
    });
    expect(at('sms-text.output.msgstatus.derived')).toEqual({
      level: 'SHOULD',
      errata: ['errata.msgstatus-mapping'],
    });
    expect(at('sms-text.output.msgstatus.enum')).toEqual({ level: 'MUST', errata: undefined });
    expect(at('mms-mt.ctn.format')?.level).toBe('SHOULD');
    expect(at('mms-mt.ctn.required')?.level).toBe('MUST');
    expect(at('eai-check-credit.amount.max-length')?.level).toBe('MUST');
    expect(at('eai-check-credit.amount.format')?.level).toBe('SHOULD');
    expect(at('wib-push.mode.sync.allowed')).toEqual({ level: 'SHOULD', errata: ['errata.wib-push-modes'] });
    expect(at('lbs-torpedo.mode.sync.refused')?.level).toBe('MUST');
    expect(at('lbs-torpedo.failure.110')?.level).toBe('SHOULD');
    expect(at('sms-text.output.smpp-status.one-of')?.level).toBe('SHOULD');
    expect(at('gerar-protocolo.tipo-retorno.required-when')?.level).toBe('MUST');
    expect(at('sms-hex-ring.smpp.data-coding')?.level).toBe('MUST');
  });

  it('names the file and the problem when an entry breaks its schema', () => {
    const dir = copyOfSpec();
    writeFileSync(join(dir, 'services', 'broken.yaml'), 'id: BROKEN\nslug: broken\n');
    expect(() => loadSpec(dir, defaultFixturesDir)).toThrowError(
      /spec\/services\/broken\.yaml: does not match its schema/,
    );
  });

  it('refuses a rule stated twice', () => {
    const dir = copyOfSpec();
    writeFileSync(
      join(dir, 'rules.yaml'),
      '- {id: sms-text.text.max-length, section: "6.4.1", level: MUST, text: "Stated a second time here.", tags: [x]}\n',
    );
    expect(() => loadSpec(dir, defaultFixturesDir)).toThrowError(SpecError);
    expect(() => loadSpec(dir, defaultFixturesDir)).toThrowError(/also stated in/);
  });

  it('refuses a MUST rule resting on a strict-only reading, or any rule resting on an informational one', () => {
    const dir = copyOfSpec();
    const rule = (level: string, errata: string) =>
      `- {id: x.reading, section: "6.4.1", level: ${level}, text: "A rule resting on a reading.", tags: [x], errata: [${errata}]}\n`;
    writeFileSync(join(dir, 'rules.yaml'), rule('MUST', 'errata.receipt-method-post-get'));
    expect(() => loadSpec(dir, defaultFixturesDir)).toThrowError(/strict-only reading: SHOULD at most/);
    const again = copyOfSpec();
    writeFileSync(join(again, 'rules.yaml'), rule('SHOULD', 'errata.synch-spelling'));
    expect(() => loadSpec(again, defaultFixturesDir)).toThrowError(/informational/);
    const fine = copyOfSpec();
    writeFileSync(join(fine, 'rules.yaml'), rule('SHOULD', 'errata.receipt-method-post-get'));
    expect(loadSpec(fine, defaultFixturesDir).rules.get('x.reading')?.errata).toEqual([
      'errata.receipt-method-post-get',
    ]);
  });

  it('refuses YAML that does not parse, with the file name', () => {
    const dir = copyOfSpec();
    writeFileSync(join(dir, 'formats.yaml'), 'a: [unclosed\n');
    expect(() => loadSpec(dir, defaultFixturesDir)).toThrowError(/spec\/formats\.yaml: is not valid YAML/);
  });
});

describe('parseErrata', () => {
  it('reads id, sections, strictness and reading', () => {
    const [entry] = parseErrata(
      '# E\n\n## errata.x: A title\n- Sections: 6.1, 6.2\n- Strictness: always\n- Reading: This one.\n\nBody.\n',
      'ERRATA.md',
    );
    expect(entry).toMatchObject({
      id: 'errata.x',
      title: 'A title',
      sections: ['6.1', '6.2'],
      strictness: 'always',
      reading: 'This one.',
      body: 'Body.',
    });
  });
  it('refuses an entry without a reading', () => {
    expect(() =>
      parseErrata('## errata.x: T\n- Sections: 6.1\n- Strictness: always\n', 'ERRATA.md'),
    ).toThrowError(/Reading/);
  });
});

describe('compareSections', () => {
  it('orders sections numerically', () => {
    expect(['6.4.10', '6.4.2', '6.4.1.1', '6.4.1'].sort(compareSections)).toEqual([
      '6.4.1',
      '6.4.1.1',
      '6.4.2',
      '6.4.10',
    ]);
  });
});
