/**
 * A family as a table (WPT's data tables, h2spec's cases): each row names its rule, its variant, the services
 * it applies to, what it sends (the check's stimulus) and its judge; `expand` turns rows × services × cases
 * into check definitions whose `row` is the row's own line in the family file.
 */
import { type CheckContext, type CheckDefinition, callerRow } from '../../src/checks/kernel.ts';
import { expandRows, type MetaOf, type PlacedRow } from '../../src/checks/rows.ts';
import type { Service } from '../../src/spec/types.ts';
import { meta, notProvisioned } from './harness.ts';

/** One expansion of a row for a service: the mode and variant its check id and metadata carry. */
export interface Case {
  service: Service;
  mode?: string | undefined;
  variant?: string | undefined;
}

type Of<C, T> = T | ((c: C) => T);

export interface Row<C extends Case = Case> {
  rule: Of<C, string>;
  /** Added to the check id after the rule's part; default the case's variant. */
  variant?: string;
  /** The services the row applies to (default: all the family expands over). */
  applies?: (service: Service) => boolean;
  /** The cases of a service, when they are not the family's (modes, spellings); none leaves the service out. */
  cases?: (service: Service) => C[];
  /** Why the row cannot run against this target, beyond the service's profile (known at collection time). */
  needs?: (service: Service) => string | undefined;
  /** The check's time budget, when the run's default is not enough. */
  timeoutMs?: () => number;
  /** Whether the check's metadata names the case's mode (default true). */
  namesMode?: boolean;
  /** What is sent, in one sentence: `{service}`, `{mode}` and `{variant}` are filled in. */
  stimulus: Of<C, string>;
  judge: (ctx: CheckContext, c: C) => Promise<void> | void;
  /** Where the row is written (`suites/gateway/families/control.ts:42`), set by `row`. */
  at: string;
}

/** A row of a family's table; records the file and line it is written at. */
export function row<C extends Case = Case>(r: Omit<Row<C>, 'at'>): Row<C> {
  return { ...r, at: rowAt() };
}

function rowAt(): string {
  return callerRow() ?? 'suites/gateway/rows.ts:0';
}

const value = <C, T>(v: Of<C, T>, c: C): T => (typeof v === 'function' ? (v as (c: C) => T)(c) : v);

function fill(text: string, c: Case): string {
  return text
    .replace(/\{service\}/g, c.service.id)
    .replace(/\{mode\}/g, c.mode ?? '')
    .replace(/\{variant\}/g, c.variant ?? '');
}

/**
 * Expands a family's rows over its services (service by service, row by row, case by case) through the one row
 * runner of the kernel; each check is skipped at collection time when the target has no profile for its
 * service or lacks what the row needs.
 */
export function expand<C extends Case>(
  family: string,
  rows: Row<C>[],
  services: Service[],
  cases: (service: Service) => C[],
): CheckDefinition[] {
  const metaOf: MetaOf = (rule, options) => meta(family, rule, options);
  return services.flatMap((service) =>
    rows.flatMap((r) => {
      if (r.applies && !r.applies(service)) return [];
      const skipReason = notProvisioned(service) ?? r.needs?.(service);
      const placed: PlacedRow<C> = {
        rule: r.rule,
        variant: (c) => r.variant ?? c.variant ?? '',
        mode: (c) => (r.namesMode !== false ? c.mode : undefined),
        stimulus: (c) => fill(value(r.stimulus, c), { ...c, variant: r.variant ?? c.variant }),
        judge: r.judge,
        skipReason: () => skipReason,
        timeoutMs: r.timeoutMs?.(),
        at: r.at,
      };
      return expandRows(metaOf, (r.cases ?? cases)(service), [placed]);
    }),
  );
}
