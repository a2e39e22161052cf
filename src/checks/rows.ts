/**
 * Checks as rows (WPT's data tables, h2spec's cases): a family is a table of rows over one runner. A row names
 * its rule and variant, the subjects it applies to (a predicate over a service entry, or over the pair a table
 * enumerates), the stimulus (one sentence of what is sent) and the judge (the body). `expandRows` turns
 * subjects × rows into check definitions, in subject-major order, each recording the file and line of its row.
 */
import type { Service } from '../spec/types.ts';
import {
  type CheckContext,
  type CheckDefinition,
  callerRow,
  defineCheck,
  type MetaOptions,
} from './kernel.ts';
import type { CheckMeta } from './types.ts';

/** What a table enumerates: a service entry, or a service with what the rows need of it (a failure, a mode). */
export interface Subject {
  service?: Service;
}

type Of<T, V> = V | ((t: T) => V);

export interface Row<T extends Subject> {
  rule: Of<T, string>;
  /** The id's last part: fixed, or read from the subject (a receipt's shape). */
  variant?: Of<T, string>;
  /** Which subjects the row applies to; every subject of the table when absent. */
  appliesTo?: (t: T) => boolean;
  mode?: (t: T) => string | undefined;
  /** One sentence of what is sent: the check's `stimulus`. */
  stimulus: Of<T, string>;
  judge: (ctx: CheckContext, t: T) => Promise<void> | void;
  /** Why the check cannot run here, known at collection time (service not provisioned, no trigger, ...). */
  skipReason?: (t: T) => string | undefined;
  /** Fixed, or read from the subject (a wait that depends on a configured rate). */
  timeoutMs?: Of<T, number>;
  tags?: string[];
}

/** A row as the runner keeps it: with the file and line it was written at. */
export type PlacedRow<T extends Subject> = Row<T> & { at?: string | undefined };

/** Declares a row; call it in the table so the check records the row's own line. */
export function row<T extends Subject>(r: Row<T>): PlacedRow<T> {
  return { ...r, at: callerRow() };
}

const value = <T, V>(v: Of<T, V>, t: T): V => (typeof v === 'function' ? (v as (t: T) => V)(t) : v);

/** Builds a check's metadata for one role and family (the harness's `meta`, bound). */
export type MetaOf = (rule: string, options: MetaOptions) => CheckMeta;

/** Expands subjects × rows into check definitions (subject-major, rows in table order). */
export function expandRows<T extends Subject>(
  metaOf: MetaOf,
  subjects: readonly T[],
  rows: readonly PlacedRow<T>[],
): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const t of subjects)
    for (const r of rows) {
      if (r.appliesTo && !r.appliesTo(t)) continue;
      const options: MetaOptions = { stimulus: value(r.stimulus, t) };
      if (t.service) options.service = t.service;
      const mode = r.mode?.(t);
      if (mode) options.mode = mode;
      const variant = r.variant === undefined ? undefined : value(r.variant, t);
      if (variant) options.variant = variant;
      if (r.tags) options.tags = r.tags;
      const m = metaOf(value(r.rule, t), options);
      defs.push(
        defineCheck(r.at ? { ...m, row: r.at } : m, (ctx) => r.judge(ctx, t), {
          skipReason: r.skipReason?.(t),
          timeoutMs: r.timeoutMs === undefined ? undefined : value(r.timeoutMs, t),
        }),
      );
    }
  return defs;
}
