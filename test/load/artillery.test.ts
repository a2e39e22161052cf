/**
 * A short, bounded load on loopback through Artillery (issue 12): against the embedded simulator every
 * receipt is accounted for; against a simulator whose receipt path drops one in a hundred, the ledger
 * names exactly the dropped transaction ids and the run fails. No timing is asserted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMix } from '../../src/load/mix.ts';
import { runLoad } from '../../src/load/run.ts';
import { loadSpec } from '../../src/spec/load.ts';
import { type LossyTarget, startLossySimulator } from './lossy.ts';

const spec = loadSpec();
const dirs: string[] = [];
const outDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mse-load-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('load on Artillery, loopback', () => {
  it('embedded simulator, default mix through every phase: every receipt accounted for, report ok', async () => {
    const out = outDir();
    const report = await runLoad({
      spec,
      mix: parseMix(spec, undefined),
      outDir: out,
      rate: 30,
      provisioned: 20,
      phases: { warmupSeconds: 1, rampSeconds: 1, sustainSeconds: 2, beyondSeconds: 1 },
      receiptDeadlineMs: 10_000,
    });
    expect(report).toBeDefined();
    const r = report!;
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.artillery.requests).toBeGreaterThan(0);
    expect(r.artillery.errors).toEqual({});
    expect(r.ledger.answers).toBe(r.artillery.responses);
    expect(r.ledger.malformed.count).toBe(0);
    expect(r.ledger.receipts.expected).toBeGreaterThan(0);
    expect(r.ledger.receipts.received).toBe(r.ledger.receipts.expected);
    expect(r.ledger.receipts.lost.count).toBe(0);
    expect(r.ledger.receipts.duplicated.count).toBe(0);
    expect(r.ledger.receipts.unknown.count).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'load-report.json'), 'utf8')) as { schemaVersion: number };
    expect(Object.keys(json)[0]).toBe('schemaVersion');
    expect(readFileSync(join(out, 'load-report.md'), 'utf8')).toContain('Receipts expected');
    expect(readFileSync(join(out, 'processor.cjs'), 'utf8')).not.toContain('senha');
  }, 180_000);

  it('a simulator that drops one receipt in a hundred: the ledger names exactly the dropped ids, the run fails', async () => {
    let lossy: LossyTarget | undefined;
    const report = await runLoad({
      spec,
      mix: parseMix(spec, 'SMS_TEXT:async-delivery=1'),
      outDir: outDir(),
      rate: 60,
      phases: { warmupSeconds: 0, rampSeconds: 0, sustainSeconds: 4, beyondSeconds: 0 },
      receiptDeadlineMs: 3_000,
      startTarget: async (listenerUrl) => {
        lossy = await startLossySimulator(listenerUrl, { every: 100 });
        return lossy;
      },
    });
    const r = report!;
    expect(lossy!.dropped.length).toBeGreaterThanOrEqual(1);
    expect([...r.ledger.receipts.lost.ids].sort()).toEqual([...lossy!.dropped].sort());
    expect(r.ledger.receipts.lost.count).toBe(lossy!.dropped.length);
    expect(r.ledger.receipts.received).toBe(r.ledger.receipts.expected - lossy!.dropped.length);
    expect(r.ledger.receipts.duplicated.count).toBe(0);
    expect(r.ok).toBe(false);
    expect(r.failures.join('\n')).toContain(lossy!.dropped[0]!);
  }, 180_000);

  it("--sink: no local Artillery; the sink waits for the workers' output to appear, then reports from it", async () => {
    const out = outDir();
    const workers = join(out, 'workers.json');
    const report = await runLoad({
      spec,
      mix: parseMix(spec, 'SMS_TEXT:async-delivery=1'),
      outDir: out,
      rate: 10,
      phases: { warmupSeconds: 0, rampSeconds: 0, sustainSeconds: 1, beyondSeconds: 0 },
      receiptDeadlineMs: 1_000,
      sink: true,
      artilleryJson: [workers],
      // The workers' run, elsewhere: it ends after the sink is up, with nothing sent.
      onReady: () =>
        void Promise.resolve().then(() =>
          writeFileSync(workers, JSON.stringify({ aggregate: { counters: { 'vusers.created': 0 } } })),
        ),
    });
    expect(report!.artillery.files).toBe(1);
    expect(report!.artillery.requests).toBe(0);
    expect(report!.ledger.answers).toBe(0);
    expect(readFileSync(join(out, 'load.yml'), 'utf8')).toContain('beforeRequest: entry0');
  }, 60_000);
});
