/**
 * USSD commands (6.4.18-6.4.20): the partner POSTs a ussd_message_request to /MSE/ussd. Valid commands are
 * accepted in every USSD mode spelling; missing or out-of-limit elements are refused; long menus are paged,
 * not refused; GET is never executed. Elements and limits come from the service entries and protocol.yaml.
 */
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import { inputRuleIds, modeRuleId } from '../../../src/spec/catalogue.ts';
import type { Service } from '../../../src/spec/types.ts';
import { buildUssdRequest, type UssdCommandBody } from '../../../src/xml/ussd.ts';
import {
  type Answer,
  callRaw,
  define,
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

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  const limits = new Map(spec.protocol.ussd.limits.map((l) => [l.name, l]));
  for (const service of ussdCommandServices()) {
    const skipReason = notProvisioned(service);
    const o = { skipReason };
    const mode = service.modes.allowed[0] ?? 'async-oneway';
    defs.push(
      define(
        meta(F, 'ussd.command.ack', { service, mode }),
        async (ctx) => {
          const a = await callUssd(ctx, service);
          expectAccepted(ctx, a, 'a valid USSD command');
          ensure(ctx, a.read.transactionId, 'the accepted USSD command was answered without transaction-id');
        },
        o,
      ),
      define(
        meta(F, 'ussd.head.extra-elements', { service, mode }),
        async (ctx) => {
          // The head fields only the 6.4.18 example shows: accepted, not refused.
          const body = ussdBody(service).replace(
            '</head>',
            '<billingcode>DH2010</billingcode>\n<ctn_billing>1191000000</ctn_billing>\n<content_description>Teste</content_description>\n<transaction_info>Implementacao de teste</transaction_info>\n</head>',
          );
          const a = await callRaw(
            ctx,
            {
              method: 'POST',
              path: spec.protocol.endpoints.ussd,
              headers: { 'content-type': 'text/xml; charset=UTF-8' },
              body,
            },
            'USSD command with the extra head elements of the 6.4.18 example',
          );
          expectAccepted(
            ctx,
            a,
            'a USSD command with billingcode, ctn_billing, content_description and transaction_info',
          );
        },
        o,
      ),
      define(
        meta(F, 'ussd.post-only', { service, mode }),
        async (ctx) => {
          const a = await callUssd(ctx, service, { method: 'GET' });
          ensure(ctx, a.read.statusCode !== '0', 'a USSD command sent by GET was accepted (status-code 0)');
        },
        o,
      ),
      define(
        meta(F, 'control.profile.required', { service, mode, variant: 'ussd' }),
        async (ctx) =>
          expectRefused(
            ctx,
            await callUssd(ctx, service, { omit: ['profile'] }),
            'a USSD command without profile',
          ),
        o,
      ),
      define(
        meta(F, 'control.pwd.required', { service, mode, variant: 'ussd' }),
        async (ctx) =>
          expectRefused(
            ctx,
            await callUssd(ctx, service, { omit: ['password'] }),
            'a USSD command without password',
          ),
        o,
      ),
      define(
        meta(F, 'control.auth.refused', { service, mode, variant: 'ussd-wrong-password' }),
        async (ctx) =>
          expectRefused(
            ctx,
            await callUssd(ctx, service, { password: `${profileOf(service)?.password}x` }),
            'a USSD command with a wrong password',
          ),
        o,
      ),
    );
    for (const [spelling, canonical] of Object.entries(spec.protocol.modes.ussd)) {
      const verdict = service.modes.allowed.includes(canonical)
        ? 'allowed'
        : service.modes.refused.includes(canonical)
          ? 'refused'
          : undefined;
      if (!verdict) continue;
      defs.push(
        define(
          meta(F, modeRuleId(service, canonical, verdict), { service, mode: canonical, variant: spelling }),
          async (ctx) => {
            const a = await callUssd(ctx, service, { mode: spelling });
            if (verdict === 'allowed') expectAccepted(ctx, a, `a USSD command with <mode>${spelling}</mode>`);
            else expectRefused(ctx, a, `a USSD command with <mode>${spelling}</mode>`);
          },
          o,
        ),
      );
    }
    for (const input of service.inputs) {
      const ids = inputRuleIds(service, input);
      if (input.required && spec.rules.has(ids.required))
        defs.push(
          define(
            meta(F, ids.required, { service, mode, variant: 'missing' }),
            async (ctx) =>
              expectRefused(
                ctx,
                await callUssd(ctx, service, { omit: [input.name] }),
                `a USSD command without <${input.name}>`,
              ),
            o,
          ),
        );
      for (const probe of constraintProbes(service, input))
        defs.push(
          define(
            meta(F, probe.rule, { service, mode, variant: probe.variant }),
            async (ctx) => {
              const answer = await callUssd(ctx, service, { values: { [input.name]: probe.value } });
              return probe.accepted
                ? expectAccepted(ctx, answer, `<${input.name}>${clip(probe.value)}`)
                : expectRefused(
                    ctx,
                    answer,
                    `<${input.name}>${clip(probe.value)}, which breaks ${probe.breaks}`,
                  );
            },
            o,
          ),
        );
    }
    if (commandType(service) !== 'menu') continue;
    // Indexes skip the reserved ones (0, 8, 9): 1..7, 10, 11, ...
    const indexes = (n: number) => {
      const out: string[] = [];
      for (let i = 1; out.length < n; i++)
        if (!spec.protocol.ussd.reservedIndexes.includes(String(i))) out.push(String(i));
      return out;
    };
    // callUssd adds the entry's sample option, so n - 1 more make a menu of n.
    const menu = (n: number) =>
      indexes(n)
        .slice(1)
        .map((index) => ({ index, subtitle: `Opção ${index}` }));
    // Each limit of the 6.4.18 table: a command at the limit is accepted (the bound is inclusive,
    // errata.ussd-limits-table-vs-text); beyond it the document does not say whether a gateway refuses
    // or pages, so the outcome is recorded, not judged.
    const probes: Record<
      string,
      (n: number) => { values?: Record<string, string>; options?: ReturnType<typeof menu> }
    > = {
      title: (n) => ({ values: { title: 't'.repeat(n) } }),
      subtitle: (n) => ({ values: { subtitle: 's'.repeat(n) } }),
      options: (n) => ({ options: menu(n) }),
    };
    const described: Record<string, (n: number) => string> = {
      title: (n) => `a title of ${n} characters`,
      subtitle: (n) => `an option of ${n} characters`,
      options: (n) => `a menu of ${n} options`,
    };
    for (const [name, probe] of Object.entries(probes)) {
      const limit = limits.get(name as 'title' | 'subtitle' | 'options');
      if (!limit) continue;
      const what = described[name]!;
      defs.push(
        define(
          meta(F, `ussd.limits.${name}`, { service, mode, variant: 'inside' }),
          async (ctx) =>
            expectAccepted(ctx, await callUssd(ctx, service, probe(limit.limited)), what(limit.limited)),
          o,
        ),
        define(
          meta(F, `ussd.limits.${name}`, { service, mode, variant: 'outside' }),
          async (ctx) =>
            observeBeyond(
              ctx,
              await callUssd(ctx, service, probe(limit.limited + 1)),
              what(limit.limited + 1),
            ),
          o,
        ),
      );
    }
    defs.push(
      define(
        meta(F, 'ussd.paging.threshold', { service, mode }),
        async (ctx) => {
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
        o,
      ),
    );
  }
  return defs;
}
