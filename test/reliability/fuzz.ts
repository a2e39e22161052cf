/**
 * The fuzzing properties, shared by the tests (a few hundred runs each) and the bench (thousands):
 * generated hostile requests to the simulator, the suite's listener and the reference partner, each
 * answered in time with a well-formed answer, and the server still serving afterwards.
 */
import fc from 'fast-check';
import { loadSpec } from '../../src/spec/load.ts';
import { invalidSamples } from '../../src/spec/values.ts';
import { readMseResponse } from '../../src/xml/mse-response.ts';
import { validateXml } from '../../src/xml/validate.ts';
import {
  contentTypeArb,
  keepRegression,
  knownParameterNames,
  methodArb,
  queryArb,
  queryValue,
  type RawOutcome,
  type RawRequest,
  requestBytes,
  sendRaw,
  targetNoise,
  toJsonSafe,
  xmlBodyArb,
} from './helpers.ts';

export interface HostileRequest {
  method: string;
  path: string;
  query: Buffer;
  /** Raw bytes appended to the target, some of which the HTTP parser must refuse. */
  noise: string;
  contentType: string | undefined;
  body: Buffer;
}

export function hostileRequestArb(paths: string[]): fc.Arbitrary<HostileRequest> {
  const names = knownParameterNames();
  const body = fc.oneof(
    fc.constant(Buffer.alloc(0)),
    // Beyond every body cap (64 KiB in the tests, 1 MiB by default): refused by size, not read into memory.
    fc.integer({ min: 60_000, max: 2_500_000 }).map((n) => Buffer.alloc(n, 0x41)),
    queryArb(names),
    xmlBodyArb(),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc
      .constantFrom(
        '{"msisdn":"1199998888","shortCode":"100","kind":"user-init"}',
        '{',
        '[]',
        'null',
        '{"ms":-1}',
      )
      .map((s) => Buffer.from(s)),
  );
  return fc.record({
    method: methodArb,
    path: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...paths) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `/${encodeURIComponent(s)}`) },
    ),
    query: queryArb(names),
    noise: fc.oneof({ weight: 9, arbitrary: fc.constant('') }, { weight: 1, arbitrary: targetNoise }),
    contentType: contentTypeArb,
    body,
  });
}

/**
 * Requests that pass the control parameters and reach a service's own validation: a provisioned profile,
 * its password and an allowed, refused or misspelt mode, then each input either its spec sample, absent,
 * another input's sample, one of its invalid samples or a hostile value; by GET or by a POST form.
 */
export function serviceRequestArb(): fc.Arbitrary<HostileRequest> {
  const spec = loadSpec();
  const services = spec.services.filter((s) => s.kind === 'api' && s.direction === 'partner-to-mse');
  const spellings = Object.values(spec.protocol.modes.spellings).flat();
  return fc.constantFrom(...services).chain((service) => {
    const inputs = service.inputs.filter((i) => (i.in ?? 'query') === 'query');
    const value = (i: (typeof inputs)[number]) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(Buffer.from(encodeURIComponent(i.sample), 'latin1')) },
        { weight: 2, arbitrary: fc.constant(undefined) },
        {
          weight: 2,
          arbitrary: fc
            .constantFrom(...invalidSamples(i, spec.formats).map((x) => x.value), '')
            .map((v) => Buffer.from(encodeURIComponent(v), 'latin1')),
        },
        { weight: 1, arbitrary: queryValue },
      );
    return fc
      .record({
        method: fc.constantFrom('GET', 'POST'),
        mode: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...spellings) },
          { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
        ),
        values: fc.tuple(...inputs.map(value)),
        contentType: fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/x-www-form-urlencoded; charset=ISO-8859-1',
          'application/x-www-form-urlencoded; charset=UTF-8',
        ),
      })
      .map(({ method, mode, values, contentType }): HostileRequest => {
        const parts: Buffer[] = [
          Buffer.from(`profile=${service.id}&pwd=senha&mode=${encodeURIComponent(mode)}`, 'latin1'),
          ...(service.billingCode === 'required' ? [Buffer.from('&billingCode=000000')] : []),
        ];
        inputs.forEach((input, k) => {
          const v = values[k];
          if (v !== undefined) parts.push(Buffer.from(`&${input.name}=`, 'latin1'), v);
        });
        const query = Buffer.concat(parts);
        return method === 'GET'
          ? { method, path: '/MSE/api', query, noise: '', contentType: undefined, body: Buffer.alloc(0) }
          : { method, path: '/MSE/api', query: Buffer.alloc(0), noise: '', contentType, body: query };
      });
  });
}

export function toRaw(h: HostileRequest): RawRequest {
  const target = Buffer.concat([
    Buffer.from(h.path, 'latin1'),
    h.query.length ? Buffer.from('?') : Buffer.alloc(0),
    h.query,
    Buffer.from(h.noise, 'latin1'),
  ]);
  const headers: [string, string][] = [];
  if (h.contentType !== undefined)
    headers.push(['content-type', Buffer.from(h.contentType, 'utf8').toString('latin1')]);
  return {
    method: h.method,
    target,
    headers,
    ...(h.method === 'GET' && h.body.length === 0 ? {} : { body: h.body }),
  };
}

/** Why an answer is not acceptable, or undefined when it is. */
export type Judge = (h: HostileRequest, outcome: RawOutcome) => string | undefined;

const stackTrace = /\n\s+at .+[(:]\d+/;

/**
 * The simulator's contract for any request: an answer within the deadline, never a 500 (a 500 means a
 * handler threw), never a stack trace; on the MSE endpoints either an mse-response that validates against
 * the DTD of 6.5.1, or an HTTP error without a body (a request the HTTP parser refused).
 */
export const judgeSimulator: Judge = (h, outcome) => {
  if (outcome.kind === 'timeout') return `no answer within ${Math.round(outcome.ms)} ms`;
  if (outcome.kind === 'closed') return 'connection closed without an HTTP answer';
  const { status, headers, body } = outcome.response;
  if (status >= 500) return `HTTP ${status}: ${body.toString('utf8').slice(0, 200)}`;
  if (stackTrace.test(body.toString('utf8'))) return 'a stack trace in the answer';
  if (h.method === 'HEAD') return undefined;
  const type = headers['content-type'] ?? '';
  if (h.path.startsWith('/__control')) {
    if (status === 400 && body.length === 0) return undefined;
    if (!type.startsWith('application/json')) return `control answered ${type || 'no content-type'}`;
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return 'control answered JSON that does not parse';
    }
    return undefined;
  }
  if (status === 400 && body.length === 0 && !type) return undefined;
  if (!type.startsWith('text/xml')) return `HTTP ${status} with content-type ${type || 'none'}, not text/xml`;
  const v = validateXml(body, 'mse-response');
  if (!v.ok) return `the answer is not a valid mse-response: ${v.errors.join('; ').slice(0, 200)}`;
  try {
    readMseResponse(body);
  } catch (e) {
    return `readMseResponse refused the answer: ${(e as Error).message}`;
  }
  return undefined;
};

/** The listener and the reference partner answer every request with an HTTP status, in time, never 5xx. */
export const judgeHttp: Judge = (_h, outcome) => {
  if (outcome.kind === 'timeout') return `no answer within ${Math.round(outcome.ms)} ms`;
  if (outcome.kind === 'closed') return 'connection closed without an HTTP answer';
  const { status, body } = outcome.response;
  if (status >= 500) return `HTTP ${status}: ${body.toString('utf8').slice(0, 200)}`;
  if (stackTrace.test(body.toString('utf8'))) return 'a stack trace in the answer';
  return undefined;
};

export interface FuzzOptions {
  property: string;
  port: number;
  paths: string[];
  judge: Judge;
  numRuns: number;
  deadlineMs?: number;
  seed?: number;
  /** The requests to generate (default hostileRequestArb(paths)). */
  requests?: fc.Arbitrary<HostileRequest>;
  /** A request that must still succeed after the run (the server is alive). */
  stillServing: () => Promise<void>;
}

export interface FuzzResult {
  runs: number;
  failure?: string;
  seed: number;
  answeredMsMax: number;
  statusCounts: Record<string, number>;
}

/**
 * Runs the property; on a counterexample keeps it as fixtures/regressions/<property>-<seed>.json and
 * returns the failure (the caller fails the test with it).
 */
export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  let answeredMsMax = 0;
  const statusCounts: Record<string, number> = {};
  const property = fc.asyncProperty(options.requests ?? hostileRequestArb(options.paths), async (h) => {
    const outcome = await sendRaw(options.port, requestBytes(toRaw(h)), options.deadlineMs ?? 5_000);
    answeredMsMax = Math.max(answeredMsMax, outcome.ms);
    const key = outcome.kind === 'response' ? String(outcome.response.status) : outcome.kind;
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    const problem = options.judge(h, outcome);
    if (problem) throw new Error(problem);
  });
  const seed = options.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
  const details = await fc.check(property, { numRuns: options.numRuns, seed, endOnFailure: true });
  await options.stillServing();
  if (details.failed) {
    const counterexample = details.counterexample?.[0] as HostileRequest | undefined;
    const message = `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`;
    keepRegression({
      property: options.property,
      seed: details.seed,
      ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
      counterexample: toJsonSafe(counterexample),
      found: message,
    });
    return {
      runs: details.numRuns,
      seed: details.seed,
      failure: `${options.property}: ${message} (seed ${details.seed}, path ${details.counterexamplePath}); request ${JSON.stringify(toJsonSafe(counterexample)).slice(0, 600)}`,
      answeredMsMax,
      statusCounts,
    };
  }
  return { runs: details.numRuns, seed: details.seed, answeredMsMax, statusCounts };
}
