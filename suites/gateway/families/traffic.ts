/**
 * Traffic limits (9.3): with a profile whose rate the config gives (trafficProfiles, or a rate on a profile),
 * a burst beyond the quota is refused with a non-zero status-code and an error-message, and once the quota
 * has refilled at the configured rate a request is accepted again.
 */
import type { ProfileEntry } from '../../../src/checks/config.ts';
import type { CheckDefinition, MetaOptions } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row, type Subject } from '../../../src/checks/rows.ts';
import type { Service } from '../../../src/spec/types.ts';
import {
  type Answer,
  apiServices,
  callApi,
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

/** The rated profile, when the config gives one; every row skips without it. */
interface Traffic extends Subject {
  rated?: Rated;
}

const describe = (b: Burst) =>
  b.answers.map((a) => a.read.statusCode ?? `HTTP ${a.status ?? 'none'}`).join(', ');
const noRate = (t: Traffic) =>
  t.rated
    ? undefined
    : 'no profile with a rate in the config (trafficProfiles, or rate on a profile): the suite does not know the traffic limit to exceed';

/** The burst the rows share: valid requests sent at once, more than the profile's burst allows. */
const stimulus = ({ rated: r }: Traffic) =>
  r
    ? `${r.entry.rate.burst + EXTRA} valid requests at once to ${r.service.id} on profile ${r.entry.profile}, ${EXTRA} beyond its burst of ${r.entry.rate.burst}`
    : `the rate-limited profile's burst plus ${EXTRA} valid requests at once`;

async function refill(ctx: Recorder, r: Rated, b: Burst): Promise<void> {
  // One token comes back every 1/perSecond s; the deadline allows a whole burst to refill, plus a request.
  const tokenMs = Math.ceil(1000 / r.entry.rate.perSecond);
  const deadline = b.endedAt + tokenMs * (r.entry.rate.burst + 1) + timeouts.requestMs;
  let wait = Math.max(0, b.endedAt + tokenMs - Date.now());
  let last: Answer | undefined;
  for (let attempt = 1; Date.now() + wait < deadline; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    last = await callApi(ctx, {
      service: r.service,
      entry: r.entry,
      label: `after refill, attempt ${attempt}`,
    });
    if (last.read.statusCode === '0') return;
    wait = tokenMs;
  }
  ctx.fail(
    `after the quota had time to refill (${r.entry.rate.perSecond} per second), requests were still refused (last status-code ${last?.read.statusCode ?? 'none'}${last?.read.errorMessage ? `, "${last.read.errorMessage}"` : ''})`,
  );
}

const rows: PlacedRow<Traffic>[] = [
  row<Traffic>({
    rule: RULE,
    variant: 'refused',
    stimulus: (t) => `${stimulus(t)} (9.3)`,
    skipReason: noRate,
    judge: async (ctx, t) => {
      const r = t.rated!;
      const b = await burst(ctx, r);
      ensure(
        ctx,
        b.refused.length > 0,
        `${b.answers.length} requests at once on profile ${r.entry.profile} (burst ${r.entry.rate.burst}) were all accepted (status-codes ${describe(b)})`,
      );
      const bad = b.refused.find((a) => !/^-?[0-9]+$/.test(a.read.statusCode ?? ''));
      ensure(ctx, !bad, `a refusal has a status-code that is not numeric: "${bad?.read.statusCode}"`);
    },
  }),
  row<Traffic>({
    rule: RULE,
    variant: 'error-message',
    stimulus: (t) => `${stimulus(t)}; the error-message of each refusal is read (9.3)`,
    skipReason: noRate,
    judge: async (ctx, t) => {
      const b = await burst(ctx, t.rated!);
      if (!b.refused.length) return ctx.skip(`no request of the burst was refused (${describe(b)})`);
      const bare = b.refused.filter((a) => !a.read.errorMessage);
      ensure(
        ctx,
        !bare.length,
        `${bare.length} of ${b.refused.length} refusals (status-code ${bare[0]?.read.statusCode}) carry no error-message`,
      );
    },
  }),
  row<Traffic>({
    rule: RULE,
    variant: 'refill',
    stimulus: (t) =>
      `${stimulus(t)}, then one request each time a token is due back at the provisioned rate, until one is accepted (9.3)`,
    skipReason: noRate,
    // Enough for the burst, a whole quota to refill and the retries, however slow the configured rate.
    timeoutMs: (t) =>
      t.rated
        ? Math.ceil(1000 / t.rated.entry.rate.perSecond) * (t.rated.entry.rate.burst + 2) +
          timeouts.requestMs * 4 +
          10_000
        : 60_000,
    judge: async (ctx, t) => {
      const b = await burst(ctx, t.rated!);
      if (!b.refused.length) return ctx.skip(`no request of the burst was refused (${describe(b)})`);
      await refill(ctx, t.rated!, b);
    },
  }),
];

export function definitions(): CheckDefinition[] {
  const r = rated();
  return expandRows((rule: string, o: MetaOptions) => meta(F, rule, o), [r ? { rated: r } : {}], rows);
}
