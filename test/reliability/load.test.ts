/**
 * Load (issue 7): receipts from 50 concurrent senders to the suite's listener, none lost and each
 * recorded once; the simulator under a sustained async-delivery submit load keeps serving, with bounded
 * memory, and every transaction it accepted ends in exactly one receipt answered 200. The long variants
 * (10,000 receipts) are in bench/reliability.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadListener, loadSimulator } from './load.ts';

describe('load: nothing lost, nothing twice', () => {
  it('2,000 receipts from 50 concurrent senders: each recorded by the listener exactly once', async () => {
    const r = await loadListener(2_000, 50);
    expect(r.errors).toBe(0);
    expect(r.answered200).toBe(2_000);
    expect(r.recorded).toBe(2_000);
    expect(r.distinct).toBe(2_000);
    expect(r.lost).toBe(0);
    expect(r.duplicated).toBe(0);
  });

  it('simulator, 1,500 async-delivery submits from 50 clients, one receipt in ten refused once: every accepted one receipted once, still serving', async () => {
    const r = await loadSimulator(1_500, 50);
    expect(r.errors).toBe(0);
    expect(r.refused).toBe(0);
    expect(r.accepted).toBe(1_500);
    expect(r.lost).toBe(0);
    expect(r.duplicated).toBe(0);
    expect(r.unknown).toBe(0);
    expect(r.deliveredOnce).toBe(r.accepted);
    expect(r.stillServing).toBe(true);
    expect(r.refusedAttempts).toBeGreaterThan(100);
    // Bounded: the simulator keeps at most a quarter of the transactions' timelines; the figure with gc is
    // in the bench, here a loose bound against a leak per request.
    expect(r.heapAfterMb - r.heapBeforeMb).toBeLessThan(150);
  });
});
