import type { Constraint, Format, InputParameter } from './types.ts';

export interface ValueProblem {
  /** Which constraint the value breaks: the suffix of the rule id (`max-length`, `format`, ...). */
  constraint: 'type' | 'max-length' | 'min-length' | 'format' | 'enum' | 'not-in';
  message: string;
}

const compiled = new Map<string, RegExp>();

/** A format's pattern compiled once: values are checked on every request the simulator serves. */
function formatRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    compiled.set(pattern, re);
  }
  return re;
}

/** Length in characters (code points), as the document counts TEXT: `ç` is one character, not two bytes. */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * A value as a message quotes it: at most 40 characters, control characters as `?`. Clipped here, where the
 * message is written, so that whoever shows the message never has to cut it (and cut it mid-sentence).
 */
function shown(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets replaced here
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return charLength(clean) > 40 ? `${[...clean].slice(0, 40).join('')}…` : clean;
}

/** Checks one value against a parameter's constraints; the first broken constraint, or undefined. */
export function checkInputValue(
  input: Constraint & { name: string; type?: 'string' | 'integer' },
  value: string,
  formats: Map<string, Format>,
): ValueProblem | undefined {
  if (!input.listSeparator) return checkItem(input, value, formats);
  for (const item of value.split(input.listSeparator)) {
    const problem = checkItem(input, item.trim(), formats);
    if (problem) return problem;
  }
  return undefined;
}

function checkItem(
  input: Constraint & { name: string; type?: 'string' | 'integer' },
  item: string,
  formats: Map<string, Format>,
): ValueProblem | undefined {
  if (input.type === 'integer' && !input.format && !/^[0-9]+$/.test(item))
    return { constraint: 'type', message: `${input.name} must be an integer, got "${shown(item)}"` };
  // A string never has more characters than UTF-16 units: most values need no count.
  if (input.maxLength !== undefined && item.length > input.maxLength && charLength(item) > input.maxLength)
    return {
      constraint: 'max-length',
      message: `${input.name} has ${charLength(item)} characters, more than ${input.maxLength}`,
    };
  if (input.minLength !== undefined && charLength(item) < input.minLength)
    return {
      constraint: 'min-length',
      message: `${input.name} has ${charLength(item)} characters, fewer than ${input.minLength}`,
    };
  if (input.format) {
    const format = formats.get(input.format);
    if (format && !formatRegExp(format.pattern).test(item))
      return {
        constraint: 'format',
        message: `${input.name} "${shown(item)}" is not ${format.id}: ${format.description}`,
      };
  }
  if (input.enum && !input.enum.includes(item))
    return {
      constraint: 'enum',
      message: `${input.name} "${shown(item)}" is not one of ${input.enum.join(', ')}`,
    };
  if (input.notIn?.includes(item))
    return { constraint: 'not-in', message: `${input.name} may not be "${shown(item)}"` };
  return undefined;
}

/** Values just outside each constraint of an input, with the constraint each one breaks. */
export function invalidSamples(
  input: InputParameter,
  formats: Map<string, Format>,
): { value: string; constraint: ValueProblem['constraint'] }[] {
  const out: { value: string; constraint: ValueProblem['constraint'] }[] = [];
  if (input.maxLength !== undefined)
    out.push({ value: 'x'.repeat(input.maxLength + 1), constraint: 'max-length' });
  if (input.minLength !== undefined && input.minLength > 1)
    out.push({ value: 'x'.repeat(input.minLength - 1), constraint: 'min-length' });
  if (input.type === 'integer' && !input.format) out.push({ value: '12a', constraint: 'type' });
  if (input.format)
    for (const value of formats.get(input.format)?.invalid ?? []) out.push({ value, constraint: 'format' });
  if (input.enum) out.push({ value: `${input.enum[0]}X`, constraint: 'enum' });
  for (const value of input.notIn ?? []) out.push({ value, constraint: 'not-in' });
  return out;
}
