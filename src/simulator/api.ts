import type { IncomingMessage, ServerResponse } from 'node:http';
import { CharsetError, mediaType } from '../charset/encoding.ts';
import { decodeQuery, parseFormBody } from '../charset/latin1.ts';
import type { Mode, Service } from '../spec/types.ts';
import { checkInputValue } from '../spec/values.ts';
import { buildMseResponse } from '../xml/mse-response.ts';
import { logTransaction, newTransaction, type SimContext } from './context.ts';
import { execute } from './execute.ts';
import { BodyTooLarge, clipText, readBody, sendMse } from './http-util.ts';
import type { ProfileConfig } from './index.ts';
import { Status } from './status.ts';
import { maskParams, type TransactionTimeline } from './transactions.ts';

/** A refusal of the pipeline: the status code and the error-message of the mse-response. */
export class Refusal {
  constructor(
    readonly statusCode: number,
    readonly errorMessage: string,
    readonly httpStatus = 200,
  ) {}
}

// Lookups into the spec's protocol, built once per spec instead of searched on every request.
const lookups = new WeakMap<
  SimContext['spec'],
  { modes: Map<string, Mode>; controlNames: Map<string, string[]> }
>();
function lookupsOf(spec: SimContext['spec']) {
  let l = lookups.get(spec);
  if (!l) {
    const modes = new Map<string, Mode>();
    for (const [mode, spellings] of Object.entries(spec.protocol.modes.spellings))
      for (const s of spellings) if (!modes.has(s)) modes.set(s, mode as Mode);
    const controlNames = new Map(
      spec.protocol.controlParameters.map((c) => [c.name, [c.name, ...(c.aliases ?? [])]]),
    );
    l = { modes, controlNames };
    lookups.set(spec, l);
  }
  return l;
}

/** Canonical mode for any accepted spelling (`assync-delivery` → async-delivery), or undefined. */
export function canonicalMode(ctx: SimContext, spelling: string): Mode | undefined {
  return lookupsOf(ctx.spec).modes.get(spelling);
}

/**
 * Whether a profile may use a mode for its service: modes the service refuses are refused; modes it
 * allows are allowed unless the profile narrows them; modes the entry does not mention only when the
 * profile lists them.
 */
export function checkMode(
  service: Service,
  profile: ProfileConfig,
  mode: Mode,
  spelled: string,
): Refusal | undefined {
  if (service.modes.refused.includes(mode))
    return new Refusal(
      Status.mode,
      `Mode ${spelled} is refused by ${service.id} (${service.modes.section ?? service.section})${service.modes.note ? `: ${service.modes.note.replace(/\.$/, '')}` : ''}; use ${service.modes.allowed.join(' or ')}`,
    );
  const allowedByService = service.modes.allowed.includes(mode);
  if (profile.modes ? !profile.modes.includes(mode) : !allowedByService)
    return new Refusal(
      Status.mode,
      `Mode ${spelled} is not enabled for profile ${profile.id}; it allows ${(profile.modes ?? service.modes.allowed).join(', ')}`,
    );
  return undefined;
}

/** Checks every input of the service that travels as a query or form parameter, and the groups. */
export function checkInputs(
  ctx: SimContext,
  service: Service,
  params: Record<string, string>,
): Refusal | undefined {
  for (const input of service.inputs) {
    if (input.in && input.in !== 'query') continue;
    const value = params[input.name];
    if (value === undefined || value === '') {
      const when = input.requiredWhen;
      const trigger = when ? params[when.input] : undefined;
      if (when && trigger !== undefined && trigger !== '' && (!when.equals || when.equals.includes(trigger)))
        return new Refusal(
          Status.parameter,
          `Missing parameter [${input.name}]: ${service.id} requires it when ${when.input} is ${clipText(trigger, 20)} (${input.section ?? service.section})`,
        );
      if (input.required)
        return new Refusal(
          Status.parameter,
          `Missing parameter [${input.name}]: ${service.id} requires it (${input.section ?? service.section})`,
        );
      continue;
    }
    const problem = checkInputValue(input, value, ctx.spec.formats);
    if (problem)
      return new Refusal(
        Status.parameter,
        `Invalid parameter [${input.name}]: ${clipText(problem.message, 160)} (${input.section ?? service.section})`,
      );
  }
  for (const group of service.groups ?? []) {
    const present = group.members.filter((m) => params[m] !== undefined && params[m] !== '');
    const broken =
      (group.kind === 'exactly-one' && present.length !== 1) ||
      (group.kind === 'at-most-one' && present.length > 1) ||
      (group.kind === 'one-or-other' && present.length < 1);
    if (broken)
      return new Refusal(
        Status.parameter,
        `Invalid parameter [${group.members.join('|')}]: ${group.text} (got ${present.length ? present.join(', ') : 'none'})`,
      );
  }
  return undefined;
}

/**
 * The query's pairs. A query of plain characters (no `%`, no `+`, nothing outside printable ASCII) is split
 * directly, as decoding would leave it unchanged; anything else goes through the byte-exact decoder.
 */
function readQuery(raw: string): Array<[string, string]> {
  if (!/^[\x21-\x24\x26-\x2a\x2c-\x7e]*$/.test(raw)) return decodeQuery(raw, 'UTF-8');
  const pairs: Array<[string, string]> = [];
  for (const segment of raw.split('&')) {
    if (!segment) continue;
    const eq = segment.indexOf('=');
    pairs.push(eq < 0 ? [segment, ''] : [segment.slice(0, eq), segment.slice(eq + 1)]);
  }
  return pairs;
}

/** Control parameters by their names and aliases (6.2). */
function control(ctx: SimContext, params: Record<string, string>, name: string): string | undefined {
  for (const n of lookupsOf(ctx.spec).controlNames.get(name) ?? [name])
    if (params[n] !== undefined) return params[n];
  return undefined;
}

export async function handleApi(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawQuery: string,
): Promise<void> {
  const t = newTransaction(ctx, 'api', {
    request: { method: req.method ?? '?', path: ctx.spec.protocol.endpoints.api },
  });
  const finish = (refusal: Refusal, profile = '') => {
    const body = sendMse(
      res,
      refusal.httpStatus,
      {
        statusCode: refusal.statusCode,
        profile,
        transactionId: t.transactionId,
        errorMessage: refusal.errorMessage,
      },
      refusal.httpStatus === 405 ? { allow: 'GET, POST' } : undefined,
    );
    t.response = {
      httpStatus: refusal.httpStatus,
      statusCode: refusal.statusCode,
      errorMessage: refusal.errorMessage,
      body,
    };
    logTransaction(ctx, t);
  };

  // 6.1: requests come by GET or POST; anything else is refused before reading parameters.
  if (req.method !== 'GET' && req.method !== 'POST') {
    req.resume();
    return finish(
      new Refusal(
        Status.mode,
        `Method ${clipText(req.method ?? '', 20)} is not allowed on ${ctx.spec.protocol.endpoints.api}: use GET or POST (6.1)`,
        405,
      ),
    );
  }

  // No prototype: parameter names such as __proto__ or toString are data here.
  const params = Object.create(null) as Record<string, string>;
  try {
    for (const [name, value] of readQuery(rawQuery)) if (!Object.hasOwn(params, name)) params[name] = value;
    if (req.method === 'POST') {
      const body = await readBody(req, ctx.maxBodyBytes);
      const type = mediaType(req.headers['content-type']);
      t.request!.contentType = req.headers['content-type'];
      t.request!.bodyBytes = body.length;
      if (body.length > 0) {
        if (type !== undefined && type !== 'application/x-www-form-urlencoded')
          return finish(
            new Refusal(
              Status.badXml,
              `Content-Type ${clipText(type, 40)} is not accepted on ${ctx.spec.protocol.endpoints.api}: send application/x-www-form-urlencoded parameters (6.1)`,
            ),
          );
        // The form body wins over a query parameter of the same name.
        const seen = new Set<string>();
        for (const [name, value] of parseFormBody(body, req.headers['content-type']))
          if (!seen.has(name)) {
            seen.add(name);
            params[name] = value;
          }
      }
    }
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return finish(
        new Refusal(
          Status.bodyTooLarge,
          `Request body larger than ${error.limit} bytes, the simulator's cap (maxBodyBytes): send less`,
          413,
        ),
      );
    if (error instanceof CharsetError)
      return finish(
        new Refusal(
          Status.badXml,
          `Parameters are not in the declared encoding: ${clipText(error.message, 200)} (${error.code})`,
        ),
      );
    throw error;
  }
  t.request!.params = maskParams(params);

  const profileId = control(ctx, params, 'profile');
  const respondAs = clipText(profileId ?? '', 100);
  if (!profileId)
    return finish(
      new Refusal(Status.parameter, 'Missing parameter [profile]: every request names its profile (6.2)'),
    );
  t.profile = respondAs;
  const profile = ctx.profiles.get(profileId);
  const password = control(ctx, params, 'pwd');
  if (!profile)
    return finish(
      new Refusal(Status.auth, `Authentication failed: unknown profile [${respondAs}] (6.2)`),
      respondAs,
    );
  if (password === undefined)
    return finish(
      new Refusal(
        Status.parameter,
        'Missing parameter [pwd]: every request carries the profile password as pwd or password (6.2)',
      ),
      respondAs,
    );
  if (password !== profile.password)
    return finish(
      new Refusal(Status.auth, `Authentication failed: wrong password for profile [${respondAs}] (6.2)`),
      respondAs,
    );

  const service = ctx.services.get(profile.service);
  t.service = profile.service;
  if (service?.kind !== 'api')
    return finish(
      new Refusal(
        Status.parameter,
        `Invalid parameter [profile]: profile ${respondAs} is bound to ${profile.service}, which is not reached through ${ctx.spec.protocol.endpoints.api}`,
      ),
      respondAs,
    );

  const spelled = control(ctx, params, 'mode');
  if (spelled === undefined || spelled === '')
    return finish(
      new Refusal(Status.parameter, 'Missing parameter [mode]: async-oneway, async-delivery or sync (6.2)'),
      respondAs,
    );
  const mode = canonicalMode(ctx, spelled);
  t.mode = mode ?? clipText(spelled, 30);
  if (!mode)
    return finish(
      new Refusal(
        Status.mode,
        `Invalid parameter [mode]: "${clipText(spelled, 30)}" is not one of ${Object.values(ctx.spec.protocol.modes.spellings).flat().join(', ')} (6.2)`,
      ),
      respondAs,
    );
  const modeRefusal = checkMode(service, profile, mode, spelled);
  if (modeRefusal) return finish(modeRefusal, respondAs);

  const billingCode = control(ctx, params, 'billingCode');
  if (profile.billingCode !== undefined && billingCode !== profile.billingCode)
    return finish(
      new Refusal(
        Status.billingCode,
        billingCode === undefined
          ? `Missing parameter [billingCode]: profile ${respondAs} requires its billing code (6.2)`
          : `Invalid parameter [billingCode]: not the billing code provisioned for profile ${respondAs} (6.2)`,
      ),
      respondAs,
    );

  const inputRefusal = checkInputs(ctx, service, params);
  if (inputRefusal) return finish(inputRefusal, respondAs);

  if (profile.rate && !ctx.rate.take(`${profile.id}\0${service.id}`, profile.rate))
    return finish(
      new Refusal(
        Status.throttled,
        `Traffic limit exceeded for profile ${respondAs} and ${service.id}: ${profile.rate.perSecond} per second, burst ${profile.rate.burst} (9.3); slow down`,
      ),
      respondAs,
    );

  await run(ctx, t, res, service, profile, mode, params, billingCode);
}

/** Executes an accepted request in its mode (6.2, 7.1). */
async function run(
  ctx: SimContext,
  t: TransactionTimeline,
  res: ServerResponse,
  service: Service,
  profile: ProfileConfig,
  mode: Mode,
  params: Record<string, string>,
  billingCode: string | undefined,
): Promise<void> {
  const started = ctx.clock.now();
  const execution = execute({
    service,
    params,
    transactionId: t.transactionId,
    ...(billingCode !== undefined ? { billingCode } : {}),
    defaultOriginator: profile.shortNumber ?? '3301',
    backends: ctx.backends,
    now: started,
    syncTimeoutMs: ctx.syncTimeoutMs,
  });
  const executionResponse = {
    statusCode: execution.statusCode,
    profile: profile.id,
    transactionId: t.transactionId,
    ...(execution.errorMessage !== undefined ? { errorMessage: execution.errorMessage } : {}),
    parameters: execution.parameters,
  };
  const respond = (statusCode: number, body: string, errorMessage?: string) => {
    sendXmlBody(res, body);
    t.response = { httpStatus: 200, statusCode, ...(errorMessage ? { errorMessage } : {}), body };
    logTransaction(ctx, t);
  };

  if (mode === 'sync') {
    if (execution.delayMs > ctx.syncTimeoutMs) {
      await waitOn(ctx, ctx.syncTimeoutMs);
      const errorMessage = `Timeout: ${service.id} did not finish within ${ctx.syncTimeoutMs} ms (6.2); use async-delivery for slow services`;
      t.notes.push('sync timeout: the back-end answered after the limit');
      t.execution = { statusCode: Status.syncTimeout, errorMessage, parameters: [] };
      return respond(
        Status.syncTimeout,
        buildMseResponse({
          statusCode: Status.syncTimeout,
          profile: profile.id,
          transactionId: t.transactionId,
          errorMessage,
        }),
        errorMessage,
      );
    }
    if (execution.delayMs > 0) await waitOn(ctx, execution.delayMs);
    t.execution = {
      statusCode: execution.statusCode,
      ...(execution.errorMessage ? { errorMessage: execution.errorMessage } : {}),
      parameters: execution.parameters,
    };
    return respond(execution.statusCode, buildMseResponse(executionResponse), execution.errorMessage);
  }

  // Asynchronous modes: the ack says only that the request was validated, authorised and accepted (7.1.1).
  t.execution = {
    statusCode: execution.statusCode,
    ...(execution.errorMessage ? { errorMessage: execution.errorMessage } : {}),
    parameters: execution.parameters,
  };
  respond(
    Status.ok,
    buildMseResponse({ statusCode: Status.ok, profile: profile.id, transactionId: t.transactionId }),
  );
  if (mode !== 'async-delivery') return;
  if (service.receipt === 'none') {
    t.notes.push(`${service.id} has no receipt: nothing is delivered`);
    return;
  }
  if (!profile.delivery?.url) {
    t.delivery = 'not-configured';
    t.notes.push(`profile ${profile.id} has no delivery URL: the receipt is not delivered (7.1.2)`);
    return;
  }
  const url = new URL(profile.delivery.url);
  if (profile.delivery.userid !== undefined) url.searchParams.set('userid', profile.delivery.userid);
  if (profile.delivery.pwd !== undefined) url.searchParams.set('pwd', profile.delivery.pwd);
  const masked = new URL(url);
  if (profile.delivery.pwd !== undefined) masked.searchParams.set('pwd', '***');
  ctx.deliverer.enqueue(
    t,
    {
      method: 'POST',
      url: url.toString(),
      maskedUrl: masked.toString(),
      body: Buffer.from(buildMseResponse(executionResponse), 'utf8'),
      contentType: 'text/xml; charset=UTF-8',
    },
    ctx.receiptDelayMs + execution.delayMs,
  );
}

function sendXmlBody(res: ServerResponse, body: string): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8', 'content-length': bytes.length });
  res.end(bytes);
}

export function waitOn(ctx: SimContext, ms: number): Promise<void> {
  return new Promise((resolve) => ctx.clock.schedule(ms, resolve));
}
