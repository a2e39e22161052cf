/**
 * Replays every kept fuzzing counterexample (fixtures/regressions/*.json) against a fresh server of the
 * property that found it, judged as the property judged it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listener, startListener } from '../../src/listener/index.ts';
import { type ReferencePartner, startReferencePartner } from '../../src/partner/reference.ts';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { type HostileRequest, type Judge, judgeHttp, judgeSimulator, toRaw } from './fuzz.ts';
import {
  fromJsonSafe,
  portOf,
  type RegressionSeed,
  regressionsDir,
  requestBytes,
  sendRaw,
} from './helpers.ts';

const files = readdirSync(regressionsDir).filter((f) => f.endsWith('.json'));

let sim: Simulator;
let listener: Listener;
let partner: ReferencePartner;
beforeAll(async () => {
  listener = await startListener({ maxBodyBytes: 64 * 1024 });
  sim = await startSimulator({
    smtp: false,
    log: () => {},
    callback: listener.url,
    maxBodyBytes: 64 * 1024,
    syncTimeoutMs: 2_000,
    maxTransactions: 2_000,
  });
  partner = await startReferencePartner({ credentials: { userid: 'mse', pwd: 'mse-secret' } });
});
afterAll(async () => {
  await sim?.close();
  await listener?.close();
  await partner?.close();
});

function target(property: string): { port: number; judge: Judge } {
  // Properties of the bench carry a prefix (bench-simulator); the server is the same.
  if (property.endsWith('simulator')) return { port: portOf(sim.url), judge: judgeSimulator };
  if (property.endsWith('listener')) return { port: portOf(listener.url), judge: judgeHttp };
  if (property.endsWith('partner')) return { port: portOf(partner.url), judge: judgeHttp };
  throw new Error(`fixtures/regressions: unknown property ${property}`);
}

describe('fuzzing regressions replay', () => {
  it('there are kept seeds to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(file, async () => {
      const seed = JSON.parse(readFileSync(join(regressionsDir, file), 'utf8')) as RegressionSeed;
      const h = fromJsonSafe(seed.counterexample) as HostileRequest;
      const { port, judge } = target(seed.property);
      for (let i = 0; i < (seed.setup?.transactions ?? 0); i++)
        await fetch(
          `${sim.url}/MSE/api?profile=SMS_TEXT&pwd=senha&mode=async-oneway&BNUM=1191000000&TEXT=${'x'.repeat(100)}`,
        ).then((r) => r.text());
      const outcome = await sendRaw(port, requestBytes(toRaw(h)), 5_000);
      expect(judge(h, outcome)).toBeUndefined();
    });
  }
});
