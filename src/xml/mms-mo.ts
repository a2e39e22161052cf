/**
 * The MMS MO delivery document (6.4.7 DELIVERY_MMS, protocol 6.4.7.1): a REQUEST with
 * REQ_TYPE="Rcv_MMS_MO", the message id in MSG's MSG_ID, ANUM, BNUM, and the MMS percent-encoded
 * inside a CDATA section. POSTed by the MSE to the partner, UTF-8.
 */
import { percentDecodeBytes } from '../charset/latin1.ts';
import { findChild, textOf } from './codec.ts';
import { parseValid } from './validate.ts';
import { cdata, escapeAttribute, escapeText } from './write.ts';

export interface MmsMoRequest {
  msgId: string;
  /** Originator (the subscriber). */
  anum: string;
  /** Destination (the partner's short number). */
  bnum: string;
  /** The MMS as carried: the percent-encoded MIME message (see encodeMms / decodeMms). */
  mms: string;
}

const safe = /[A-Za-z0-9.\-*_]/;

/**
 * Percent-encodes the MMS bytes byte-exactly as the document's MMS_MT example does (6.4.6: space
 * as '+', other bytes outside [A-Za-z0-9.-*_] as %XX). Note the 6.4.7.1 example instead carries
 * the binary part UTF-8 encoded a second time (%C3%BF for byte 0xFF); decodeMms reads both, this
 * writes the byte-exact form.
 */
export function encodeMms(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b === 0x20 ? '+' : safe.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The bytes of a percent-encoded MMS as carried in the MMS element. */
export function decodeMms(mms: string): Buffer {
  return percentDecodeBytes(mms.replace(/[\t\n\r ]+/g, ''), 'UTF-8', 'MMS');
}

/** Writes the REQUEST document, the MMS inside CDATA as in 6.4.7.1. */
export function buildMmsMoRequest(request: MmsMoRequest): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<REQUEST REQ_TYPE="Rcv_MMS_MO">',
    `  <MSG MSG_ID="${escapeAttribute(request.msgId)}"/>`,
    `  <ANUM>${escapeText(request.anum)}</ANUM>`,
    `  <BNUM>${escapeText(request.bnum)}</BNUM>`,
    `  <MMS>${cdata(request.mms)}</MMS>`,
    '</REQUEST>',
    '',
  ].join('\n');
}

/**
 * Reads a REQUEST document, validated against mms-mo-request.dtd (XmlError otherwise). MMS is the
 * element's text and CDATA joined, with surrounding whitespace trimmed (the example indents it).
 */
export function readMmsMoRequest(input: Buffer | Uint8Array | string): MmsMoRequest {
  const { root } = parseValid(input, 'mms-mo-request');
  return {
    msgId: findChild(root, 'MSG')!.attributes.MSG_ID!,
    anum: textOf(findChild(root, 'ANUM')!),
    bnum: textOf(findChild(root, 'BNUM')!),
    mms: textOf(findChild(root, 'MMS')!).trim(),
  };
}
