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

const F = 'envelope';
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

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const skipReason = notProvisioned(service);
    const mode = preferredMode(service);
    if (!mode) continue;
    const o = { skipReason };
    const both = (rule: string, n: Need, judge: (ctx: CheckContext, a: Answer, what: string) => void) => {
      defs.push(
        define(
          meta(F, rule, { service, mode, variant: 'success' }),
          async (ctx) => judge(ctx, await success(ctx, service, undefined, n), 'the success answer'),
          o,
        ),
        define(
          meta(F, rule, { service, variant: 'failure' }),
          async (ctx) => judge(ctx, await failure(ctx, service, n), 'the failure answer'),
          o,
        ),
      );
    };
    both('envelope.dtd-valid', 'answer', (ctx, a, what) => {
      const errors = dtdErrors(a.body);
      ensure(
        ctx,
        errors.length === 0,
        `${what} is not valid against the DTD of 6.5.1: ${errors.slice(0, 3).join('; ')}`,
      );
    });
    both('envelope.child-order', 'mse', (ctx, a, what) => {
      const problem = orderProblem(a.read.children);
      ensure(ctx, !problem, `${what}: ${problem}`);
    });
    both('envelope.status-code.present', 'mse', (ctx, a, what) => {
      ensure(ctx, a.read.statusCode !== undefined, `${what} has no <status-code>`);
    });
    both('envelope.status-code.numeric', 'mse', (ctx, a, what) => {
      if (a.read.statusCode === undefined)
        ctx.cannotJudge(`${what} has no <status-code> (envelope.status-code.present)`);
      ensure(
        ctx,
        /^[0-9]+$/.test(a.read.statusCode ?? ''),
        `${what} has status-code "${a.read.statusCode}", not a decimal integer`,
      );
    });
    both('envelope.profile.present', 'mse', (ctx, a, what) => {
      ensure(ctx, a.read.profile !== undefined, `${what} has no <profile>`);
    });
    both('envelope.profile.echoes-request', 'mse', (ctx, a, what) => {
      if (a.read.profile === undefined)
        ctx.cannotJudge(`${what} has no <profile> (envelope.profile.present)`);
      ensure(
        ctx,
        a.read.profile === a.profile,
        `${what} names profile "${a.read.profile}", the request named "${a.profile}"`,
      );
    });
    both('envelope.value-whitespace', 'mse', (ctx, a, what) => {
      const doc = a.body.toString('utf8');
      const m = /<(status-code|profile|transaction-id)>(\s+[^<]*|[^<]*\s+)<\//.exec(doc);
      ensure(ctx, !m, `${what}: <${m?.[1]}> carries whitespace around its value`);
    });
    defs.push(
      define(
        meta(F, 'envelope.transaction-id.on-accepted', { service, mode }),
        async (ctx) => {
          const a = await success(ctx, service);
          ensure(ctx, a.read.transactionId, 'an accepted request was answered without <transaction-id>');
        },
        o,
      ),
      define(
        meta(F, 'envelope.transaction-id.on-failure', { service }),
        async (ctx) => {
          const a = await failure(ctx, service);
          ensure(ctx, a.read.transactionId, 'the failure answer has no <transaction-id>');
        },
        o,
      ),
      // 9.3 on every accepted request, whatever the method (6.1): GET answers are judged by on-accepted above,
      // here both POST shapes. Refusals carry it at SHOULD only (errata.dtd-status-code-optional, on-failure).
      define(
        meta(F, 'transaction-id.always-returned', { service, mode, variant: 'post' }),
        async (ctx) => {
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
        o,
      ),
      define(
        meta(F, 'envelope.transaction-id.format', { service, mode }),
        async (ctx) => {
          const a = await success(ctx, service);
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
        o,
      ),
      define(
        meta(F, 'transaction-id.unique', { service, mode }),
        async (ctx) => {
          const ids: string[] = [];
          for (let i = 0; i < 3; i++) {
            const a = await success(ctx, service);
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
        o,
      ),
      define(
        meta(F, 'envelope.error-message.on-failure', { service }),
        async (ctx) => {
          const a = await failure(ctx, service);
          ensure(
            ctx,
            a.read.errorMessage,
            `status-code ${a.read.statusCode} came without a non-empty <error-message>`,
          );
        },
        o,
      ),
      define(
        meta(F, 'envelope.parameters.not-on-failure', { service }),
        async (ctx) => {
          const a = await failure(ctx, service);
          ensure(ctx, !a.read.children.includes('parameters'), 'the failure answer carries <parameters>');
        },
        o,
      ),
    );
    const asyncMode = service.modes.allowed.find((m) => m !== 'sync');
    if (asyncMode)
      defs.push(
        define(
          meta(F, 'envelope.parameters.not-in-ack', { service, mode: asyncMode }),
          async (ctx) => {
            const a = await success(ctx, service, asyncMode);
            ensure(
              ctx,
              !a.read.children.includes('parameters'),
              `the ${asyncMode} acknowledgement carries <parameters>`,
            );
          },
          o,
        ),
      );
    if (service.modes.allowed.includes('sync') && service.outputs.length)
      defs.push(
        define(
          meta(F, 'envelope.parameters.on-success', { service, mode: 'sync' }),
          async (ctx) => {
            const a = await success(ctx, service, 'sync');
            ensure(
              ctx,
              a.read.parameters?.length,
              'the successful sync execution response carries no <parameters>',
            );
          },
          o,
        ),
        define(
          meta(F, 'envelope.parameters.unique-names', { service, mode: 'sync' }),
          async (ctx) => {
            const a = await success(ctx, service, 'sync');
            const names = (a.read.parameters ?? []).map((p) => p.name);
            const dup = names.find((n, i) => names.indexOf(n) !== i);
            ensure(ctx, !dup, `param-name ${dup} appears more than once`);
          },
          o,
        ),
        define(
          meta(F, 'envelope.parameters.known-names', { service, mode: 'sync' }),
          async (ctx) => {
            const a = await success(ctx, service, 'sync');
            const known = new Set(service.outputs.map((p) => p.name));
            const unknown = (a.read.parameters ?? []).map((p) => p.name).filter((n) => !known.has(n));
            ensure(
              ctx,
              !unknown.length,
              `param-name(s) ${unknown.join(', ')} are not outputs of ${service.id}`,
            );
          },
          o,
        ),
      );
  }
  defs.push(
    define(meta(F, 'transaction-id.unique', { variant: 'across-services' }), async (ctx) => {
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
    }),
  );
  return defs;
}
