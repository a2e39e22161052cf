/**
 * `mse-conformance load`: a volume test of a gateway at production rates (9.3) on Artillery, with every
 * receipt of every accepted async-delivery request accounted for by the listener's ledger.
 */

import type { RunConfig } from '../checks/config.ts';
import { ArtilleryMissing, artilleryBin } from '../load/artillery.ts';
import { type Mix, MixError, parseMix } from '../load/mix.ts';
import type { LoadProfile } from '../load/plan.ts';
import { renderLoadMarkdown } from '../load/report.ts';
import { type LoadRunOptions, runLoad } from '../load/run.ts';
import { loadSpec } from '../spec/load.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';
import { checkTargetUrl, readConfig } from './run.ts';

const HELP = `Usage: mse-conformance load --out DIR [--run | --sink --artillery-json FILE] [options]

Writes an Artillery test of the gateway (DIR/load.yml and DIR/processor.cjs) from the spec: a weighted
mix of services and modes, valid requests (ISO-8859-1 where the mix says so), and arrival phases: warm-up,
ramp to --rate, sustain, then beyond the provisioned rate, where the gateway must refuse cleanly (9.3).
With --run it also runs Artillery here, with this command's listener as the receipt and MO sink keeping a
ledger by transaction id, and writes DIR/load-report.json and DIR/load-report.md.

Options:
  --target URL           the gateway (default: the embedded simulator, delivering to the listener)
  --config FILE          run config: the gateway's profiles (with their 9.3 rate), subscribers, listener
  --mix SPEC             SERVICE:MODE=WEIGHT[:CHARSET],... or a JSON file; default SMS-heavy (the
                         document gives no mix)
  --rate N               arrivals per second in the sustain phase, all workers together (default 100)
  --provisioned N        the per-profile rate provisioned on the gateway (default: the config's, or the
                         embedded simulator's, which is --rate); the beyond phase doubles it
  --warmup S --ramp S --sustain S --beyond S   phase lengths in seconds (default 10, 10, 60, 10)
  --workers N            Artillery workers sharing the rate (each runs the same script; default 1)
  --out DIR              where the test and the report go (required)
  --run                  run Artillery here (needs the artillery package, an optional peer dependency)
  --sink                 do not run Artillery: keep the listener and ledger up for workers run elsewhere,
                         until every --artillery-json file exists, then report
  --artillery-json FILES comma-separated Artillery JSON outputs of other workers, merged into the report
  --public-url URL       the URL the gateway and the workers reach the listener at (NAT, another host)
  --listen HOST:PORT     where the listener binds (default 127.0.0.1, any free port)
  --receipt-deadline S   how long receipts are waited for after the run (default 30)
  --quiet                no Artillery progress

Exit codes: 0 no receipt lost or duplicated and every answer clean, 1 otherwise, 2 usage or config error.`;

function number(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new UsageError(`--${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

function parseLoadArgs(args: string[]) {
  return parseOptions(args, {
    target: { type: 'string' },
    config: { type: 'string' },
    mix: { type: 'string' },
    rate: { type: 'string' },
    provisioned: { type: 'string' },
    warmup: { type: 'string' },
    ramp: { type: 'string' },
    sustain: { type: 'string' },
    beyond: { type: 'string' },
    workers: { type: 'string' },
    out: { type: 'string' },
    run: { type: 'boolean' },
    sink: { type: 'boolean' },
    'artillery-json': { type: 'string' },
    'public-url': { type: 'string' },
    listen: { type: 'string' },
    'receipt-deadline': { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean' },
  });
}

type LoadValues = ReturnType<typeof parseLoadArgs>['values'];

/** The mix of --mix (or the default), with a bad mix as a usage error. */
function readMix(spec: ReturnType<typeof loadSpec>, raw: string | undefined): Mix {
  try {
    return parseMix(spec, raw);
  } catch (error) {
    if (error instanceof MixError) throw new UsageError(error.message, error.code);
    throw error;
  }
}

/** Against a target, the config's profile for every service of the mix, and the highest rate provisioned. */
function mixProfiles(
  mix: Mix,
  config: RunConfig,
): { profiles: Record<string, LoadProfile>; configured: number | undefined } {
  const profiles: Record<string, LoadProfile> = {};
  let configured: number | undefined;
  for (const e of mix.entries) {
    const p = config.profiles[e.service];
    if (!p)
      throw new UsageError(
        `the mix uses ${e.service}, which the config does not provision (profiles.${e.service})`,
        'MSE_LOAD_PROFILE',
      );
    profiles[e.service] = {
      profile: p.profile,
      password: p.password,
      ...(p.billingCode ? { billingCode: p.billingCode } : {}),
    };
    if (p.rate) configured = Math.max(configured ?? 0, p.rate.perSecond);
  }
  return { profiles, configured };
}

/** --listen HOST:PORT, brackets of an IPv6 host removed. */
function parseListen(raw: string | undefined): { host?: string; port?: number } {
  if (!raw) return {};
  const m = /^(.*):([0-9]+)$/.exec(raw);
  if (!m) throw new UsageError(`--listen takes HOST:PORT, got "${raw}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** With --run, Artillery must be installed; its absence is a usage error. */
function requireArtillery(): void {
  try {
    artilleryBin();
  } catch (error) {
    if (error instanceof ArtilleryMissing) throw new UsageError(error.message, error.code);
    throw error;
  }
}

/** Where the test is written, and with --sink how to start the workers that feed this listener. */
function announceReady(values: LoadValues): LoadRunOptions['onReady'] {
  return ({ script }) => {
    if (!values.run && !values.sink) return;
    console.error(`mse-conformance load: test written to ${script}`);
    if (values.sink)
      console.error(
        `waiting for the workers: MSE_LOAD_SECRETS='{"PROFILE":"password",...}' ARTILLERY_DISABLE_TELEMETRY=true artillery run-fargate --count N --output ${values['artillery-json']} ${script}`,
      );
  };
}

/** The options that do not depend on the target: phases, workers, listener, Artillery outputs, output lines. */
function runOptions(values: LoadValues, listen: { host?: string; port?: number }) {
  return {
    phases: {
      warmupSeconds: number('warmup', values.warmup, 10),
      rampSeconds: number('ramp', values.ramp, 10),
      sustainSeconds: number('sustain', values.sustain, 60, 1),
      beyondSeconds: number('beyond', values.beyond, 10),
    },
    workers: number('workers', values.workers, 1, 1),
    ...(listen.host !== undefined ? { listenHost: listen.host, listenPort: listen.port! } : {}),
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    receiptDeadlineMs: number('receipt-deadline', values['receipt-deadline'], 30) * 1000,
    ...(values['artillery-json']
      ? { artilleryJson: values['artillery-json'].split(',').filter(Boolean) }
      : {}),
    ...(values.sink ? { sink: true } : {}),
    ...(values.quiet ? {} : { onLine: (line: string) => console.error(line) }),
    onReady: announceReady(values),
    dryRun: !values.run && !values.sink,
  };
}

export async function loadCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseLoadArgs(args);
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n${HELP}`);
  if (!values.out) throw new UsageError(`--out DIR is required\n${HELP}`);
  if (values.sink && !values['artillery-json'])
    throw new UsageError('--sink needs --artillery-json FILE: the output the workers will write');
  const spec = loadSpec();
  const mix = readMix(spec, values.mix);
  const config = readConfig({ ...(values.config ? { config: values.config } : {}) });
  const target = values.target ?? config.target;
  const { profiles, configured } = target
    ? mixProfiles(mix, config)
    : { profiles: undefined, configured: undefined };
  const rate = number('rate', values.rate, 100, 1);
  const listen = parseListen(values.listen);
  if (values['public-url'] && !/^https?:\/\/[^/]/.test(values['public-url']))
    throw new UsageError(`--public-url must be an http(s) URL, got "${values['public-url']}"`);
  if (values.run) requireArtillery();
  const provisioned = values.provisioned
    ? number('provisioned', values.provisioned, rate, 1)
    : (configured ?? (target ? undefined : rate));
  const report = await runLoad({
    spec,
    mix,
    outDir: values.out,
    ...(target ? { target: checkTargetUrl(target) } : {}),
    ...(profiles ? { profiles } : {}),
    ...(config.subscribers[0] ? { subscriber: config.subscribers[0] } : {}),
    rate,
    ...(provisioned !== undefined ? { provisioned } : {}),
    ...runOptions(values, listen),
  });
  if (!report) {
    console.log(
      `Artillery test written to ${values.out} (load.yml, processor.cjs, plan.json); run it with --run`,
    );
    return ExitCode.Ok;
  }
  console.log(renderLoadMarkdown(report));
  return report.ok ? ExitCode.Ok : ExitCode.Nonconformant;
}
