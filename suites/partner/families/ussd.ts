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
import type { CheckContext, CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import { buildUssdEvent, sendUssdEvent } from '../../../src/partner/client.ts';
import { inputRuleIds } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { charLength } from '../../../src/spec/values.ts';
import { commandHeadModel } from '../../../src/xml/ussd.ts';
import {
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

type Judge = (ctx: CheckContext, reply: UssdReplyView, t: UssdEvent) => void;

const ANSWER_RULE = 'partner.ussd.answer-200';

/** Departures from the reply's structure: no XML, the envelope (root, one head, one command), the command's DTD. */
function structureProblems(reply: UssdReplyView): string[] {
  const parts = reply.read();
  if (parts.notXml) return [`it is no XML document: ${parts.notXml}`];
  return [...parts.envelope, ...parts.commandProblems];
}

/** A ussd-event service, and what its rows read from the partner's environment and the spec. */
interface UssdEvent {
  service: Service;
  env: PartnerEnv;
  /** The rule of "the reply is a command": the service's own when the catalogue has one. */
  replyRule: string;
  /** The event as sent: the document's own example (a fixture), else built from the service's inputs. */
  fixture?: string;
}

/** The USSD limits by name (`limited` is inclusive: errata.ussd-limits-table-vs-text). */
const limitOf = (t: UssdEvent, name: string) =>
  t.env.spec.protocol.ussd.limits.find((l) => l.name === name)!.limited;

/** The content limit of a command service (USSD_INPUT, USSD_NOTIFY) and the rule that states it. */
function contentLimit(env: PartnerEnv, id: string) {
  const s = serviceById(env, id);
  const input = s.inputs.find((i) => i.name === 'content')!;
  return { rule: inputRuleIds(s, input).maxLength, max: input.maxLength ?? 150 };
}

/** What the event's head requires (msisdn, short_code): the reply carries it too (errata.ussd-reply-head). */
const addressing = (service: Service) =>
  service.inputs.filter((i) => i.in === 'head' && i.required).map((i) => i.name);
/** The rest of what a command's head requires (profile, password, mode): SHOULD in a reply. */
const commandOnly = (service: Service) =>
  commandHeadModel().required.filter((n) => !addressing(service).includes(n));

/** Sends the subject's event and judges the reply through a view that names the rules of its parts. */
const onReply =
  (judge: Judge) =>
  async (ctx: CheckContext, t: UssdEvent): Promise<void> => {
    const { env, service } = t;
    const document = t.fixture
      ? readFileSync(join(env.spec.root, '..', 'fixtures', t.fixture), 'utf8')
      : eventFor(env, service);
    const sent = await sendUssdEvent(env.endpoints.ussd!, document, { timeoutMs: env.timeoutMs });
    const label = `MSE → partner: ${service.id} event${t.fixture ? ` (${t.fixture})` : ''}`;
    const a = record(ctx, env, label, sent);
    judge(ctx, new UssdReplyView(ctx, a, { answer: ANSWER_RULE, reply: t.replyRule }), t);
  };

const EVENT = (t: UssdEvent) =>
  t.fixture
    ? `the document's own example of a ${t.service.id} event (${t.fixture}), byte for byte, POSTed to the partner's USSD URL`
    : `a ${t.service.id} event built from its inputs, POSTed to the partner's USSD URL`;
const skipOf = (t: UssdEvent) => missingEndpoint(t.env, 'ussd');

/** The rows every event is judged by, the document's examples too: HTTP 200, and a reply that is a command. */
const answerRows: PlacedRow<UssdEvent>[] = [
  row<UssdEvent>({
    rule: ANSWER_RULE,
    stimulus: (t) => `${EVENT(t)}; the HTTP status is read`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply) => expect200(ctx, reply.answer, 'USSD event')),
  }),
  row<UssdEvent>({
    rule: (t) => t.replyRule,
    stimulus: (t) => `${EVENT(t)}; the reply's envelope and command are read`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply) => {
      const problems = structureProblems(reply);
      ctx.check(
        problems.length === 0,
        `the reply (${describeAnswer(reply.answer)}) is not a ussd_message_request command: ${problems.slice(0, 3).join('; ')}`,
      );
    }),
  }),
];

/** The parts of the reply's head (errata.ussd-reply-head) and its encoding. */
const headRows: PlacedRow<UssdEvent>[] = [
  row<UssdEvent>({
    rule: 'ussd.event.reply-head.addressing',
    stimulus: (t) => `${EVENT(t)}; the reply's head is read for ${addressing(t.service).join(' and ')}`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, { service }) => {
      const head = reply.head();
      const missing = addressing(service).filter((n) => !head.values[n]?.trim());
      ctx.check(
        missing.length === 0,
        `the reply's head lacks ${missing.map((n) => `<${n}>${head.problems[n] ? ` (${head.problems[n]})` : ''}`).join(', ')}; every command carries ${addressing(service).join(' and ')}`,
      );
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.event.reply-head.same-session',
    stimulus: (t) => `${EVENT(t)}; the reply's head is compared with the event's`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, { env, service }) => {
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
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.event.reply-head.profile',
    stimulus: (t) => `${EVENT(t)}; the reply's head is read for ${commandOnly(t.service).join(', ')}`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, { service }) => {
      const head = reply.head();
      const missing = commandOnly(service).filter((n) => head.values[n] === undefined);
      ctx.check(
        missing.length === 0,
        `the reply's head has no ${missing.map((n) => `<${n}>`).join(', ')}, which a command sent to /MSE/ussd carries`,
      );
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.utf-8',
    stimulus: (t) => `${EVENT(t)}; the reply's bytes and declared encoding are read`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply) => {
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
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.session-owner.forwarded',
    stimulus: (t) => `${EVENT(t)}; the command's session_owner is compared with the event's`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, { env, service }) => {
      const head = reply.head();
      const owner = head.values.session_owner;
      ctx.check(
        owner?.trim() === sampleOf(env, service, 'session_owner'),
        `the command's head carries session_owner ${owner === undefined ? `(none${head.problems.session_owner ? `: ${head.problems.session_owner}` : ''})` : `"${owner}"`}, not the one of the event`,
      );
    }),
  }),
];

/** The limits of the command the reply carries (6.4.18-6.4.20), judged when it is of the kind they govern. */
const commandRows: PlacedRow<UssdEvent>[] = [
  row<UssdEvent>({
    rule: 'ussd.index.reserved',
    stimulus: (t) => `${EVENT(t)}; the indexes of the reply's menu are read`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, { env }) => {
      const reserved = env.spec.protocol.ussd.reservedIndexes;
      const bad = reply
        .command(['menu'])
        .options.filter((o) => reserved.includes(o.index.trim()) || !/^[0-9]+$/.test(o.index.trim()));
      const menuIndex = serviceById(env, 'USSD_MENU').inputs.find((i) => i.name === 'index')!;
      ctx.check(
        bad.length === 0,
        `menu option index ${bad.map((o) => `"${o.index}"`).join(', ')} is reserved or not a number (${menuIndex.description})`,
      );
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.limits.title',
    stimulus: (t) => `${EVENT(t)}; the title of the reply's menu is measured`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, t) => {
      const n = charLength(reply.command(['menu']).title ?? '');
      const max = limitOf(t, 'title');
      ctx.check(n <= max, `the menu title has ${n} characters; the limit is ${max}`);
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.limits.subtitle',
    stimulus: (t) => `${EVENT(t)}; the subtitles of the reply's menu are measured`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, t) => {
      const max = limitOf(t, 'subtitle');
      const long = reply.command(['menu']).options.filter((o) => charLength(o.subtitle) > max);
      ctx.check(
        long.length === 0,
        `option ${long.map((o) => o.index).join(', ')} has ${long.map((o) => charLength(o.subtitle)).join(', ')} characters; the limit is ${max}`,
      );
    }),
  }),
  row<UssdEvent>({
    rule: 'ussd.limits.options',
    stimulus: (t) => `${EVENT(t)}; the options of the reply's menu are counted`,
    skipReason: skipOf,
    judge: onReply((ctx: CheckContext, reply, t) => {
      const n = reply.command(['menu']).options.length;
      const max = limitOf(t, 'options');
      ctx.check(n <= max, `the menu has ${n} options; the limit is ${max}`);
    }),
  }),
  ...(['input', 'notify'] as const).map((type) =>
    row<UssdEvent>({
      rule: (t) => contentLimit(t.env, type === 'input' ? 'USSD_INPUT' : 'USSD_NOTIFY').rule,
      stimulus: (t) => `${EVENT(t)}; the content of the reply's ${type} command is measured`,
      skipReason: skipOf,
      judge: onReply((ctx: CheckContext, reply, { env }) => {
        const limit = contentLimit(env, type === 'input' ? 'USSD_INPUT' : 'USSD_NOTIFY');
        const n = charLength(reply.command([type]).content);
        ctx.check(
          n <= limit.max,
          `the ${type} content has ${n} characters; at most ${limit.max} are allowed`,
        );
      }),
    }),
  ),
];

export function definitions(env: PartnerEnv): CheckDefinition[] {
  const metaOf = (rule: string, o: MetaOptions) => meta(env, 'ussd', rule, o);
  const events = env.spec.services
    .filter((s) => s.kind === 'ussd-event')
    .map((service) => ({
      service,
      env,
      replyRule: env.spec.rules.has(`${service.slug}.reply.command`)
        ? `${service.slug}.reply.command`
        : 'ussd.event.reply-command',
    }));
  const examples = events.flatMap((t) =>
    t.service.examples
      .filter((e) => e.kind === 'event')
      .map((e) => ({ ...t, replyRule: 'ussd.event.reply-command', fixture: e.fixture })),
  );
  return [
    ...expandRows(metaOf, events, [...answerRows, ...headRows, ...commandRows]),
    ...expandRows((rule, o) => metaOf(rule, { ...o, variant: 'document-example' }), examples, answerRows),
  ];
}
