import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/load.ts';
import type { InputParameter } from '../../src/spec/types.ts';
import { charLength, checkInputValue, invalidSamples } from '../../src/spec/values.ts';

const spec = loadSpec();

describe('charLength', () => {
  it('counts characters, not UTF-16 units or bytes', () => {
    expect(charLength('ação')).toBe(4);
    expect(charLength('😀')).toBe(1);
    expect(Buffer.byteLength('ação')).toBe(6);
  });
});

describe('checkInputValue', () => {
  const text: InputParameter = {
    name: 'TEXT',
    type: 'string',
    required: true,
    maxLength: 5,
    description: '',
    sample: 'a',
  };
  it('accepts a value at the limit and refuses one past it, naming the constraint', () => {
    expect(checkInputValue(text, 'ççççç', spec.formats)).toBeUndefined();
    expect(checkInputValue(text, 'çççççç', spec.formats)?.constraint).toBe('max-length');
  });
  it('applies a format to each item of a list', () => {
    const list: InputParameter = {
      name: 'L',
      type: 'string',
      required: false,
      format: 'digits',
      listSeparator: ';',
      description: '',
      sample: '1',
    };
    expect(checkInputValue(list, '12;34', spec.formats)).toBeUndefined();
    expect(checkInputValue(list, '12;3x', spec.formats)?.constraint).toBe('format');
  });
  it('refuses integers with other characters and values of notIn', () => {
    const index: InputParameter = {
      name: 'index',
      type: 'integer',
      required: true,
      notIn: ['0', '8', '9'],
      description: '',
      sample: '1',
    };
    expect(checkInputValue(index, '1a', spec.formats)?.constraint).toBe('type');
    expect(checkInputValue(index, '8', spec.formats)?.constraint).toBe('not-in');
    expect(checkInputValue(index, '12', spec.formats)).toBeUndefined();
  });
});

describe('invalidSamples', () => {
  it('gives, for every input of every service, values its own checker refuses for the stated constraint', () => {
    let count = 0;
    for (const service of spec.services)
      for (const input of service.inputs)
        for (const sample of invalidSamples(input, spec.formats)) {
          count++;
          expect(
            checkInputValue(input, sample.value, spec.formats)?.constraint,
            `${service.id} ${input.name} ${sample.value}`,
          ).toBe(sample.constraint);
        }
    expect(count).toBeGreaterThan(0);
  });
});
