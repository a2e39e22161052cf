import { describe, expect, it } from 'vitest';
import { yyMMddHHmm, yyMMddHHmmss } from '../../src/simulator/clock.ts';
import { TransactionStore, type TransactionTimeline } from '../../src/simulator/transactions.ts';

const timeline = (transactionId: string): TransactionTimeline => ({
  transactionId,
  kind: 'api',
  startedAt: '2026-01-01T00:00:00.000Z',
  delivery: 'none',
  deliveries: [],
  notes: [],
});

describe('transaction store', () => {
  it('keeps the newest `limit` timelines and drops the oldest first, over many turns of its ring', () => {
    const store = new TransactionStore(3);
    for (let i = 1; i <= 10; i++) {
      store.add(timeline(String(i)));
      const kept = store.all().map((t) => t.transactionId);
      expect(kept).toEqual(
        Array.from({ length: Math.min(i, 3) }, (_, k) => String(Math.max(i - 3, 0) + k + 1)),
      );
    }
    expect(store.get('7')).toBeUndefined();
    expect(store.get('10')?.transactionId).toBe('10');
  });

  it('finds an id from the newest back, also after the ring has turned, and nothing once it has dropped out', () => {
    const store = new TransactionStore(2);
    store.add(timeline('a'));
    store.add(timeline('b'));
    const again = { ...timeline('a'), notes: ['again'] };
    store.add(again);
    expect(store.all().map((t) => t.transactionId)).toEqual(['b', 'a']);
    expect(store.get('a')).toBe(again);
    expect(store.get('b')?.transactionId).toBe('b');
    store.add(timeline('c'));
    expect(store.all().map((t) => t.transactionId)).toEqual(['a', 'c']);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('zzz')).toBeUndefined();
    expect(new TransactionStore(5).get('a')).toBeUndefined();
  });

  it('starts afresh after clear, and a limit of 0 keeps nothing', () => {
    const store = new TransactionStore(2);
    for (const id of ['a', 'b', 'c']) store.add(timeline(id));
    store.clear();
    for (const id of ['d', 'e', 'f']) store.add(timeline(id));
    expect(store.all().map((t) => t.transactionId)).toEqual(['e', 'f']);
    const none = new TransactionStore(0);
    none.add(timeline('x'));
    expect(none.all()).toEqual([]);
  });
});

describe('Brasília time text', () => {
  it('gives each minute its own text, also when minutes alternate and repeat', () => {
    const base = Date.UTC(2026, 11, 31, 23, 58, 30);
    const asked = [0, 60_000, 0, 120_000, 60_000, 59_999, 61_000, -90_000].map((d) => base + d);
    const expected: Record<number, string> = {
      [base]: '2612312058',
      [base + 60_000]: '2612312059',
      [base + 120_000]: '2612312100',
      [base + 59_999]: '2612312059',
      [base + 61_000]: '2612312059',
      [base - 90_000]: '2612312057',
    };
    for (const ms of asked) expect(yyMMddHHmm(ms)).toBe(expected[ms]);
    expect(yyMMddHHmmss(base + 61_000)).toBe('261231205931');
  });
});
