/**
 * The partner suite's harness: the suite plays the MSE and delivers to the partner's endpoints. Every check
 * is a thin body over these helpers, which send what the MSE sends (src/partner/client.ts), record every
 * exchange (secrets masked) on the running check, and fail with what was expected and what came.
 */
import { randomInt } from 'node:crypto';
import type { CheckContext, CheckDefinition } from '../../src/checks/kernel.ts';
import type { CheckMeta, RunContext } from '../../src/checks/types.ts';
import type { SendResult } from '../../src/client/http.ts';
import { toExchange } from '../../src/client/http.ts';
import { type DeliveryCredentials, PARTNER_PATHS, type PartnerEndpoints } from '../../src/partner/client.ts';
import { loadSpec } from '../../src/spec/load.ts';
import type { Service, Spec } from '../../src/spec/types.ts';

export const DEFAULT_ANSWER_BUDGET_MS = 5_000;

/** The `partner` part of the run config (spec/schema/config.schema.json). */
export interface PartnerConfig extends PartnerEndpoints {
  credentials?: DeliveryCredentials;
  answerBudgetMs?: number;
}

/** What every partner check needs, derived once from the run context. */
export interface PartnerEnv {
  run: RunContext;
  spec: Spec;
  endpoints: PartnerEndpoints;
  credentials?: DeliveryCredentials;
  /** Per-request timeout: how long the suite waits for any answer. */
  timeoutMs: number;
  /** How long a partner may take to answer (partner.answer.time-budget). */
  budgetMs: number;
  subscriber: string;
}

export function partnerEnv(run: RunContext, spec: Spec = loadSpec()): PartnerEnv {
  const config = (run.config.partner ?? {}) as PartnerConfig;
  // With endpoint URLs only (no --target), run.target describes them and is no base URL.
  const base = run.target && !run.extra?.endpointsOnly ? run.target.replace(/\/+$/, '') : undefined;
  const endpoints: PartnerEndpoints = {};
  for (const key of Object.keys(PARTNER_PATHS) as (keyof PartnerEndpoints)[]) {
    const url = config[key] ?? (base ? `${base}${PARTNER_PATHS[key]}` : undefined);
    if (url) endpoints[key] = url;
  }
  const env: PartnerEnv = {
    run,
    spec,
    endpoints,
    timeoutMs: run.config.timeouts.requestMs,
    budgetMs: config.answerBudgetMs ?? DEFAULT_ANSWER_BUDGET_MS,
    subscriber: run.config.subscribers[0] ?? '1191000000',
  };
  if (config.credentials && (config.credentials.userid || config.credentials.user || config.credentials.pwd))
    env.credentials = config.credentials;
  return env;
}

const ENDPOINT_OPTION: Record<keyof PartnerEndpoints, string> = {
  receipts: '--receipts (config partner.receipts)',
  smsMo: '--mo (config partner.smsMo)',
  mmsMo: '--mms (config partner.mmsMo)',
  ussd: '--ussd (config partner.ussd)',
};

/** Why the checks of an endpoint cannot run: no URL for it. */
export function missingEndpoint(env: PartnerEnv, key: keyof PartnerEndpoints): string | undefined {
  return env.endpoints[key] ? undefined : `no ${key} endpoint: give --target or ${ENDPOINT_OPTION[key]}`;
}

/** Builds a check's metadata from its rule in the catalogue; an unknown rule fails at collection time. */
export function meta(
  env: PartnerEnv,
  family: string,
  rule: string,
  options: { service?: Service; variant?: string; tags?: string[] } = {},
): CheckMeta {
  const r = env.spec.rules.get(rule);
  if (!r)
    throw new Error(
      `partner check of family ${family} cites rule ${rule}, which the catalogue does not have`,
    );
  let tail = rule.startsWith('partner.') ? rule.slice('partner.'.length) : rule;
  if (options.service && tail.startsWith(`${options.service.slug}.`))
    tail = tail.slice(options.service.slug.length + 1);
  else if (tail.startsWith(`${family}.`)) tail = tail.slice(family.length + 1);
  // Every id starts with `partner.` already: `receipts.partner.answers-200` → `...answers-200`.
  if (tail.startsWith('partner.')) tail = tail.slice('partner.'.length);
  const id = ['partner', family, options.service?.slug, tail, options.variant].filter(Boolean).join('.');
  const m: CheckMeta = {
    id,
    rule,
    section: r.section,
    level: r.level,
    family,
    requirement: r.text,
    tags: [...new Set(['partner', ...(r.tags ?? []), ...(options.tags ?? [])])],
  };
  if (options.service) m.service = options.service.id;
  return m;
}

export function define(
  m: CheckMeta,
  body: (ctx: CheckContext) => Promise<void> | void,
  skipReason?: string,
): CheckDefinition {
  const def: CheckDefinition = { meta: m, run: body };
  if (skipReason) def.skipReason = skipReason;
  return def;
}

export function serviceById(env: PartnerEnv, id: string): Service {
  const s = env.spec.services.find((x) => x.id === id);
  if (!s) throw new Error(`the spec has no service ${id}`);
  return s;
}

/** The sample of a service input, the configured test subscriber for ten-digit numbers. */
export function sampleOf(env: PartnerEnv, service: Service, name: string): string {
  const input = service.inputs.find((i) => i.name === name);
  if (!input) throw new Error(`${service.id} has no input ${name}`);
  return input.format === 'msisdn10' ? env.subscriber : input.sample;
}

let counter = 0;
/** A 19-digit transaction id, as the MSE writes them (6.5), unique within the run. */
export function transactionId(): string {
  counter = (counter + 1) % 1000;
  return `10${Date.now().toString().slice(-11)}${String(counter).padStart(3, '0')}${randomInt(1000)
    .toString()
    .padStart(3, '0')}`;
}

export interface Answer {
  sent: SendResult;
  status?: number;
  body: Buffer;
  durationMs: number;
}

/** Records the exchange on the check and returns what came back. */
export function record(ctx: CheckContext, env: PartnerEnv, label: string, sent: SendResult): Answer {
  ctx.record(toExchange(label, sent, env.run.secrets));
  const answer: Answer = { sent, body: sent.response?.body ?? Buffer.alloc(0), durationMs: sent.durationMs };
  if (sent.response) answer.status = sent.response.status;
  return answer;
}

export function describeAnswer(a: Answer): string {
  if (a.status === undefined) return `no answer (${a.sent.error ?? 'unknown error'})`;
  const text = a.body.toString('utf8').trim().slice(0, 80);
  return `HTTP ${a.status}${text ? ` "${text}"` : ''}`;
}

/** Exactly 200: 6.4.1.1, 6.4.5.1 and 6.4.7.1 take anything else (204 and every 2xx included) as not delivered. */
export function expect200(ctx: CheckContext, a: Answer, what: string): void {
  ctx.check(
    a.status === 200,
    `the partner answered the ${what} with ${describeAnswer(a)}; the MSE counts only HTTP 200 as delivered, anything else (204 included) means not delivered and it delivers again`,
  );
}
