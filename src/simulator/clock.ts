/**
 * Time for the simulator: the real clock, or a virtual one that moves only when told (tests advance it
 * instead of sleeping for receipts, retries or sync timeouts).
 */
export interface Clock {
  readonly kind: 'real' | 'virtual';
  now(): number;
  /** Runs `task` after `ms`; the returned function cancels it. */
  schedule(ms: number, task: () => unknown): () => void;
  /** Virtual clock: moves time forward, runs every task that falls due and waits for them. */
  advance(ms: number): Promise<void>;
  /** Tasks scheduled and not yet run. */
  pending(): number;
  close(): void;
}

export function realClock(): Clock {
  const timers = new Set<NodeJS.Timeout>();
  return {
    kind: 'real',
    now: () => Date.now(),
    schedule(ms, task) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        task();
      }, ms);
      timers.add(timer);
      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    },
    advance: async () => {
      throw Object.assign(
        new Error('advance() needs the virtual clock: start the simulator with clock "virtual"'),
        {
          code: 'MSE_SIM_REAL_CLOCK',
        },
      );
    },
    pending: () => timers.size,
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

interface VirtualTask {
  at: number;
  seq: number;
  task: () => unknown;
}

export function virtualClock(start = Date.now()): Clock {
  let now = start;
  let seq = 0;
  const tasks: VirtualTask[] = [];
  const clock: Clock = {
    kind: 'virtual',
    now: () => now,
    schedule(ms, task) {
      const entry = { at: now + Math.max(0, ms), seq: seq++, task };
      tasks.push(entry);
      return () => {
        const i = tasks.indexOf(entry);
        if (i >= 0) tasks.splice(i, 1);
      };
    },
    async advance(ms) {
      const target = now + Math.max(0, ms);
      for (;;) {
        tasks.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = tasks[0];
        if (!next || next.at > target) break;
        tasks.shift();
        now = Math.max(now, next.at);
        // Tasks may start I/O (a delivery attempt) and schedule follow-ups; wait for each before the next.
        await next.task();
      }
      now = target;
    },
    pending: () => tasks.length,
    close() {
      tasks.length = 0;
    },
  };
  return clock;
}

// The text of the last two minutes asked for: every SMS submit asks for its start and end minute, and
// formatting a date per request is measurable under load. The offset is whole minutes, so a UTC minute
// maps to one local text.
const minutes = [Number.NaN, Number.NaN];
const minuteTexts = ['', ''];
let older = 0;

/** yyMMddHHmm in UTC-3 (Brasília), as the document's dates are local to Claro. */
export function yyMMddHHmm(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  if (minute === minutes[0]) return minuteTexts[0]!;
  if (minute === minutes[1]) return minuteTexts[1]!;
  const d = new Date(minute * 60_000 - 3 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
  minutes[older] = minute;
  minuteTexts[older] = text;
  older = 1 - older;
  return text;
}

export function yyMMddHHmmss(ms: number): string {
  const d = new Date(ms - 3 * 3600_000);
  return `${yyMMddHHmm(ms)}${String(d.getUTCSeconds()).padStart(2, '0')}`;
}
