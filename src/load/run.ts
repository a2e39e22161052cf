/**
 * A load run: the listener as receipt and MO sink with the ledger attached, the target (the embedded
 * simulator, delivering to the listener, unless one is given), the Artillery script and processor written
 * to a folder, Artillery run on them, the receipts waited for until a deadline, and one joined report.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startListener } from '../listener/index.ts';
import { defaultProfiles, startSimulator } from '../simulator/index.ts';
import type { Spec } from '../spec/types.ts';
import { mergeArtillery, runArtillery } from './artillery.ts';
import { Ledger } from './ledger.ts';
import type { Mix } from './mix.ts';
import {
  artilleryScript,
  buildPlan,
  type LoadProfile,
  type PhaseOptions,
  type Plan,
  processorSource,
} from './plan.ts';
import { judge, type LoadReport, writeLoadReport } from './report.ts';

export interface Target {
  url: string;
  close(): Promise<void>;
}

export interface LoadRunOptions {
  spec: Spec;
  mix: Mix;
  outDir: string;
  /** The gateway; undefined: the embedded simulator, whose receipts go to the listener. */
  target?: string;
  /** Starts a target that delivers to `listenerUrl` (tests use it for deliberately broken simulators). */
  startTarget?: (listenerUrl: string, provisioned: number | undefined) => Promise<Target>;
  profiles?: Record<string, LoadProfile>;
  subscriber?: string;
  rate: number;
  provisioned?: number;
  phases: PhaseOptions;
  workers?: number;
  /** Where the listener binds (default 127.0.0.1, any port) and the URL the target and workers reach it at. */
  listenHost?: string;
  listenPort?: number;
  publicUrl?: string;
  /** How long receipts are waited for after Artillery ends. */
  receiptDeadlineMs: number;
  /**
   * Artillery JSON outputs of workers run elsewhere (`artillery run-fargate --output FILE`, or one
   * `artillery run` per machine). With `sink`, no local Artillery runs: the listener and ledger wait for
   * these files to appear, then the receipts, then the report merges them.
   */
  artilleryJson?: string[];
  sink?: boolean;
  /** Called once the test is written and the sink is listening (the CLI prints the worker command). */
  onReady?: (info: { script: string; listenerUrl: string }) => void;
  /** Only write the test (its processor reports to no ledger: workers elsewhere need `sink`). */
  dryRun?: boolean;
  onLine?: (line: string) => void;
}

/** The embedded simulator's profiles, with the provisioned rate as their 9.3 limit. */
function embeddedProfiles(spec: Spec): Record<string, LoadProfile> {
  const out: Record<string, LoadProfile> = {};
  for (const p of defaultProfiles()) {
    const service = spec.services.find((s) => s.id === p.service);
    if (service?.kind !== 'api') continue;
    out[p.service] = {
      profile: p.id,
      password: p.password,
      ...(p.billingCode ? { billingCode: p.billingCode } : {}),
    };
  }
  return out;
}

async function embeddedSimulator(listenerUrl: string, provisioned: number | undefined): Promise<Target> {
  const profiles = defaultProfiles(listenerUrl).map((p) =>
    provisioned ? { ...p, rate: { perSecond: provisioned, burst: provisioned } } : p,
  );
  // The ledger is the listener's: the simulator keeps no timelines (a load run would only pay for them).
  const sim = await startSimulator({ profiles, smtp: false, log: false, maxTransactions: 0 });
  return { url: sim.url, close: () => sim.close() };
}

/** Writes the script and processor (and the plan, without passwords) for a plan; returns the script's path. */
export function writeTest(plan: Plan, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'processor.cjs'), processorSource(plan));
  writeFileSync(join(outDir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  const script = join(outDir, 'load.yml');
  writeFileSync(script, artilleryScript(plan));
  return script;
}

/** The MSE_LOAD_SECRETS value the processor reads: each profile's password. */
export function secretsEnv(profiles: Record<string, LoadProfile>): string {
  return JSON.stringify(Object.fromEntries(Object.values(profiles).map((p) => [p.profile, p.password])));
}

/** Waits until every file exists (Artillery writes its JSON output when its run ends). */
async function waitForFiles(files: string[]): Promise<void> {
  const complete = (f: string) => {
    if (!existsSync(f)) return false;
    try {
      JSON.parse(readFileSync(f, 'utf8'));
      return true;
    } catch {
      return false;
    }
  };
  // Another process writes them: watch their folders (registered at once, so no write after the check
  // below goes unseen), and check again on every event.
  await new Promise<void>((done) => {
    const watchers = [...new Set(files.map((f) => dirname(f)))].map((d) => {
      mkdirSync(d, { recursive: true });
      return watch(d, () => check());
    });
    const check = () => {
      if (!files.every(complete)) return;
      for (const w of watchers) w.close();
      done();
    };
    check();
  });
}

function planFor(o: LoadRunOptions, target: string, ledgerUrl: string): Plan {
  return buildPlan({
    spec: o.spec,
    mix: o.mix,
    target,
    ledgerUrl,
    profiles: o.profiles ?? embeddedProfiles(o.spec),
    ...(o.subscriber ? { subscriber: o.subscriber } : {}),
    rate: o.rate,
    ...(o.provisioned !== undefined ? { provisioned: o.provisioned } : {}),
    phases: o.phases,
    workers: o.workers ?? 1,
  });
}

/** Runs the load (or, with dryRun, only writes the test and returns undefined). */
export async function runLoad(o: LoadRunOptions): Promise<LoadReport | undefined> {
  const startedAt = new Date().toISOString();
  const outDir = resolve(o.outDir);
  if (o.dryRun) {
    // `mse-conformance simulate`'s default address when no target is named.
    writeTest(
      planFor(o, o.target ?? 'http://127.0.0.1:8080', `${o.publicUrl ?? 'http://127.0.0.1:0'}/__load/none`),
      outDir,
    );
    return undefined;
  }
  const intakePath = `/__load/${randomBytes(12).toString('hex')}`;
  let ledger: Ledger | undefined;
  const early: Parameters<Ledger['delivery']>[0][] = [];
  const listener = await startListener({
    host: o.listenHost ?? '127.0.0.1',
    port: o.listenPort ?? 0,
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    onDelivery: (d) => (ledger ? ledger.delivery(d) : early.push(d)),
    intake: { path: intakePath, handle: (body) => ledger?.intake(body) },
  });
  let target: Target | undefined;
  try {
    target = o.target
      ? { url: o.target, close: async () => {} }
      : await (o.startTarget ?? embeddedSimulator)(listener.url, o.provisioned);
    const profiles = o.profiles ?? embeddedProfiles(o.spec);
    const plan = planFor(o, target.url, `${listener.url}${intakePath}`);
    ledger = new Ledger(plan.entries);
    for (const d of early) ledger.delivery(d);
    const script = writeTest(plan, outDir);
    o.onReady?.({ script, listenerUrl: listener.url });
    const outputs = (o.artilleryJson ?? []).map((f) => resolve(f));
    if (o.sink) await waitForFiles(outputs);
    else {
      const output = join(outDir, 'artillery.json');
      outputs.unshift(output);
      const code = await runArtillery({
        script,
        output,
        cwd: outDir,
        env: { MSE_LOAD_SECRETS: secretsEnv(profiles) },
        ...(o.onLine ? { onLine: o.onLine } : {}),
      });
      if (code !== 0) throw new Error(`artillery exited ${code}; its output is above`);
      await waitForFiles(outputs);
    }
    await ledger.settle(o.receiptDeadlineMs);
    const artillery = mergeArtillery(outputs);
    const summary = ledger.summary(o.receiptDeadlineMs);
    const failures = judge(artillery, summary);
    const report: LoadReport = {
      schemaVersion: 1,
      kind: 'load',
      startedAt,
      finishedAt: new Date().toISOString(),
      target: target.url,
      mix: {
        source: plan.mixSource,
        entries: plan.entries.map((e) => ({
          name: e.name,
          share: Number(e.weight.toFixed(4)),
          receipt: e.receipt,
        })),
      },
      phases: plan.phases,
      artillery,
      ledger: summary,
      ok: failures.length === 0,
      failures,
    };
    writeLoadReport(report, outDir);
    return report;
  } finally {
    await target?.close();
    await listener.close();
  }
}
