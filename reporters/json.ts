/**
 * The canonical result: the RunReport itself, pretty-printed. Its shape is described by
 * spec/schema/report.schema.json and versioned by `schemaVersion`. Beside it, the conformance report a vendor
 * publishes (spec/schema/conformance-report.schema.json): the outcome per feature and how to reproduce it.
 */
import { claimStatement, REPORT_SCHEMA_VERSION, type RunReport } from '../src/core/model.ts';

export function renderJson(report: RunReport): string {
  // schemaVersion first, whatever the producer set, so readers can dispatch on it.
  const { schemaVersion: _ignored, ...rest } = report;
  return `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, ...rest }, null, 2)}\n`;
}

export const CONFORMANCE_REPORT_VERSION = '1.0.0';

export interface ConformanceReport {
  conformanceReportVersion: string;
  suite: { name: 'mse-conformance'; version: string; role: RunReport['suite'] };
  spec: { hash: string; document: string };
  implementation: { name: string; version?: string; vendor?: string; url?: string };
  target: string;
  date: string;
  strict: boolean;
  claimedFeatures: string[];
  /** True when every claimed feature is conformant (no failure, no check skipped for lack of configuration). */
  conformant: boolean;
  statement: string;
  features: NonNullable<RunReport['features']>;
  summary: RunReport['summary'];
  reproduce: { command: string; config: unknown; note: string };
}

/** The conformance report of a run whose features were judged (gateway role). */
export function conformanceReport(report: RunReport, command: string): ConformanceReport {
  const features = report.features ?? [];
  return {
    conformanceReportVersion: CONFORMANCE_REPORT_VERSION,
    suite: { name: 'mse-conformance', version: report.suiteVersion, role: report.suite },
    spec: { hash: report.specHash, document: 'Claro MSE partner HTTP API integration guide, version 3.0' },
    implementation: report.implementation ?? { name: 'unnamed (set implementation.name in the config)' },
    target: report.target,
    date: report.startedAt,
    strict: report.strict,
    claimedFeatures: features.filter((f) => f.claimed).map((f) => f.id),
    conformant:
      report.summary.conformant && features.filter((f) => f.claimed).every((f) => f.outcome === 'conformant'),
    statement: claimStatement(features),
    features,
    summary: report.summary,
    reproduce: {
      command,
      config: report.config,
      note: 'Run the same suite version against the same spec hash with this config (passwords masked: put yours back).',
    },
  };
}

export function renderConformance(report: RunReport, command: string): string {
  return `${JSON.stringify(conformanceReport(report, command), null, 2)}\n`;
}
