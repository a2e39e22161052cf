/**
 * Reliability benchmark (issue 7), the long variants of test/reliability: thousands of hostile requests
 * per server with heap measured after gc, 10,000 receipts to the suite's listener from 50 senders,
 * 10,000 async-delivery submits to the simulator with every receipt counted, 20 full gateway runs with
 * verdicts compared per check id, and the scan for fixed sleeps.
 *
 *   node bin/run-ts.js bench/reliability.ts
 *
 * Sizes can be lowered for a quick look: MSE_BENCH_FUZZ_RUNS, MSE_BENCH_RECEIPTS, MSE_BENCH_SUBMITS,
 * MSE_BENCH_FLAKY_RUNS, MSE_BENCH_FLAKY_PARALLEL.
 */
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import type fc from 'fast-check';
import { startListener } from '../src/listener/index.ts';
import { startReferencePartner } from '../src/partner/reference.ts';
import { startSimulator } from '../src/simulator/index.ts';
import { type FlakinessResult, findFixedSleeps, flakiness } from '../test/reliability/flaky.ts';
import {
  type FuzzResult,
  fuzz,
  type HostileRequest,
  judgeHttp,
  judgeSimulator,
  serviceRequestArb,
} from '../test/reliability/fuzz.ts';
import { portOf } from '../test/reliability/helpers.ts';
import {
  type ListenerLoadResult,
  loadListener,
  loadSimulator,
  type SimulatorLoadResult,
} from '../test/reliability/load.ts';

/** A gc function, so heap figures are taken after collection (node only exposes it with a flag). */
export function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  (globalThis as { gc?: () => void }).gc = gc;
  return gc;
}

export interface FuzzFigures extends FuzzResult {
  server: string;
  seconds: number;
  heapBeforeMb: number;
  heapAfterMb: number;
}

export interface ReliabilityBenchResult {
  fuzz: FuzzFigures[];
  receipts: ListenerLoadResult;
  submits: SimulatorLoadResult;
  flakiness: FlakinessResult & { seconds: number; parallel: number };
  fixedSleeps: ReturnType<typeof findFixedSleeps>;
}

const envNumber = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

async function fuzzAll(runs: number, gc: () => void): Promise<FuzzFigures[]> {
  const listener = await startListener({ maxBodyBytes: 64 * 1024 });
  const sim = await startSimulator({
    smtp: false,
    log: () => {},
    callback: listener.url,
    maxBodyBytes: 64 * 1024,
    syncTimeoutMs: 2_000,
    maxTransactions: 2_000,
  });
  const partner = await startReferencePartner({ credentials: { userid: 'mse', pwd: 'mse-secret' } });
  const targets: {
    server: string;
    port: number;
    judge: typeof judgeSimulator;
    paths: string[];
    requests?: fc.Arbitrary<HostileRequest>;
  }[] = [
    {
      server: 'simulator',
      port: portOf(sim.url),
      judge: judgeSimulator,
      paths: [
        '/MSE/api',
        '/MSE/api',
        '/MSE/api',
        '/MSE/ussd',
        '/MSE/ussd',
        '/__control/mo/sms',
        '/__control/ussd/event',
        '/__control/transactions',
        '/__control/scenario',
      ],
    },
    {
      server: 'listener',
      port: portOf(listener.url),
      judge: judgeHttp,
      paths: ['/receipt', '/mo/sms', '/mo/mms', '/mo/wib', '/ussd', '/', '/__suite/00/wait'],
    },
    {
      server: 'partner',
      port: portOf(partner.url),
      judge: judgeHttp,
      paths: ['/receipt', '/mo/sms', '/mo/mms', '/mo/wib', '/ussd', '/inbox', '/'],
    },
  ];
  targets.splice(1, 0, {
    server: 'simulator services',
    port: portOf(sim.url),
    judge: judgeSimulator,
    paths: ['/MSE/api'],
    requests: serviceRequestArb(),
  });
  const out: FuzzFigures[] = [];
  try {
    for (const t of targets) {
      gc();
      const before = process.memoryUsage().heapUsed;
      const started = performance.now();
      const r = await fuzz({
        property: `bench-${t.server.replace(' services', '')}`,
        port: t.port,
        paths: t.paths,
        judge: t.judge,
        ...(t.requests ? { requests: t.requests } : {}),
        numRuns: runs,
        stillServing: async () => {},
      });
      const seconds = (performance.now() - started) / 1000;
      gc();
      out.push({
        ...r,
        server: t.server,
        seconds,
        heapBeforeMb: mb(before),
        heapAfterMb: mb(process.memoryUsage().heapUsed),
      });
    }
  } finally {
    await sim.close();
    await listener.close();
    await partner.close();
  }
  return out;
}

export async function benchReliability(
  progress: (line: string) => void = () => {},
): Promise<ReliabilityBenchResult> {
  const gc = exposeGc();
  progress('reliability: fuzzing');
  const fuzzFigures = await fuzzAll(envNumber('MSE_BENCH_FUZZ_RUNS', 3_000), gc);
  progress('reliability: receipts to the listener');
  const receipts = await loadListener(envNumber('MSE_BENCH_RECEIPTS', 10_000), 50);
  progress('reliability: async-delivery submits to the simulator');
  const submits = await loadSimulator(envNumber('MSE_BENCH_SUBMITS', 10_000), 50);
  const runs = envNumber('MSE_BENCH_FLAKY_RUNS', 20);
  const parallel = envNumber('MSE_BENCH_FLAKY_PARALLEL', 4);
  progress(`reliability: ${runs} gateway runs, ${parallel} at a time`);
  const started = performance.now();
  const flaky = await flakiness(runs, parallel);
  return {
    fuzz: fuzzFigures,
    receipts,
    submits,
    flakiness: { ...flaky, seconds: (performance.now() - started) / 1000, parallel },
    fixedSleeps: findFixedSleeps(),
  };
}

const goal = (ok: boolean) => (ok ? 'met' : 'NOT MET');

export function formatReliabilityBench(r: ReliabilityBenchResult): string {
  const lines: string[] = ['Fuzzing (raw hostile requests over node:net, 5 s deadline each):'];
  for (const f of r.fuzz) {
    const statuses = Object.entries(f.statusCounts)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    lines.push(
      `  ${f.server.padEnd(18)} ${f.runs} requests in ${f.seconds.toFixed(1)} s, slowest answer ${Math.round(f.answeredMsMax)} ms, ` +
        `heap ${f.heapBeforeMb} -> ${f.heapAfterMb} MB after gc, ${f.failure ? `FAILED: ${f.failure.slice(0, 300)}` : 'all answered well-formed'} (seed ${f.seed})`,
      `             answers ${statuses}`,
    );
  }
  const rc = r.receipts;
  lines.push(
    `Receipts to the listener (50 concurrent senders): ${rc.sent} sent, ${rc.answered200} answered 200, ${rc.recorded} recorded, ` +
      `${rc.lost} lost, ${rc.duplicated} recorded twice, ${rc.errors} errors, ${rc.perSecond} receipts/s -> goal none lost, each once: ${goal(rc.lost === 0 && rc.duplicated === 0 && rc.recorded === rc.sent)}`,
  );
  const s = r.submits;
  lines.push(
    `Simulator under async-delivery load (50 clients, 1 receipt in 10 refused once with 503): ${s.submitted} submitted, ${s.accepted} accepted, ` +
      `${s.submitPerSecond} submits/s, drained in ${s.drainSeconds.toFixed(1)} s`,
    `  receipts: ${s.deliveredOnce} delivered exactly once, ${s.lost} lost, ${s.duplicated} duplicated, ${s.unknown} unknown, ${s.refusedAttempts} redelivered after 503 -> ${goal(s.lost === 0 && s.duplicated === 0 && s.deliveredOnce === s.accepted)}`,
    `  heap ${s.heapBeforeMb} MB before, ${s.heapPeakMb} MB peak, ${s.heapAfterMb} MB after gc; still serving: ${s.stillServing}`,
  );
  const f = r.flakiness;
  lines.push(
    `Flakiness: ${f.runs} full gateway runs (${f.parallel} at a time, ${f.seconds.toFixed(0)} s), ${f.checks} checks, ` +
      `${f.differing.length} with differing verdicts -> goal 0: ${goal(f.differing.length === 0)}`,
    `  exit codes ${[...new Set(f.codes)].join(',')}; run times ${Math.min(...f.runMs)}-${Math.max(...f.runMs)} ms; ` +
      `verdicts compared within ${f.sources} version(s) of the code, ${f.discarded} run(s) left out because the code changed while they ran`,
  );
  for (const d of f.differing.slice(0, 20))
    lines.push(`  differs: ${d.id} ${JSON.stringify(d.verdicts)}${d.message ? ` -- ${d.message}` : ''}`);
  const unreviewed = r.fixedSleeps.filter((s) => !s.allowed);
  lines.push(
    `Fixed sleeps in suites/, src/, reporters/: ${unreviewed.length} (plus ${r.fixedSleeps.length - unreviewed.length} reviewed timed wait(s))`,
  );
  for (const s of r.fixedSleeps)
    lines.push(`  ${s.file}:${s.line} ${s.text}${s.allowed ? `  [reviewed: ${s.allowed}]` : ''}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[2] ?? process.argv[1] ?? '').href) {
  console.log(formatReliabilityBench(await benchReliability((l) => console.error(l))));
}
