import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Spec } from '../spec/types.ts';

/** Which checks cite each rule, and where that knowledge came from. */
export interface Coverage {
  /** Rule id → ids of the checks that cite it. */
  checksByRule: Map<string, string[]>;
  /** Modules the check definitions were read from (relative to the project root); empty when none was found. */
  sources: string[];
  /** Check ids that cite a rule id the catalogue does not have (a defect of the suite or the spec). */
  unknownRules: { check: string; rule: string }[];
  covered: number;
  total: number;
}

/** The shape of a check definition as far as coverage needs it; registries may carry more. */
interface CheckLike {
  id: string;
  rule?: string;
  ruleId?: string;
  rules?: string[];
}

/** Folders where check registries live (the gateway and partner suites, the runner). */
const registryDirs = ['suites/gateway', 'suites/partner', 'suites/spec', 'src/runner'];
/** Exported functions that list every check definition, by the names the suites use. */
const listerNames = ['listChecks', 'listGatewayChecks', 'listPartnerChecks'];

/**
 * Reads coverage from the suites' own check registries: each module under the registry folders
 * that exports a lister (`listChecks()`) is imported and asked for its definitions. Only modules
 * whose text declares such an export are imported, so vitest files are never loaded outside vitest.
 * A rule is covered when at least one check cites it; nothing is guessed.
 */
export async function loadCoverage(spec: Spec, root: string): Promise<Coverage> {
  const checksByRule = new Map<string, string[]>();
  const sources: string[] = [];
  const unknownRules: Coverage['unknownRules'] = [];
  for (const dir of registryDirs) {
    const full = join(root, dir);
    if (!existsSync(full)) continue;
    for (const name of readdirSync(full).sort()) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name.endsWith('.d.ts')) continue;
      const file = join(full, name);
      const text = readFileSync(file, 'utf8');
      const exported = listerNames.filter((n) =>
        new RegExp(`export\\s+(async\\s+)?(function|const)\\s+${n}\\b`).test(text),
      );
      if (!exported.length) continue;
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const n of exported) {
        const lister = mod[n];
        if (typeof lister !== 'function') continue;
        const checks = (await (lister as (spec?: Spec) => unknown)(spec)) as unknown;
        if (!Array.isArray(checks)) continue;
        sources.push(`${relative(root, file)} ${n}()`);
        for (const check of checks as CheckLike[]) {
          const ids = [check.rule, check.ruleId, ...(check.rules ?? [])].filter(
            (r): r is string => typeof r === 'string',
          );
          for (const rule of ids) {
            if (!spec.rules.has(rule)) unknownRules.push({ check: check.id, rule });
            const list = checksByRule.get(rule) ?? [];
            if (!list.includes(check.id)) list.push(check.id);
            checksByRule.set(rule, list);
          }
        }
      }
    }
  }
  let covered = 0;
  for (const id of spec.rules.keys()) if (checksByRule.get(id)?.length) covered++;
  return { checksByRule, sources, unknownRules, covered, total: spec.rules.size };
}

export function coverageFigure(c: Coverage): string {
  const pct = c.total ? ((100 * c.covered) / c.total).toFixed(1) : '0.0';
  return `${c.covered} of ${c.total} rules covered by at least one check (${pct}%)`;
}
