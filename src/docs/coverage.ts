import { execFile } from 'node:child_process';
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
  /** Why a source gave nothing (a role whose suite does not list yet), shown beside the figure. */
  notes: string[];
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

/** Roles whose suites list their checks with `mse-conformance <role> --list` (h2spec's dry run). */
const roles = ['gateway', 'partner'] as const;

/**
 * `mse-conformance <role> --list`: one line per check, `id TAB rule TAB section TAB level`, collected by
 * the runner from the suite itself (vitest collection), so the figure is what a run would execute.
 * It runs as a child process because the suites are vitest modules, which load only under vitest.
 */
function listRole(root: string, role: string): Promise<{ checks: CheckLike[]; note?: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'mse-conformance.js'), role, '--list'],
      { cwd: root, timeout: 180_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const checks: CheckLike[] = [];
        for (const line of stdout.split('\n')) {
          const [id, rule, section, level] = line.split('\t');
          if (id?.startsWith(`${role}.`) && rule && section && level) checks.push({ id, rule });
        }
        const message = stderr.trim().split('\n').filter(Boolean).slice(-1)[0];
        const note =
          checks.length === 0
            ? `${role} --list gave no checks${message ? `: ${message}` : error ? `: ${error.message}` : ''}`
            : undefined;
        resolve(note ? { checks, note } : { checks });
      },
    );
  });
}

/**
 * Reads coverage from the suites' own check registries: `mse-conformance gateway --list` and
 * `partner --list`, and any module under the registry folders that exports a lister (`listChecks()`).
 * Only modules whose text declares such an export are imported, so vitest files are never loaded
 * outside vitest. A rule is covered when at least one check cites it; nothing is guessed.
 */
export async function loadCoverage(spec: Spec, root: string): Promise<Coverage> {
  const checksByRule = new Map<string, string[]>();
  const sources: string[] = [];
  const notes: string[] = [];
  const unknownRules: Coverage['unknownRules'] = [];
  const cite = (check: CheckLike) => {
    const ids = [check.rule, check.ruleId, ...(check.rules ?? [])].filter(
      (r): r is string => typeof r === 'string',
    );
    for (const rule of ids) {
      if (!spec.rules.has(rule)) unknownRules.push({ check: check.id, rule });
      const list = checksByRule.get(rule) ?? [];
      if (!list.includes(check.id)) list.push(check.id);
      checksByRule.set(rule, list);
    }
  };
  const listed = await Promise.all(roles.map((role) => listRole(root, role)));
  roles.forEach((role, i) => {
    const { checks, note } = listed[i]!;
    if (note) notes.push(note);
    if (!checks.length) return;
    sources.push(`mse-conformance ${role} --list (${checks.length} checks)`);
    for (const check of checks) cite(check);
  });
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
        for (const check of checks as CheckLike[]) cite(check);
      }
    }
  }
  let covered = 0;
  for (const id of spec.rules.keys()) if (checksByRule.get(id)?.length) covered++;
  return { checksByRule, sources, unknownRules, covered, total: spec.rules.size, notes };
}

export function coverageFigure(c: Coverage): string {
  const pct = c.total ? ((100 * c.covered) / c.total).toFixed(1) : '0.0';
  return `${c.covered} of ${c.total} rules covered by at least one check (${pct}%)`;
}
