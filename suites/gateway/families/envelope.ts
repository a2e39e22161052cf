/**
 * Envelope (6.5, 9.3): the mse-response document of every answer. Each API service is asked once for a
 * success and once for a failure (a wrong password), and the document is judged against the DTD of 6.5.1
 * and the specifications of 6.5.2.
 */
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import type { Mode, Service } from '../../../src/spec/types.ts';
import {
  type Answer,
  apiServices,
  callApi,
  define,
  dtdErrors,
  ensure,
  meta,
  notProvisioned,
  preferredMode,
  profileOf,
  type Recorder,
  requireAccepted,
  requireMse,
  requireRefused,
} from '../harness.ts';
import { type Case, expand, type Row, row } from '../rows.ts';

/** Children of mse-response in DTD order (6.5.1). */
const ORDER = ['status-code', 'profile', 'transaction-id', 'error-message', 'parameters'];

/**
 * What an envelope check needs of the answer it judges, each precondition another rule's: `answer` (any
 * body: the DTD and order checks judge XML itself), `mse` (an mse-response to read), `outcome` (accepted for
 * the success answer, refused for the failure answer).
 */
type Need = 'answer' | 'mse' | 'outcome';

const WHAT = { success: 'a valid request', failure: 'a request with a wrong password' } as const;

/** A precondition on an answer: the expected outcome, or at least not the opposite one when it can be read. */
function need(ctx: Recorder, a: Answer, kind: keyof typeof WHAT, n: Need): void {
  if (a.sent.error) ctx.cannotJudge(`${WHAT[kind]}: no answer (${a.sent.error})`);
  if (n === 'outcome') {
    if (kind === 'success') requireAccepted(ctx, a, WHAT[kind]);
    else requireRefused(ctx, a, WHAT[kind]);
    return;
  }
  if (n === 'mse') requireMse(ctx, a, WHAT[kind]);
  // The success answer of a refused request (or the reverse) is not the answer the check's variant judges.
  const code = a.read.statusCode;
  if (kind === 'success' && code !== undefined && code !== '0')
    ctx.cannotJudge(
      `${WHAT[kind]} was refused (status-code ${code}), so there is no success answer to judge`,
    );
  if (kind === 'failure' && code === '0')
    ctx.cannotJudge(`${WHAT[kind]} was accepted (status-code 0), so there is no failure answer to judge`);
}

async function success(
  ctx: CheckContext,
  service: Service,
  mode?: Mode,
  n: Need = 'outcome',
): Promise<Answer> {
  const a = await callApi(ctx, { service, ...(mode ? { mode } : {}) });
  need(ctx, a, 'success', n);
  return a;
}

async function failure(ctx: CheckContext, service: Service, n: Need = 'outcome'): Promise<Answer> {
  const a = await callApi(ctx, {
    service,
    password: `${profileOf(service)?.password ?? ''}-wrong`,
    label: 'wrong password',
  });
  need(ctx, a, 'failure', n);
  return a;
}

function orderProblem(children: string[]): string | undefined {
  let last = -1;
  const seen = new Set<string>();
  for (const name of children) {
    const i = ORDER.indexOf(name);
    if (i < 0) return `mse-response has an element <${name}> the DTD does not define`;
    if (seen.has(name)) return `<${name}> appears twice`;
    if (i < last) return `<${name}> comes after <${ORDER[last]}>; the DTD order is ${ORDER.join(', ')}`;
    seen.add(name);
    last = i;
  }
  return undefined;
}

interface EnvelopeCase extends Case {
  /** Which answer the case judges: a valid request's, or a wrong password's. */
  answer?: keyof typeof WHAT;
}

const SENT = {
  success: 'a valid request to {service}',
  failure: 'a request to {service} with a wrong password',
} as const;

/**
 * The fields of a row judged on both answers: the success answer (in the service's mode) and the failure
 * answer (the mode left to callApi), as variants `success` and `failure`.
 */
function both(
  rule: string,
  n: Need,
  read: string,
  judge: (ctx: CheckContext, a: Answer, what: string) => void,
): Omit<Row<EnvelopeCase>, 'at'> {
  return {
    rule,
    cases: (service) => {
      const mode = preferredMode(service);
      return mode
        ? [
            { service, mode, variant: 'success', answer: 'success' },
            { service, variant: 'failure', answer: 'failure' },
          ]
        : [];
    },
    stimulus: (c) => `${SENT[c.answer ?? 'success']}; ${read}`,
    judge: async (ctx, c) =>
      c.answer === 'failure'
        ? judge(ctx, await failure(ctx, c.service, n), 'the failure answer')
        : judge(ctx, await success(ctx, c.service, undefined, n), 'the success answer'),
  };
}

/** A row judged on the failure answer; its check names no mode. */
const onFailure = (s: Service): EnvelopeCase[] => (preferredMode(s) ? [{ service: s }] : []);
const inSync = (s: Service): EnvelopeCase[] => [{ service: s, mode: 'sync' }];
const hasSyncOutputs = (s: Service) => s.modes.allowed.includes('sync') && s.outputs.length > 0;

const rows = [
  row(
    both('envelope.dtd-valid', 'answer', 'the body is validated against the DTD of 6.5.1', (ctx, a, what) => {
      const errors = dtdErrors(a.body);
      ensure(
        ctx,
        errors.length === 0,
        `${what} is not valid against the DTD of 6.5.1: ${errors.slice(0, 3).join('; ')}`,
      );
    }),
  ),
  row(
    both(
      'envelope.child-order',
      'mse',
      'the order of the children of mse-response is read',
      (ctx, a, what) => {
        const problem = orderProblem(a.read.children);
        ensure(ctx, !problem, `${what}: ${problem}`);
      },
    ),
  ),
  row(
    both(
      'envelope.status-code.present',
      'mse',
      'the mse-response is read for <status-code>',
      (ctx, a, what) => {
        ensure(ctx, a.read.statusCode !== undefined, `${what} has no <status-code>`);
      },
    ),
  ),
  row(
    both(
      'envelope.status-code.numeric',
      'mse',
      'the <status-code> of the mse-response is read',
      (ctx, a, what) => {
        if (a.read.statusCode === undefined)
          ctx.cannotJudge(`${what} has no <status-code> (envelope.status-code.present)`);
        ensure(
          ctx,
          /^[0-9]+$/.test(a.read.statusCode ?? ''),
          `${what} has status-code "${a.read.statusCode}", not a decimal integer`,
        );
      },
    ),
  ),
  row(
    both('envelope.profile.present', 'mse', 'the mse-response is read for <profile>', (ctx, a, what) => {
      ensure(ctx, a.read.profile !== undefined, `${what} has no <profile>`);
    }),
  ),
  row(
    both(
      'envelope.profile.echoes-request',
      'mse',
      "the <profile> of the mse-response is compared with the request's",
      (ctx, a, what) => {
        if (a.read.profile === undefined)
          ctx.cannotJudge(`${what} has no <profile> (envelope.profile.present)`);
        ensure(
          ctx,
          a.read.profile === a.profile,
          `${what} names profile "${a.read.profile}", the request named "${a.profile}"`,
        );
      },
    ),
  ),
  row(
    both(
      'envelope.value-whitespace',
      'mse',
      'the values of the mse-response are read for surrounding whitespace',
      (ctx, a, what) => {
        const doc = a.body.toString('utf8');
        const m = /<(status-code|profile|transaction-id)>(\s+[^<]*|[^<]*\s+)<\//.exec(doc);
        ensure(ctx, !m, `${what}: <${m?.[1]}> carries whitespace around its value`);
      },
    ),
  ),
  row<EnvelopeCase>({
    rule: 'envelope.transaction-id.on-accepted',
    stimulus: 'a valid request to {service} in mode {mode}; the answer is read for <transaction-id>',
    judge: async (ctx, c) => {
      const a = await success(ctx, c.service);
      ensure(ctx, a.read.transactionId, 'an accepted request was answered without <transaction-id>');
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.transaction-id.on-failure',
    cases: onFailure,
    stimulus: `${SENT.failure}; the refusal is read for <transaction-id>`,
    judge: async (ctx, c) => {
      const a = await failure(ctx, c.service);
      ensure(ctx, a.read.transactionId, 'the failure answer has no <transaction-id>');
    },
  }),
  // 9.3 on every accepted request, whatever the method (6.1): GET answers are judged by on-accepted above,
  // here both POST shapes. Refusals carry it at SHOULD only (errata.dtd-status-code-optional, on-failure).
  row<EnvelopeCase>({
    rule: 'transaction-id.always-returned',
    variant: 'post',
    stimulus:
      'a valid request to {service} in mode {mode} by POST with a form body, then by POST with its parameters in the query string',
    judge: async (ctx, { service, mode }) => {
      for (const [what, bodyInQuery] of [
        ['a POST with a form body', false],
        ['a POST with its parameters in the query string', true],
      ] as const) {
        const a = await callApi(ctx, { service, mode, method: 'POST', bodyInQuery, label: what });
        // Acceptance of a POST is transport.post-form's and transport.post-query's to judge.
        requireAccepted(ctx, a, what);
        ensure(ctx, a.read.transactionId, `${what} was accepted without <transaction-id> in its answer`);
      }
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.transaction-id.format',
    stimulus: 'a valid request to {service} in mode {mode}; the <transaction-id> of the answer is read',
    judge: async (ctx, c) => {
      const a = await success(ctx, c.service);
      if (!a.read.transactionId)
        return ctx.cannotJudge(
          'the accepted answer has no <transaction-id> (envelope.transaction-id.on-accepted)',
        );
      ensure(
        ctx,
        /^[0-9]{19}$/.test(a.read.transactionId),
        `transaction-id "${a.read.transactionId}" is not nineteen digits`,
      );
    },
  }),
  row<EnvelopeCase>({
    rule: 'transaction-id.unique',
    stimulus: 'three valid requests to {service} in mode {mode}; their transaction ids are compared',
    judge: async (ctx, c) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = await success(ctx, c.service);
        if (!a.read.transactionId)
          return ctx.cannotJudge(
            'an accepted request was answered without <transaction-id> (envelope.transaction-id.on-accepted)',
          );
        ids.push(a.read.transactionId);
      }
      ensure(
        ctx,
        new Set(ids).size === ids.length,
        `three requests got transaction ids ${ids.join(', ')}: not all different`,
      );
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.error-message.on-failure',
    cases: onFailure,
    stimulus: `${SENT.failure}; the refusal is read for <error-message>`,
    judge: async (ctx, c) => {
      const a = await failure(ctx, c.service);
      ensure(
        ctx,
        a.read.errorMessage,
        `status-code ${a.read.statusCode} came without a non-empty <error-message>`,
      );
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.parameters.not-on-failure',
    cases: onFailure,
    stimulus: `${SENT.failure}; the refusal is read for <parameters>`,
    judge: async (ctx, c) => {
      const a = await failure(ctx, c.service);
      ensure(ctx, !a.read.children.includes('parameters'), 'the failure answer carries <parameters>');
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.parameters.not-in-ack',
    cases: (service) => {
      const mode = service.modes.allowed.find((m) => m !== 'sync');
      return mode ? [{ service, mode }] : [];
    },
    stimulus: 'a valid request to {service} in mode {mode}; the acknowledgement is read for <parameters>',
    judge: async (ctx, { service, mode }) => {
      const a = await success(ctx, service, mode as Mode);
      ensure(
        ctx,
        !a.read.children.includes('parameters'),
        `the ${mode} acknowledgement carries <parameters>`,
      );
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.parameters.on-success',
    applies: hasSyncOutputs,
    cases: inSync,
    stimulus: 'a valid request to {service} in mode sync; the execution response is read for <parameters>',
    judge: async (ctx, c) => {
      const a = await success(ctx, c.service, 'sync');
      ensure(
        ctx,
        a.read.parameters?.length,
        'the successful sync execution response carries no <parameters>',
      );
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.parameters.unique-names',
    applies: hasSyncOutputs,
    cases: inSync,
    stimulus:
      'a valid request to {service} in mode sync; the param-names of the execution response are compared',
    judge: async (ctx, c) => {
      const a = await success(ctx, c.service, 'sync');
      const names = (a.read.parameters ?? []).map((p) => p.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      ensure(ctx, !dup, `param-name ${dup} appears more than once`);
    },
  }),
  row<EnvelopeCase>({
    rule: 'envelope.parameters.known-names',
    applies: hasSyncOutputs,
    cases: inSync,
    stimulus:
      "a valid request to {service} in mode sync; the param-names are compared with the service's outputs",
    judge: async (ctx, { service }) => {
      const a = await success(ctx, service, 'sync');
      const known = new Set(service.outputs.map((p) => p.name));
      const unknown = (a.read.parameters ?? []).map((p) => p.name).filter((n) => !known.has(n));
      ensure(ctx, !unknown.length, `param-name(s) ${unknown.join(', ')} are not outputs of ${service.id}`);
    },
  }),
];

/** Every row per API service, in the mode the service prefers (services with no mode are left out). */
export function definitions(): CheckDefinition[] {
  return [
    ...expand('envelope', rows, apiServices(), (service) => {
      const mode = preferredMode(service);
      return mode ? [{ service, mode }] : [];
    }),
    define(
      meta('envelope', 'transaction-id.unique', {
        variant: 'across-services',
        stimulus:
          'one valid request to each provisioned API service at once; their transaction ids are compared',
      }),
      acrossServices,
    ),
  ];
}

async function acrossServices(ctx: CheckContext): Promise<void> {
  const services = apiServices().filter((s) => !notProvisioned(s) && preferredMode(s));
  if (!services.length) ctx.skip('no API service is provisioned in the config');
  // Each service's acceptance is its own checks' to judge: ids are compared among the accepted answers.
  const answers = await Promise.all(
    services.map((service) => callApi(ctx, { service, mode: preferredMode(service)! })),
  );
  const seen = new Map<string, string>();
  for (const [i, a] of answers.entries()) {
    const tid = a.read.statusCode === '0' ? a.read.transactionId : undefined;
    if (!tid) continue;
    const other = seen.get(tid);
    ensure(ctx, !other, `${services[i]!.id} and ${other} got the same transaction id ${tid}`);
    seen.set(tid, services[i]!.id);
  }
}
