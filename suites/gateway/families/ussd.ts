/**
 * USSD commands (6.4.18-6.4.20): the partner POSTs a ussd_message_request to /MSE/ussd. Valid commands are
 * accepted in every USSD mode spelling; missing or out-of-limit elements are refused; long menus are paged,
 * not refused; GET is never executed. Elements and limits come from the service entries and protocol.yaml.
 */
import type { CheckContext, CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import { inputRuleIds, modeRuleId } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { buildUssdRequest, type UssdCommandBody } from '../../../src/xml/ussd.ts';
import {
  type Answer,
  callRaw,
  ensure,
  expectAccepted,
  expectRefused,
  meta,
  notProvisioned,
  profileOf,
  type Recorder,
  spec,
  subscriber,
  ussdCommandServices,
} from '../harness.ts';
import { clip, constraintProbes } from './params.ts';

const F = 'ussd';

export interface UssdCall {
  values?: Record<string, string>;
  omit?: string[];
  mode?: string;
  profile?: string;
  password?: string;
  /** Extra menu options beyond the one built from the values. */
  options?: { index: string; subtitle: string }[];
  method?: 'POST' | 'GET';
}

/** The command element a service sends, as its entry says (`ussdCommand`). */
export function commandType(service: Service): 'menu' | 'input' | 'notify' | undefined {
  return service.ussdCommand;
}

export function defaultValues(service: Service): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of service.inputs) {
    if (!input.required && input.name !== 'title') continue;
    values[input.name] = input.format === 'msisdn10' ? subscriber() : input.sample;
  }
  const shortCode = profileOf(service)?.shortCode;
  if (shortCode && 'short_code' in values) values.short_code = shortCode;
  return values;
}

/** The body of a USSD command, built with the shared writer; omitted elements are cut out of it. */
export function ussdBody(service: Service, call: UssdCall = {}): string {
  const p = profileOf(service);
  const v = { ...defaultValues(service), ...call.values };
  const type = commandType(service) ?? 'notify';
  const command: UssdCommandBody =
    type === 'menu'
      ? {
          type,
          ...(v.title !== undefined ? { title: v.title } : {}),
          options: [{ index: v.index ?? '1', subtitle: v.subtitle ?? '' }, ...(call.options ?? [])],
        }
      : { type, content: v.content ?? '' };
  let xml = buildUssdRequest({
    head: {
      profile: call.profile ?? p?.profile ?? '',
      password: call.password ?? p?.password ?? '',
      msisdn: v.msisdn ?? subscriber(),
      shortCode: v.short_code ?? '',
      mode: call.mode ?? 'async',
      ...(v.session_owner !== undefined ? { sessionOwner: v.session_owner } : {}),
    },
    command,
  });
  for (const name of call.omit ?? []) xml = xml.replace(new RegExp(`\\s*<${name}>[^<]*</${name}>`), '');
  return xml;
}

export async function callUssd(
  ctx: Recorder,
  service: Service,
  call: UssdCall = {},
  label = 'USSD command',
): Promise<Answer> {
  if (!profileOf(service)) return ctx.skip(notProvisioned(service)!);
  const body = ussdBody(service, call);
  const method = call.method ?? 'POST';
  if (method === 'GET')
    return callRaw(
      ctx,
      { method, path: `${spec.protocol.endpoints.ussd}?xml=${encodeURIComponent(body)}` },
      `${label} by GET`,
    );
  return callRaw(
    ctx,
    {
      method,
      path: spec.protocol.endpoints.ussd,
      headers: { 'content-type': 'text/xml; charset=UTF-8' },
      body,
    },
    label,
  );
}

/**
 * Beyond a limit of the 6.4.18 table: the table tells partners what to stay within, and the document does
 * not say whether a gateway refuses, truncates or pages what goes beyond, so the outcome is recorded, not judged.
 */
function observeBeyond(ctx: CheckContext, a: Answer, what: string): void {
  if (a.sent.error) ctx.fail(`${what}: no answer (${a.sent.error})`);
  ctx.inform(
    `${what}: the gateway ${a.read.statusCode === '0' ? 'accepted it (status-code 0)' : `refused it (status-code ${a.read.statusCode})`}`,
  );
}

type Subject = { service: Service };
type ModeSpelling = Subject & { spelling: string; canonical: string; verdict: 'allowed' | 'refused' };
type Input = Subject & { input: Service['inputs'][number] };
type Probe = Input & { probe: ReturnType<typeof constraintProbes>[number] };
type Limit = Subject & { name: 'title' | 'subtitle' | 'options'; limited: number };

/** The mode a command of the service is sent in: its first allowed one. */
const modeOf = ({ service }: Subject) => service.modes.allowed[0] ?? 'async-oneway';
const skipOf = ({ service }: Subject) => notProvisioned(service);
const COMMAND = (t: Subject) => `a ${t.service.id} command (ussd_message_request) POSTed to /MSE/ussd`;

/** A valid command, and commands with a part of its head (6.4.18) changed. */
const commandRows: PlacedRow<Subject>[] = [
  row<Subject>({
    rule: 'ussd.command.ack',
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)}, built from the entry's samples`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      const a = await callUssd(ctx, service);
      expectAccepted(ctx, a, 'a valid USSD command');
      ensure(ctx, a.read.transactionId, 'the accepted USSD command was answered without transaction-id');
    },
  }),
  row<Subject>({
    rule: 'ussd.head.extra-elements',
    mode: modeOf,
    stimulus: (t) =>
      `${COMMAND(t)} whose head adds billingcode, ctn_billing, content_description and transaction_info, as the 6.4.18 example does`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      // The head fields only the 6.4.18 example shows: accepted, not refused.
      const body = ussdBody(service).replace(
        '</head>',
        '<billingcode>DH2010</billingcode>\n<ctn_billing>1191000000</ctn_billing>\n<content_description>Teste</content_description>\n<transaction_info>Implementacao de teste</transaction_info>\n</head>',
      );
      const headers = { 'content-type': 'text/xml; charset=UTF-8' };
      const a = await callRaw(
        ctx,
        { method: 'POST', path: spec.protocol.endpoints.ussd, headers, body },
        'USSD command with the extra head elements of the 6.4.18 example',
      );
      expectAccepted(
        ctx,
        a,
        'a USSD command with billingcode, ctn_billing, content_description and transaction_info',
      );
    },
  }),
  row<Subject>({
    rule: 'ussd.post-only',
    mode: modeOf,
    stimulus: (t) => `a valid ${t.service.id} command sent to /MSE/ussd by GET`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      const a = await callUssd(ctx, service, { method: 'GET' });
      ensure(ctx, a.read.statusCode !== '0', 'a USSD command sent by GET was accepted (status-code 0)');
    },
  }),
  row<Subject>({
    rule: 'control.profile.required',
    variant: 'ussd',
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)} without <profile>`,
    skipReason: skipOf,
    judge: async (ctx, { service }) =>
      expectRefused(
        ctx,
        await callUssd(ctx, service, { omit: ['profile'] }),
        'a USSD command without profile',
      ),
  }),
  row<Subject>({
    rule: 'control.pwd.required',
    variant: 'ussd',
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)} without <password>`,
    skipReason: skipOf,
    judge: async (ctx, { service }) =>
      expectRefused(
        ctx,
        await callUssd(ctx, service, { omit: ['password'] }),
        'a USSD command without password',
      ),
  }),
  row<Subject>({
    rule: 'control.auth.refused',
    variant: 'ussd-wrong-password',
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)} with a wrong <password>`,
    skipReason: skipOf,
    judge: async (ctx, { service }) =>
      expectRefused(
        ctx,
        await callUssd(ctx, service, { password: `${profileOf(service)?.password}x` }),
        'a USSD command with a wrong password',
      ),
  }),
  row<Subject>({
    rule: 'ussd.paging.threshold',
    appliesTo: ({ service }) => commandType(service) === 'menu',
    mode: modeOf,
    stimulus: (t) =>
      `${COMMAND(t)}: a menu whose title and options exceed ${spec.protocol.ussd.pageChars} characters`,
    skipReason: skipOf,
    judge: async (ctx, { service }) => {
      const pageChars = spec.protocol.ussd.pageChars;
      const a = await callUssd(ctx, service, {
        values: { title: 'Menu longo, paginado pela plataforma USSD:' },
        options: ['2', '3', '4', '5'].map((index) => ({
          index,
          subtitle: `Opção ${index} com um texto bem comprido`,
        })),
      });
      expectAccepted(ctx, a, `a menu whose title and options exceed ${pageChars} characters`);
    },
  }),
];

/** Each spelling of a mode (6.4.18): accepted where the service allows the mode, refused where it refuses it. */
const modeRows: PlacedRow<ModeSpelling>[] = [
  row<ModeSpelling>({
    rule: (t) => modeRuleId(t.service, t.canonical, t.verdict),
    variant: (t) => t.spelling,
    mode: (t) => t.canonical,
    stimulus: (t) => `${COMMAND(t)} with <mode>${t.spelling}</mode>`,
    skipReason: skipOf,
    judge: async (ctx, { service, spelling, verdict }) => {
      const a = await callUssd(ctx, service, { mode: spelling });
      if (verdict === 'allowed') expectAccepted(ctx, a, `a USSD command with <mode>${spelling}</mode>`);
      else expectRefused(ctx, a, `a USSD command with <mode>${spelling}</mode>`);
    },
  }),
];

/** The command's own inputs: each required one left out, and each constraint probed inside and outside. */
const inputRows: PlacedRow<Input>[] = [
  row<Input>({
    rule: (t) => inputRuleIds(t.service, t.input).required,
    variant: 'missing',
    appliesTo: (t) => t.input.required === true && spec.rules.has(inputRuleIds(t.service, t.input).required),
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)} without <${t.input.name}>`,
    skipReason: skipOf,
    judge: async (ctx, { service, input }) =>
      expectRefused(
        ctx,
        await callUssd(ctx, service, { omit: [input.name] }),
        `a USSD command without <${input.name}>`,
      ),
  }),
];

const probeRows: PlacedRow<Probe>[] = [
  row<Probe>({
    rule: (t) => t.probe.rule,
    variant: (t) => t.probe.variant,
    mode: modeOf,
    stimulus: (t) =>
      `${COMMAND(t)} with <${t.input.name}>${clip(t.probe.value)}${t.probe.accepted ? ', within its constraints' : `, which breaks ${t.probe.breaks}`}`,
    skipReason: skipOf,
    judge: async (ctx, { service, input, probe }) => {
      const answer = await callUssd(ctx, service, { values: { [input.name]: probe.value } });
      return probe.accepted
        ? expectAccepted(ctx, answer, `<${input.name}>${clip(probe.value)}`)
        : expectRefused(ctx, answer, `<${input.name}>${clip(probe.value)}, which breaks ${probe.breaks}`);
    },
  }),
];

/** Indexes skip the reserved ones (0, 8, 9): 1..7, 10, 11, ... */
function indexes(n: number): string[] {
  const out: string[] = [];
  for (let i = 1; out.length < n; i++)
    if (!spec.protocol.ussd.reservedIndexes.includes(String(i))) out.push(String(i));
  return out;
}

/** A command at a limit of the 6.4.18 table, or `n` past it: the values and options that make it. */
function atLimit(name: Limit['name'], n: number): Pick<UssdCall, 'values' | 'options'> {
  if (name === 'title') return { values: { title: 't'.repeat(n) } };
  if (name === 'subtitle') return { values: { subtitle: 's'.repeat(n) } };
  // callUssd adds the entry's sample option, so n - 1 more make a menu of n.
  return {
    options: indexes(n)
      .slice(1)
      .map((index) => ({ index, subtitle: `Opção ${index}` })),
  };
}

const DESCRIBED: Record<Limit['name'], (n: number) => string> = {
  title: (n) => `a title of ${n} characters`,
  subtitle: (n) => `an option of ${n} characters`,
  options: (n) => `a menu of ${n} options`,
};

/**
 * Each limit of the 6.4.18 table: a command at the limit is accepted (the bound is inclusive,
 * errata.ussd-limits-table-vs-text); beyond it the document does not say whether a gateway refuses or pages,
 * so the outcome is recorded, not judged.
 */
const limitRows: PlacedRow<Limit>[] = [
  row<Limit>({
    rule: (t) => `ussd.limits.${t.name}`,
    variant: 'inside',
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)} with ${DESCRIBED[t.name](t.limited)} (at the limit)`,
    skipReason: skipOf,
    judge: async (ctx, { service, name, limited }) =>
      expectAccepted(ctx, await callUssd(ctx, service, atLimit(name, limited)), DESCRIBED[name](limited)),
  }),
  row<Limit>({
    rule: (t) => `ussd.limits.${t.name}`,
    variant: 'outside',
    mode: modeOf,
    stimulus: (t) => `${COMMAND(t)} with ${DESCRIBED[t.name](t.limited + 1)} (one past the limit)`,
    skipReason: skipOf,
    judge: async (ctx, { service, name, limited }) =>
      observeBeyond(
        ctx,
        await callUssd(ctx, service, atLimit(name, limited + 1)),
        DESCRIBED[name](limited + 1),
      ),
  }),
];

export function definitions(): CheckDefinition[] {
  const metaOf = (rule: string, o: MetaOptions) => meta(F, rule, o);
  const services = ussdCommandServices().map((service) => ({ service }));
  const spellings = services.flatMap((t) =>
    Object.entries(spec.protocol.modes.ussd).flatMap(([spelling, canonical]) => {
      const { allowed, refused } = t.service.modes;
      const verdict = allowed.includes(canonical)
        ? 'allowed'
        : refused.includes(canonical)
          ? 'refused'
          : undefined;
      return verdict ? [{ ...t, spelling, canonical, verdict } as ModeSpelling] : [];
    }),
  );
  const inputs = services.flatMap((t) => t.service.inputs.map((input) => ({ ...t, input })));
  const probes = inputs.flatMap((t) =>
    constraintProbes(t.service, t.input).map((probe) => ({ ...t, probe })),
  );
  const limits = services
    .filter((t) => commandType(t.service) === 'menu')
    .flatMap((t) =>
      (['title', 'subtitle', 'options'] as const).flatMap((name) => {
        const limit = spec.protocol.ussd.limits.find((l) => l.name === name);
        return limit ? [{ ...t, name, limited: limit.limited }] : [];
      }),
    );
  return [
    ...expandRows(metaOf, services, commandRows),
    ...expandRows(metaOf, spellings, modeRows),
    ...expandRows(metaOf, inputs, inputRows),
    ...expandRows(metaOf, probes, probeRows),
    ...expandRows(metaOf, limits, limitRows),
  ];
}
