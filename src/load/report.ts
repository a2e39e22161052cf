/**
 * The joined report of a load run: Artillery's figures next to the ledger, and the verdict. JSON is the
 * canonical form (`schemaVersion` first, as the suite's report.json); Markdown is the summary for a CI job.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtilleryFigures } from './artillery.ts';
import type { LedgerSummary } from './ledger.ts';
import type { Plan } from './plan.ts';

export const LOAD_REPORT_SCHEMA_VERSION = 1;

export interface LoadReport {
  schemaVersion: number;
  kind: 'load';
  startedAt: string;
  finishedAt: string;
  target: string;
  mix: { source: string; entries: { name: string; share: number; receipt: boolean }[] };
  phases: Plan['phases'];
  artillery: ArtilleryFigures;
  ledger: LedgerSummary;
  /** True when nothing below failed; the CLI exits 1 otherwise. */
  ok: boolean;
  failures: string[];
}

/** Why the run failed (empty when it did not): lost or duplicated receipts, malformed answers, unclean refusals. */
export function judge(artillery: ArtilleryFigures, ledger: LedgerSummary): string[] {
  const f: string[] = [];
  const r = ledger.receipts;
  if (r.lost.count)
    f.push(
      `${r.lost.count} receipts lost (none by ${r.deadlineMs} ms after the run): ${r.lost.ids.join(', ')}`,
    );
  if (r.duplicated.count)
    f.push(`${r.duplicated.count} receipts delivered more than once: ${r.duplicated.ids.join(', ')}`);
  if (r.malformed.count) f.push(`${r.malformed.count} receipts not a valid mse-response (6.4.1.1, 6.5.1)`);
  if (ledger.malformed.count)
    f.push(
      `${ledger.malformed.count} answers not HTTP 200 with a valid mse-response (6.1, 6.5.1): not a clean refusal (9.3)`,
    );
  if (ledger.duplicateTransactionIds.count)
    f.push(
      `${ledger.duplicateTransactionIds.count} transaction ids answered twice: ${ledger.duplicateTransactionIds.ids.join(', ')}`,
    );
  const errors = Object.entries(artillery.errors);
  if (errors.length)
    f.push(
      `requests without an answer: ${errors.map(([k, v]) => `${k} ${v}`).join(', ')} (not a clean refusal, 9.3)`,
    );
  if (artillery.responses > ledger.answers)
    f.push(
      `${artillery.responses - ledger.answers} answers never reached the ledger: the processor could not report them`,
    );
  return f;
}

export function renderLoadJson(report: LoadReport): string {
  const { schemaVersion: _ignored, ...rest } = report;
  return `${JSON.stringify({ schemaVersion: LOAD_REPORT_SCHEMA_VERSION, ...rest }, null, 2)}\n`;
}

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return [
    `| ${head!.join(' | ')} |`,
    `| ${head!.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function renderLoadMarkdown(r: LoadReport): string {
  const a = r.artillery;
  const l = r.ledger;
  const rc = l.receipts;
  const lines = [
    `# MSE load test: ${r.ok ? 'no loss, no malformed answer' : 'FAILED'}`,
    '',
    `Target \`${r.target}\`, ${r.startedAt} to ${r.finishedAt}. Mix: ${r.mix.source}.`,
    '',
    table([
      ['Phase', 'Seconds', 'Arrivals/s per worker'],
      ...r.phases.map((p) => [
        p.name,
        String(p.duration),
        p.rampTo ? `${p.arrivalRate} → ${p.rampTo}` : String(p.arrivalRate),
      ]),
    ]),
    '',
    '## Artillery',
    '',
    table([
      ['Requests', 'Mean rate/s', 'Peak rate/s', 'p50 ms', 'p95 ms', 'p99 ms', 'Errors'],
      [
        String(a.requests),
        String(a.meanRate),
        String(a.peakRate),
        String(a.latencyMs.p50),
        String(a.latencyMs.p95),
        String(a.latencyMs.p99),
        Object.entries(a.errors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '0',
      ],
    ]),
    '',
    '## Ledger',
    '',
    table([
      ['Answers', 'Accepted', 'Clean refusals', 'Malformed', 'Duplicate ids'],
      [
        String(l.answers),
        String(l.accepted),
        Object.entries(l.cleanRefusals)
          .map(([k, v]) => `status ${k}: ${v}`)
          .join(', ') || '0',
        String(l.malformed.count),
        String(l.duplicateTransactionIds.count),
      ],
    ]),
    '',
    table([
      [
        'Receipts expected',
        'Received',
        'Lost',
        'Duplicated',
        'Unknown id',
        'Malformed',
        'Ack → receipt p50 / p95 / p99 ms',
      ],
      [
        String(rc.expected),
        String(rc.received),
        String(rc.lost.count),
        String(rc.duplicated.count),
        String(rc.unknown.count),
        String(rc.malformed.count),
        `${rc.latencyMs.p50} / ${rc.latencyMs.p95} / ${rc.latencyMs.p99}`,
      ],
    ]),
  ];
  if (r.failures.length)
    lines.push('', '## Failures', '', ...r.failures.map((f) => `- ${f.replace(/[|<>`]/g, ' ')}`));
  return `${lines.join('\n')}\n`;
}

export function writeLoadReport(report: LoadReport, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'load-report.json'), renderLoadJson(report));
  writeFileSync(join(outDir, 'load-report.md'), renderLoadMarkdown(report));
}
