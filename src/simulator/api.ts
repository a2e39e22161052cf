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
import { buildMseResponse, type MseResponse } from '../xml/mse-response.ts';
import { logTransaction, newTransaction, type SimContext } from './context.ts';
import { Execution, execute } from './execute.ts';
import { BodyTooLarge, clipText, readBody, sendMse } from './http-util.ts';
import { canonicalMode, checkMode, lookupsOf, Refusal } from './pipeline.ts';
import { Status } from './status.ts';
import { MseAnswer, maskPasswords, type TransactionTimeline } from './transactions.ts';
import type { ProfileConfig } from './types.ts';

/**
 * The parameters of one request, by name. No name is special: `__proto__` or `toString` are data here, as
 * the record's prototype is an empty frozen object without a prototype of its own. Unlike
 * Object.create(null), which V8 keeps as a hash table, such a record stays a compact fast-mode object: a
 * fifth of the memory and half the time to fill, and the simulator keeps one in each timeline.
 */
const noPrototype = Object.freeze(Object.create(null) as object);
const newParams = () => Object.create(noPrototype) as Record<string, string>;

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

/** How a plain query was read, the same for every request that has one. */
const plainQuery = Object.freeze({ query: 'UTF-8' as const });

/**
 * Reads the query into `params` (the first of a repeated name wins) and notes how it was read. A query of
 * plain characters (no `%`, no `+`, nothing outside printable ASCII) is split directly, as decoding would
 * leave it unchanged; anything else goes through the byte-exact decoder: UTF-8, or ISO-8859-1 when the
 * bytes are not UTF-8 (a GET cannot declare its charset).
 */
function readQuery(t: TransactionTimeline, raw: string, params: Record<string, string>): void {
  if (!/^[\x21-\x24\x26-\x2a\x2c-\x7e]*$/.test(raw)) {
    const reading = decodeQueryLenient(raw);
    noteReading(t, 'query', reading);
    for (const [name, value] of reading.pairs) if (params[name] === undefined) params[name] = value;
    return;
  }
  t.request!.charset = plainQuery;
  for (let start = 0; start < raw.length; ) {
    let end = raw.indexOf('&', start);
    if (end < 0) end = raw.length;
    // An empty segment (`a=1&&b=2`) is no parameter; an empty name (`=1`) is one, as the decoder reads it.
    if (end > start) {
      const eq = raw.indexOf('=', start);
      const name = eq < 0 || eq > end ? raw.slice(start, end) : raw.slice(start, eq);
      if (params[name] === undefined) params[name] = eq < 0 || eq > end ? '' : raw.slice(eq + 1, end);
    }
    start = end + 1;
  }
}

/** The profile a request names, read without judging anything, so that even a refusal can echo it (6.5.1). */
function profileNamed(ctx: SimContext, params: Record<string, string>, rawQuery: string): string {
  let named = control(ctx, params, 'profile');
  if (named === undefined)
    try {
      const fromQuery = newParams();
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
  // A new record: the one of a plain query is shared by every request.
  t.request!.charset = { ...t.request!.charset, [part]: reading.charset };
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

/** Answers a refusal, echoing `profile` (6.5.1), and closes the timeline. */
function refuse(
  ctx: SimContext,
  t: TransactionTimeline,
  res: ServerResponse,
  refusal: Refusal,
  profile: string,
): undefined {
  const response: MseResponse = {
    statusCode: refusal.statusCode,
    profile,
    transactionId: t.transactionId,
    errorMessage: refusal.errorMessage,
  };
  sendMse(res, refusal.httpStatus, response, refusal.httpStatus === 405 ? { allow: 'GET, POST' } : undefined);
  t.response = new MseAnswer(refusal.httpStatus, response);
  logTransaction(ctx, t);
  return undefined;
}

export function handleApi(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawQuery: string,
): Promise<void> | undefined {
  const t = newTransaction(ctx, 'api');
  t.request = { method: req.method ?? '?', path: ctx.spec.protocol.endpoints.api };
  const params = newParams();

  // 6.1: requests come by GET or POST; anything else is refused before reading parameters.
  if (req.method !== 'GET' && req.method !== 'POST') {
    req.resume();
    return refuse(
      ctx,
      t,
      res,
      new Refusal(
        Status.mode,
        `Method ${clipText(req.method ?? '', 20)} is not allowed on ${ctx.spec.protocol.endpoints.api}: use GET or POST (6.1)`,
        405,
      ),
      profileNamed(ctx, params, rawQuery),
    );
  }
  readQuery(t, rawQuery, params);
  // A GET is served at once; a POST once its form body is read (the form wins over the query).
  if (req.method === 'GET') return serve(ctx, t, res, params, rawQuery);
  return readForm(ctx, t, req, params).then((refusal) =>
    refusal
      ? refuse(ctx, t, res, refusal, profileNamed(ctx, params, rawQuery))
      : serve(ctx, t, res, params, rawQuery),
  );
}

/** Judges a request whose parameters are read, and runs it when nothing refuses it. */
function serve(
  ctx: SimContext,
  t: TransactionTimeline,
  res: ServerResponse,
  params: Record<string, string>,
  rawQuery: string,
): Promise<void> | undefined {
  // The password is read once; the timeline keeps the request's parameters, and never the password.
  const password = control(ctx, params, 'pwd');
  t.request!.params = maskPasswords(params);
  const profileId = control(ctx, params, 'profile');
  const respondAs = clipText(profileId ?? '', 100);
  if (!profileId)
    return refuse(
      ctx,
      t,
      res,
      new Refusal(Status.parameter, 'Missing parameter [profile]: every request names its profile (6.2)'),
      profileNamed(ctx, params, rawQuery),
    );
  t.profile = respondAs;
  const profile = authenticate(ctx, password, profileId, respondAs);
  if (profile instanceof Refusal) return refuse(ctx, t, res, profile, respondAs);
  const service = apiServiceOf(ctx, t, profile, respondAs);
  if (service instanceof Refusal) return refuse(ctx, t, res, service, respondAs);
  const mode = modeOf(ctx, t, service, profile, params);
  if (mode instanceof Refusal) return refuse(ctx, t, res, mode, respondAs);
  const billingCode = control(ctx, params, 'billingCode');
  const refusal = admit(ctx, service, profile, params, billingCode, respondAs);
  if (refusal) return refuse(ctx, t, res, refusal, respondAs);
  return run(ctx, t, res, service, profile, mode, params, billingCode);
}

/**
 * Reads a POST's form body into `params`, over the query's values of the same names. A refusal when the
 * body is too large, not a form, or not in its declared charset.
 */
async function readForm(
  ctx: SimContext,
  t: TransactionTimeline,
  req: IncomingMessage,
  params: Record<string, string>,
): Promise<Refusal | undefined> {
  try {
    const body = await readBody(req, ctx.maxBodyBytes);
    const type = mediaType(req.headers['content-type']);
    t.request!.contentType = req.headers['content-type'];
    t.request!.bodyBytes = body.length;
    if (body.length === 0) return undefined;
    if (type !== undefined && type !== 'application/x-www-form-urlencoded')
      return new Refusal(
        Status.badXml,
        `Content-Type ${clipText(type, 40)} is not accepted on ${ctx.spec.protocol.endpoints.api}: send application/x-www-form-urlencoded parameters (6.1)`,
      );
    const form = parseFormBodyLenient(body, req.headers['content-type']);
    noteReading(t, 'body', form);
    const seen = new Set<string>();
    for (const [name, value] of form.pairs)
      if (!seen.has(name)) {
        seen.add(name);
        params[name] = value;
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
  password: string | undefined,
  profileId: string,
  respondAs: string,
): ProfileConfig | Refusal {
  const profile = ctx.profiles.get(profileId);
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
function run(
  ctx: SimContext,
  t: TransactionTimeline,
  res: ServerResponse,
  service: Service,
  profile: ProfileConfig,
  mode: Mode,
  params: Record<string, string>,
  billingCode: string | undefined,
): Promise<void> | undefined {
  const execution = execute({
    service,
    params,
    transactionId: t.transactionId,
    ...(billingCode !== undefined ? { billingCode } : {}),
    defaultOriginator: profile.shortNumber ?? '3301',
    backends: ctx.backends,
    now: ctx.clock.now(),
    syncTimeoutMs: ctx.syncTimeoutMs,
  });
  if (mode === 'sync') return answerSync(ctx, t, res, service, profile, execution);

  // Asynchronous modes: the ack says only that the request was validated, authorised and accepted (7.1.1).
  t.execution = execution;
  answer(ctx, t, res, { statusCode: Status.ok, profile: profile.id, transactionId: t.transactionId });
  if (mode === 'async-delivery') deliverReceipt(ctx, t, service, profile, execution);
  return undefined;
}

/** The execution response: what sync answers and async-delivery POSTs as the receipt (7.1). */
function executionResponse(
  t: TransactionTimeline,
  profile: ProfileConfig,
  execution: Execution,
): MseResponse {
  return {
    statusCode: execution.statusCode,
    profile: profile.id,
    transactionId: t.transactionId,
    ...(execution.errorMessage !== undefined ? { errorMessage: execution.errorMessage } : {}),
    parameters: execution.parameters,
  };
}

/** A sync request: answered with the execution response once the back-end is done, or a timeout (6.2). */
async function answerSync(
  ctx: SimContext,
  t: TransactionTimeline,
  res: ServerResponse,
  service: Service,
  profile: ProfileConfig,
  execution: Execution,
): Promise<void> {
  if (execution.delayMs > ctx.syncTimeoutMs) {
    await waitOn(ctx, ctx.syncTimeoutMs);
    const errorMessage = `Timeout: ${service.id} did not finish within ${ctx.syncTimeoutMs} ms (6.2); use async-delivery for slow services`;
    t.notes.push('sync timeout: the back-end answered after the limit');
    t.execution = new Execution(Status.syncTimeout, errorMessage, 0);
    return answer(ctx, t, res, {
      statusCode: Status.syncTimeout,
      profile: profile.id,
      transactionId: t.transactionId,
      errorMessage,
    });
  }
  if (execution.delayMs > 0) await waitOn(ctx, execution.delayMs);
  t.execution = execution;
  return answer(ctx, t, res, executionResponse(t, profile, execution));
}

type Delivery = NonNullable<ProfileConfig['delivery']>;

/** Where a profile's receipts go, with the delivery user's password, and as logged (masked); built once. */
const receiptUrls = new WeakMap<Delivery, { url: string; maskedUrl: string }>();
function receiptUrlOf(delivery: Delivery) {
  let urls = receiptUrls.get(delivery);
  if (!urls) {
    const url = new URL(delivery.url);
    if (delivery.userid !== undefined) url.searchParams.set('userid', delivery.userid);
    if (delivery.pwd !== undefined) url.searchParams.set('pwd', delivery.pwd);
    const masked = new URL(url);
    if (delivery.pwd !== undefined) masked.searchParams.set('pwd', '***');
    urls = { url: url.toString(), maskedUrl: masked.toString() };
    receiptUrls.set(delivery, urls);
  }
  return urls;
}

/** An async-delivery request's receipt: the execution response, POSTed to the profile's URL (7.1.2). */
function deliverReceipt(
  ctx: SimContext,
  t: TransactionTimeline,
  service: Service,
  profile: ProfileConfig,
  execution: Execution,
): void {
  if (service.receipt === 'none') {
    t.notes.push(`${service.id} has no receipt: nothing is delivered`);
    return;
  }
  const delivery = profile.delivery;
  if (!delivery?.url) {
    t.delivery = 'not-configured';
    t.notes.push(`profile ${profile.id} has no delivery URL: the receipt is not delivered (7.1.2)`);
    return;
  }
  ctx.deliverer.enqueue(
    t,
    {
      method: 'POST',
      ...receiptUrlOf(delivery),
      body: Buffer.from(buildMseResponse(executionResponse(t, profile, execution)), 'utf8'),
      contentType: 'text/xml; charset=UTF-8',
    },
    ctx.receiptDelayMs + execution.delayMs,
  );
}

/** Answers an accepted request (HTTP 200), and closes the timeline. */
function answer(ctx: SimContext, t: TransactionTimeline, res: ServerResponse, response: MseResponse): void {
  sendXmlBody(res, buildMseResponse(response));
  t.response = new MseAnswer(200, response);
  logTransaction(ctx, t);
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
