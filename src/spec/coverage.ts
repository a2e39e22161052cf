/**
 * Rule coverage: which checks of each role cite each rule of the catalogue, and which observable rules no
 * check cites. The one computation behind `mse-conformance spec coverage` and the docs site's figures; the
 * check lists it reads are the suites' own `--list` output (`id TAB rule TAB section TAB level`).
 */
import type { Rule, Spec } from './types.ts';

export const coverageRoles = ['gateway', 'partner'] as const;
export type CoverageRole = (typeof coverageRoles)[number];

/** One check as its suite lists it. */
export interface ListedCheck {
  role: CoverageRole;
  id: string;
  rule: string;
}

export interface RuleCoverage {
  rule: Rule;
  /** Check ids citing the rule, per role. */
  checks: Record<CoverageRole, string[]>;
  /** An observable rule that no check cites. */
  gap: boolean;
}

export interface RuleCoverageReport {
  /** Every rule of the catalogue, in catalogue order. */
  rules: RuleCoverage[];
  /** Checks that cite a rule id the catalogue does not have (a defect of the suite or of the spec). */
  unknownRules: { check: string; rule: string }[];
  total: number;
  /** Rules without an `unobservable` reason: each needs a check. */
  observable: number;
  /** Observable rules cited by at least one check. */
  cited: number;
  /** Observable rules no check cites. */
  gaps: number;
}

/** Parses one role's `--list` output; lines of other roles or without four fields are ignored. */
export function parseCheckList(text: string, role: CoverageRole): ListedCheck[] {
  const checks: ListedCheck[] = [];
  for (const line of text.split('\n')) {
    const [id, rule, section, level] = line.trim().split('\t');
    if (id?.startsWith(`${role}.`) && rule && section && level) checks.push({ role, id, rule });
  }
  return checks;
}

export function computeCoverage(spec: Spec, checks: ListedCheck[]): RuleCoverageReport {
  const byRule = new Map<string, Record<CoverageRole, string[]>>();
  const unknownRules: RuleCoverageReport['unknownRules'] = [];
  for (const check of checks) {
    if (!spec.rules.has(check.rule)) {
      unknownRules.push({ check: check.id, rule: check.rule });
      continue;
    }
    let entry = byRule.get(check.rule);
    if (!entry) {
      entry = { gateway: [], partner: [] };
      byRule.set(check.rule, entry);
    }
    if (!entry[check.role].includes(check.id)) entry[check.role].push(check.id);
  }
  const rules: RuleCoverage[] = [];
  let observable = 0;
  let cited = 0;
  for (const rule of spec.rules.values()) {
    const found = byRule.get(rule.id) ?? { gateway: [], partner: [] };
    const any = found.gateway.length + found.partner.length > 0;
    if (!rule.unobservable) {
      observable++;
      if (any) cited++;
    }
    rules.push({ rule, checks: found, gap: !rule.unobservable && !any });
  }
  return { rules, unknownRules, total: rules.length, observable, cited, gaps: observable - cited };
}

/** `412 rules: 380 observable, all cited by a check; 32 unobservable` (or how many are uncited). */
export function coverageSummary(report: RuleCoverageReport): string {
  const unobservable = report.total - report.observable;
  const cited =
    report.gaps === 0
      ? 'every one cited by a check'
      : `${report.cited} cited by a check, ${report.gaps} cited by none`;
  return `${report.total} rules: ${report.observable} observable, ${cited}; ${unobservable} unobservable (with the reason)`;
}
