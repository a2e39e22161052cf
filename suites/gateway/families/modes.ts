/**
 * Modes (6.2, 7.1): every mode a service allows is accepted in every spelling, every mode it refuses is
 * refused; asynchronous acknowledgements and sync answers as chapter 7 describes. Modes a service neither
 * allows nor refuses are not checked.
 */
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { modeRuleId } from '../../../src/spec/catalogue.ts';
import type { Mode, Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  ensure,
  expectAccepted,
  expectRefused,
  listener,
  requireAccepted,
  requireRefused,
  spec,
  timeouts,
  waitDeliveries,
} from '../harness.ts';
import { type Case, expand, row } from '../rows.ts';

interface ModeCase extends Case {
  mode: Mode;
  /** The mode as sent: one of its spellings (6.2), or the mode itself. */
  sent: string;
}

/** Each mode of the list once, sent as itself and named as the variant. */
const each = (modes: (s: Service) => Mode[]) => (service: Service) =>
  modes(service).map((mode): ModeCase => ({ service, mode, sent: mode, variant: mode }));

/** Each mode of the list in each of its spellings, the spelling named as the variant. */
const spelled = (modes: (s: Service) => Mode[]) => (service: Service) =>
  modes(service).flatMap((mode) =>
    (spec.protocol.modes.spellings[mode] ?? [mode]).map(
      (sent): ModeCase => ({ service, mode, sent, variant: sent }),
    ),
  );

const sync = (service: Service): ModeCase[] => [{ service, mode: 'sync', sent: 'sync' }];

const rows = [
  row<ModeCase>({
    rule: (c) => modeRuleId(c.service, c.mode, 'allowed'),
    cases: spelled((s) => s.modes.allowed),
    stimulus: 'a valid request to {service} with mode={variant}, a mode it allows',
    judge: async (ctx, c) =>
      expectAccepted(
        ctx,
        await callApi(ctx, { service: c.service, mode: c.sent }),
        `a request with mode=${c.sent}`,
      ),
  }),
  row<ModeCase>({
    rule: (c) => modeRuleId(c.service, c.mode, 'refused'),
    cases: spelled((s) => s.modes.refused),
    stimulus: 'a valid request to {service} with mode={variant}, a mode it refuses',
    judge: async (ctx, c) =>
      expectRefused(
        ctx,
        await callApi(ctx, { service: c.service, mode: c.sent }),
        `a request with mode=${c.sent}`,
      ),
  }),
  // Refused is not executed: the refusal is no execution response, and no receipt follows it.
  row<ModeCase>({
    rule: 'modes.refused.answer',
    cases: each((s) => s.modes.refused),
    stimulus:
      'a valid request to {service} in mode {mode}, which it refuses; the refusal and the listener are read',
    judge: async (ctx, { service, mode }) => {
      const a = await callApi(ctx, { service, mode });
      // Whether the mode is refused is mode.refused's to judge; this check judges what a refusal carries.
      requireRefused(ctx, a, `a request with mode=${mode}, which ${service.id} refuses`);
      ensure(
        ctx,
        !a.read.children.includes('parameters'),
        `the refusal of mode=${mode} carries <parameters>: the service was executed`,
      );
      // Without a listener or a transaction id to correlate by, the answer alone is judged.
      if (!listener || !service.modes.allowed.includes('async-delivery') || !a.read.transactionId) return;
      const receipts = await waitDeliveries(ctx, {
        kind: 'receipt',
        key: a.read.transactionId,
        timeoutMs: timeouts.quietMs,
      });
      ensure(
        ctx,
        !receipts.length,
        `a receipt arrived for transaction ${a.read.transactionId}, whose mode=${mode} was refused`,
      );
    },
  }),
  row<ModeCase>({
    rule: 'modes.async.ack',
    cases: each((s) => s.modes.allowed.filter((m) => m !== 'sync')),
    stimulus: 'a valid request to {service} in mode {mode}; its acknowledgement is read',
    judge: async (ctx, { service, mode }) => {
      const a = await callApi(ctx, { service, mode });
      requireAccepted(ctx, a, `a ${mode} request`);
      ensure(
        ctx,
        a.read.profile !== undefined && a.read.transactionId,
        `the ${mode} acknowledgement lacks profile or transaction-id`,
      );
      ensure(
        ctx,
        (a.sent.durationMs ?? 0) < 10_000,
        `the ${mode} acknowledgement took ${Math.round(a.sent.durationMs)} ms`,
      );
    },
  }),
  row<ModeCase>({
    rule: 'modes.sync.answered',
    applies: (s) => s.modes.allowed.includes('sync'),
    stimulus: 'a valid request to {service} in mode sync; whether any answer comes within timeouts.syncMs',
    judge: async (ctx, { service }) => {
      const a = await callApi(ctx, { service, mode: 'sync' });
      ensure(
        ctx,
        !a.sent.error,
        `the sync request got no answer within ${timeouts.syncMs} ms: ${a.sent.error}; 6.2 answers a sync request with the execution response or a timeout response`,
      );
    },
  }),
  row<ModeCase>({
    rule: 'modes.sync.time-limit',
    applies: (s) => s.modes.allowed.includes('sync'),
    stimulus:
      'a valid request to {service} in mode sync; the time to its answer is measured against timeouts.syncLimitMs',
    judge: async (ctx, { service }) => {
      const a = await callApi(ctx, { service, mode: 'sync' });
      if (a.sent.error)
        ctx.cannotJudge(
          `the sync request got no answer (${a.sent.error}), so its time cannot be judged: see modes.sync.answered`,
        );
      ensure(
        ctx,
        a.sent.durationMs <= timeouts.syncLimitMs,
        `the sync answer took ${Math.round(a.sent.durationMs)} ms, beyond the limit of about ${spec.protocol.syncTimeoutSeconds} s (the run allows ${timeouts.syncLimitMs} ms)`,
      );
    },
  }),
  row<ModeCase>({
    rule: 'modes.sync.same-connection',
    applies: (s) => s.modes.allowed.includes('sync') && s.outputs.length > 0,
    stimulus: 'a valid request to {service} in mode sync; its answer is read for the outputs',
    judge: async (ctx, { service }) => {
      const a = await callApi(ctx, { service, mode: 'sync' });
      requireAccepted(ctx, a, 'a sync request');
      ensure(
        ctx,
        a.read.parameters?.length,
        'the sync answer is not the execution response: it carries no parameters',
      );
    },
  }),
];

export function definitions(): CheckDefinition[] {
  return expand('modes', rows, apiServices(), sync);
}
