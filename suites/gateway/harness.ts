/**
 * The gateway suite's harness (test262 style): every check is a thin body over these helpers. They send
 * requests the way a partner does, record every exchange (secrets masked) on the running check, read the
 * mse-response with the shared XML codec, and fail with a message that says what was expected and what came.
 */
import { threadId } from 'node:worker_threads';
import { firstInvalidUtf8, mediaType } from '../../src/charset/encoding.ts';
import { encodeQuery } from '../../src/charset/latin1.ts';
import type { ProfileEntry } from '../../src/checks/config.ts';
import {
  CannotJudge,
  type CheckContext,
  CheckFailure,
  checkMeta,
  defineCheck,
  type MetaOptions,
  runContext,
  SkipCheck,
} from '../../src/checks/kernel.ts';
import type { CheckMeta, RunContext } from '../../src/checks/types.ts';
import { type SendResult, send, toExchange } from '../../src/client/http.ts';
import type { Exchange } from '../../src/core/model.ts';
import { maskSecrets } from '../../src/core/secrets.ts';
import {
  type Delivery,
  type DeliveryKind,
  deliveryExchange as exchangeOf,
} from '../../src/listener/index.ts';
import { type ListenerClient, listenerClient } from '../../src/listener/remote.ts';
import { loadSpec } from '../../src/spec/load.ts';
import {
  completeParams as specCompleteParams,
  sampleValue as specSampleValue,
  validParams as specValidParams,
} from '../../src/spec/requests.ts';
import type { Mode, Service, Spec } from '../../src/spec/types.ts';
import { childElements, parseXml, textOf, type XmlDocument, XmlError } from '../../src/xml/codec.ts';
import { validateXml } from '../../src/xml/validate.ts';

export const run: RunContext = runContext();
export const spec: Spec = loadSpec();
export const listener: ListenerClient | undefined = run.listenerSuiteUrl
  ? listenerClient(run.listenerSuiteUrl)
  : undefined;
export const timeouts = run.config.timeouts;

export type Pairs = Array<[string, string]>;

/**
 * What a helper needs of a running check: somewhere to record exchanges, and a way to fail, skip, or say that
 * a precondition governed by another rule did not hold.
 */
export type Recorder = Pick<CheckContext, 'record' | 'skip' | 'fail' | 'cannotJudge'> & {
  /**
   * Set on the recorder of a shared flow (`shared`): its request is a precondition of every check that shares
   * it, never what those checks judge, so a refusal there is "cannot judge", not a failure.
   */
  readonly precondition?: boolean;
};

const sharedRuns = new Map<string, Promise<{ value?: unknown; error?: unknown; exchanges: Exchange[] }>>();

/**
 * Runs `fn` once per key in this worker and lets several checks judge its result (one request, many rules).
 * Every check that uses it records the same exchanges, and fails, skips or cannot judge the same way if `fn`
 * did. The flow is a precondition of those checks: expectAccepted and expectRefused in it cannot judge.
 */
export async function shared<T>(ctx: Recorder, key: string, fn: (rec: Recorder) => Promise<T>): Promise<T> {
  let run = sharedRuns.get(key);
  if (!run) {
    const exchanges: Exchange[] = [];
    const rec: Recorder = {
      precondition: true,
      record: (e) => exchanges.push(e),
      skip: (reason) => {
        throw new SkipCheck(reason);
      },
      fail: (message) => {
        throw new CheckFailure(message);
      },
      cannotJudge: (reason) => {
        throw new CannotJudge(reason);
      },
    };
    run = fn(rec).then(
      (value) => ({ value, exchanges }),
      (error: unknown) => ({ error, exchanges }),
    );
    sharedRuns.set(key, run);
  }
  const result = await run;
  for (const e of result.exchanges) ctx.record(e);
  if ('error' in result && result.error !== undefined) throw result.error;
  return result.value as T;
}

/** A check's metadata from its rule in the catalogue (an unknown rule fails at collection time). */
export function meta(family: string, rule: string, options: MetaOptions = {}): CheckMeta {
  return checkMeta(spec.rules, 'gateway', family, rule, options);
}

export const define = defineCheck;

/** Fails the running check with `message` unless `condition` holds. */
export function ensure(ctx: Recorder, condition: unknown, message: string): asserts condition {
  if (!condition) ctx.fail(message);
}

export const apiServices = () => spec.services.filter((s) => s.kind === 'api');
export const ussdCommandServices = () => spec.services.filter((s) => s.kind === 'ussd-command');

export function profileOf(service: Service): ProfileEntry | undefined {
  return run.config.profiles[service.id];
}

/** Why a service's checks cannot run here, or undefined when its profile is in the config. */
export function notProvisioned(service: Service): string | undefined {
  return profileOf(service)
    ? undefined
    : `no profile for ${service.id} in the config (profiles.${service.id}): the target is not provisioned for it`;
}

export const subscriber = () => run.config.subscribers[0] ?? '1191000000';

/** The value a request uses for an input: the configured test subscriber for phone numbers, else the sample. */
export function sampleValue(service: Service, name: string): string {
  return specSampleValue(service, name, { subscriber: subscriber() });
}

/** A valid set of service parameters: every required input, plus one member of each group that needs one. */
export function validParams(service: Service): Pairs {
  return specValidParams(service, { subscriber: subscriber() });
}

/** Adds the inputs that other inputs' values make required (requiredWhen), until nothing changes. */
export function completeParams(service: Service, params: Pairs): Pairs {
  return specCompleteParams(service, params, { subscriber: subscriber() });
}

export function withParam(params: Pairs, name: string, value: string | undefined): Pairs {
  const out = params.filter(([n]) => n !== name);
  if (value !== undefined) out.push([name, value]);
  return out;
}

/** The mode a check uses when the mode does not matter: the service's execution mode when it has one. */
export function preferredMode(
  service: Service,
  prefer: Mode[] = ['sync', 'async-oneway', 'async-delivery'],
): Mode | undefined {
  return prefer.find((m) => service.modes.allowed.includes(m));
}

/** What the suite read from an answer (tolerant: it describes, the checks judge). */
export interface Reading {
  document?: XmlDocument;
  /** Why the body could not be read as XML. */
  xmlError?: string;
  /**
   * Set when the bytes are not in the encoding the document declares, and the body was read as ISO-8859-1
   * instead: the encoding is transport.utf-8's to judge, and every other rule can still judge the document.
   */
  encodingProblem?: string;
  root?: string;
  children: string[];
  statusCode?: string;
  profile?: string;
  transactionId?: string;
  errorMessage?: string;
  parameters?: { name: string; value: string }[];
}

export function readMse(body: Buffer): Reading {
  const reading: Reading = { children: [] };
  if (!body.length) {
    reading.xmlError = 'the body is empty';
    return reading;
  }
  try {
    reading.document = parseXml(body);
  } catch (error) {
    if (!(error instanceof XmlError && error.code === 'MSE_XML_ENCODING')) {
      reading.xmlError = (error as Error).message;
      return reading;
    }
    try {
      reading.document = parseXml(body.toString('latin1'));
      reading.encodingProblem = error.message;
    } catch {
      reading.xmlError = error.message;
      return reading;
    }
  }
  const root = reading.document.root;
  reading.root = root.name;
  const children = childElements(root);
  reading.children = children.map((c) => c.name);
  const text = (name: string) => {
    const el = children.find((c) => c.name === name);
    return el ? textOf(el).trim() : undefined;
  };
  const statusCode = text('status-code');
  if (statusCode !== undefined) reading.statusCode = statusCode;
  const profile = text('profile');
  if (profile !== undefined) reading.profile = profile;
  const tid = text('transaction-id');
  if (tid !== undefined) reading.transactionId = tid;
  const em = text('error-message');
  if (em !== undefined) reading.errorMessage = em;
  const params = children.find((c) => c.name === 'parameters');
  if (params)
    reading.parameters = childElements(params).map((item) => {
      const parts = childElements(item);
      const name = parts.find((p) => p.name === 'param-name');
      const value = parts.find((p) => p.name === 'param-value');
      return { name: name ? textOf(name).trim() : '', value: value ? textOf(value).trim() : '' };
    });
  return reading;
}

export interface Answer {
  sent: SendResult;
  status?: number;
  contentType?: string;
  body: Buffer;
  read: Reading;
  /** The profile the request named (to compare with the echo). */
  profile?: string;
}

function record(ctx: Recorder, label: string, sent: SendResult): Answer {
  ctx.record(toExchange(label, sent, run.secrets));
  const body = sent.response?.body ?? Buffer.alloc(0);
  const answer: Answer = { sent, body, read: sent.response ? readMse(body) : { children: [] } };
  if (sent.response) {
    answer.status = sent.response.status;
    const ct = sent.response.headers['content-type'];
    if (ct !== undefined) answer.contentType = ct;
  }
  return answer;
}

export interface ApiCall {
  service: Service;
  /** Service parameters; default validParams(service). */
  params?: Pairs;
  /** Mode as sent (either spelling); null to leave it out. Default preferredMode(service). */
  mode?: string | null;
  method?: 'GET' | 'POST';
  /** POST with the parameters in the query string and an empty body (callers in the field do). */
  bodyInQuery?: boolean;
  /** Control parameter overrides: null leaves one out. */
  profile?: string | null;
  password?: string | null;
  passwordKey?: 'pwd' | 'password';
  billingCode?: string | null;
  label?: string;
  timeoutMs?: number;
  /** The profile to call with; default the service's entry of the config's profiles. */
  entry?: ProfileEntry;
}

/** Sends one /MSE/api request as a partner would (6.1, 6.2) and records the exchange on the check. */
export async function callApi(ctx: Recorder, call: ApiCall): Promise<Answer> {
  const { service } = call;
  const p = call.entry ?? profileOf(service);
  if (!p) ctx.skip(notProvisioned(service)!);
  const pairs: Pairs = [];
  const profile = call.profile === undefined ? p.profile : call.profile;
  if (profile !== null) pairs.push(['profile', profile]);
  const password = call.password === undefined ? p.password : call.password;
  if (password !== null) pairs.push([call.passwordKey ?? 'pwd', password]);
  const mode = call.mode === undefined ? (preferredMode(service) ?? 'sync') : call.mode;
  if (mode !== null) pairs.push(['mode', mode]);
  const billing = call.billingCode === undefined ? p.billingCode : call.billingCode;
  if (billing !== undefined && billing !== null) pairs.push(['billingCode', billing]);
  pairs.push(...(call.params ?? validParams(service)));
  const query = encodeQuery(pairs, 'UTF-8');
  const url = `${run.target.replace(/\/$/, '')}${spec.protocol.endpoints.api}`;
  const method = call.method ?? 'GET';
  const timeoutMs = call.timeoutMs ?? (mode === 'sync' ? timeouts.syncMs : timeouts.requestMs);
  const sent =
    method === 'GET' || call.bodyInQuery
      ? await send({ method, url: `${url}?${query}`, timeoutMs })
      : await send({
          method,
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
          body: query,
          timeoutMs,
        });
  const answer = record(ctx, call.label ?? `suite → target ${method} ${spec.protocol.endpoints.api}`, sent);
  if (profile !== null) answer.profile = profile;
  await expectReceipt(query, answer);
  return answer;
}

/** Sends a raw request to the target (for bodies and methods a partner would not normally send). */
export async function callRaw(
  ctx: Recorder,
  req: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    timeoutMs?: number;
  },
  label: string,
): Promise<Answer> {
  const sent = await send({
    method: req.method,
    url: `${run.target.replace(/\/$/, '')}${req.path}`,
    ...(req.headers ? { headers: req.headers } : {}),
    ...(req.body !== undefined ? { body: req.body } : {}),
    timeoutMs: req.timeoutMs ?? timeouts.requestMs,
  });
  const answer = record(ctx, label, sent);
  await expectReceipt(`${req.path}&${req.body?.toString() ?? ''}`, answer);
  return answer;
}

/**
 * Tells the listener that a receipt will come for an accepted async-delivery request, so that a receipt no
 * check waits for still belongs to the run: it is neither unmatched nor evidence against another check.
 */
async function expectReceipt(request: string, answer: Answer): Promise<void> {
  const tid = answer.read.transactionId;
  if (!listener || !tid || !/(?:^|[?&])mode=as+ync-delivery(?:&|$)/.test(request)) return;
  await listener.expect('receipt', tid).catch(() => undefined);
}

function describeAnswer(a: Answer): string {
  if (a.sent.error) return `no answer (${a.sent.error})`;
  if (a.read.xmlError) return `HTTP ${a.status}, a body that is not readable XML (${a.read.xmlError})`;
  if (a.read.statusCode === undefined) return `HTTP ${a.status}, an mse-response without status-code`;
  return `status-code ${a.read.statusCode}${a.read.errorMessage ? ` ("${a.read.errorMessage}")` : ''}`;
}

/**
 * Why the outcome (accepted or refused) of an answer cannot be read, or undefined when it can: no answer,
 * a body that is no XML, another root, no status-code or a non-numeric one. Each is the departure of another
 * rule (transport, envelope.dtd-valid, envelope.status-code.*), judged by that rule's own checks.
 */
function unreadableOutcome(a: Answer): string | undefined {
  if (a.sent.error) return `no answer (${a.sent.error})`;
  if (a.read.xmlError)
    return `HTTP ${a.status}, a body that is not readable XML (${a.read.xmlError}; envelope.dtd-valid)`;
  if (a.read.root !== 'mse-response')
    return `HTTP ${a.status}, a document with root <${a.read.root}> (envelope.dtd-valid)`;
  if (a.read.statusCode === undefined)
    return `an mse-response without status-code (envelope.status-code.present)`;
  if (!/^-?[0-9]+$/.test(a.read.statusCode))
    return `status-code "${a.read.statusCode}", not a number (envelope.status-code.numeric)`;
  return undefined;
}

/**
 * The answer is an mse-response with status-code 0: judged when acceptance is the check's rule (a valid
 * request in a mode, by a method, with a value within its limits). An answer that is no mse-response fails
 * too: the outcome 6.5 promises for every request is not there, and no other check sees this answer. In a
 * shared flow (a precondition of the checks sharing it) any other outcome cannot be judged instead.
 */
export function expectAccepted(ctx: Recorder, a: Answer, what: string): void {
  if (a.read.statusCode !== '0') {
    const message = `${what}: expected status-code 0 (accepted), got ${describeAnswer(a)}`;
    if (ctx.precondition) ctx.cannotJudge(message);
    ctx.fail(message);
  }
}

/**
 * The answer is an mse-response with a numeric, non-zero status-code (any code the document does not fix),
 * judged as expectAccepted is.
 */
export function expectRefused(ctx: Recorder, a: Answer, what: string): void {
  const code = a.read.statusCode;
  if (code === undefined || !/^-?[0-9]+$/.test(code) || code === '0') {
    const message = `${what}: expected a refusal (numeric status-code other than 0), got ${describeAnswer(a)}`;
    if (ctx.precondition) ctx.cannotJudge(message);
    ctx.fail(message);
  }
}

/**
 * A precondition of the check: a valid request was answered with status-code 0. Anything else (no answer,
 * no XML, a refusal) is the departure of the rule that governs it, so the check cannot judge its own.
 */
export function requireAccepted(ctx: Recorder, a: Answer, what: string): void {
  const unreadable = unreadableOutcome(a);
  if (unreadable) ctx.cannotJudge(`${what}: ${unreadable}`);
  if (a.read.statusCode !== '0')
    ctx.cannotJudge(`${what} was refused (${describeAnswer(a)}), so there is no accepted answer to judge`);
}

/** A precondition of the check: a request that must be refused was answered with a non-zero status-code. */
export function requireRefused(ctx: Recorder, a: Answer, what: string): void {
  const unreadable = unreadableOutcome(a);
  if (unreadable) ctx.cannotJudge(`${what}: ${unreadable}`);
  if (a.read.statusCode === '0')
    ctx.cannotJudge(`${what} was accepted (status-code 0), so there is no refusal to judge`);
}

/** A precondition of the check: an answer came, and its body is an XML document with root mse-response. */
export function requireMse(ctx: Recorder, a: Answer, what: string): void {
  if (a.sent.error) ctx.cannotJudge(`${what}: no answer (${a.sent.error})`);
  if (a.read.xmlError)
    ctx.cannotJudge(`${what}: the body is not readable XML (${a.read.xmlError}; envelope.dtd-valid)`);
  if (a.read.root !== 'mse-response')
    ctx.cannotJudge(`${what}: the root is <${a.read.root}>, not <mse-response> (envelope.dtd-valid)`);
}

/**
 * Errors of the body against the DTD of 6.5.1 (or another DTD of spec/dtd). Bytes that are not in the declared
 * encoding are transport.utf-8's departure: the document is then validated as read in ISO-8859-1.
 */
export function dtdErrors(body: Buffer, dtd: Parameters<typeof validateXml>[1] = 'mse-response'): string[] {
  const result = validateXml(body, dtd);
  if (result.ok) return [];
  if (!result.errors.some((e) => e.includes('MSE_XML_ENCODING'))) return result.errors;
  const read = validateXml(body.toString('latin1'), dtd);
  return read.ok ? [] : read.errors;
}

/** Problems with the UTF-8-ness of a body: invalid bytes, or a declaration naming another encoding. */
export function utf8Problems(body: Buffer): string | undefined {
  const bad = firstInvalidUtf8(body);
  if (bad >= 0)
    return `byte ${bad} (0x${body[bad]!.toString(16).padStart(2, '0')}) is not valid UTF-8: the body is not UTF-8`;
  const m = /^\uFEFF?<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(
    body.subarray(0, 200).toString('latin1'),
  );
  if (m && m[1]!.toUpperCase() !== 'UTF-8') return `the XML declaration names encoding ${m[1]}, not UTF-8`;
  return undefined;
}

export function isTextXml(contentType: string | undefined): boolean {
  return mediaType(contentType) === 'text/xml';
}

/** Waits on the listener for deliveries; a clear skip when the run has no listener. */
export async function waitDeliveries(
  ctx: Recorder,
  query: {
    kind: DeliveryKind;
    key?: string;
    contains?: string;
    count?: number;
    timeoutMs: number;
    since?: number;
  },
): Promise<Delivery[]> {
  if (!listener) ctx.skip('the run has no listener for deliveries (listener section of the config)');
  const found = await listener.waitFor(query);
  for (const d of found) ctx.record(deliveryExchange(d));
  return found;
}

/**
 * Waits for the receipts of one transaction, stopping early on evidence: a receipt of the same profile, sent
 * after `sinceAt`, whose transaction id no check asked for (or that has none, as a GET without one). Such a
 * receipt already decides the checks waiting on that profile, so they need not wait out their deadline.
 */
export async function waitReceipts(
  ctx: Recorder,
  query: { key: string; profile: string; sinceAt: number; count?: number; timeoutMs: number },
): Promise<{ found: Delivery[]; evidence: Delivery[] }> {
  if (!listener) ctx.skip('the run has no listener for deliveries (listener section of the config)');
  // The grace covers a check that got its ack a moment before the receipt came and has yet to ask for it; a
  // loaded machine can take a second or two, so never less than 2 s.
  const result = await listener.waitWithEvidence({
    kind: 'receipt',
    key: query.key,
    ...(query.count !== undefined ? { count: query.count } : {}),
    timeoutMs: query.timeoutMs,
    evidence: { profile: query.profile, sinceAt: query.sinceAt, graceMs: Math.max(timeouts.quietMs, 2_000) },
  });
  for (const d of [...result.found, ...result.evidence]) ctx.record(deliveryExchange(d));
  return result;
}

/**
 * The receipt of an accepted async-delivery request, found by its acknowledgement's transaction-id, waiting
 * as waitReceipts does: receipts of the same profile that no check asked for end the wait early, as evidence.
 */
export async function receiptOfAck(
  ctx: Recorder,
  ack: Answer,
  transactionId: string,
  timeoutMs = timeouts.receiptMs,
): Promise<{ receipt?: Delivery; evidence: Delivery[] }> {
  const sinceAt = Date.parse(ack.sent.at);
  const { found, evidence } = await waitReceipts(ctx, {
    key: transactionId,
    profile: ack.profile ?? '',
    sinceAt: Number.isNaN(sinceAt) ? Date.now() : sinceAt,
    timeoutMs,
  });
  return found[0] ? { receipt: found[0], evidence } : { evidence };
}

/** What the profile's receipts that no check could match looked like, in a sentence. */
export function evidenceText(profile: string, evidence: Delivery[]): string {
  const shown = evidence.slice(0, 3).map(describeDelivery).join('; ');
  const more = evidence.length > 3 ? ` and ${evidence.length - 3} more` : '';
  return `receipts of profile ${profile} came ${shown}${more}`;
}

/** One delivery in a sentence, secrets masked: "by GET to /receipt?userid=mse&pwd=***&… with no body". */
export function describeDelivery(d: Delivery): string {
  const url = maskSecrets(d.url, run.secrets);
  const shown = url.length > 120 ? `${url.slice(0, 119)}…` : url;
  const body = d.body.length ? `a body of ${d.body.length} bytes` : 'no body';
  return `by ${d.method} to ${shown} with ${body}${d.key !== undefined ? ` (transaction-id ${d.key})` : ' (no transaction-id)'}`;
}

/** A delivery the target made to the listener, as an exchange of the report. */
export function deliveryExchange(d: Delivery): Exchange {
  return exchangeOf(d, run.listenerUrl, run.secrets);
}

/** A token that marks one check's traffic, so concurrent checks never see each other's deliveries. */
let tokenCounter = 0;
export function token(prefix = 'c'): string {
  tokenCounter++;
  return `${prefix}${process.pid.toString(36)}t${threadId}${Date.now().toString(36)}${tokenCounter.toString(36)}`;
}
