/**
 * USSD events (6.4.21-6.4.23): for every ussd-event service of the spec, the suite POSTs the event as a
 * ussd_message_response and judges the partner's answer part by part (errata.ussd-reply-head): HTTP 200; a
 * reply that is a ussd_message_request with one head and one command, the command valid per the DTD's content
 * models; the head's msisdn, short_code, session_owner, profile, password and mode; UTF-8; and the command
 * within the limits of 6.4.18-6.4.20. Each check reaches its part through the harness's UssdReplyView, so a
 * departure in one part is judged by that part's check only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstInvalidUtf8 } from '../../../src/charset/encoding.ts';
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import { buildUssdEvent, sendUssdEvent } from '../../../src/partner/client.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { charLength } from '../../../src/spec/values.ts';
import { commandHeadModel } from '../../../src/xml/ussd.ts';
import {
  define,
  describeAnswer,
  expect200,
  meta,
  missingEndpoint,
  type PartnerEnv,
  record,
  sampleOf,
  serviceById,
  UssdReplyView,
} from '../harness.ts';

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

type Judge = (ctx: CheckContext, reply: UssdReplyView, service: Service) => void;

const ANSWER_RULE = 'partner.ussd.answer-200';

/** Departures from the reply's structure: no XML, the envelope (root, one head, one command), the command's DTD. */
function structureProblems(reply: UssdReplyView): string[] {
  const parts = reply.read();
  if (parts.notXml) return [`it is no XML document: ${parts.notXml}`];
  return [...parts.envelope, ...parts.commandProblems];
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
  const commandHead = commandHeadModel();
  /** What the event's head requires (msisdn, short_code): the reply carries it too (errata.ussd-reply-head). */
  const addressing = (service: Service) =>
    service.inputs.filter((i) => i.in === 'head' && i.required).map((i) => i.name);
  /** The rest of what a command's head requires (profile, password, mode): SHOULD in a reply. */
  const commandOnly = (service: Service) =>
    commandHead.required.filter((n) => !addressing(service).includes(n));

  const judges: { rule: string; judge: Judge }[] = [
    { rule: ANSWER_RULE, judge: (ctx: CheckContext, reply) => expect200(ctx, reply.answer, 'USSD event') },
    {
      rule: 'reply',
      judge: (ctx: CheckContext, reply) => {
        const problems = structureProblems(reply);
        ctx.check(
          problems.length === 0,
          `the reply (${describeAnswer(reply.answer)}) is not a ussd_message_request command: ${problems.slice(0, 3).join('; ')}`,
        );
      },
    },
    {
      rule: 'ussd.event.reply-head.addressing',
      judge: (ctx: CheckContext, reply, service) => {
        const head = reply.head();
        const missing = addressing(service).filter((n) => !head.values[n]?.trim());
        ctx.check(
          missing.length === 0,
          `the reply's head lacks ${missing.map((n) => `<${n}>${head.problems[n] ? ` (${head.problems[n]})` : ''}`).join(', ')}; every command carries ${addressing(service).join(' and ')}`,
        );
      },
    },
    {
      rule: 'ussd.event.reply-head.same-session',
      judge: (ctx: CheckContext, reply, service) => {
        const differ = addressing(service)
          .map((n) => ({
            name: n,
            sent: n === 'msisdn' ? env.subscriber : sampleOf(env, service, n),
            got: reply.headValue(n, 'ussd.event.reply-head.addressing').trim(),
          }))
          .filter((v) => v.got !== v.sent);
        ctx.check(
          differ.length === 0,
          `the reply's head names ${differ.map((d) => `${d.name} "${d.got}"`).join(', ')}, but the event came with ${differ.map((d) => `"${d.sent}"`).join(', ')}`,
        );
      },
    },
    {
      rule: 'ussd.event.reply-head.profile',
      judge: (ctx: CheckContext, reply, service) => {
        const head = reply.head();
        const missing = commandOnly(service).filter((n) => head.values[n] === undefined);
        ctx.check(
          missing.length === 0,
          `the reply's head has no ${missing.map((n) => `<${n}>`).join(', ')}, which a command sent to /MSE/ussd carries`,
        );
      },
    },
    {
      rule: 'ussd.utf-8',
      judge: (ctx: CheckContext, reply) => {
        const body = reply.body();
        if (body.length === 0)
          ctx.cannotJudge('the reply is empty; the reply rule judges that a command must come');
        const at = firstInvalidUtf8(body);
        ctx.check(at < 0, `the answer is not UTF-8: invalid byte at offset ${at}`);
        const declared = /^(?:\uFEFF)?<\?xml[^>]*encoding=["']([^"']+)["']/.exec(body.toString('utf8'))?.[1];
        ctx.check(
          declared === undefined || /^utf-8$/i.test(declared),
          `the answer declares encoding ${declared}, not UTF-8`,
        );
      },
    },
    {
      rule: 'ussd.session-owner.forwarded',
      judge: (ctx: CheckContext, reply, service) => {
        const head = reply.head();
        const owner = head.values.session_owner;
        ctx.check(
          owner?.trim() === sampleOf(env, service, 'session_owner'),
          `the command's head carries session_owner ${owner === undefined ? `(none${head.problems.session_owner ? `: ${head.problems.session_owner}` : ''})` : `"${owner}"`}, not the one of the event`,
        );
      },
    },
    {
      rule: 'ussd.index.reserved',
      judge: (ctx: CheckContext, reply) => {
        const command = reply.command(['menu']);
        const bad = command.options.filter(
          (o) => reserved.includes(o.index.trim()) || !/^[0-9]+$/.test(o.index.trim()),
        );
        ctx.check(
          bad.length === 0,
          `menu option index ${bad.map((o) => `"${o.index}"`).join(', ')} is reserved or not a number (${menuIndex.description})`,
        );
      },
    },
    {
      rule: 'ussd.limits.title',
      judge: (ctx: CheckContext, reply) => {
        const n = charLength(reply.command(['menu']).title ?? '');
        ctx.check(
          n <= limits.get('title')!,
          `the menu title has ${n} characters; the limit is ${limits.get('title')}`,
        );
      },
    },
    {
      rule: 'ussd.limits.subtitle',
      judge: (ctx: CheckContext, reply) => {
        const long = reply
          .command(['menu'])
          .options.filter((o) => charLength(o.subtitle) > limits.get('subtitle')!);
        ctx.check(
          long.length === 0,
          `option ${long.map((o) => o.index).join(', ')} has ${long.map((o) => charLength(o.subtitle)).join(', ')} characters; the limit is ${limits.get('subtitle')}`,
        );
      },
    },
    {
      rule: 'ussd.limits.options',
      judge: (ctx: CheckContext, reply) => {
        const n = reply.command(['menu']).options.length;
        ctx.check(
          n <= limits.get('options')!,
          `the menu has ${n} options; the limit is ${limits.get('options')}`,
        );
      },
    },
    ...[
      { limit: input, type: 'input' as const },
      { limit: notify, type: 'notify' as const },
    ].map(({ limit, type }) => ({
      rule: limit.rule,
      judge: ((ctx: CheckContext, reply: UssdReplyView) => {
        const n = charLength(reply.command([type]).content);
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
    const rules = { answer: ANSWER_RULE, reply: replyRule };
    for (const j of judges) {
      const rule = j.rule === 'reply' ? replyRule : j.rule;
      defs.push(
        define(
          meta(env, 'ussd', rule, { service }),
          async (ctx) => {
            const sent = await sendUssdEvent(env.endpoints.ussd!, eventFor(env, service), {
              timeoutMs: env.timeoutMs,
            });
            const a = record(ctx, env, `MSE → partner: ${service.id} event`, sent);
            j.judge(ctx, new UssdReplyView(ctx, a, rules), service);
          },
          skip,
        ),
      );
    }
    // The document's own example of the event, byte for byte: answered 200, with a command.
    for (const example of service.examples.filter((e) => e.kind === 'event'))
      for (const j of judges.filter((x) => x.rule === ANSWER_RULE || x.rule === 'reply')) {
        const rule = j.rule === 'reply' ? 'ussd.event.reply-command' : j.rule;
        defs.push(
          define(
            meta(env, 'ussd', rule, { service, variant: 'document-example' }),
            async (ctx: CheckContext) => {
              const document = readFileSync(join(env.spec.root, '..', 'fixtures', example.fixture), 'utf8');
              const sent = await sendUssdEvent(env.endpoints.ussd!, document, { timeoutMs: env.timeoutMs });
              const a = record(ctx, env, `MSE → partner: ${service.id} event (${example.fixture})`, sent);
              j.judge(ctx, new UssdReplyView(ctx, a, { answer: ANSWER_RULE, reply: rule }), service);
            },
            skip,
          ),
        );
      }
  }
  return defs;
}
