/**
 * `--only` and `--skip`: which checks a run registers. A pattern is either `field:glob` with field one of
 * id, family, service, mode, rule, tag, level, or a bare glob tried against the id, the family, the service
 * and the rule. `*` matches any run of characters, `?` one character. Comma-separated lists are split.
 */
import type { CheckMeta } from './types.ts';

const FIELDS = ['id', 'family', 'service', 'mode', 'rule', 'tag', 'level'] as const;
type Field = (typeof FIELDS)[number];

export function splitPatterns(values: (string | undefined)[] | string | undefined): string[] {
  const list = Array.isArray(values) ? values : [values];
  return list
    .flatMap((v) => (v ?? '').split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function validatePattern(pattern: string): string | undefined {
  const m = /^([a-z]+):/.exec(pattern);
  if (m && !FIELDS.includes(m[1] as Field))
    return `unknown filter field "${m[1]}" in "${pattern}" (use ${FIELDS.join(', ')})`;
  return undefined;
}

function valuesOf(meta: CheckMeta, field: Field): string[] {
  switch (field) {
    case 'id':
      return [meta.id];
    case 'family':
      return [meta.family];
    case 'service':
      return meta.service ? [meta.service] : [];
    case 'mode':
      return meta.mode ? [meta.mode] : [];
    case 'rule':
      return [meta.rule];
    case 'tag':
      return meta.tags ?? [];
    case 'level':
      return [meta.level];
  }
}

export function matchesPattern(meta: CheckMeta, pattern: string): boolean {
  const m = /^([a-z]+):(.*)$/.exec(pattern);
  if (m && FIELDS.includes(m[1] as Field)) {
    const re = globToRegExp(m[2]!);
    return valuesOf(meta, m[1] as Field).some((v) => re.test(v));
  }
  const re = globToRegExp(pattern);
  return [meta.id, meta.family, meta.service ?? '', meta.rule].some((v) => re.test(v));
}

/** Whether a check is selected by the run's `--only` and `--skip` patterns. */
export function selected(meta: CheckMeta, only: string[], skip: string[]): boolean {
  if (only.length && !only.some((p) => matchesPattern(meta, p))) return false;
  return !skip.some((p) => matchesPattern(meta, p));
}
