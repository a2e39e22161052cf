import { findChild, findChildren, textOf, type XmlDocument, XmlError } from './codec.ts';
import { parseValid } from './validate.ts';
import { escapeText } from './write.ts';

/** The mse-response document of 6.5: what every /MSE/api and /MSE/ussd answer and every receipt carries. */
export interface MseResponse {
  statusCode: number;
  profile: string;
  transactionId?: string;
  errorMessage?: string;
  /** Output parameters in document order; a name may repeat only if a service says so (none does). */
  parameters?: { name: string; value: string }[];
}

/**
 * Escapes text for element content (the only place we write text): & < > as entities, CR as &#13;
 * so it round-trips, and characters XML 1.0 cannot carry replaced by U+FFFD (see write.ts).
 */
export function escapeXml(text: string): string {
  return escapeText(text);
}

/**
 * Writes an mse-response in the DTD's order (6.5.1): status-code, profile, transaction-id,
 * error-message, parameters. Always UTF-8 with an XML declaration, as 6.1 shows.
 */
export function buildMseResponse(response: MseResponse): string {
  // One string built in place: this runs for every answer and every receipt the simulator sends.
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<mse-response>\n  <status-code>${response.statusCode}</status-code>\n  <profile>${escapeXml(response.profile)}</profile>\n`;
  if (response.transactionId !== undefined)
    out += `  <transaction-id>${escapeXml(response.transactionId)}</transaction-id>\n`;
  if (response.errorMessage !== undefined)
    out += `  <error-message>${escapeXml(response.errorMessage)}</error-message>\n`;
  if (response.parameters?.length) {
    out += '  <parameters>\n';
    for (const p of response.parameters)
      out += `    <param-item>\n      <param-name>${escapeXml(p.name)}</param-name>\n      <param-value>${escapeXml(p.value)}</param-value>\n    </param-item>\n`;
    out += '  </parameters>\n';
  }
  return `${out}</mse-response>\n`;
}

/**
 * An mse-response as read, every field a string exactly as the document holds it: for checks that
 * must report a missing or non-numeric status-code rather than fail to read it (6.5.2).
 */
export interface MseResponseFields {
  statusCode?: string;
  profile: string;
  transactionId?: string;
  errorMessage?: string;
  parameters?: { name: string; value: string }[];
}

/**
 * Reads an mse-response after validating it against spec/dtd/mse-response.dtd (6.5.1). Throws
 * XmlError: the codec's code for a refused document, MSE_XML_INVALID with the DTD errors otherwise.
 */
export function readMseResponseFields(input: Buffer | Uint8Array | string): MseResponseFields {
  return fieldsOf(parseValid(input, 'mse-response'));
}

/** The fields of an already parsed and validated mse-response document. */
export function fieldsOf(document: XmlDocument): MseResponseFields {
  const root = document.root;
  const text = (name: string) => {
    const el = findChild(root, name);
    return el ? textOf(el) : undefined;
  };
  const fields: MseResponseFields = { profile: text('profile') ?? '' };
  const statusCode = text('status-code');
  if (statusCode !== undefined) fields.statusCode = statusCode;
  const transactionId = text('transaction-id');
  if (transactionId !== undefined) fields.transactionId = transactionId;
  const errorMessage = text('error-message');
  if (errorMessage !== undefined) fields.errorMessage = errorMessage;
  const parameters = findChild(root, 'parameters');
  if (parameters)
    fields.parameters = findChildren(parameters, 'param-item').map((item) => ({
      name: textOf(findChild(item, 'param-name')!),
      value: textOf(findChild(item, 'param-value')!),
    }));
  return fields;
}

/**
 * Reads an mse-response (DTD-validated, see readMseResponseFields) into the typed shape. Beyond
 * the DTD, status-code must be present (6.5.2: "always present") and a non-negative integer in
 * canonical form, so that `statusCode === 0` means exactly the text "0" (spec/INTERPRETING.md 4:
 * "00" is not 0); else XmlError MSE_XML_INVALID. Surrounding whitespace of status-code is ignored
 * (INTERPRETING 4.5); every other value is returned exactly as written (the transaction id stays a
 * 19-digit string). Checks that must judge the raw text use readMseResponseFields.
 */
export function readMseResponse(input: Buffer | Uint8Array | string): MseResponse {
  const f = readMseResponseFields(input);
  if (f.statusCode === undefined)
    throw new XmlError(
      'MSE_XML_INVALID',
      'the mse-response has no <status-code>; 6.5.2 requires it in every response: add it (0 for success)',
    );
  const code = f.statusCode.trim();
  if (!/^(0|[1-9][0-9]{0,14})$/.test(code))
    throw new XmlError(
      'MSE_XML_INVALID',
      `<status-code> "${code.slice(0, 20)}" is not a canonical non-negative integer; 6.5.2 says the value is numeric, 0 = success: write digits without a sign or leading zeros`,
    );
  const response: MseResponse = { statusCode: Number(code), profile: f.profile };
  if (f.transactionId !== undefined) response.transactionId = f.transactionId;
  if (f.errorMessage !== undefined) response.errorMessage = f.errorMessage;
  if (f.parameters) response.parameters = f.parameters;
  return response;
}
