/**
 * The reference MSE simulator: a real HTTP(S) and SMTP server whose behaviour comes from spec/.
 * The suites start it in-process (`startSimulator()`); `mse-conformance simulate` runs it standalone.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { deliveryOf } from '../spec/deliveries.ts';
import { loadSpec } from '../spec/load.ts';
import type { Service, Spec } from '../spec/types.ts';
import { handleApi } from './api.ts';
import { Backends, type Scenario } from './backends.ts';
import { type Clock, realClock, virtualClock } from './clock.ts';
import type { SimContext } from './context.ts';
import { handleControl } from './control.ts';
import { Deliverer } from './delivery.ts';
import { sendMse } from './http-util.ts';
import { RateLimiter } from './rate.ts';
import { type SmtpHandle, startSmtp } from './smtp.ts';
import { checkStatusCodes, SimulatorError, Status } from './status.ts';
import { TransactionIds, TransactionStore } from './transactions.ts';
import type { ProfileConfig, Simulator, SimulatorOptions } from './types.ts';
import { handleUssdCommand, UssdSessions } from './ussd.ts';

export type { Mode } from '../spec/types.ts';
export type { SmscOutcome } from './backends.ts';
export { cellTable, magicNumbers, tacTable } from './backends.ts';
export { SimulatorError } from './status.ts';
export type { DeliveryAttempt, TransactionTimeline } from './transactions.ts';
export type { ProfileConfig, Simulator, SimulatorOptions } from './types.ts';
export type { Scenario };

export const defaultPassword = 'senha';
export const defaultDeliveryUser = { userid: 'mse', pwd: 'mse-secret' };
export const defaultSmtpDomain = 'empresa.com.br';

/** Short numbers of the default MO profiles: 33NN, the trial form of 6.4.5. */
const defaultShortNumbers: Record<string, string> = { sms: '3301', mms: '3302', 'wap-wib': '3303' };
/** The USSD short code of the document's examples (6.4.18). */
const defaultUssdShortCode = '100';

/** The path under the callback URL where a service's MO deliveries go (USSD commands: their sessions' events). */
function moPath(spec: Spec, service: Service): string {
  if (service.kind === 'ussd-command') return spec.protocol.deliveries['ussd-event'].path;
  return deliveryOf(spec, service).route.path;
}

/**
 * One profile per service of spec/, named after the service, password `senha`; billingCode `000000` for
 * services whose profiles usually demand one (6.4.9). With a callback, receipts go to `${callback}/receipt`
 * and MO deliveries to `${callback}/mo/sms|mms|wib` or `${callback}/ussd`, with user `mse`.
 */
export function defaultProfiles(callback?: string): ProfileConfig[] {
  const base = callback?.replace(/\/+$/, '');
  const profiles: ProfileConfig[] = [];
  const spec = loadSpec();
  for (const service of spec.services) {
    if (service.kind === 'smtp') continue;
    const profile: ProfileConfig = { id: service.id, service: service.id, password: defaultPassword };
    if (service.billingCode === 'required') profile.billingCode = '000000';
    if (base && service.direction === 'partner-to-mse' && service.kind === 'api')
      profile.delivery = { url: `${base}${spec.protocol.deliveries.receipt.path}`, ...defaultDeliveryUser };
    if (service.kind === 'mo-delivery' || service.kind.startsWith('ussd')) {
      profile.shortNumber =
        service.kind === 'mo-delivery'
          ? (defaultShortNumbers[service.group] ?? '3300')
          : defaultUssdShortCode;
      if (base)
        profile.mo = {
          url: `${base}${moPath(spec, service)}`,
          user: defaultDeliveryUser.userid,
          pwd: defaultDeliveryUser.pwd,
        };
    }
    profiles.push(profile);
  }
  return profiles;
}

/** Refuses a profile whose delivery or MO URL is not http(s), or whose service the spec does not define. */
function checkProfiles(profiles: ProfileConfig[], services: Map<string, unknown>): void {
  for (const p of profiles)
    for (const [what, url] of [
      ['delivery.url', p.delivery?.url],
      ['mo.url', p.mo?.url],
    ] as const)
      if (url !== undefined && !(/^https?:\/\/[^/]/.test(url) && URL.canParse(url)))
        throw new SimulatorError(
          'MSE_SIM_PROFILE_URL',
          `profile ${p.id}: ${what} "${url.slice(0, 80)}" is not an http(s) URL`,
        );
  for (const p of profiles)
    if (!services.has(p.service))
      throw new SimulatorError(
        'MSE_SIM_PROFILE_SERVICE',
        `profile ${p.id} names service ${p.service}, which spec/services does not define; use one of ${[...services.keys()].join(', ')}`,
      );
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const spec = loadSpec();
  checkStatusCodes();
  const profiles = options.profiles ?? defaultProfiles(options.callback);
  const services = new Map(spec.services.map((s) => [s.id, s]));
  checkProfiles(profiles, services);
  const clock: Clock = options.clock === 'virtual' ? virtualClock() : realClock();
  const store = new TransactionStore(options.maxTransactions);
  const smtpOption = options.smtp === undefined ? { port: 0 } : options.smtp;
  const ctx: SimContext = {
    spec,
    services,
    profiles: new Map(profiles.map((p) => [p.id, p])),
    clock,
    ids: new TransactionIds(() => clock.now()),
    store,
    backends: new Backends(options.seed ?? 1),
    deliverer: new Deliverer(clock, options.retry?.delaysMs ?? [100, 500, 2000, 10_000]),
    rate: new RateLimiter(() => clock.now()),
    ussd: new UssdSessions(),
    receiptDelayMs: options.receiptDelayMs ?? 20,
    syncTimeoutMs: options.syncTimeoutMs ?? spec.protocol.syncTimeoutSeconds * 1000,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    smtpDomains: smtpOption === false ? [] : (smtpOption.domains ?? [{ domain: defaultSmtpDomain }]),
    log: options.log === false ? undefined : (options.log ?? ((line) => console.log(line))),
  };

  if (options.scenario) ctx.backends.setScenario(options.scenario);

  // A GET to the API is answered without a promise or a microtask: route() returns one only when it waits.
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      route(ctx, req, res)?.catch((error: unknown) => internalError(ctx, req, res, error));
    } catch (error) {
      internalError(ctx, req, res, error);
    }
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : http.createServer({ keepAliveTimeout: 65_000 }, handler);
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`;

  let smtp: SmtpHandle | undefined;
  if (smtpOption !== false) {
    try {
      // SMTP stays on loopback whatever the HTTP host: the AUTD listener authenticates by domain only.
      smtp = await startSmtp(ctx, '127.0.0.1', smtpOption.port);
    } catch (error) {
      server.close();
      throw error;
    }
  }

  return {
    url,
    controlUrl: `${url}/__control`,
    ...(smtp ? { smtp: { host: '127.0.0.1', port: smtp.port } } : {}),
    profiles,
    transactions: () => store.all(),
    advance: (ms) => clock.advance(ms),
    idle: () => ctx.deliverer.idle(),
    async close() {
      ctx.deliverer.close();
      clock.close();
      await smtp?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

/** Never a stack trace on the wire or the console: one line, and the server keeps serving. */
function internalError(
  ctx: SimContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  error: unknown,
): void {
  ctx.log?.(
    `simulator: internal error on ${req.method} ${req.url?.split('?')[0]}: ${(error as Error).message}`,
  );
  sendMse(res, 500, {
    statusCode: Status.internal,
    profile: '',
    errorMessage: 'Internal error of the simulator',
  });
}

function route(
  ctx: SimContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> | undefined {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  if (path === ctx.spec.protocol.endpoints.api) return handleApi(ctx, req, res, rawQuery);
  if (path === ctx.spec.protocol.endpoints.ussd) return handleUssdCommand(ctx, req, res);
  if (path === '/__control' || path.startsWith('/__control/'))
    return handleControl(ctx, req, res, path, rawQuery);
  req.resume();
  sendMse(res, 404, {
    statusCode: Status.parameter,
    profile: '',
    errorMessage: `No such endpoint ${path.slice(0, 60)}: the API is ${ctx.spec.protocol.endpoints.api} and ${ctx.spec.protocol.endpoints.ussd}, control under /__control`,
  });
  return undefined;
}
