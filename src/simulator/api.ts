import type { IncomingMessage, ServerResponse } from 'node:http';
import { CharsetError, contentTypeCharset, mediaType } from '../charset/encoding.ts';
import {
  decodeQuery,
  decodeQueryLenient,
  type LenientReading,
  parseFormBodyLenient,
} from '../charset/latin1.ts';
import { judgeInputs } from '../spec/judge.ts';
import type { Mode, Service } from '../spec/types.ts';
import { buildMseResponse } from '../xml/mse-response.ts';
import { logTransaction, newTransaction, type SimContext } from './context.ts';
import { execute } from './execute.ts';
import { BodyTooLarge, clipText, readBody, sendMse } from './http-util.ts';
import { canonicalMode, checkMode, lookupsOf, Refusal } from './pipeline.ts';
import { Status } from './status.ts';
import { maskParams, type TransactionTimeline } from './transactions.ts';
import type { ProfileConfig } from './types.ts';

/** The first breach of the service's input rules (the judge's, in entry order), as the refusal it earns. */
export function checkInputs(
  ctx: SimContext,
  service: Service,
  params: Record<string, string>,
): Refusal | undefined {
  const first = judgeInputs(ctx.spec, service, params)[0];
  if (!first) return undefined;
  if (first.kind === 'payload')
    return new Refusal(
      Status.parameter,
      `Invalid parameter [${first.limit.inputs.join('+')}]: ${first.bytes} bytes together, more than the ${first.limit.maxBytes} that fit (${service.section})`,
    );
  if (first.kind === 'group')
    return new Refusal(
      Status.parameter,
      `Invalid parameter [${first.group.members.join('|')}]: ${first.group.text} (got ${first.present.length ? first.present.join(', ') : 'none'})`,
    );
  const section = first.input.section ?? service.section;
  if (first.kind === 'invalid')
    return new Refusal(
      Status.parameter,
      `Invalid parameter [${first.input.name}]: ${first.problem.message} (${section})`,
    );
  return new Refusal(
    Status.parameter,
    first.when
      ? `Missing parameter [${first.input.name}]: ${service.id} requires it when ${first.when.input} is ${clipText(first.when.value, 20)} (${section})`
      : `Missing parameter [${first.input.name}]: ${service.id} requires it (${section})`,
  );
}

/**
 * The query's pairs and how they were read. A query of plain characters (no `%`, no `+`, nothing outside
 * printable ASCII) is split directly, as decoding would leave it unchanged; anything else goes through the
 * byte-exact decoder: UTF-8, or ISO-8859-1 when the bytes are not UTF-8 (a GET cannot declare its charset).
 */
function readQuery(raw: string): LenientReading {
  if (!/^[\x21-\x24\x26-\x2a\x2c-\x7e]*$/.test(raw)) return decodeQueryLenient(raw);
  const pairs: Array<[string, string]> = [];
  for (const segment of raw.split('&')) {
    if (!segment) continue;
    const eq = segment.indexOf('=');
    pairs.push(eq < 0 ? [segment, ''] : [segment.slice(0, eq), segment.slice(eq + 1)]);
  }
  return { pairs, charset: 'UTF-8' };
}

/** The profile a request names, read without judging anything, so that even a refusal can echo it (6.5.1). */
function profileNamed(ctx: SimContext, params: Record<string, string>, rawQuery: string): string {
  let named = control(ctx, params, 'profile');
  if (named === undefined)
    try {
      const fromQuery = Object.create(null) as Record<string, string>;
      for (const [name, value] of decodeQuery(rawQuery, 'ISO-8859-1'))
        if (!Object.hasOwn(fromQuery, name)) fromQuery[name] = value;
      named = control(ctx, fromQuery, 'profile');
    } catch {
      named = undefined;
    }
  return clipText(named ?? '', 100);
}

/** Records in the timeline how a part of the request was read, and why when it was not UTF-8. */
function noteReading(t: TransactionTimeline, part: 'query' | 'body', reading: LenientReading): void {
  t.request!.charset ??= {};
  t.request!.charset[part] = reading.charset;
  if (reading.charset === 'ISO-8859-1' && reading.declared === undefined)
    t.notes.push(`${part} read as ISO-8859-1: not valid UTF-8 and no charset declared`);
}

/** Control parameters by their names and aliases (6.2). */
function control(ctx: SimContext, params: Record<string, string>, name: string): string | undefined {
  for (const n of lookupsOf(ctx.spec).controlNames.get(name) ?? [name])
    if (params[n] !== undefined) return params[n];
  return undefined;
}

/**
 * The error-message for a form body its declared charset cannot read. Written whole from bounded parts
 * (the decoder clips what it echoes), so it is never cut; it advises what the sender can change: the bytes
 * or the Content-Type's charset (a query has no charset to declare and is never refused for its bytes).
 */
function charsetRefusal(error: CharsetError, contentType: string | undefined): string {
  const declared = clipText(contentTypeCharset(contentType) ?? '', 40);
  if (error.code === 'MSE_CHARSET_UNSUPPORTED')
    return `The form body declares charset=${declared}, which the simulator does not read: declare UTF-8 or ISO-8859-1, or leave the charset out (6.1; ${error.code})`;
  const what = /^(parameter [^:]*|a parameter name):/.exec(error.message)?.[1] ?? 'a parameter';
  const at = error.offset !== undefined ? ` at byte ${error.offset}` : '';
  return `The form body declares charset=${declared}, but ${what} is not valid ${declared}${at}: send ${declared} bytes, or declare charset=ISO-8859-1 (${error.code})`;
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
  // No prototype: parameter names such as __proto__ or toString are data here.
  const params = Object.create(null) as Record<string, string>;
  const finish = (refusal: Refusal, profile = profileNamed(ctx, params, rawQuery)) => {
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

  const readRefusal = await readParams(ctx, t, req, rawQuery, params);
  if (readRefusal) return finish(readRefusal);
  t.request!.params = maskParams(params);

  const profileId = control(ctx, params, 'profile');
  const respondAs = clipText(profileId ?? '', 100);
  if (!profileId)
    return finish(
      new Refusal(Status.parameter, 'Missing parameter [profile]: every request names its profile (6.2)'),
    );
  t.profile = respondAs;
  const profile = authenticate(ctx, params, profileId, respondAs);
  if (profile instanceof Refusal) return finish(profile, respondAs);

  const service = apiServiceOf(ctx, t, profile, respondAs);
  if (service instanceof Refusal) return finish(service, respondAs);

  const mode = modeOf(ctx, t, service, profile, params);
  if (mode instanceof Refusal) return finish(mode, respondAs);

  const billingCode = control(ctx, params, 'billingCode');
  const refusal = admit(ctx, service, profile, params, billingCode, respondAs);
  if (refusal) return finish(refusal, respondAs);

  await run(ctx, t, res, service, profile, mode, params, billingCode);
}

/**
 * Reads the query, then (for POST) the form body into `params`; the form body wins over a query parameter of
 * the same name. A refusal when the body is too large, not a form, or not in its declared charset.
 */
async function readParams(
  ctx: SimContext,
  t: TransactionTimeline,
  req: IncomingMessage,
  rawQuery: string,
  params: Record<string, string>,
): Promise<Refusal | undefined> {
  try {
    const query = readQuery(rawQuery);
    noteReading(t, 'query', query);
    for (const [name, value] of query.pairs) if (!Object.hasOwn(params, name)) params[name] = value;
    if (req.method === 'POST') {
      const body = await readBody(req, ctx.maxBodyBytes);
      const type = mediaType(req.headers['content-type']);
      t.request!.contentType = req.headers['content-type'];
      t.request!.bodyBytes = body.length;
      if (body.length > 0) {
        if (type !== undefined && type !== 'application/x-www-form-urlencoded')
          return new Refusal(
            Status.badXml,
            `Content-Type ${clipText(type, 40)} is not accepted on ${ctx.spec.protocol.endpoints.api}: send application/x-www-form-urlencoded parameters (6.1)`,
          );
        // The form body wins over a query parameter of the same name.
        const form = parseFormBodyLenient(body, req.headers['content-type']);
        noteReading(t, 'body', form);
        const seen = new Set<string>();
        for (const [name, value] of form.pairs)
          if (!seen.has(name)) {
            seen.add(name);
            params[name] = value;
          }
      }
    }
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return new Refusal(
        Status.bodyTooLarge,
        `Request body larger than ${error.limit} bytes, the simulator's cap (maxBodyBytes): send less`,
        413,
      );
    if (error instanceof CharsetError)
      return new Refusal(Status.badXml, charsetRefusal(error, req.headers['content-type']));
    throw error;
  }
  return undefined;
}

/** The named profile, if it exists and the password is its own (6.2). */
function authenticate(
  ctx: SimContext,
  params: Record<string, string>,
  profileId: string,
  respondAs: string,
): ProfileConfig | Refusal {
  const profile = ctx.profiles.get(profileId);
  const password = control(ctx, params, 'pwd');
  if (!profile)
    return new Refusal(Status.auth, `Authentication failed: unknown profile [${respondAs}] (6.2)`);
  if (password === undefined)
    return new Refusal(
      Status.parameter,
      'Missing parameter [pwd]: every request carries the profile password as pwd or password (6.2)',
    );
  if (password !== profile.password)
    return new Refusal(Status.auth, `Authentication failed: wrong password for profile [${respondAs}] (6.2)`);
  return profile;
}

/** The profile's service, which must be one reached through the API endpoint. */
function apiServiceOf(
  ctx: SimContext,
  t: TransactionTimeline,
  profile: ProfileConfig,
  respondAs: string,
): Service | Refusal {
  const service = ctx.services.get(profile.service);
  t.service = profile.service;
  if (service?.kind !== 'api')
    return new Refusal(
      Status.parameter,
      `Invalid parameter [profile]: profile ${respondAs} is bound to ${profile.service}, which is not reached through ${ctx.spec.protocol.endpoints.api}`,
    );
  return service;
}

/** The request's mode, in its canonical spelling, if the service and profile allow it (6.2). */
function modeOf(
  ctx: SimContext,
  t: TransactionTimeline,
  service: Service,
  profile: ProfileConfig,
  params: Record<string, string>,
): Mode | Refusal {
  const spelled = control(ctx, params, 'mode');
  if (spelled === undefined || spelled === '')
    return new Refusal(
      Status.parameter,
      'Missing parameter [mode]: async-oneway, async-delivery or sync (6.2)',
    );
  const mode = canonicalMode(ctx, spelled);
  t.mode = mode ?? clipText(spelled, 30);
  if (!mode)
    return new Refusal(
      Status.mode,
      `Invalid parameter [mode]: "${clipText(spelled, 30)}" is not one of ${Object.values(ctx.spec.protocol.modes.spellings).flat().join(', ')} (6.2)`,
    );
  return checkMode(service, profile, mode, spelled) ?? mode;
}

/** The last gates before execution: the billing code (6.2), the service's inputs, the traffic limit (9.3). */
function admit(
  ctx: SimContext,
  service: Service,
  profile: ProfileConfig,
  params: Record<string, string>,
  billingCode: string | undefined,
  respondAs: string,
): Refusal | undefined {
  if (profile.billingCode !== undefined && billingCode !== profile.billingCode)
    return new Refusal(
      Status.billingCode,
      billingCode === undefined
        ? `Missing parameter [billingCode]: profile ${respondAs} requires its billing code (6.2)`
        : `Invalid parameter [billingCode]: not the billing code provisioned for profile ${respondAs} (6.2)`,
    );
  const inputRefusal = checkInputs(ctx, service, params);
  if (inputRefusal) return inputRefusal;
  if (profile.rate && !ctx.rate.take(`${profile.id}\0${service.id}`, profile.rate))
    return new Refusal(
      Status.throttled,
      `Traffic limit exceeded for profile ${respondAs} and ${service.id}: ${profile.rate.perSecond} per second, burst ${profile.rate.burst} (9.3); slow down`,
    );
  return undefined;
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
  // Headers as a flat list (no header object to walk) and the body as a string: node:http then joins
  // head and body into one chunk instead of copying the body into a Buffer and queueing two.
  res.writeHead(200, [
    'content-type',
    'text/xml; charset=UTF-8',
    'content-length',
    String(Buffer.byteLength(body)),
  ]);
  res.end(body, 'utf8');
}

export function waitOn(ctx: SimContext, ms: number): Promise<void> {
  return new Promise((resolve) => ctx.clock.schedule(ms, resolve));
}
