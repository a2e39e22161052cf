/**
 * The partner suite's harness: the suite plays the MSE and delivers to the partner's endpoints. Every check
 * is a thin body over these helpers, which send what the MSE sends (src/partner/client.ts), record every
 * exchange (secrets masked) on the running check, and fail with what was expected and what came.
 *
 * Isolation is the harness's, not each check's: a check reaches what it judges only through helpers that
 * report "cannot judge" (informational) when a precondition governed by another rule did not hold, naming
 * that rule. So a departure fails the checks of its own rule only, and the other checks still judge what
 * they can see (a USSD reply with a wrong head still has its menu judged).
 */
import { randomInt } from 'node:crypto';
import { type CheckContext, checkMeta } from '../../src/checks/kernel.ts';
import type { CheckMeta, RunContext } from '../../src/checks/types.ts';
import type { SendResult } from '../../src/client/http.ts';
import { toExchange } from '../../src/client/http.ts';
import { type DeliveryCredentials, PARTNER_PATHS, type PartnerEndpoints } from '../../src/partner/client.ts';
import { loadSpec } from '../../src/spec/load.ts';
import type { Service, Spec } from '../../src/spec/types.ts';
import {
  readUssdReply,
  type UssdCommandBody,
  type UssdReplyHead,
  type UssdReplyRead,
} from '../../src/xml/ussd.ts';

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
  options: { service?: Service; variant?: string; tags?: string[]; stimulus?: string } = {},
): CheckMeta {
  return checkMeta(env.spec.rules, 'partner', family, rule, {
    ...options,
    tags: ['partner', ...(options.tags ?? [])],
  });
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

/**
 * Precondition: the delivery was taken (HTTP 200). When it was not, the check cannot judge its own rule, since
 * `rule` (the one that judges acknowledgements) already covers the refusal.
 */
export function needTaken(ctx: CheckContext, a: Answer, what: string, rule: string): void {
  if (a.status !== 200)
    ctx.cannotJudge(
      `the partner answered ${what} with ${describeAnswer(a)}, so this check has nothing of its own to judge; ${rule} judges that`,
    );
}

export type UssdCommandType = UssdCommandBody['type'];

/**
 * A partner's answer to a USSD event, read once and exposed in parts. Each accessor returns its part or
 * reports that the check cannot judge, naming the rule whose departure hides the part: the status is
 * partner.ussd.answer-200's, the XML envelope and the command's structure the reply rule's. A check takes the
 * parts it needs and judges its own rule on them only.
 */
export class UssdReplyView {
  private parts?: UssdReplyRead;

  constructor(
    private readonly ctx: CheckContext,
    readonly answer: Answer,
    /** The rules that judge the answer's status and the reply's structure. */
    private readonly rules: { answer: string; reply: string },
  ) {}

  /** The body of an HTTP 200 answer. */
  body(): Buffer {
    if (this.answer.status !== 200)
      this.ctx.cannotJudge(
        `the partner answered the event with ${describeAnswer(this.answer)}; ${this.rules.answer} judges that`,
      );
    return this.answer.body;
  }

  /** The reply read in parts (not XML, envelope, head, command), for the check of the reply's structure. */
  read(): UssdReplyRead {
    this.parts ??= readUssdReply(this.body());
    return this.parts;
  }

  /** The head of a reply that is XML with one head. */
  head(): UssdReplyHead {
    const parts = this.read();
    if (parts.notXml)
      this.ctx.cannotJudge(
        `the reply is no XML (${parts.notXml.slice(0, 120)}); ${this.rules.reply} judges that`,
      );
    if (!parts.head)
      this.ctx.cannotJudge(
        `the reply has no single head (${parts.envelope.join('; ').slice(0, 160)}); ${this.rules.reply} judges that`,
      );
    return parts.head;
  }

  /** One head element's value, trimmed, when the head has it readable and not empty; otherwise `rule` judges. */
  headValue(name: string, rule: string): string {
    const head = this.head();
    const value = head.values[name]?.trim();
    if (!value)
      this.ctx.cannotJudge(
        `the reply's head has no readable <${name}> (${head.problems[name] ?? 'absent'}); ${rule} judges that`,
      );
    return value;
  }

  /** The command, when it is one of `types`; a command of another type leaves the check nothing to judge (skip). */
  command<T extends UssdCommandType>(types: T[]): Extract<UssdCommandBody, { type: T }> {
    const parts = this.read();
    if (parts.notXml)
      this.ctx.cannotJudge(
        `the reply is no XML (${parts.notXml.slice(0, 120)}); ${this.rules.reply} judges that`,
      );
    if (!parts.command)
      this.ctx.cannotJudge(
        `the reply holds no single menu, input or notify (${[...parts.envelope, ...parts.commandProblems].join('; ').slice(0, 160)}); ${this.rules.reply} judges that`,
      );
    const command = parts.command;
    if (!(types as string[]).includes(command.type))
      this.ctx.skip(`the partner answered with ${command.type}, not ${types.join(' or ')}`);
    return command as Extract<UssdCommandBody, { type: T }>;
  }
}
