/** The HTML report: one self-contained file. */
import type { RunReport } from './model.ts';

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function renderHtml(report: RunReport): string {
  const rows = report.checks
    .map(
      (c) =>
        `<tr><td>${esc(c.verdict)}</td><td>${esc(c.id)}</td><td>${esc(c.section)}</td><td>${esc(c.rule)}</td><td>${esc(c.message ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MSE conformance</title></head><body><table>${rows}</table></body></html>\n`;
}
