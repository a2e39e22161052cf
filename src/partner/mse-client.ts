/**
 * The partner's side of the API: a small client a partner application (the reference partner's copier)
 * uses to call the MSE, /MSE/api for the services of 6.4 and /MSE/ussd for USSD commands (6.4.18-6.4.20),
 * and read the mse-response (6.5) it answers with. Errors have stable codes and say what to do.
 */
import { encodeQuery } from '../charset/latin1.ts';
import { send } from '../client/http.ts';
import { MseError } from '../core/errors.ts';
import { type MseResponse, readMseResponse } from '../xml/mse-response.ts';
import { buildUssdRequest, type UssdCommandBody } from '../xml/ussd.ts';

export interface MseClientOptions {
  /** Base URL of the MSE (the simulator, or Claro's): `${baseUrl}/MSE/api`, `${baseUrl}/MSE/ussd`. */
  baseUrl: string;
  profile: string;
  password: string;
  /** Sent when the profile requires one (6.2, 6.4.9). */
  billingCode?: string;
  timeoutMs?: number;
}

export type MseErrorCode = 'MSE_CLIENT_UNREACHABLE' | 'MSE_CLIENT_HTTP' | 'MSE_CLIENT_RESPONSE';

export class MseClientError extends MseError {
  declare readonly code: MseErrorCode;
  constructor(code: MseErrorCode, message: string) {
    super(message, code);
  }
}

/** What the MSE answered: status-code 0 is success; otherwise error-message says why (6.5.2). */
export interface MseAnswer extends MseResponse {
  ok: boolean;
}

async function exchange(
  url: string,
  body: Buffer,
  contentType: string,
  timeoutMs: number,
): Promise<MseAnswer> {
  const result = await send({
    method: 'POST',
    url,
    headers: { 'content-type': contentType },
    body,
    timeoutMs,
  });
  if (!result.response)
    throw new MseClientError(
      'MSE_CLIENT_UNREACHABLE',
      `no answer from ${new URL(url).origin}: ${result.error}. Check the MSE URL and your network.`,
    );
  if (result.response.status !== 200)
    throw new MseClientError(
      'MSE_CLIENT_HTTP',
      `the MSE answered HTTP ${result.response.status}; every answer of the API is HTTP 200 with an mse-response (6.1)`,
    );
  let response: MseResponse;
  try {
    response = readMseResponse(result.response.body);
  } catch (error) {
    throw new MseClientError(
      'MSE_CLIENT_RESPONSE',
      `the MSE's answer is not an mse-response: ${(error as Error).message}`,
    );
  }
  return { ...response, ok: response.statusCode === 0 };
}

export interface MseClient {
  /**
   * Calls a service of /MSE/api by POST (form-encoded UTF-8): `call('async-delivery', { BNUM, TEXT })`. The
   * profile names the service; an async-delivery answer's transactionId is what the receipt will carry.
   */
  call(mode: string, params: Record<string, string>): Promise<MseAnswer>;
  /** POSTs a USSD command (menu, input or notify) to /MSE/ussd for a subscriber. */
  ussd(
    msisdn: string,
    shortCode: string,
    command: UssdCommandBody,
    options?: { sessionOwner?: string; mode?: string },
  ): Promise<MseAnswer>;
}

export function createMseClient(options: MseClientOptions): MseClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 70_000;
  return {
    call(mode, params) {
      const pairs: Array<[string, string]> = [
        ['profile', options.profile],
        ['pwd', options.password],
        ['mode', mode],
      ];
      if (options.billingCode !== undefined) pairs.push(['billingCode', options.billingCode]);
      pairs.push(...Object.entries(params));
      return exchange(
        `${base}/MSE/api`,
        Buffer.from(encodeQuery(pairs, 'UTF-8'), 'ascii'),
        'application/x-www-form-urlencoded; charset=UTF-8',
        timeoutMs,
      );
    },
    ussd(msisdn, shortCode, command, extra = {}) {
      const xml = buildUssdRequest({
        head: {
          profile: options.profile,
          password: options.password,
          msisdn,
          shortCode,
          mode: extra.mode ?? 'async',
          ...(options.billingCode !== undefined ? { billingCode: options.billingCode } : {}),
          ...(extra.sessionOwner !== undefined ? { sessionOwner: extra.sessionOwner } : {}),
        },
        command,
      });
      return exchange(`${base}/MSE/ussd`, Buffer.from(xml, 'utf8'), 'text/xml; charset=UTF-8', timeoutMs);
    },
  };
}
