import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskSecrets } from '../core/secrets.ts';
import type { Service } from '../spec/types.ts';
import { charLength, checkInputValue } from '../spec/values.ts';
import { childElements, findChild, findChildren, textOf, type XmlElement } from '../xml/codec.ts';
import { buildUssdResponse, commandHeadModel, readUssdReply } from '../xml/ussd.ts';
import { validateXml } from '../xml/validate.ts';
import { logTransaction, newTransaction, type SimContext } from './context.ts';
import { BodyTooLarge, clipText, readBody, sendMse } from './http-util.ts';
import { checkMode, Refusal } from './pipeline.ts';
import { Status } from './status.ts';
import type { TransactionTimeline } from './transactions.ts';
import { type UssdCommand, type UssdCommandType, type UssdSession, UssdSessions } from './ussd-sessions.ts';

export { UssdSessions };

import type { ProfileConfig } from './types.ts';

/** The ussd-command service for a command element: USSD_MENU for <menu>, and so on. */
export function commandService(ctx: SimContext, type: UssdCommandType): Service | undefined {
  return ctx.spec.services.find((s) => s.ussdCommand === type);
}

/** The ussd-event service whose response element is `element` (user_init, index, input). */
export function eventService(ctx: SimContext, element: string): Service | undefined {
  return ctx.spec.services.find(
    (s) => s.kind === 'ussd-event' && s.inputs.some((i) => i.in === 'response' && i.name === element),
  );
}

/**
 * Splits a menu into screens as the USSD platform does (6.4.18): when title plus subtitles exceed
 * pageChars, each screen holds as many options as fit in pageChars together with the notice line; the
 * title is on the first screen only.
 */
export function paginate(ctx: SimContext, command: UssdCommand): string[] {
  const u = ctx.spec.protocol.ussd;
  const lines = command.options.map((o) => `${o.index}. ${o.subtitle}`);
  const total =
    charLength(command.title ?? '') + command.options.reduce((n, o) => n + charLength(o.subtitle), 0);
  if (total <= u.pageChars) return [[...(command.title ? [command.title] : []), ...lines].join('\n')];
  const pages: string[] = [];
  let current: string[] = command.title ? [command.title] : [];
  let hasOption = false;
  const size = (ls: string[]) => charLength([...ls, u.notice].join('\n'));
  for (const line of lines) {
    if (hasOption && size([...current, line]) > u.pageChars) {
      pages.push([...current, u.notice].join('\n'));
      current = [];
      hasOption = false;
    }
    current.push(line);
    hasOption = true;
  }
  pages.push([...current, u.notice].join('\n'));
  return pages;
}

/** Reads a validated ussd_message_request. */
function readCommand(root: XmlElement): UssdCommand {
  const head: Record<string, string> = {};
  const headEl = findChild(root, 'head');
  for (const el of headEl ? childElements(headEl) : []) head[el.name] = textOf(el).trim();
  const commandEl = childElements(findChild(root, 'command')!)[0]!;
  const type = commandEl.name as UssdCommandType;
  const title = findChild(commandEl, 'title');
  const content = findChild(commandEl, 'content');
  const optionsEl = findChild(commandEl, 'options');
  return {
    head,
    type,
    ...(title ? { title: textOf(title).trim() } : {}),
    ...(content ? { content: textOf(content).trim() } : {}),
    options: (optionsEl ? findChildren(optionsEl, 'option') : []).map((o) => ({
      index: textOf(findChild(o, 'index')!).trim(),
      subtitle: textOf(findChild(o, 'subtitle')!).trim(),
    })),
  };
}

interface Accepted {
  command: UssdCommand;
  service: Service;
  profile: ProfileConfig;
  notes: string[];
}

/**
 * Parses, validates against the full command DTD and authorises a command POSTed to /MSE/ussd: profile and
 * password are how such a request authenticates, mode how it is handled (6.4.18). A refusal carries the status
 * code and message of the mse-response.
 */
function acceptCommand(ctx: SimContext, bytes: Buffer): Accepted | Refusal {
  const result = validateXml(bytes, 'ussd_message_request', { maxBytes: ctx.maxBodyBytes });
  if (!result.ok) {
    const first = result.errors[0] ?? 'invalid document';
    if (first.startsWith('MSE_XML_TOO_LARGE'))
      return new Refusal(
        Status.bodyTooLarge,
        `Document larger than ${ctx.maxBodyBytes} bytes, the simulator's cap: send less`,
      );
    if (/^MSE_XML_(MALFORMED|DOCTYPE|ENTITY|ENCODING)/.test(first))
      return new Refusal(Status.badXml, `Refused XML: ${clipText(first, 200)}`);
    return new Refusal(
      Status.parameter,
      `Invalid parameter [ussd_message_request]: ${result.errors.slice(0, 3).join('; ')} (6.4.18)`,
    );
  }
  const command = readCommand(result.document.root);
  const h = command.head;
  const profile = ctx.profiles.get(h.profile ?? '');
  if (!profile)
    return new Refusal(
      Status.auth,
      `Authentication failed: unknown profile [${clipText(h.profile ?? '', 60)}]`,
    );
  if (h.password !== profile.password)
    return new Refusal(
      Status.auth,
      `Authentication failed: wrong password for profile [${clipText(profile.id, 60)}]`,
    );
  const bound = ctx.services.get(profile.service);
  const service = commandService(ctx, command.type);
  if (bound?.kind !== 'ussd-command' || !service)
    return new Refusal(
      Status.parameter,
      `Invalid parameter [profile]: profile ${profile.id} is bound to ${profile.service}, not to a USSD command service`,
    );
  // Own keys only: a head's mode comes from the wire, and `constructor` or `__proto__` is no mode.
  const spelled = h.mode ?? '';
  const mode = Object.hasOwn(ctx.spec.protocol.modes.ussd, spelled)
    ? ctx.spec.protocol.modes.ussd[spelled]
    : undefined;
  if (!mode)
    return new Refusal(
      Status.mode,
      `Invalid parameter [mode]: "${clipText(h.mode ?? '', 30)}" is not one of ${Object.keys(ctx.spec.protocol.modes.ussd).join(', ')} (6.4.18)`,
    );
  const modeRefusal = checkMode(service, profile, mode, h.mode ?? '');
  if (modeRefusal) return modeRefusal;
  if (profile.billingCode !== undefined && h.billingcode !== profile.billingCode)
    return new Refusal(
      Status.billingCode,
      `Missing or wrong [billingcode]: profile ${profile.id} requires its billing code`,
    );

  const judged = judgeCommand(ctx, command, service);
  if (judged instanceof Refusal) return judged;
  if (profile.rate && !ctx.rate.take(`${profile.id}\0${service.id}`, profile.rate))
    return new Refusal(
      Status.throttled,
      `Traffic limit exceeded for profile ${profile.id} and ${service.id} (9.3); slow down`,
    );
  return { command, service, profile, notes: judged };
}

/**
 * What a command must be wherever it comes from (a POST to /MSE/ussd or a reply to an event): the value rules
 * of its service entry, reserved and repeated indexes, the limits and pages of 6.4.18. Returns the notes on
 * SHOULD-level departures, or the refusal.
 */
function judgeCommand(ctx: SimContext, command: UssdCommand, service: Service): string[] | Refusal {
  const h = command.head;
  const notes: string[] = [];
  // Value rules of the service entry, for head and command elements; SHOULD-level ones too, so the
  // reference passes a --strict run.
  for (const input of service.inputs) {
    const values =
      input.in === 'head'
        ? h[input.name] !== undefined
          ? [h[input.name]!]
          : []
        : input.in === 'command'
          ? input.name === 'index' || input.name === 'subtitle'
            ? command.options.map((o) => (input.name === 'index' ? o.index : o.subtitle))
            : input.name === 'title'
              ? command.title !== undefined
                ? [command.title]
                : []
              : command.content !== undefined && input.name === 'content'
                ? [command.content]
                : []
          : [];
    if (values.length === 0 && input.required && (input.in === 'head' || input.in === 'command'))
      return new Refusal(
        Status.parameter,
        `Missing parameter [${input.name}]: ${service.id} requires it (${input.section ?? service.section})`,
      );
    for (const value of values) {
      const problem = checkInputValue(input, value, ctx.spec.formats);
      if (problem)
        return new Refusal(
          Status.parameter,
          `Invalid parameter [${input.name}]: ${problem.message} (${input.section ?? service.section})`,
        );
    }
  }
  const u = ctx.spec.protocol.ussd;
  for (const o of command.options)
    if (u.reservedIndexes.includes(o.index))
      return new Refusal(
        Status.parameter,
        `Invalid parameter [index]: ${o.index} is reserved for paging (${u.reservedIndexes.join(', ')}) (6.4.18)`,
      );
  if (new Set(command.options.map((o) => o.index)).size !== command.options.length)
    return new Refusal(
      Status.parameter,
      'Invalid parameter [index]: two options have the same index (6.4.18)',
    );
  // Limits of 6.4.18; the upper bound is inclusive (errata.ussd-limits-table-vs-text).
  const measured: Record<string, number[]> = {
    title: command.title !== undefined ? [charLength(command.title)] : [],
    subtitle: command.options.map((o) => charLength(o.subtitle)),
    options: command.type === 'menu' ? [command.options.length] : [],
    content: command.content !== undefined ? [charLength(command.content)] : [],
  };
  for (const limit of u.limits)
    for (const n of measured[limit.name] ?? []) {
      if (n > limit.limited)
        return new Refusal(
          Status.parameter,
          `Invalid parameter [${limit.name}]: ${n} exceeds the limit of ${limit.limited} (6.4.18)`,
        );
      if (limit.notRecommended !== undefined && n >= limit.notRecommended)
        notes.push(
          `${limit.name} of ${n} is in the not-recommended range (from ${limit.notRecommended}) (6.4.18)`,
        );
      else if (limit.suggested !== undefined && n >= limit.suggested)
        notes.push(`${limit.name} of ${n} is beyond the suggested ${limit.suggested} (6.4.18)`);
    }
  if (command.type === 'menu') {
    const pages = paginate(ctx, command);
    if (pages.length > u.maxPages)
      return new Refusal(
        Status.parameter,
        `Invalid parameter [options]: the menu needs ${pages.length} pages, more than ${u.maxPages} (6.4.18)`,
      );
  }
  return notes;
}

/** A partner's reply to an event, read as errata.ussd-reply-head reads it, with what was read for the timeline. */
type ReplyRead = {
  /** Head element names in document order, unknown ones included. */
  headElements: string[];
} & ({ accepted: Accepted; refusal?: undefined } | { accepted?: undefined; refusal: Refusal });

/**
 * Reads a partner's reply to a USSD event (6.4.21-6.4.23) through readUssdReply (errata.ussd-reply-head): one
 * head and one command; the head carries the session's msisdn and short_code, in any order; profile, password
 * and mode are not required, since the reply answers the MSE's own request, whose session the MSE holds. The
 * command is then judged as a POSTed one is.
 */
function acceptReply(
  ctx: SimContext,
  bytes: Buffer,
  session: UssdSession,
  profile: ProfileConfig,
): ReplyRead {
  const refuse = (statusCode: number, message: string, headElements: string[] = []): ReplyRead => ({
    headElements,
    refusal: new Refusal(statusCode, message),
  });
  if (bytes.length > ctx.maxBodyBytes)
    return refuse(
      Status.bodyTooLarge,
      `Reply larger than ${ctx.maxBodyBytes} bytes, the simulator's cap: send less`,
    );
  const read = readUssdReply(bytes);
  if (read.notXml) return refuse(Status.badXml, `Refused XML: ${clipText(read.notXml, 200)}`);
  const headElements = read.head?.elements ?? [];
  if (read.envelope.length)
    return refuse(
      Status.parameter,
      `Invalid parameter [ussd_message_request]: ${read.envelope.slice(0, 3).join('; ')} (6.4.21-6.4.23)`,
      headElements,
    );
  if (!read.command || read.commandProblems.length)
    return refuse(
      Status.parameter,
      `Invalid parameter [command]: ${read.commandProblems.slice(0, 3).join('; ') || 'no menu, input or notify'} (6.4.18-6.4.20)`,
      headElements,
    );
  const service = commandService(ctx, read.command.type);
  if (!service)
    return refuse(Status.parameter, `spec/services has no ussd-command service for <${read.command.type}>`);
  // An empty envelope means exactly one head.
  const head = read.head ?? { values: {}, elements: [], problems: {} };
  const notes: string[] = [];
  for (const [name, problem] of Object.entries(head.problems)) {
    // An unreadable element the service reads (msisdn, short_code, session_owner) refuses the reply.
    if (service.inputs.some((i) => i.in === 'head' && i.name === name))
      return refuse(
        Status.parameter,
        `Invalid parameter [${name}]: ${clipText(problem, 200)} (6.4.18)`,
        headElements,
      );
    notes.push(`the reply's <${name}> is not read: ${clipText(problem, 200)}`);
  }
  const c = read.command;
  const command: UssdCommand = {
    head: Object.fromEntries(Object.entries(head.values).map(([k, v]) => [k, v.trim()])),
    type: c.type,
    ...(c.type === 'menu' && c.title !== undefined ? { title: c.title.trim() } : {}),
    ...(c.type !== 'menu' ? { content: c.content.trim() } : {}),
    options:
      c.type === 'menu' ? c.options.map((o) => ({ index: o.index.trim(), subtitle: o.subtitle.trim() })) : [],
  };
  const judged = judgeCommand(ctx, command, service);
  if (judged instanceof Refusal) return { headElements, refusal: judged };
  // A reply continues the subscriber's session: another subscriber's or code's reply does not drive it.
  for (const [name, expected] of [
    ['msisdn', session.msisdn],
    ['short_code', session.shortCode],
  ] as const)
    if (command.head[name] !== expected)
      return refuse(
        Status.parameter,
        `Invalid parameter [${name}]: the reply's ${name} ${clipText(command.head[name] ?? '', 30)} is not the session's ${expected}; the reply is not applied (errata.ussd-reply-head)`,
        headElements,
      );
  // The head elements a POSTed command needs to authenticate and choose its mode: SHOULD in a reply.
  const absent = commandHeadModel().required.filter((n) => command.head[n] === undefined);
  if (absent.length)
    notes.push(`the reply's head has no ${absent.join(', ')} (SHOULD, non-strict; errata.ussd-reply-head)`);
  return { headElements, accepted: { command, service, profile, notes: [...notes, ...judged] } };
}

/** Shows an accepted command on the handset: opens or continues the subscriber's session. */
export function applyCommand(ctx: SimContext, t: TransactionTimeline, accepted: Accepted): UssdSession {
  const { command, profile } = accepted;
  const msisdn = command.head.msisdn ?? '';
  const owner = command.head.session_owner;
  let session = ctx.ussd.byMsisdn.get(msisdn);
  if (session?.open && owner === undefined && session.openedBy === 'user')
    t.notes.push(
      'a session the subscriber opened is in progress but the command has no session_owner (6.4.18)',
    );
  if (!session?.open || (owner !== undefined && owner !== session.owner)) {
    session = {
      msisdn,
      shortCode: command.head.short_code ?? '',
      owner: owner ?? ctx.ussd.newOwner(),
      profileId: profile.id,
      openedBy: 'partner',
      open: true,
      awaiting: 'nothing',
      pages: [],
      page: 0,
      indexes: [],
    };
    ctx.ussd.byMsisdn.set(msisdn, session);
  }
  session.pages = command.type === 'menu' ? paginate(ctx, command) : [command.content ?? ''];
  t.pages = session.pages;
  session.page = 0;
  session.indexes = command.options.map((o) => o.index);
  session.awaiting = command.type === 'menu' ? 'menu' : command.type === 'input' ? 'input' : 'nothing';
  // A notification ends the dialogue.
  if (command.type === 'notify') session.open = false;
  show(ctx, t, session);
  t.notes.push(...accepted.notes);
  return session;
}

function show(ctx: SimContext, t: TransactionTimeline, session: UssdSession): void {
  t.screens ??= [];
  t.screens.push({
    at: new Date(ctx.clock.now()).toISOString(),
    page: session.page + 1,
    pages: session.pages.length,
    text: session.pages[session.page] ?? '',
  });
}

export async function handleUssdCommand(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const t = newTransaction(ctx, 'ussd-command', {
    request: { method: req.method ?? '?', path: ctx.spec.protocol.endpoints.ussd },
  });
  const finish = (
    statusCode: number,
    errorMessage: string | undefined,
    profile: string,
    httpStatus = 200,
  ) => {
    const body = sendMse(
      res,
      httpStatus,
      { statusCode, profile, transactionId: t.transactionId, ...(errorMessage ? { errorMessage } : {}) },
      httpStatus === 405 ? { allow: 'POST' } : undefined,
    );
    t.response = { httpStatus, statusCode, ...(errorMessage ? { errorMessage } : {}), body };
    logTransaction(ctx, t);
  };
  if (req.method !== 'POST') {
    req.resume();
    return finish(
      Status.mode,
      `Method ${clipText(req.method ?? '', 20)} is not allowed on ${ctx.spec.protocol.endpoints.ussd}: POST a ussd_message_request (6.4.18)`,
      '',
      405,
    );
  }
  let body: Buffer;
  try {
    body = await readBody(req, ctx.maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return finish(
        Status.bodyTooLarge,
        `Request body larger than ${error.limit} bytes, the simulator's cap (maxBodyBytes): send less`,
        '',
        413,
      );
    throw error;
  }
  t.request!.contentType = req.headers['content-type'];
  t.request!.bodyBytes = body.length;
  const accepted = acceptCommand(ctx, body);
  if (accepted instanceof Refusal) {
    const profile = /<profile>([^<]{0,100})<\/profile>/.exec(body.toString('latin1'))?.[1] ?? '';
    t.profile = clipText(profile, 100);
    return finish(accepted.statusCode, accepted.errorMessage, t.profile, accepted.httpStatus);
  }
  t.profile = accepted.profile.id;
  t.service = accepted.service.id;
  t.mode = accepted.command.head.mode;
  t.request!.params = { ...accepted.command.head, password: '***', command: accepted.command.type };
  applyCommand(ctx, t, accepted);
  finish(Status.ok, undefined, accepted.profile.id);
}

export interface UssdEventRequest {
  msisdn: string;
  shortCode: string;
  kind: 'user-init' | 'menu-answer' | 'input-answer';
  value?: string;
  sessionOwner?: string;
}

/** The USSD profile that delivers events to the partner: the one with the event's short code, else the first. */
function eventProfile(ctx: SimContext, shortCode: string): ProfileConfig | undefined {
  const candidates = [...ctx.profiles.values()].filter((p) => {
    const s = ctx.services.get(p.service);
    return s?.kind.startsWith('ussd') && p.mo?.url;
  });
  return candidates.find((p) => p.shortNumber === shortCode) ?? candidates[0];
}

/** The first of the event's values the event service's entry refuses (missing or malformed), as a message. */
function eventFieldProblem(
  ctx: SimContext,
  service: Service,
  fields: Record<string, string>,
): string | undefined {
  for (const input of service.inputs) {
    const v = fields[input.name];
    if (v === undefined) {
      if (input.required) return `${input.name} is required for ${service.id}`;
      continue;
    }
    const problem = checkInputValue(input, v, ctx.spec.formats);
    if (problem) return problem.message;
  }
  return undefined;
}

/** The session a subscriber opens by dialling the short code. */
function userSession(ctx: SimContext, event: UssdEventRequest, profile: ProfileConfig): UssdSession {
  return {
    msisdn: event.msisdn,
    shortCode: event.shortCode,
    owner: event.sessionOwner ?? ctx.ussd.newOwner(),
    profileId: profile.id,
    openedBy: 'user',
    open: true,
    awaiting: 'nothing',
    pages: [],
    page: 0,
    indexes: [],
  };
}

/** Reads the partner's reply to an event: a refused reply is recorded (masked), an accepted one applied to the session. */
function recordReply(
  ctx: SimContext,
  t: TransactionTimeline,
  bytes: Buffer,
  session: UssdSession,
  profile: ProfileConfig,
): void {
  const read = acceptReply(ctx, bytes, session, profile);
  if (read.headElements.length)
    t.notes.push(`reply head read, in order: ${clipText(read.headElements.join(', '), 300)}`);
  const { accepted } = read;
  if (!accepted) {
    t.reply = {
      valid: false,
      problem: `status ${read.refusal.statusCode}: ${read.refusal.errorMessage}`,
      // A reply may carry a profile password in <password>: never shown.
      body: clipText(maskSecrets(bytes.toString('utf8')), 2000),
    };
  } else {
    const { head } = accepted.command;
    t.reply = {
      valid: true,
      command: {
        ...accepted.command,
        head: head.password === undefined ? head : { ...head, password: '***' },
      },
    };
    if (head.session_owner !== undefined && head.session_owner !== session.owner)
      t.notes.push(`the reply's session_owner ${head.session_owner} is not the session's ${session.owner}`);
    applyCommand(ctx, t, {
      ...accepted,
      command: { ...accepted.command, head: { ...head, session_owner: session.owner } },
    });
  }
}

/** A paging key on a paged menu: the platform turns the page without the partner. */
function turnPage(
  ctx: SimContext,
  t: TransactionTimeline,
  session: UssdSession,
  key: string,
): { httpStatus: number; body: unknown } {
  // Paging is the platform's: the last page repeats on "next", the first on "previous" (6.4.18).
  const step = key === ctx.spec.protocol.ussd.next ? 1 : -1;
  session.page = Math.max(0, Math.min(session.pages.length - 1, session.page + step));
  show(ctx, t, session);
  t.notes.push(`paging key ${key}: handled by the platform, not sent to the partner`);
  logTransaction(ctx, t);
  return {
    httpStatus: 200,
    body: { transactionId: t.transactionId, paged: true, screen: t.screens!.at(-1) },
  };
}

/**
 * A subscriber's USSD action (control API). Paging keys (0 previous, 9 next) on a paged menu are handled
 * by the platform without the partner; everything else is POSTed to the partner, whose reply must be a
 * command as errata.ussd-reply-head reads it (acceptReply), which is then shown.
 */
export async function ussdEvent(
  ctx: SimContext,
  event: UssdEventRequest,
): Promise<{ httpStatus: number; body: unknown }> {
  const u = ctx.spec.protocol.ussd;
  const element: 'user_init' | 'index' | 'input' =
    event.kind === 'user-init' ? 'user_init' : event.kind === 'menu-answer' ? 'index' : 'input';
  const service = eventService(ctx, element);
  if (!service)
    return {
      httpStatus: 500,
      body: {
        error: 'MSE_SIM_NO_SERVICE',
        message: `spec/services has no ussd-event service with a ${element} response`,
      },
    };
  const value = event.kind === 'user-init' ? '1' : (event.value ?? '');
  const profile = eventProfile(ctx, event.shortCode);
  if (!profile)
    return {
      httpStatus: 409,
      body: {
        error: 'MSE_SIM_NO_MO_PROFILE',
        message: 'no USSD profile has an mo.url: start the simulator with --callback or configure one',
      },
    };

  // Values of the event, checked against the event service's entry.
  const fields: Record<string, string> = {
    msisdn: event.msisdn,
    short_code: event.shortCode,
    [element]: value,
  };
  if (event.sessionOwner !== undefined) fields.session_owner = event.sessionOwner;
  const badField = eventFieldProblem(ctx, service, fields);
  if (badField) return { httpStatus: 400, body: { error: 'MSE_SIM_BAD_EVENT', message: badField } };

  const t = newTransaction(ctx, 'ussd-event', {
    service: service.id,
    profile: profile.id,
    request: { method: 'POST', path: '/__control/ussd/event', params: fields },
  });
  let session = ctx.ussd.byMsisdn.get(event.msisdn);
  if (event.kind === 'user-init') {
    session = userSession(ctx, event, profile);
    ctx.ussd.byMsisdn.set(event.msisdn, session);
  } else if (!session?.open) {
    t.notes.push('no open session for this subscriber');
    logTransaction(ctx, t);
    return {
      httpStatus: 409,
      body: {
        transactionId: t.transactionId,
        error: 'MSE_SIM_NO_SESSION',
        message: `no open USSD session for ${event.msisdn}: send a user-init event or a command first`,
      },
    };
  } else if (
    event.kind === 'menu-answer' &&
    session.awaiting === 'menu' &&
    session.pages.length > 1 &&
    (value === u.next || value === u.previous)
  ) {
    return turnPage(ctx, t, session, value);
  }

  const xml = buildUssdResponse({
    head: { msisdn: event.msisdn, shortCode: event.shortCode, sessionOwner: session.owner },
    response: { kind: element, value },
  });
  const answer = await ctx.deliverer.deliverOnce(t, {
    method: 'POST',
    url: profile.mo!.url,
    maskedUrl: profile.mo!.url,
    body: Buffer.from(xml, 'utf8'),
    contentType: 'text/xml; charset=UTF-8',
  });
  if (answer?.status !== 200) {
    t.reply = {
      valid: false,
      problem: answer ? `the partner answered HTTP ${answer.status}` : 'the partner could not be reached',
    };
    logTransaction(ctx, t);
    return { httpStatus: 200, body: { transactionId: t.transactionId, reply: t.reply } };
  }
  recordReply(ctx, t, answer.body, session, profile);
  logTransaction(ctx, t);
  return {
    httpStatus: 200,
    body: { transactionId: t.transactionId, reply: t.reply, screens: t.screens ?? [] },
  };
}
