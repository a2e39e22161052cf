/**
 * MO triggers: how the suite makes a gateway originate what a subscriber sends (SMS, MMS, WIB MO, USSD
 * events). A gateway has its own test hook, or none: `http` fills a request template per MO kind, `command`
 * runs a program with the fields in environment variables, `manual` asks a person with a handset, and
 * `simulator-control` is the reference simulator's control API (an `http` trigger with built-in templates).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, watch, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { type SendResult, send, toExchange } from '../client/http.ts';
import type { Exchange } from '../core/model.ts';

export type MoKind = 'sms' | 'mms' | 'wib' | 'ussd';
export const MO_KINDS: readonly MoKind[] = ['sms', 'mms', 'wib', 'ussd'];
export type UssdEventKind = 'user-init' | 'menu-answer' | 'input-answer';

/** What the suite needs the subscriber to send; every field is a placeholder and an environment variable. */
export interface MoFields {
  from?: string;
  to?: string;
  text?: string;
  /** The MMS as MIME text (headers, blank line, body). */
  mms?: string;
  msisdn?: string;
  shortCode?: string;
  /** The USSD event: user-init, menu-answer, input-answer. */
  event?: UssdEventKind;
  /** What the subscriber chose or typed (menu-answer, input-answer). */
  value?: string;
  sessionOwner?: string;
  /** WIB MO: the IMEI bytes the SIM returns, and the token that marks the request. */
  imei?: string;
  mark?: string;
}

/**
 * Placeholders and environment variables, one row per field. `{kind}` is the USSD event kind for USSD and
 * the MO kind otherwise; `{mo}` is always the MO kind; `{params}` is the WIB parameters as a form string.
 */
export const PLACEHOLDERS: readonly { name: string; env: string; what: string }[] = [
  { name: 'mo', env: 'MSE_MO', what: 'the MO kind: sms, mms, wib or ussd' },
  {
    name: 'kind',
    env: 'MSE_KIND',
    what: 'the USSD event kind (user-init, menu-answer, input-answer), else the MO kind',
  },
  { name: 'from', env: 'MSE_FROM', what: 'the subscriber who sends (SMS, MMS)' },
  { name: 'to', env: 'MSE_TO', what: 'the short number the SMS or MMS is sent to' },
  { name: 'text', env: 'MSE_TEXT', what: 'the SMS text' },
  { name: 'mms', env: 'MSE_MMS', what: 'the MMS as MIME text' },
  { name: 'msisdn', env: 'MSE_MSISDN', what: 'the subscriber of the USSD session' },
  { name: 'shortCode', env: 'MSE_SHORT_CODE', what: 'the USSD short code' },
  { name: 'value', env: 'MSE_VALUE', what: 'the menu index or the text the subscriber answers' },
  {
    name: 'sessionOwner',
    env: 'MSE_SESSION_OWNER',
    what: 'the USSD session owner, when the session has one',
  },
  { name: 'imei', env: 'MSE_IMEI', what: 'the IMEI bytes of the WIB MO' },
  { name: 'mark', env: 'MSE_MARK', what: 'a token the WIB MO must carry (as parameter MARK)' },
  { name: 'params', env: 'MSE_PARAMS', what: 'the WIB MO parameters, form-encoded (IMEI=...&MARK=...)' },
];
const PLACEHOLDER_NAMES = new Set(PLACEHOLDERS.map((p) => p.name));

export type BodyFormat = 'json' | 'form' | 'xml' | 'text';

export interface HttpRequestTemplate {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  format?: BodyFormat;
  /** json: any JSON value; form: an object of strings; xml and text: a string. Placeholders in strings. */
  body?: unknown;
  /** The status (or statuses) that mean "injected"; default any 2xx. */
  expectStatus?: number | number[];
  /** The hook's own words for a field's values, e.g. {"kind": {"user-init": "open"}}; others pass unchanged. */
  map?: Record<string, Record<string, string>>;
}

export type MoTriggerConfig =
  | { kind: 'simulator-control'; url: string; shortNumber?: string }
  | {
      kind: 'http';
      requests: Partial<Record<MoKind, HttpRequestTemplate>>;
      shortNumber?: string;
      timeoutMs?: number;
    }
  | { kind: 'command'; command: string[]; kinds?: MoKind[]; shortNumber?: string; timeoutMs?: number }
  | { kind: 'manual'; windowMs?: number; handset?: string; shortNumber?: string };

/** A switch (scenarios): a request or a command run before or after a check, with the same placeholders. */
export type ActionConfig = { http: HttpRequestTemplate } | { command: string[]; timeoutMs?: number };

/** The simulator's control API as templates: the simulator is one more hook, not a special case. */
export function simulatorTemplates(url: string): Record<MoKind, HttpRequestTemplate> {
  const base = url.replace(/\/+$/, '');
  return {
    sms: {
      method: 'POST',
      url: `${base}/mo/sms`,
      format: 'json',
      body: { from: '{from}', to: '{to}', text: '{text}' },
    },
    mms: {
      method: 'POST',
      url: `${base}/mo/mms`,
      format: 'json',
      body: { from: '{from}', to: '{to}', mms: '{mms}' },
    },
    wib: {
      method: 'POST',
      url: `${base}/mo/wib`,
      format: 'json',
      body: { params: { IMEI: '{imei}', MARK: '{mark}' } },
    },
    ussd: {
      method: 'POST',
      url: `${base}/ussd/event`,
      format: 'json',
      body: {
        msisdn: '{msisdn}',
        shortCode: '{shortCode}',
        kind: '{kind}',
        value: '{value}',
        sessionOwner: '{sessionOwner}',
      },
    },
  };
}

/** Why the trigger cannot originate this kind (the config key to set), or undefined when it can. */
export function triggerGap(trigger: MoTriggerConfig | undefined, kind: MoKind): string | undefined {
  if (!trigger)
    return 'no MO trigger in the config (moTrigger): the suite cannot make the target originate an MO or a USSD event';
  if (trigger.kind === 'http' && !trigger.requests[kind])
    return `moTrigger.requests.${kind} is not configured: the http trigger has no request for this MO kind`;
  if (trigger.kind === 'command' && trigger.kinds && !trigger.kinds.includes(kind))
    return `moTrigger.kinds does not list ${kind}: the command is not configured for this MO kind`;
  return undefined;
}

/** The values of the placeholders; undefined where the field does not apply. */
export function placeholderValues(kind: MoKind, f: MoFields): Record<string, string | undefined> {
  const params = new URLSearchParams();
  if (f.imei !== undefined) params.set('IMEI', f.imei);
  if (f.mark !== undefined) params.set('MARK', f.mark);
  return {
    mo: kind,
    kind: kind === 'ussd' ? f.event : kind,
    from: f.from,
    to: f.to,
    text: f.text,
    mms: f.mms,
    msisdn: f.msisdn,
    shortCode: f.shortCode,
    value: f.value,
    sessionOwner: f.sessionOwner,
    imei: f.imei,
    mark: f.mark,
    params: kind === 'wib' ? params.toString() : undefined,
  };
}

const TOKEN = /\{([A-Za-z]+)\}/g;

/** Placeholders a template uses that the suite does not know (a typo in the config). */
export function unknownPlaceholders(
  template: unknown,
  known: ReadonlySet<string> = PLACEHOLDER_NAMES,
): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(TOKEN)) if (!known.has(m[1]!)) out.add(m[1]!);
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        walk(k);
        walk(x);
      }
  };
  walk(template);
  return [...out];
}

function fill(text: string, values: Record<string, string | undefined>, encode: (s: string) => string) {
  return text.replace(TOKEN, (whole, name: string) =>
    Object.hasOwn(values, name) ? encode(values[name] ?? '') : whole,
  );
}

/** A string that is exactly one placeholder whose field does not apply: its JSON member or form field is left out. */
function absent(v: unknown, values: Record<string, string | undefined>): boolean {
  const m = typeof v === 'string' ? /^\{([A-Za-z]+)\}$/.exec(v) : null;
  return !!m && Object.hasOwn(values, m[1]!) && values[m[1]!] === undefined;
}

function fillJson(v: unknown, values: Record<string, string | undefined>): unknown {
  if (typeof v === 'string') return fill(v, values, (s) => s);
  if (Array.isArray(v)) return v.filter((x) => !absent(x, values)).map((x) => fillJson(x, values));
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => !absent(x, values))
        .map(([k, x]) => [k, fillJson(x, values)]),
    );
  return v;
}

const xmlEscape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

const CONTENT_TYPES: Record<BodyFormat, string> = {
  json: 'application/json; charset=UTF-8',
  form: 'application/x-www-form-urlencoded; charset=UTF-8',
  xml: 'text/xml; charset=UTF-8',
  text: 'text/plain; charset=UTF-8',
};

/** The request a template makes for these fields (exported for the tests and for `plan`). */
export function buildRequest(
  t: HttpRequestTemplate,
  values: Record<string, string | undefined>,
  timeoutMs: number,
): { method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs: number } {
  if (t.map) {
    values = { ...values };
    for (const [name, table] of Object.entries(t.map)) {
      const v = values[name];
      if (v !== undefined && Object.hasOwn(table, v)) values[name] = table[v];
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.headers ?? {}))
    headers[k.toLowerCase()] = fill(v, values, (s) => s.replace(/[\r\n]/g, ' '));
  let body: string | undefined;
  if (t.body !== undefined) {
    const format = t.format ?? (typeof t.body === 'string' ? 'text' : 'json');
    if (format === 'json') body = JSON.stringify(fillJson(t.body, values));
    else if (format === 'form') {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(t.body as Record<string, string>))
        if (!absent(v, values))
          form.append(
            k,
            fill(String(v), values, (s) => s),
          );
      body = form.toString();
    } else body = fill(String(t.body), values, format === 'xml' ? xmlEscape : (s) => s);
    headers['content-type'] ??= CONTENT_TYPES[format];
  }
  return {
    method: (t.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase(),
    url: fill(t.url, values, encodeURIComponent),
    headers,
    ...(body !== undefined ? { body } : {}),
    timeoutMs,
  };
}

function expected(status: number, expect: HttpRequestTemplate['expectStatus']): boolean {
  if (expect === undefined) return status >= 200 && status < 300;
  return (Array.isArray(expect) ? expect : [expect]).includes(status);
}

/** Where a trigger writes what a person must do, and its progress. */
export type Printer = (text: string, live: boolean) => void;

/** Writes to the process's stderr (also from a worker thread); a live line is redrawn in place on a terminal. */
export const stderrPrinter: Printer = (text, live) => {
  const tty = isatty(2);
  if (live && !tty) return;
  writeSync(2, live ? `\r\x1b[K${text}` : `${tty ? '\r\x1b[K' : ''}${text}\n`);
};

export interface FireOptions {
  secrets: string[];
  /** Records the hook's exchange on the check (a refused hook then shows what was sent). */
  record?: (exchange: Exchange) => void;
  /** The run's wait for a delivery, used unless the trigger needs longer (manual). */
  waitMs: number;
  print?: Printer;
}

/** The trigger fired: wait `waitMs` for the delivery, then call `done`. */
export interface Fired {
  ok: true;
  waitMs: number;
  done(arrived: boolean): void;
}
export type FireResult = Fired | { ok: false; reason: string };

const nothing = () => {};

/** Runs a request template: the status decides, a connection error is a refusal of the hook. */
async function fireHttp(
  t: HttpRequestTemplate,
  values: Record<string, string | undefined>,
  o: FireOptions,
  timeoutMs: number,
  label: string,
): Promise<string | undefined> {
  const req = buildRequest(t, values, timeoutMs);
  const sent: SendResult = await send(req);
  o.record?.(toExchange(label, sent, o.secrets));
  if (!sent.response) return `${req.method} ${req.url.split('?')[0]} got no answer (${sent.error})`;
  if (!expected(sent.response.status, t.expectStatus))
    return `${req.method} ${req.url.split('?')[0]} answered HTTP ${sent.response.status} ${sent.response.body
      .toString('utf8')
      .replace(/\s+/g, ' ')
      .slice(0, 200)}`;
  return undefined;
}

/** Runs a program with the fields in environment variables (and placeholders in its arguments); exit 0 = done. */
function fireCommand(
  command: string[],
  values: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<string | undefined> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const p of PLACEHOLDERS) {
    const v = values[p.name];
    if (v !== undefined) env[p.env] = v;
    else delete env[p.env];
  }
  const [file, ...args] = command.map((c) => fill(c, values, (s) => s));
  return new Promise((resolve) => {
    execFile(file!, args, { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const how = error.killed
        ? `was stopped after ${timeoutMs} ms`
        : `exited with ${error.code ?? error.message}`;
      resolve(
        `the command ${file} ${how}${stderr.trim() ? `: ${stderr.trim().replace(/\s+/g, ' ').slice(-200)}` : ''}`,
      );
    });
  });
}

/** What a person must do on the handset for this MO. */
export function instruction(kind: MoKind, f: MoFields): string {
  switch (kind) {
    case 'sms':
      return `from ${f.from} send '${f.text}' to ${f.to}`;
    case 'mms':
      return `from ${f.from} send an MMS to ${f.to} with the subject '${f.mark ?? ''}' and any text`;
    case 'wib':
      return `on a handset, run the WIB service so that it sends the parameters ${placeholderValues(kind, f).params}`;
    case 'ussd':
      if (f.event === 'user-init') return `from ${f.msisdn} dial *${f.shortCode}# and wait for the screen`;
      if (f.event === 'menu-answer') return `on ${f.msisdn}, choose option ${f.value} of the menu on screen`;
      return `on ${f.msisdn}, type ${f.value} in the input on screen`;
  }
}

/**
 * One manual instruction at a time across the run's worker threads (they share the process): a lock
 * directory, waited for by watching its folder, and stolen when older than the window (a check that timed
 * out leaves it behind).
 */
async function manualLock(windowMs: number): Promise<() => void> {
  const folder = tmpdir();
  const name = `mse-conformance-manual-${process.pid}.lock`;
  const dir = join(folder, name);
  for (;;) {
    try {
      mkdirSync(dir);
      return () => {
        try {
          rmdirSync(dir);
        } catch {
          // Already stolen by a later instruction: nothing to release.
        }
      };
    } catch {
      let age = 0;
      try {
        age = Date.now() - statSync(dir).mtimeMs;
      } catch {
        continue; // Released meanwhile: try again.
      }
      if (age > windowMs) {
        rmdirSync(dir);
        continue;
      }
      await new Promise<void>((resolve) => {
        const watcher = watch(folder, (_event, file) => {
          if (file === name) finish();
        });
        const deadline = setTimeout(finish, windowMs - age);
        function finish() {
          clearTimeout(deadline);
          watcher.close();
          resolve();
        }
        // Released between the failed mkdir and the watch: no event will come.
        if (!existsSync(dir)) finish();
      });
    }
  }
}

async function fireManual(windowMs: number, kind: MoKind, fields: MoFields, print: Printer): Promise<Fired> {
  const release = await manualLock(windowMs + 5_000);
  const started = Date.now();
  const what = instruction(kind, fields);
  print(`MO (${kind}): ${what} — waiting up to ${Math.round(windowMs / 1000)} s`, false);
  const timer = setInterval(() => {
    const left = Math.max(0, Math.round((windowMs - (Date.now() - started)) / 1000));
    print(`  waiting for the ${kind} delivery: ${left} s left (${what})`, true);
  }, 1000);
  timer.unref();
  return {
    ok: true,
    waitMs: windowMs,
    done(arrived) {
      clearInterval(timer);
      print(
        arrived
          ? `  ${kind} delivery arrived after ${Math.round((Date.now() - started) / 1000)} s`
          : `  no ${kind} delivery within ${Math.round(windowMs / 1000)} s`,
        false,
      );
      release();
    },
  };
}

/** Makes the target originate one MO or USSD event; a refusal of the hook is reported, never thrown. */
export async function fireMoTrigger(
  trigger: MoTriggerConfig,
  kind: MoKind,
  fields: MoFields,
  o: FireOptions,
): Promise<FireResult> {
  const gap = triggerGap(trigger, kind);
  if (gap) return { ok: false, reason: gap };
  const values = placeholderValues(kind, fields);
  let problem: string | undefined;
  switch (trigger.kind) {
    case 'simulator-control':
      problem = await fireHttp(
        simulatorTemplates(trigger.url)[kind],
        values,
        o,
        10_000,
        `suite → MO trigger ${kind}`,
      );
      break;
    case 'http':
      problem = await fireHttp(
        trigger.requests[kind]!,
        values,
        o,
        trigger.timeoutMs ?? 10_000,
        `suite → MO hook ${kind}`,
      );
      break;
    case 'command':
      problem = await fireCommand(trigger.command, values, trigger.timeoutMs ?? 30_000);
      break;
    case 'manual':
      return fireManual(trigger.windowMs ?? 180_000, kind, fields, o.print ?? stderrPrinter);
  }
  // Named as a config gap: a hook that does not work leaves the claim unproven, not the target wrong.
  if (problem) return { ok: false, reason: `the MO trigger refused (moTrigger in the config): ${problem}` };
  return { ok: true, waitMs: o.waitMs, done: nothing };
}

/** Runs a scenario switch (before or after a check); the reason when it did not succeed. */
export async function runAction(
  action: ActionConfig,
  values: Record<string, string | undefined>,
  o: Pick<FireOptions, 'secrets' | 'record'>,
  label: string,
): Promise<string | undefined> {
  if ('http' in action) return fireHttp(action.http, values, { ...o, waitMs: 0 }, 10_000, label);
  return fireCommand(action.command, values, action.timeoutMs ?? 30_000);
}

/** The fixed number a manual trigger's USSD events come from (a real handset), if any. */
export function fixedHandset(trigger: MoTriggerConfig | undefined, fallback: string): string | undefined {
  return trigger?.kind === 'manual' ? (trigger.handset ?? fallback) : undefined;
}
