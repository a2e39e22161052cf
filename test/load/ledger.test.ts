/**
 * The load ledger on its own (no Artillery): what the processor reports and what the listener records,
 * joined by transaction id into lost, duplicated, unknown and malformed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/listener/index.ts';
import { mergeArtillery } from '../../src/load/artillery.ts';
import { Ledger, percentiles } from '../../src/load/ledger.ts';
import { parseMix } from '../../src/load/mix.ts';
import { buildPlan, type PlanEntry } from '../../src/load/plan.ts';
import { judge } from '../../src/load/report.ts';
import { loadSpec } from '../../src/spec/load.ts';
import { validParams } from '../../src/spec/requests.ts';
import { buildMseResponse } from '../../src/xml/mse-response.ts';

const spec = loadSpec();
const entries: PlanEntry[] = buildPlan({
  spec,
  mix: parseMix(spec, 'SMS_TEXT:async-delivery=1,SMS_TEXT:async-oneway=1'),
  target: 'http://127.0.0.1:1',
  ledgerUrl: 'http://127.0.0.1:2/__load/x',
  profiles: { SMS_TEXT: { profile: 'SMS_TEXT', password: 'senha' } },
  rate: 10,
  phases: { warmupSeconds: 0, rampSeconds: 0, sustainSeconds: 1, beyondSeconds: 0 },
  workers: 1,
}).entries;

const ack = (tid: string, code = 0) =>
  buildMseResponse({
    statusCode: code,
    profile: 'SMS_TEXT',
    transactionId: tid,
    ...(code ? { errorMessage: 'x' } : {}),
  });

function receipt(tid: string, at: number, body = ack(tid)): Delivery {
  return {
    seq: 0,
    kind: 'receipt',
    at,
    method: 'POST',
    url: '/receipt',
    rawQuery: '',
    headers: {},
    body: Buffer.from(body, 'utf8'),
    key: tid,
    answered: 200,
  };
}

function batch(records: unknown[][], shapes: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({ worker: 'w1', records, shapes }), 'utf8');
}

describe('load ledger', () => {
  it('joins answers and receipts: lost, duplicated, unknown, late, malformed, duplicate ids', () => {
    const ledger = new Ledger(entries);
    const ok = Buffer.from(ack('\u0000')).toString('base64');
    const refused = Buffer.from(ack('\u0000', 429)).toString('base64');
    const broken = Buffer.from('<mse-response><oops/>').toString('base64');
    ledger.intake(
      batch(
        [
          [0, 't1', '0', 200, 1000, 0],
          [0, 't2', '0', 200, 1000, 0],
          [0, 't3', '0', 200, 1000, 0],
          [1, 't4', '0', 200, 1000, 0],
          [0, 't5', '429', 200, 1000, 1],
          [0, 't6', '', 200, 1000, 2],
          [1, 't4', '0', 200, 1000, 0],
        ],
        { 0: ok, 1: refused, 2: broken },
      ),
    );
    ledger.delivery(receipt('t1', 1010));
    ledger.delivery(receipt('t2', 1050));
    ledger.delivery(receipt('t2', 1060));
    ledger.delivery(receipt('t9', 1070));
    ledger.delivery(receipt('t1', 1080, '<mse-response>'));
    ledger.intake(Buffer.from('not json'));
    const s = ledger.summary(1000);
    expect(s.answers).toBe(7);
    expect(s.receipts.expected).toBe(3);
    expect(s.receipts.lost.ids).toEqual(['t3']);
    expect(s.receipts.duplicated.ids.sort()).toEqual(['t1', 't2']);
    expect(s.receipts.unknown.ids).toEqual(['t9']);
    expect(s.receipts.malformed.count).toBe(1);
    expect(s.receipts.latencyMs.max).toBe(50);
    expect(s.cleanRefusals).toEqual({ '429': 1 });
    expect(s.malformed.count).toBe(1);
    expect(s.duplicateTransactionIds.ids).toEqual(['t4']);
    expect(ledger.pending()).toBe(1);
    const failures = judge(
      {
        files: 1,
        requests: 7,
        responses: 7,
        meanRate: 7,
        peakRate: 7,
        latencyMs: { p50: 1, p95: 1, p99: 1, max: 1 },
        codes: {},
        errors: {},
        checks: {},
        vusersFailed: 0,
      },
      s,
    );
    expect(failures.join('\n')).toMatch(/1 receipts lost.*t3/);
    expect(failures.join('\n')).toMatch(/more than once: t1, t2|more than once: t2, t1/);
  });

  it('a receipt before its ack is matched once the ack comes', async () => {
    const ledger = new Ledger(entries);
    ledger.delivery(receipt('t1', 1010));
    ledger.intake(
      batch([[0, 't1', '0', 200, 1000, 0]], { 0: Buffer.from(ack('\u0000')).toString('base64') }),
    );
    await ledger.settle(0);
    const s = ledger.summary(0);
    expect(s.receipts.lost.count).toBe(0);
    expect(s.receipts.unknown.count).toBe(0);
    expect(ledger.pending()).toBe(0);
  });

  it('percentiles by rank', () => {
    expect(percentiles(Array.from({ length: 100 }, (_, i) => i + 1))).toMatchObject({
      p50: 50,
      p95: 95,
      p99: 99,
      max: 100,
    });
  });

  it('the plan sends what the suite calls valid, in the entry charset, password left to the processor', () => {
    const plan = buildPlan({
      spec,
      mix: parseMix(spec, 'SMS_TEXT:async-delivery=3,WIB_PUSH:async-oneway=1:ISO-8859-1'),
      target: 'http://127.0.0.1:1',
      ledgerUrl: 'http://127.0.0.1:2/__load/x',
      profiles: {
        SMS_TEXT: { profile: 'SMS_TEXT', password: 'senha' },
        WIB_PUSH: { profile: 'WIB_PUSH', password: 'senha' },
      },
      rate: 100,
      provisioned: 50,
      phases: { warmupSeconds: 1, rampSeconds: 1, sustainSeconds: 1, beyondSeconds: 1 },
      workers: 2,
    });
    const sms = spec.services.find((s) => s.id === 'SMS_TEXT')!;
    const query = new URLSearchParams(plan.entries[0]!.tail.slice(1));
    expect([...query].slice(1)).toEqual(validParams(sms));
    expect(JSON.stringify(plan)).not.toContain('senha');
    expect(plan.entries[1]).toMatchObject({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded; charset=ISO-8859-1',
    });
    // Two workers share the rate; the beyond phase doubles the busiest profile's provisioned rate.
    expect(plan.phases.find((p) => p.name === 'sustain')!.arrivalRate).toBe(50);
    expect(plan.phases.at(-1)).toMatchObject({ name: 'beyond the provisioned rate', arrivalRate: 67 });
    expect(() => parseMix(spec, 'SMS_TEXT:sync=1')).toThrow(/allows async-oneway, async-delivery/);
    expect(() => parseMix(spec, 'DELIVERY_SMS:async-oneway=1')).toThrow(/not a service reached through/);
  });
});

describe('Artillery outputs of several workers', () => {
  it('are merged: counters added, p50 averaged by count, p95/p99 the worst, rates over the joint span', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mse-merge-'));
    try {
      const worker = (name: string, requests: number, p50: number, p99: number, first: number) => {
        const file = join(dir, name);
        writeFileSync(
          file,
          JSON.stringify({
            aggregate: {
              counters: {
                'http.requests': requests,
                'http.responses': requests,
                'errors.ETIMEDOUT': 1,
                'mse.accepted': requests,
              },
              summaries: { 'http.response_time': { count: requests, p50, p95: p99 - 1, p99, max: p99 + 1 } },
              firstCounterAt: first,
              lastCounterAt: first + 10_000,
            },
            intermediate: [
              {
                period: 0,
                counters: { 'http.requests': requests },
                firstCounterAt: first,
                lastCounterAt: first + 10_000,
              },
            ],
          }),
        );
        return file;
      };
      const merged = mergeArtillery([worker('a.json', 100, 10, 50, 0), worker('b.json', 300, 20, 90, 0)]);
      expect(merged).toMatchObject({
        files: 2,
        requests: 400,
        responses: 400,
        meanRate: 40,
        peakRate: 40,
        latencyMs: { p50: 17.5, p95: 89, p99: 90, max: 91 },
        errors: { ETIMEDOUT: 2 },
        checks: { accepted: 400 },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
