/**
 * Writes the reports of a run. JSON is the canonical result; JUnit, HTML and Markdown are views of it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../src/core/errors.ts';
import type { RunReport } from '../src/core/model.ts';
import { normalizeSecrets } from '../src/core/secrets.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { maskReport, maskSerialized, type SerializedFormat } from './secrets.ts';

export { colorEnabled, formatCheckLine, formatSummaryLines } from './console.ts';

export type ReportFormat = 'json' | 'junit' | 'html' | 'md';

export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'junit', 'html', 'md'];

/** File name of each format in the output directory. */
export const REPORT_FILES: Record<ReportFormat, string> = {
  json: 'report.json',
  junit: 'junit.xml',
  html: 'report.html',
  md: 'summary.md',
};

const RENDER: Record<ReportFormat, (report: RunReport) => string> = {
  json: renderJson,
  junit: renderJunit,
  html: renderHtml,
  md: renderMarkdown,
};

const SYNTAX: Record<ReportFormat, SerializedFormat> = {
  json: 'json',
  junit: 'xml',
  html: 'html',
  md: 'text',
};

/** `json,junit,html,md` (spaces allowed, duplicates dropped, `all` for every format). */
export function parseReportFormats(csv: string): ReportFormat[] {
  const names = csv
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (names.length === 0) {
    throw new UsageError(
      `--report needs at least one format; choose from ${REPORT_FORMATS.join(', ')}`,
      'MSE_REPORT_FORMAT',
    );
  }
  const out: ReportFormat[] = [];
  for (const name of names) {
    const formats = name === 'all' ? REPORT_FORMATS : [name];
    for (const f of formats) {
      if (!(REPORT_FORMATS as readonly string[]).includes(f)) {
        throw new UsageError(
          `Unknown report format '${f}' in --report; choose from ${REPORT_FORMATS.join(', ')} (comma-separated)`,
          'MSE_REPORT_FORMAT',
        );
      }
      if (!out.includes(f as ReportFormat)) out.push(f as ReportFormat);
    }
  }
  return out;
}

/**
 * Writes each requested format into `outDir` (created if missing) and returns the written paths,
 * in the order of `formats`. `secrets` (passwords) are masked in every output, in case any escaped the
 * runner's masking: in every string, in body bytes (decoded, masked, re-encoded) and in the serialized text.
 */
export async function writeReports(
  report: RunReport,
  formats: ReportFormat[],
  outDir: string,
  secrets: readonly string[] = [],
): Promise<string[]> {
  const masks = normalizeSecrets(secrets);
  const masked = maskReport(report, masks);
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const format of [...new Set(formats)]) {
    const render = RENDER[format];
    if (!render) throw new UsageError(`Unknown report format '${String(format)}'`, 'MSE_REPORT_FORMAT');
    // Second pass over the serialized text: catches a secret in a place the data walk cannot see.
    const text = maskSerialized(SYNTAX[format], render(masked), masks);
    const path = join(outDir, REPORT_FILES[format]);
    await writeFile(path, text, 'utf8');
    written.push(path);
  }
  return written;
}
