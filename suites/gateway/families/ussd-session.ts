/**
 * The USSD session owner (6.4.18): a session the subscriber opens from the handset reaches the partner as a
 * user event that should carry session_owner (optional in the event tables of 6.4.21 to 6.4.23, so SHOULD:
 * errata.ussd-event-session-owner-optional), and a command the partner sends back with that session_owner, while
 * the session is in progress, is accepted. Needs the MO trigger to open the session.
 */
import type { CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import type { Service } from '../../../src/spec/types.ts';
import { childElements, findChild, parseXml, textOf } from '../../../src/xml/codec.ts';
import {
  ensure,
  expectAccepted,
  listener,
  meta,
  notProvisioned,
  profileOf,
  type Recorder,
  shared,
  spec,
  timeouts,
  ussdCommandServices,
} from '../harness.ts';
import { injectAndWait, noTrigger, uniqueMsisdn } from './mo.ts';
import { callUssd } from './ussd.ts';

const F = 'ussd';
const RULE = 'ussd.session-owner.forwarded';
const IN_EVENT = 'ussd.session-owner.in-event';

interface Opened {
  msisdn: string;
  shortCode: string;
  sessionOwner?: string;
}

/** session_owner of a USSD event, wherever it sits below the root; undefined when the XML has none. */
function sessionOwnerOf(body: Buffer): string | undefined {
  try {
    const { root } = parseXml(body);
    const walk = (el: typeof root): string | undefined => {
      const direct = findChild(el, 'session_owner');
      if (direct) return textOf(direct).trim();
      for (const c of childElements(el)) {
        const found = walk(c);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    return walk(root);
  } catch {
    return undefined;
  }
}

/** Opens a session from the "handset" and keeps it open: the listener answers the event with no command. */
function open(ctx: Recorder, event: Service, key: string): Promise<Opened> {
  return shared(ctx, `session-owner:${key}`, async (rec) => {
    const msisdn = uniqueMsisdn();
    const shortCode =
      profileOf(event)?.shortCode ?? event.inputs.find((i) => i.name === 'short_code')?.sample ?? '';
    if (!listener) return rec.skip('the run has no listener for USSD events');
    // The partner answers later with its own command to /MSE/ussd (6.4.21), so the event gets an empty 200.
    await listener.answer({
      kind: 'ussd-event',
      key: msisdn,
      status: 200,
      times: 1,
      contentType: 'text/plain',
      body: '',
    });
    const [delivery] = await injectAndWait(
      rec,
      'ussd',
      { msisdn, shortCode, event: 'user-init' },
      { kind: 'ussd-event', contains: msisdn },
    );
    if (!delivery)
      return rec.fail(`no USSD user event for ${msisdn} arrived within ${timeouts.receiptMs} ms`);
    const sessionOwner = sessionOwnerOf(delivery.body);
    return { msisdn, shortCode, ...(sessionOwner ? { sessionOwner } : {}) };
  });
}

/** The user_init event service that opens the session, and the command service that answers in it. */
interface Session {
  service: Service;
  event: Service;
}

const eventSkip = (event: Service) => noTrigger('ussd') ?? notProvisioned(event);
const OPEN = (event: Service) =>
  `a ${event.id} event the trigger makes the target deliver, opening a USSD session`;

const eventRows: PlacedRow<Session>[] = [
  row<Session>({
    rule: IN_EVENT,
    appliesTo: () => spec.rules.has(IN_EVENT),
    stimulus: (t) => `${OPEN(t.event)}; its session_owner is looked for`,
    skipReason: (t) => eventSkip(t.event),
    judge: async (ctx, { event }) => {
      const o = await open(ctx, event, 'event');
      ensure(ctx, o.sessionOwner, `the USSD event for ${o.msisdn} carries no session_owner to forward`);
    },
  }),
];

const commandRows: PlacedRow<Session>[] = [
  row<Session>({
    rule: RULE,
    variant: 'accepted',
    stimulus: (t) =>
      `${OPEN(t.event)}, then a ${t.service.id} command carrying the session_owner the event gave`,
    skipReason: (t) => eventSkip(t.event) ?? notProvisioned(t.service),
    judge: async (ctx, { event, service }) => {
      const o = await open(ctx, event, service.id);
      // Optional in the event (6.4.21): without one there is nothing to forward, and the MSE balances.
      if (!o.sessionOwner) return ctx.skip(`the USSD event for ${o.msisdn} carries no session_owner`);
      const a = await callUssd(
        ctx,
        service,
        { values: { msisdn: o.msisdn, short_code: o.shortCode, session_owner: o.sessionOwner } },
        `USSD command with session_owner ${o.sessionOwner}`,
      );
      expectAccepted(ctx, a, `a ${service.id} command carrying the session_owner of the open session`);
    },
  }),
];

export function definitions(): CheckDefinition[] {
  const event = spec.services.find(
    (s) => s.kind === 'ussd-event' && s.inputs.some((i) => i.name === 'user_init'),
  );
  if (!event) return [];
  const metaOf = (rule: string, o: MetaOptions) => meta(F, rule, o);
  return [
    ...expandRows(metaOf, [{ service: event, event }], eventRows),
    ...expandRows(
      metaOf,
      ussdCommandServices().map((service) => ({ service, event })),
      commandRows,
    ),
  ];
}
