import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CoverageRole,
  computeCoverage,
  coverageRoles,
  type ListedCheck,
  parseCheckList,
  type RuleCoverageReport,
} from '../spec/coverage.ts';
import type { Spec } from '../spec/types.ts';

/** Which checks cite each rule, and where that knowledge came from. */
export interface Coverage {
  /** The computation itself (src/spec/coverage.ts): every rule with the checks of both roles, and the gaps. */
  report: RuleCoverageReport;
  /** Rule id → ids of the checks (both roles) that cite it. */
  checksByRule: Map<string, string[]>;
  /** Where the check lists were read from; empty when none was found. */
  sources: string[];
  /** Check ids that cite a rule id the catalogue does not have (a defect of the suite or the spec). */
  unknownRules: { check: string; rule: string }[];
  covered: number;
  total: number;
  /** Why a source gave nothing (a role whose suite does not list yet), shown beside the figure. */
  notes: string[];
}

/** Where the check lists come from: the suites themselves, or the manifests kept in the repository. */
export type CheckSource = 'list' | 'manifest';

/**
 * `mse-conformance <role> --list`: one line per check, collected by the runner from the suite itself (vitest
 * collection), so the figure is what a run would execute. It runs as a child process because the suites are
 * vitest modules, which load only under vitest.
 */
function listRole(root: string, role: CoverageRole): Promise<{ checks: ListedCheck[]; note?: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'mse-conformance.js'), role, '--list'],
      { cwd: root, timeout: 180_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const checks = parseCheckList(stdout, role);
        const message = stderr.trim().split('\n').filter(Boolean).slice(-1)[0];
        // A suite file that failed to load leaves its checks out: the figure would understate coverage.
        const note =
          checks.length === 0 || error
            ? `${role} --list ${checks.length ? 'failed' : 'gave no checks'}${message ? `: ${message}` : error ? `: ${error.message}` : ''}`
            : undefined;
        resolve(note ? { checks, note } : { checks });
      },
    );
  });
}

/** suites/<role>/checks.tsv: the `--list` output kept in the repository (test/checks-manifest.test.ts). */
function readManifest(root: string, role: CoverageRole): { checks: ListedCheck[]; note?: string } {
  const file = join(root, 'suites', role, 'checks.tsv');
  if (!existsSync(file)) return { checks: [], note: `suites/${role}/checks.tsv does not exist` };
  const checks = parseCheckList(readFileSync(file, 'utf8'), role);
  return checks.length ? { checks } : { checks, note: `suites/${role}/checks.tsv lists no checks` };
}

/**
 * Reads coverage from the suites' own check lists (`mse-conformance gateway --list` and `partner --list`, or
 * with `source: 'manifest'` the suites/<role>/checks.tsv kept from them). A rule is covered when at least one
 * check cites it; nothing is guessed.
 */
export async function loadCoverage(
  spec: Spec,
  root: string,
  source: CheckSource = 'list',
): Promise<Coverage> {
  const listed = await Promise.all(
    coverageRoles.map((role) => (source === 'list' ? listRole(root, role) : readManifest(root, role))),
  );
  const sources: string[] = [];
  const notes: string[] = [];
  const checks: ListedCheck[] = [];
  coverageRoles.forEach((role, i) => {
    const { checks: found, note } = listed[i]!;
    if (note) notes.push(note);
    if (!found.length) return;
    sources.push(
      source === 'list'
        ? `mse-conformance ${role} --list (${found.length} checks)`
        : `suites/${role}/checks.tsv (${found.length} checks)`,
    );
    checks.push(...found);
  });
  const report = computeCoverage(spec, checks);
  const checksByRule = new Map<string, string[]>();
  for (const r of report.rules) {
    const ids = [...r.checks.gateway, ...r.checks.partner];
    if (ids.length) checksByRule.set(r.rule.id, ids);
  }
  return {
    report,
    checksByRule,
    sources,
    unknownRules: report.unknownRules,
    covered: checksByRule.size,
    total: report.total,
    notes,
  };
}

export function coverageFigure(c: Coverage): string {
  const pct = c.total ? ((100 * c.covered) / c.total).toFixed(1) : '0.0';
  const { observable, cited, gaps } = c.report;
  const observed = `${cited} of ${observable} observable rules cited${gaps ? `, ${gaps} by none` : ''}`;
  return `${c.covered} of ${c.total} rules covered by at least one check (${pct}%; ${observed})`;
}
