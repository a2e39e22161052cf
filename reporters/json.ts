/**
 * The canonical result: the RunReport itself, pretty-printed. Its shape is described by
 * spec/schema/report.schema.json and versioned by `schemaVersion`.
 */
import { REPORT_SCHEMA_VERSION, type RunReport } from '../src/core/model.ts';

export function renderJson(report: RunReport): string {
  // schemaVersion first, whatever the producer set, so readers can dispatch on it.
  const { schemaVersion: _ignored, ...rest } = report;
  return `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, ...rest }, null, 2)}\n`;
}
