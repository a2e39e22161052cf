import { MseError } from '../core/errors.ts';
import { loadSpec } from '../spec/load.ts';

/**
 * The status codes the simulator answers, by meaning. This is the one place their numbers are written;
 * each must be listed in spec/status-codes.yaml (checked when the simulator starts), which says where
 * the document gives it (`document`), where real gateways use it (`field`) or that the project chose it.
 */
export const Status = {
  ok: 0,
  parameter: 12,
  unknownSubscriber: 19,
  noDeviceResponse: 110,
  auth: 401,
  billingCode: 402,
  mode: 405,
  syncTimeout: 408,
  bodyTooLarge: 413,
  badXml: 415,
  throttled: 429,
  internal: 500,
} as const;

export class SimulatorError extends MseError {
  constructor(code: string, message: string) {
    super(message, code);
  }
}

/** Fails fast when the spec no longer lists a code the simulator answers. */
export function checkStatusCodes(): void {
  const known = new Set(loadSpec().statusCodes.map((s) => s.code));
  const missing = Object.entries(Status).filter(([, code]) => !known.has(code));
  if (missing.length)
    throw new SimulatorError(
      'MSE_SIM_STATUS_UNKNOWN',
      `spec/status-codes.yaml does not list ${missing.map(([n, c]) => `${c} (${n})`).join(', ')}; add them there or change src/simulator/status.ts`,
    );
}
