/**
 * Validation of MSE XML documents against the project's DTDs (spec/dtd/), with validators derived
 * from the DTD files at first use and cached.
 */
import { join } from 'node:path';
import { projectRoot } from '../spec/load.ts';
import { type ParseOptions, parseXml, type XmlDocument, XmlError } from './codec.ts';
import { type DerivedValidator, deriveValidator, validateTree } from './derive.ts';
import { loadDtd } from './dtd.ts';

export type DtdName = 'mse-response' | 'ussd_message_request' | 'ussd_message_response' | 'mms-mo-request';

export const dtdNames: readonly DtdName[] = [
  'mse-response',
  'ussd_message_request',
  'ussd_message_response',
  'mms-mo-request',
];

/** The DTD file of each document type. */
export function dtdPath(dtd: DtdName): string {
  return join(projectRoot, 'spec', 'dtd', `${dtd}.dtd`);
}

/** The root element each DTD describes (its first declared element). */
export function rootElementOf(dtd: DtdName): string {
  return validatorFor(dtd).root;
}

/** Which DTD describes a document with this root element, if any (MMS MO's root is REQUEST). */
export function dtdForRoot(rootName: string): DtdName | undefined {
  return dtdNames.find((d) => validatorFor(d).root === rootName);
}

const cache = new Map<DtdName, DerivedValidator>();

/** The derived validator of a DTD, parsed and compiled once. */
export function validatorFor(dtd: DtdName): DerivedValidator {
  let v = cache.get(dtd);
  if (!v) {
    v = deriveValidator(loadDtd(dtdPath(dtd)));
    cache.set(dtd, v);
  }
  return v;
}

export type ValidationResult = { ok: true; document: XmlDocument } | { ok: false; errors: string[] };

/** Validates an already parsed document; returns the errors (empty when valid). */
export function validateDocument(document: XmlDocument, dtd: DtdName): string[] {
  const v = validatorFor(dtd);
  return validateTree(v, document.root, { expectedRoot: v.root });
}

/**
 * Parses and validates a document against one DTD. Never throws for bad input: a refused document
 * (XmlError) becomes one error entry starting with its code.
 */
export function validateXml(
  input: Buffer | Uint8Array | string,
  dtd: DtdName,
  options?: ParseOptions,
): ValidationResult {
  let document: XmlDocument;
  try {
    document = parseXml(input, options);
  } catch (e) {
    if (e instanceof XmlError) return { ok: false, errors: [`${e.code}: ${e.message}`] };
    return {
      ok: false,
      errors: [`MSE_XML_MALFORMED: ${e instanceof Error ? e.message.slice(0, 120) : 'unreadable input'}`],
    };
  }
  const errors = validateDocument(document, dtd);
  return errors.length ? { ok: false, errors } : { ok: true, document };
}

/** Parses and validates, throwing XmlError (MSE_XML_INVALID with the DTD errors, or the codec's code). */
export function parseValid(
  input: Buffer | Uint8Array | string,
  dtd: DtdName,
  options?: ParseOptions,
): XmlDocument {
  const document = parseXml(input, options);
  const errors = validateDocument(document, dtd);
  if (errors.length)
    throw new XmlError(
      'MSE_XML_INVALID',
      `the document does not match ${dtd}.dtd: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`,
    );
  return document;
}
