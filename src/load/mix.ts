/**
 * The traffic mix of a load run: which services, in which modes, in what proportion, and in which charset
 * the parameters travel. The document gives no mix (9.3 only says the MSE caps transactions per user and
 * service), so the default is this project's choice, SMS-heavy as a partner's traffic usually is, and the
 * report says so.
 */
import { readFileSync } from 'node:fs';
import type { Charset } from '../charset/encoding.ts';
import type { Mode, Service, Spec } from '../spec/types.ts';

export interface MixEntry {
  service: string;
  mode: Mode;
  weight: number;
  /** Charset of the parameters: UTF-8 by GET, ISO-8859-1 by a form POST that declares it. */
  charset: Charset;
}

export interface Mix {
  entries: MixEntry[];
  /** Where the mix came from, said in the report ("default: ..." when the document gave none). */
  source: string;
}

/**
 * The default: 90% SMS (SMS_TEXT with receipts most of all), the rest spread over one service of each other
 * kind that has a receipt or answers synchronously. WIB_PUSH travels as ISO-8859-1 because its WML is an
 * ISO-8859-1 document in the document's own example (6.4.15).
 */
export const DEFAULT_MIX: MixEntry[] = [
  { service: 'SMS_TEXT', mode: 'async-delivery', weight: 60, charset: 'UTF-8' },
  { service: 'SMS_TEXT', mode: 'async-oneway', weight: 20, charset: 'UTF-8' },
  { service: 'SMS_EMS', mode: 'async-delivery', weight: 5, charset: 'UTF-8' },
  { service: 'SMS_WAP_PUSH', mode: 'async-delivery', weight: 5, charset: 'UTF-8' },
  { service: 'MMS_MT', mode: 'async-delivery', weight: 3, charset: 'UTF-8' },
  { service: 'WIB_PUSH', mode: 'async-oneway', weight: 3, charset: 'ISO-8859-1' },
  { service: 'LBS_TRANSLATOR', mode: 'sync', weight: 2, charset: 'UTF-8' },
  { service: 'EAI_CHECK_CREDIT', mode: 'sync', weight: 2, charset: 'UTF-8' },
];

export const DEFAULT_MIX_SOURCE =
  'default (the document gives no traffic mix, 9.3): 90% SMS, mostly SMS_TEXT async-delivery; the rest MMS, WIB, LBS and billing';

export class MixError extends Error {
  readonly code = 'MSE_LOAD_MIX';
}

/**
 * Reads `--mix`: either a JSON file holding MixEntry objects, or `SERVICE:MODE=WEIGHT[:CHARSET],...`
 * (`SMS_TEXT:async-delivery=3,WIB_PUSH:async-oneway=1:ISO-8859-1`). Every entry is checked against the spec:
 * the service exists, is reached through /MSE/api, and allows the mode.
 */
export function parseMix(spec: Spec, text: string | undefined): Mix {
  if (text === undefined) return { entries: checkMix(spec, DEFAULT_MIX), source: DEFAULT_MIX_SOURCE };
  let raw: unknown;
  if (/\.json$/i.test(text)) {
    try {
      raw = JSON.parse(readFileSync(text, 'utf8'));
    } catch (error) {
      throw new MixError(`cannot read the mix file ${text}: ${(error as Error).message}`);
    }
    if (!Array.isArray(raw))
      throw new MixError(`${text}: expected an array of {service, mode, weight, charset?}`);
  } else
    raw = text.split(',').map((part) => {
      const m = /^\s*([A-Z0-9_]+):([a-z-]+)=([0-9.]+)(?::([A-Za-z0-9-]+))?\s*$/.exec(part);
      if (!m) throw new MixError(`--mix entry "${part}" is not SERVICE:MODE=WEIGHT[:CHARSET]`);
      return { service: m[1], mode: m[2], weight: Number(m[3]), charset: m[4] ?? 'UTF-8' };
    });
  return { entries: checkMix(spec, raw as MixEntry[]), source: `--mix ${text}` };
}

function checkMix(spec: Spec, entries: MixEntry[]): MixEntry[] {
  if (!entries.length) throw new MixError('the mix is empty');
  const out: MixEntry[] = [];
  for (const e of entries) {
    const service: Service | undefined = spec.services.find((s) => s.id === e.service);
    if (service?.kind !== 'api')
      throw new MixError(
        `mix entry ${e.service}: not a service reached through ${spec.protocol.endpoints.api}; use one of ${spec.services
          .filter((s) => s.kind === 'api')
          .map((s) => s.id)
          .join(', ')}`,
      );
    if (!service.modes.allowed.includes(e.mode))
      throw new MixError(
        `mix entry ${e.service}:${e.mode}: ${e.service} allows ${service.modes.allowed.join(', ')} (${service.modes.section ?? service.section})`,
      );
    if (!(typeof e.weight === 'number' && e.weight > 0 && Number.isFinite(e.weight)))
      throw new MixError(`mix entry ${e.service}:${e.mode}: the weight must be a positive number`);
    const charset = e.charset ?? 'UTF-8';
    if (charset !== 'UTF-8' && charset !== 'ISO-8859-1')
      throw new MixError(
        `mix entry ${e.service}:${e.mode}: charset ${charset} is neither UTF-8 nor ISO-8859-1`,
      );
    out.push({ service: e.service, mode: e.mode, weight: e.weight, charset });
  }
  return out;
}
