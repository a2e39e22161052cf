import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSpecDir, loadSpec } from '../../src/spec/load.ts';
import type { Mode } from '../../src/spec/types.ts';

const spec = loadSpec();
const byId = new Map(spec.services.map((s) => [s.id, s]));

describe('the spec loads and holds every service of the document', () => {
  it('has the 29 services of 6.4 and 10.1, each in the file named by its slug', () => {
    const expected = [
      'SMS_TEXT',
      'SMS_EMS',
      'SMS_HEX_RING',
      'SMS_HEX_RING_UDH',
      'DELIVERY_SMS',
      'MMS_MT',
      'DELIVERY_MMS',
      'EAI_CHECK_CREDIT',
      'SYS_CHARGE_SUBSCRIB',
      'LBS_TRANSLATOR',
      'LBS_TRANSLATOR_BYTES',
      'LBS_TORPEDO',
      'SMS_WAP_PUSH',
      'WIB_MO',
      'WIB_PUSH',
      'IMEI_TRANSLATOR',
      'IMEI_TORPEDO',
      'SYS_CTN_INFO',
      'SYS_CTN_INFO_TYPE',
      'USSD_MENU',
      'USSD_INPUT',
      'USSD_NOTIFY',
      'USSD_USER_REQUEST',
      'USSD_MENU_ANSWER',
      'USSD_INPUT_ANSWER',
      'OFFER_INSERT',
      'OFFER_DELETE',
      'GERAR_PROTOCOLO',
      'SMTP_AUTD',
    ];
    expect([...byId.keys()].sort()).toEqual([...expected].sort());
    const files = readdirSync(join(defaultSpecDir, 'services')).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(spec.services.map((s) => `${s.slug}.yaml`).sort());
    for (const s of spec.services) expect(s.slug).toBe(s.id.toLowerCase().replace(/_/g, '-'));
  });

  it('keeps the printed section numbers, repeated ones included', () => {
    const at = (section: string) =>
      spec.services
        .filter((s) => s.section === section)
        .map((s) => s.id)
        .sort();
    expect(at('6.4.17')).toEqual(['IMEI_TORPEDO', 'SYS_CTN_INFO', 'SYS_CTN_INFO_TYPE']);
    expect(at('6.4.23')).toEqual(['GERAR_PROTOCOLO', 'OFFER_DELETE', 'OFFER_INSERT', 'USSD_INPUT_ANSWER']);
    expect(byId.get('SMTP_AUTD')?.section).toBe('10.1');
  });

  it('states the modes decided for each service (others code against them)', () => {
    const modes = (id: string) => {
      const m = byId.get(id)!.modes;
      return { allowed: [...m.allowed].sort(), refused: [...m.refused].sort() };
    };
    const set = (...m: Mode[]) => [...m].sort();
    for (const id of ['SMS_TEXT', 'SMS_EMS', 'SMS_HEX_RING', 'SMS_HEX_RING_UDH'])
      expect(modes(id)).toEqual({ allowed: set('async-oneway', 'async-delivery'), refused: ['sync'] });
    for (const id of ['LBS_TORPEDO', 'IMEI_TORPEDO'])
      expect(modes(id)).toEqual({ allowed: ['async-delivery'], refused: set('async-oneway', 'sync') });
    for (const id of ['OFFER_INSERT', 'OFFER_DELETE', 'GERAR_PROTOCOLO'])
      expect(modes(id)).toEqual({ allowed: ['sync'], refused: set('async-oneway', 'async-delivery') });
    for (const id of ['LBS_TRANSLATOR', 'LBS_TRANSLATOR_BYTES', 'IMEI_TRANSLATOR'])
      expect(modes(id)).toEqual({ allowed: set('async-delivery', 'sync'), refused: [] });
    for (const id of ['SYS_CHARGE_SUBSCRIB', 'SYS_CTN_INFO', 'SYS_CTN_INFO_TYPE']) {
      expect(modes(id)).toEqual({ allowed: ['sync'], refused: [] });
      expect(byId.get(id)!.modes.recommended).toBe('sync');
    }
    expect(modes('WIB_PUSH').allowed).toEqual(set('async-oneway', 'async-delivery', 'sync'));
    for (const id of ['USSD_MENU', 'USSD_INPUT', 'USSD_NOTIFY'])
      expect(modes(id).allowed).toEqual(['async-oneway']);
    for (const s of spec.services.filter((s) => s.kind !== 'api' && s.kind !== 'ussd-command'))
      expect(modes(s.id), s.id).toEqual({ allowed: [], refused: [] });
  });

  it('gives each service the receipt shape its modes imply', () => {
    for (const s of spec.services) {
      const sms = s.id.startsWith('SMS_');
      const expected = sms
        ? 'sms'
        : s.modes.allowed.includes('async-delivery')
          ? 'execution-response'
          : 'none';
      expect(s.receipt, s.id).toBe(expected);
    }
  });

  it('fixes the SMPP fields of the hex ring services', () => {
    expect(byId.get('SMS_HEX_RING')?.smpp).toEqual({ dataCoding: 245, esmClass: 0 });
    expect(byId.get('SMS_HEX_RING_UDH')?.smpp).toEqual({ dataCoding: 245, esmClass: 64 });
  });

  it('names only inputs that exist in groups and requiredWhen conditions', () => {
    for (const s of spec.services) {
      const names = new Set(s.inputs.map((i) => i.name));
      expect(names.size, `${s.id} has an input twice`).toBe(s.inputs.length);
      for (const i of s.inputs)
        if (i.requiredWhen) expect(names, `${s.id}.${i.name}`).toContain(i.requiredWhen.input);
    }
  });

  it('uses the USSD element names and carriers of 6.4.18 to 6.4.23', () => {
    for (const s of spec.services.filter((s) => s.group === 'ussd')) {
      for (const i of s.inputs) expect(i.in, `${s.id}.${i.name}`).toMatch(/^(head|command|response)$/);
      if (s.kind === 'ussd-command') {
        expect(s.endpoint).toBe(spec.protocol.endpoints.ussd);
        expect(s.methods).toEqual(['POST']);
      } else expect(s.direction).toBe('mse-to-partner');
    }
    const menuIndex = byId.get('USSD_MENU')!.inputs.find((i) => i.name === 'index')!;
    expect(menuIndex.notIn).toEqual(spec.protocol.ussd.reservedIndexes);
  });

  it('gives every rule a section, a level and a family tag', () => {
    expect(spec.rules.size).toBeGreaterThan(400);
    for (const rule of spec.rules.values()) {
      expect(rule.section, rule.id).toMatch(/^[0-9]+(\.[0-9]+)*$/);
      expect(['MUST', 'SHOULD', 'MAY'], rule.id).toContain(rule.level);
      expect(rule.tags.length, rule.id).toBeGreaterThan(0);
    }
    for (const family of [
      'envelope',
      'transport',
      'control',
      'modes',
      'receipts',
      'mo',
      'ussd',
      'smtp',
      'security',
      'traffic',
    ])
      expect(
        [...spec.rules.values()].some((r) => r.origin === 'spec/rules.yaml' && r.tags[0] === family),
        family,
      ).toBe(true);
  });

  it('cites only rule ids that exist in ERRATA.md and INTERPRETING.md', () => {
    const notRules = new Set([
      'modes.allowed',
      'modes.refused',
      'modes.ussd',
      'protocol.yaml',
      'rules.yaml',
      'spec.hash',
      'spec.rules',
    ]);
    for (const file of ['ERRATA.md', 'INTERPRETING.md']) {
      const text = readFileSync(join(defaultSpecDir, file), 'utf8');
      const cited = [
        ...text.matchAll(/`([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+)`|the rule ([a-z0-9-]+(?:\.[a-z0-9-]+)+)/g),
      ]
        .map((m) => m[1] ?? m[2]!)
        .filter((id) => !notRules.has(id) && !id.startsWith('gateway.'));
      expect(cited.length, file).toBeGreaterThan(0);
      for (const id of cited) expect(spec.rules.has(id), `${file} cites ${id}`).toBe(true);
    }
  });

  it('refers to every errata entry from a service, a rule or INTERPRETING.md', () => {
    const text = [
      readFileSync(join(defaultSpecDir, 'rules.yaml'), 'utf8'),
      readFileSync(join(defaultSpecDir, 'INTERPRETING.md'), 'utf8'),
    ].join('\n');
    const named = new Set([
      ...spec.services.flatMap((s) => [...(s.errata ?? []), ...s.examples.flatMap((e) => e.errata ?? [])]),
      ...[...spec.rules.values()].flatMap((r) => r.errata ?? []),
    ]);
    const orphans = spec.errata.filter((e) => !named.has(e.id) && !text.includes(e.id)).map((e) => e.id);
    // Entries about the document as a whole (support chapter) need no service.
    expect(orphans).toEqual(['errata.support-chapter-reference']);
    for (const e of spec.errata) {
      expect(e.sections.length, e.id).toBeGreaterThan(0);
      expect(e.reading.length, e.id).toBeGreaterThan(20);
    }
  });
});
