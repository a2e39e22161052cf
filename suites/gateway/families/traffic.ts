/**
 * Traffic limits (9.3): with a profile whose rate the config gives (trafficProfiles, or a rate on a profile),
 * a burst beyond the quota is refused with a non-zero status-code and an error-message, and once the quota
 * has refilled at the configured rate a request is accepted again.
 */
import type { ProfileEntry } from '../../../src/checks/config.ts';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  type Answer,
  apiServices,
  callApi,
  define,
  ensure,
  meta,
  preferredMode,
  type Recorder,
  run,
  shared,
  timeouts,
} from '../harness.ts';

const F = 'traffic';
const RULE = 'traffic.limit-per-user-service';
/** Requests beyond the burst: enough that a bucket refilling while they travel still runs dry. */
const EXTRA = 3;

type Rated = { service: Service; entry: ProfileEntry & { rate: { perSecond: number; burst: number } } };

/** The first service (spec order) whose configured profile has a rate; a dedicated profile first. */
function rated(): Rated | undefined {
  for (const service of apiServices())
    for (const entry of [run.config.trafficProfiles?.[service.id], run.config.profiles[service.id]])
      if (entry?.rate && preferredMode(service)) return { service, entry: { ...entry, rate: entry.rate } };
  return undefined;
}

interface Burst {
  answers: Answer[];
  refused: Answer[];
  /** When the last answer of the burst came (ms since epoch). */
  endedAt: number;
}

function burst(ctx: Recorder, r: Rated): Promise<Burst> {
  return shared(ctx, 'traffic:burst', async (rec) => {
    const n = r.entry.rate.burst + EXTRA;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        callApi(rec, { service: r.service, entry: r.entry, label: `burst request ${i + 1} of ${n}` }),
      ),
    );
    const lost = answers.find((a) => a.sent.error);
    if (lost) rec.fail(`a request of the burst got no answer (${lost.sent.error})`);
    return {
      answers,
      refused: answers.filter((a) => a.read.statusCode !== undefined && a.read.statusCode !== '0'),
      endedAt: Date.now(),
    };
  });
}

export function definitions(): CheckDefinition[] {
  const r = rated();
  const skipReason = r
    ? undefined
    : 'no profile with a rate in the config (trafficProfiles, or rate on a profile): the suite does not know the traffic limit to exceed';
  const o = { skipReason };
  const describe = (b: Burst) =>
    b.answers.map((a) => a.read.statusCode ?? `HTTP ${a.status ?? 'none'}`).join(', ');
  return [
    define(
      meta(F, RULE, { variant: 'refused' }),
      async (ctx) => {
        const b = await burst(ctx, r!);
        ensure(
          ctx,
          b.refused.length > 0,
          `${b.answers.length} requests at once on profile ${r!.entry.profile} (burst ${r!.entry.rate.burst}) were all accepted (status-codes ${describe(b)})`,
        );
        const bad = b.refused.find((a) => !/^-?[0-9]+$/.test(a.read.statusCode ?? ''));
        ensure(ctx, !bad, `a refusal has a status-code that is not numeric: "${bad?.read.statusCode}"`);
      },
      o,
    ),
    define(
      meta(F, RULE, { variant: 'error-message' }),
      async (ctx) => {
        const b = await burst(ctx, r!);
        if (!b.refused.length) return ctx.skip(`no request of the burst was refused (${describe(b)})`);
        const bare = b.refused.filter((a) => !a.read.errorMessage);
        ensure(
          ctx,
          !bare.length,
          `${bare.length} of ${b.refused.length} refusals (status-code ${bare[0]?.read.statusCode}) carry no error-message`,
        );
      },
      o,
    ),
    define(
      meta(F, RULE, { variant: 'refill' }),
      async (ctx) => {
        const b = await burst(ctx, r!);
        if (!b.refused.length) return ctx.skip(`no request of the burst was refused (${describe(b)})`);
        // One token comes back every 1/perSecond s; the deadline allows a whole burst to refill, plus a request.
        const tokenMs = Math.ceil(1000 / r!.entry.rate.perSecond);
        const deadline = b.endedAt + tokenMs * (r!.entry.rate.burst + 1) + timeouts.requestMs;
        let wait = Math.max(0, b.endedAt + tokenMs - Date.now());
        let last: Answer | undefined;
        for (let attempt = 1; Date.now() + wait < deadline; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          last = await callApi(ctx, {
            service: r!.service,
            entry: r!.entry,
            label: `after refill, attempt ${attempt}`,
          });
          if (last.read.statusCode === '0') return;
          wait = tokenMs;
        }
        ctx.fail(
          `after the quota had time to refill (${r!.entry.rate.perSecond} per second), requests were still refused (last status-code ${last?.read.statusCode ?? 'none'}${last?.read.errorMessage ? `, "${last.read.errorMessage}"` : ''})`,
        );
      },
      // Enough for the burst, a whole quota to refill and the retries, however slow the configured rate.
      {
        ...o,
        timeoutMs: r
          ? Math.ceil(1000 / r.entry.rate.perSecond) * (r.entry.rate.burst + 2) +
            timeouts.requestMs * 4 +
            10_000
          : 60_000,
      },
    ),
  ];
}
