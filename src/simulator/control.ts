import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scenario } from './backends.ts';
import { validateSimulatorConfig } from './config.ts';
import type { SimContext } from './context.ts';
import { BodyTooLarge, readBody, sendJson } from './http-util.ts';
import { mmsMo, smsMo, wibMo } from './mo.ts';
import { SimulatorError } from './status.ts';
import { type UssdEventRequest, ussdEvent } from './ussd.ts';

/**
 * The control API (JSON under /__control): inject what subscribers send (MO, USSD events), read the
 * transaction timelines, move the virtual clock, set SMSC scenarios. Documented in README.md.
 */
export async function handleControl(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  rawQuery: string,
): Promise<void> {
  const route = path.slice('/__control'.length) || '/';
  const body = await readControlBody(ctx, req, res);
  if (body === undefined) return;

  const post = req.method === 'POST';
  const get = req.method === 'GET';
  if (get && route === '/transactions') {
    return listTransactions(ctx, res, rawQuery);
  }
  if (get && route.startsWith('/transactions/')) {
    const t = ctx.store.get(decodeURIComponent(route.slice('/transactions/'.length)));
    return t
      ? sendJson(res, 200, t)
      : sendJson(res, 404, { error: 'MSE_SIM_UNKNOWN_TRANSACTION', message: 'no such transaction id' });
  }
  if (post && route === '/mo/sms') return reply(res, smsMo(ctx, body as Parameters<typeof smsMo>[1]));
  if (post && route === '/mo/mms') return reply(res, mmsMo(ctx, body as Parameters<typeof mmsMo>[1]));
  if (post && route === '/mo/wib') return reply(res, wibMo(ctx, body as Parameters<typeof wibMo>[1]));
  if (post && route === '/ussd/event') {
    return injectUssdEvent(ctx, res, body);
  }
  if (post && route === '/clock/advance') {
    return advanceClock(ctx, res, body);
  }
  if (route === '/scenario' && (post || get)) {
    if (get) return sendJson(res, 200, ctx.backends.getScenario());
    return setScenario(ctx, res, body);
  }
  if (get && route === '/billing') return sendJson(res, 200, ctx.backends.charges);
  if (get && route === '/offers')
    return sendJson(
      res,
      200,
      Object.fromEntries([...ctx.backends.offers].map(([ctn, set]) => [ctn, [...set]])),
    );
  if (get && route === '/ussd/sessions') return sendJson(res, 200, [...ctx.ussd.byMsisdn.values()]);
  if (get && route === '/profiles') return sendJson(res, 200, maskedProfiles(ctx));
  return sendJson(res, 404, {
    error: 'MSE_SIM_NO_ROUTE',
    message: `no control route ${req.method} ${route}; see README.md, section "Simulator control API"`,
  });
}

function reply(res: ServerResponse, result: { httpStatus: number; body: unknown }): void {
  sendJson(res, result.httpStatus, result.body);
}

/**
 * The JSON object a POST carries ({} for a GET, whose body is drained); undefined when the body was refused
 * (too large, not a JSON object) and the refusal already answered.
 */
async function readControlBody(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Record<string, unknown> | undefined> {
  if (req.method !== 'POST') {
    // A body on GET is ignored but drained before answering: closing while it still arrives resets the
    // connection, which cut a long answer (the transaction list) short.
    await new Promise<void>((resolve) => {
      if (req.readableEnded) return resolve();
      req.once('end', resolve);
      req.once('close', resolve);
      req.resume();
    });
    return {};
  }
  try {
    const raw = await readBody(req, ctx.maxBodyBytes);
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new SyntaxError('not an object');
    return body;
  } catch (error) {
    if (error instanceof BodyTooLarge)
      sendJson(res, 413, {
        error: 'MSE_SIM_TOO_LARGE',
        message: `body larger than ${error.limit} bytes`,
      });
    else sendJson(res, 400, { error: 'MSE_SIM_BAD_JSON', message: 'the body must be a JSON object' });
    return undefined;
  }
}

/** The transactions, filtered by kind and service, the last `limit` of them. */
function listTransactions(ctx: SimContext, res: ServerResponse, rawQuery: string): void {
  const params = new URLSearchParams(rawQuery);
  let list = ctx.store.all();
  const kind = params.get('kind');
  if (kind) list = list.filter((t) => t.kind === kind);
  const service = params.get('service');
  if (service) list = list.filter((t) => t.service === service);
  const limit = Number(params.get('limit') ?? 0);
  if (limit > 0) list = list.slice(-limit);
  sendJson(res, 200, list);
}

/** A USSD event from a subscriber, as the body describes it. */
async function injectUssdEvent(
  ctx: SimContext,
  res: ServerResponse,
  body: Record<string, unknown>,
): Promise<void> {
  const e = body as Partial<UssdEventRequest>;
  if (
    typeof e.msisdn !== 'string' ||
    typeof e.shortCode !== 'string' ||
    !['user-init', 'menu-answer', 'input-answer'].includes(String(e.kind))
  )
    return sendJson(res, 400, {
      error: 'MSE_SIM_BAD_EVENT',
      message:
        'send {"msisdn": "1199998888", "shortCode": "100", "kind": "user-init"|"menu-answer"|"input-answer", "value"?: "2"}',
    });
  return reply(res, await ussdEvent(ctx, e as UssdEventRequest));
}

/** Moves the virtual clock by body.ms. */
async function advanceClock(
  ctx: SimContext,
  res: ServerResponse,
  body: Record<string, unknown>,
): Promise<void> {
  const ms = Number(body.ms);
  if (ctx.clock.kind !== 'virtual')
    return sendJson(res, 409, {
      error: 'MSE_SIM_REAL_CLOCK',
      message: 'the simulator runs on the real clock; start it with clock "virtual"',
    });
  if (!Number.isFinite(ms) || ms < 0)
    return sendJson(res, 400, { error: 'MSE_SIM_BAD_MS', message: 'send {"ms": 1000}' });
  await ctx.clock.advance(ms);
  return sendJson(res, 200, { now: new Date(ctx.clock.now()).toISOString() });
}

/** Sets the SMSC scenario, checked with the configuration file's schema. */
function setScenario(ctx: SimContext, res: ServerResponse, body: Record<string, unknown>): void {
  let scenario: Scenario;
  try {
    // The same schema as the configuration file's `scenario`, so both give the same errors.
    scenario = validateSimulatorConfig({ scenario: body }, 'scenario').scenario ?? {};
  } catch (error) {
    const message =
      error instanceof SimulatorError
        ? error.message.replace(/\/scenario\//g, '/').replace(/\/scenario:/g, '/:')
        : String(error);
    sendJson(res, 400, { error: 'MSE_SIM_BAD_SCENARIO', message });
    return;
  }
  ctx.backends.setScenario(scenario);
  sendJson(res, 200, scenario);
}

/** The profiles with their passwords masked. */
function maskedProfiles(ctx: SimContext): unknown[] {
  return [...ctx.profiles.values()].map((p) => ({
    ...p,
    password: '***',
    ...(p.delivery
      ? { delivery: { ...p.delivery, ...(p.delivery.pwd !== undefined ? { pwd: '***' } : {}) } }
      : {}),
    ...(p.mo ? { mo: { ...p.mo, ...(p.mo.pwd !== undefined ? { pwd: '***' } : {}) } } : {}),
  }));
}
