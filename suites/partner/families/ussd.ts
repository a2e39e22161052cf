/**
 * USSD events (6.4.21-6.4.23): for every ussd-event service of the spec, the suite POSTs the event as a
 * ussd_message_response and judges the partner's answer: HTTP 200, a ussd_message_request command valid
 * per its DTD, UTF-8, session_owner forwarded, and the command within the limits of 6.4.18-6.4.20.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstInvalidUtf8 } from '../../../src/charset/encoding.ts';
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import { buildUssdEvent, sendUssdEvent } from '../../../src/partner/client.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { charLength } from '../../../src/spec/values.ts';
import { readUssdRequest, type UssdRequestHead } from '../../../src/xml/ussd.ts';
import { validateXml } from '../../../src/xml/validate.ts';
import {
  type Answer,
  define,
  describeAnswer,
  expect200,
  meta,
  missingEndpoint,
  type PartnerEnv,
  record,
  sampleOf,
  serviceById,
} from '../harness.ts';

export interface UssdReply {
  type: 'menu' | 'input' | 'notify';
  head: UssdRequestHead;
  title?: string;
  options: { index: string; subtitle: string }[];
  content?: string;
}

/** Reads the partner's command; undefined with the reasons when it is not a valid ussd_message_request. */
export function readReply(body: Buffer): { reply?: UssdReply; errors: string[] } {
  // validateXml lists every departure from the DTD; readUssdRequest then reads the valid document.
  const result = validateXml(body, 'ussd_message_request');
  if (!result.ok) return { errors: result.errors };
  const { head, command } = readUssdRequest(body);
  const reply: UssdReply = { type: command.type, head, options: [] };
  if (command.type === 'menu') {
    if (command.title !== undefined) reply.title = command.title;
    reply.options = command.options.map((o) => ({ index: o.index.trim(), subtitle: o.subtitle }));
  } else reply.content = command.content;
  return { reply, errors: [] };
}

/** The event document of a ussd-event service, from its inputs: head elements and the one response element. */
function eventFor(env: PartnerEnv, service: Service) {
  const response = service.inputs.find((i) => i.in === 'response');
  const kinds = ['user_init', 'index', 'input'] as const;
  const kind = kinds.find((k) => k === response?.name);
  if (!response || !kind) throw new Error(`${service.id} has no response input (user_init, index or input)`);
  const sessionOwner = service.inputs.find((i) => i.name === 'session_owner');
  return buildUssdEvent({
    msisdn: env.subscriber,
    shortCode: sampleOf(env, service, 'short_code'),
    ...(sessionOwner ? { sessionOwner: sessionOwner.sample } : {}),
    response: [kind, response.sample],
  });
}

type Judge = (
  ctx: CheckContext,
  a: Answer,
  reply: UssdReply | undefined,
  errors: string[],
  service: Service,
) => void;

/** The reply must be a command to judge its contents; a check on a command of another type has nothing to judge. */
function needCommand(
  ctx: CheckContext,
  reply: UssdReply | undefined,
  errors: string[],
  types: UssdReply['type'][],
) {
  if (!reply)
    ctx.fail(
      `the reply is not a valid ussd_message_request, so its command cannot be judged: ${errors.slice(0, 3).join('; ')}`,
    );
  if (!types.includes(reply.type))
    ctx.skip(`the partner answered with ${reply.type}, not ${types.join(' or ')}`);
  return reply;
}

export function definitions(env: PartnerEnv): CheckDefinition[] {
  const skip = missingEndpoint(env, 'ussd');
  // `limited` is inclusive: errata.ussd-limits-table-vs-text.
  const limits = new Map(env.spec.protocol.ussd.limits.map((l) => [l.name, l.limited]));
  const reserved = env.spec.protocol.ussd.reservedIndexes;
  const menu = serviceById(env, 'USSD_MENU');
  const menuIndex = menu.inputs.find((i) => i.name === 'index')!;
  const contentLimit = (id: string) => {
    const s = serviceById(env, id);
    const input = s.inputs.find((i) => i.name === 'content')!;
    return { rule: inputRuleIds(s, input).maxLength, max: input.maxLength ?? 150 };
  };
  const input = contentLimit('USSD_INPUT');
  const notify = contentLimit('USSD_NOTIFY');

  const judges: { rule: string; variant?: string; judge: Judge }[] = [
    { rule: 'partner.ussd.answer-200', judge: (ctx: CheckContext, a) => expect200(ctx, a, 'USSD event') },
    {
      rule: 'reply',
      judge: (ctx: CheckContext, a, reply, errors) =>
        ctx.check(
          reply,
          `the answer (${describeAnswer(a)}) is not a ussd_message_request command: ${errors.slice(0, 3).join('; ')}`,
        ),
    },
    {
      rule: 'ussd.utf-8',
      judge: (ctx: CheckContext, a) => {
        const at = firstInvalidUtf8(a.body);
        ctx.check(a.status === 200 && a.body.length > 0, `no command came to judge: ${describeAnswer(a)}`);
        ctx.check(at < 0, `the answer is not UTF-8: invalid byte at offset ${at}`);
        const declared = /^<\?xml[^>]*encoding=["']([^"']+)["']/.exec(a.body.toString('latin1'))?.[1];
        ctx.check(
          declared === undefined || /^utf-8$/i.test(declared),
          `the answer declares encoding ${declared}, not UTF-8`,
        );
      },
    },
    {
      rule: 'ussd.session-owner.forwarded',
      judge: (ctx: CheckContext, _a, r, errors, service) => {
        const reply = needCommand(ctx, r, errors, ['menu', 'input', 'notify']);
        ctx.check(
          reply.head.sessionOwner?.trim() === sampleOf(env, service, 'session_owner'),
          `the command's head carries session_owner "${reply.head.sessionOwner ?? '(none)'}", not the one of the event`,
        );
      },
    },
    {
      rule: 'ussd.index.reserved',
      judge: (ctx: CheckContext, _a, r, errors) => {
        const reply = needCommand(ctx, r, errors, ['menu']);
        const bad = reply.options.filter((o) => reserved.includes(o.index) || !/^[0-9]+$/.test(o.index));
        ctx.check(
          bad.length === 0,
          `menu option index ${bad.map((o) => `"${o.index}"`).join(', ')} is reserved or not a number (${menuIndex.description})`,
        );
      },
    },
    {
      rule: 'ussd.limits.title',
      judge: (ctx: CheckContext, _a, r, errors) => {
        const reply = needCommand(ctx, r, errors, ['menu']);
        const n = charLength(reply.title ?? '');
        ctx.check(
          n <= limits.get('title')!,
          `the menu title has ${n} characters; the limit is ${limits.get('title')}`,
        );
      },
    },
    {
      rule: 'ussd.limits.subtitle',
      judge: (ctx: CheckContext, _a, r, errors) => {
        const reply = needCommand(ctx, r, errors, ['menu']);
        const long = reply.options.filter((o) => charLength(o.subtitle) > limits.get('subtitle')!);
        ctx.check(
          long.length === 0,
          `option ${long.map((o) => o.index).join(', ')} has ${long.map((o) => charLength(o.subtitle)).join(', ')} characters; the limit is ${limits.get('subtitle')}`,
        );
      },
    },
    {
      rule: 'ussd.limits.options',
      judge: (ctx: CheckContext, _a, r, errors) => {
        const reply = needCommand(ctx, r, errors, ['menu']);
        ctx.check(
          reply.options.length <= limits.get('options')!,
          `the menu has ${reply.options.length} options; the limit is ${limits.get('options')}`,
        );
      },
    },
    ...[
      { limit: input, type: 'input' as const },
      { limit: notify, type: 'notify' as const },
    ].map(({ limit, type }) => ({
      rule: limit.rule,
      judge: ((ctx: CheckContext, _a, r, errors) => {
        const reply = needCommand(ctx, r, errors, [type]);
        const n = charLength(reply.content ?? '');
        ctx.check(
          n <= limit.max,
          `the ${type} content has ${n} characters; at most ${limit.max} are allowed`,
        );
      }) as Judge,
    })),
  ];

  const defs: CheckDefinition[] = [];
  for (const service of env.spec.services.filter((s) => s.kind === 'ussd-event')) {
    const replyRule = env.spec.rules.has(`${service.slug}.reply.command`)
      ? `${service.slug}.reply.command`
      : 'ussd.event.reply-command';
    for (const j of judges) {
      const rule = j.rule === 'reply' ? replyRule : j.rule;
      const m = meta(env, 'ussd', rule, { service });
      defs.push(
        define(
          m,
          async (ctx) => {
            const sent = await sendUssdEvent(env.endpoints.ussd!, eventFor(env, service), {
              timeoutMs: env.timeoutMs,
            });
            const a = record(ctx, env, `MSE → partner: ${service.id} event`, sent);
            if (a.status === undefined)
              ctx.fail(`no answer to the ${service.id} event: ${describeAnswer(a)}`);
            const { reply, errors } = a.status === 200 ? readReply(a.body) : { errors: [describeAnswer(a)] };
            j.judge(ctx, a, reply, errors, service);
          },
          skip,
        ),
      );
    }
    // The document's own example of the event, byte for byte.
    for (const example of service.examples.filter((e) => e.kind === 'event'))
      defs.push(
        define(
          meta(env, 'ussd', 'ussd.event.reply-command', { service, variant: 'document-example' }),
          async (ctx: CheckContext) => {
            const document = readFileSync(join(env.spec.root, '..', 'fixtures', example.fixture), 'utf8');
            const sent = await sendUssdEvent(env.endpoints.ussd!, document, { timeoutMs: env.timeoutMs });
            const a = record(ctx, env, `MSE → partner: ${service.id} event (${example.fixture})`, sent);
            expect200(ctx, a, `${service.id} event of ${example.fixture}`);
            const { errors } = readReply(a.body);
            ctx.check(
              errors.length === 0,
              `the answer is not a ussd_message_request command: ${errors.slice(0, 3).join('; ')}`,
            );
          },
          skip,
        ),
      );
  }
  return defs;
}
