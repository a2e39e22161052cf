/**
 * Modes (6.2, 7.1): every mode a service allows is accepted in every spelling, every mode it refuses is
 * refused; asynchronous acknowledgements and sync answers as chapter 7 describes. Modes a service neither
 * allows nor refuses are not checked.
 */
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { modeRuleId } from '../../../src/spec/catalogue.ts';
import {
  apiServices,
  callApi,
  define,
  ensure,
  expectAccepted,
  expectRefused,
  listener,
  meta,
  notProvisioned,
  requireAccepted,
  requireRefused,
  spec,
  timeouts,
  waitDeliveries,
} from '../harness.ts';

const F = 'modes';

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const skipReason = notProvisioned(service);
    const o = { skipReason };
    for (const mode of service.modes.allowed)
      for (const spelling of spec.protocol.modes.spellings[mode] ?? [mode])
        defs.push(
          define(
            meta(F, modeRuleId(service, mode, 'allowed'), { service, mode, variant: spelling }),
            async (ctx) =>
              expectAccepted(
                ctx,
                await callApi(ctx, { service, mode: spelling }),
                `a request with mode=${spelling}`,
              ),
            o,
          ),
        );
    for (const mode of service.modes.refused)
      for (const spelling of spec.protocol.modes.spellings[mode] ?? [mode])
        defs.push(
          define(
            meta(F, modeRuleId(service, mode, 'refused'), { service, mode, variant: spelling }),
            async (ctx) =>
              expectRefused(
                ctx,
                await callApi(ctx, { service, mode: spelling }),
                `a request with mode=${spelling}`,
              ),
            o,
          ),
        );
    // Refused is not executed: the refusal is no execution response, and no receipt follows it.
    for (const mode of service.modes.refused)
      defs.push(
        define(
          meta(F, 'modes.refused.answer', { service, mode, variant: mode }),
          async (ctx) => {
            const a = await callApi(ctx, { service, mode });
            // Whether the mode is refused is mode.refused's to judge; this check judges what a refusal carries.
            requireRefused(ctx, a, `a request with mode=${mode}, which ${service.id} refuses`);
            ensure(
              ctx,
              !a.read.children.includes('parameters'),
              `the refusal of mode=${mode} carries <parameters>: the service was executed`,
            );
            // Without a listener or a transaction id to correlate by, the answer alone is judged.
            if (!listener || !service.modes.allowed.includes('async-delivery') || !a.read.transactionId)
              return;
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
          o,
        ),
      );
    for (const mode of service.modes.allowed.filter((m) => m !== 'sync'))
      defs.push(
        define(
          meta(F, 'modes.async.ack', { service, mode, variant: mode }),
          async (ctx) => {
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
          o,
        ),
      );
    if (service.modes.allowed.includes('sync'))
      defs.push(
        define(
          meta(F, 'modes.sync.time-limit', { service, mode: 'sync' }),
          async (ctx) => {
            const a = await callApi(ctx, { service, mode: 'sync' });
            ensure(ctx, !a.sent.error, `the sync request got no answer: ${a.sent.error}`);
            const limit = spec.protocol.syncTimeoutSeconds * 1000;
            ensure(
              ctx,
              a.sent.durationMs <= limit + 5_000,
              `the sync answer took ${Math.round(a.sent.durationMs)} ms, beyond about ${limit} ms`,
            );
          },
          o,
        ),
      );
    if (service.modes.allowed.includes('sync') && service.outputs.length)
      defs.push(
        define(
          meta(F, 'modes.sync.same-connection', { service, mode: 'sync' }),
          async (ctx) => {
            const a = await callApi(ctx, { service, mode: 'sync' });
            requireAccepted(ctx, a, 'a sync request');
            ensure(
              ctx,
              a.read.parameters?.length,
              'the sync answer is not the execution response: it carries no parameters',
            );
          },
          o,
        ),
      );
  }
  return defs;
}
