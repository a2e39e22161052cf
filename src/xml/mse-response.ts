/** The mse-response document of 6.5: what every /MSE/api and /MSE/ussd answer and every receipt carries. */
export interface MseResponse {
  statusCode: number;
  profile: string;
  transactionId?: string;
  errorMessage?: string;
  /** Output parameters in document order; a name may repeat only if a service says so (none does). */
  parameters?: { name: string; value: string }[];
}

/** Escapes text for element content (the only place we write text). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Writes an mse-response in the DTD's order (6.5.1): status-code, profile, transaction-id,
 * error-message, parameters. Always UTF-8 with an XML declaration, as 6.1 shows.
 */
export function buildMseResponse(response: MseResponse): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<mse-response>'];
  lines.push(`  <status-code>${response.statusCode}</status-code>`);
  lines.push(`  <profile>${escapeXml(response.profile)}</profile>`);
  if (response.transactionId !== undefined)
    lines.push(`  <transaction-id>${escapeXml(response.transactionId)}</transaction-id>`);
  if (response.errorMessage !== undefined)
    lines.push(`  <error-message>${escapeXml(response.errorMessage)}</error-message>`);
  if (response.parameters?.length) {
    lines.push('  <parameters>');
    for (const p of response.parameters) {
      lines.push('    <param-item>');
      lines.push(`      <param-name>${escapeXml(p.name)}</param-name>`);
      lines.push(`      <param-value>${escapeXml(p.value)}</param-value>`);
      lines.push('    </param-item>');
    }
    lines.push('  </parameters>');
  }
  lines.push('</mse-response>', '');
  return lines.join('\n');
}
