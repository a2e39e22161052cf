import { readFileSync } from 'node:fs';
import { loadSimulatorConfig } from '../simulator/config.ts';
import { type SimulatorOptions, startSimulator } from '../simulator/index.ts';
import { SimulatorError } from '../simulator/status.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const help = `Usage: mse-conformance simulate [options]

Runs the reference MSE simulator: /MSE/api, /MSE/ussd, the control API under /__control and an SMTP
AUTD listener, until SIGINT or SIGTERM.

Options:
  --host ADDR        address to listen on (default 127.0.0.1)
  --port N           HTTP(S) port (default 8080; 0 = any free port)
  --smtp-port N      SMTP AUTD port (default 2525; 0 = any free port)
  --no-smtp          no SMTP listener
  --config FILE      JSON or YAML configuration (spec/schema/simulator-config.schema.json)
  --callback URL     base URL the default profiles deliver receipts and MO to
  --tls-cert FILE    PEM certificate: serve HTTPS (with --tls-key)
  --tls-key FILE     PEM private key
  --seed N           seed of the random SMSC outcome mix
  --quiet            no per-transaction log lines

Inject what a subscriber sends into a running simulator (through its control API):
  mse-conformance simulate inject sms  --control URL --from N --to SHORT --text TEXT
  mse-conformance simulate inject mms  --control URL --from N --to SHORT --mms FILE
  mse-conformance simulate inject wib  --control URL --param NAME=VALUE [--param ...]
  mse-conformance simulate inject ussd --control URL --msisdn N --short-code C
                                       --kind user-init|menu-answer|input-answer [--value V]
  (--control defaults to http://127.0.0.1:8080/__control; --profile ID picks a profile)`;

export async function simulateCommand(args: string[]): Promise<number> {
  if (args[0] === 'inject') return inject(args.slice(1));
  const { values, positionals } = parseOptions(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    'smtp-port': { type: 'string' },
    'no-smtp': { type: 'boolean' },
    config: { type: 'string' },
    callback: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    console.log(help);
    return ExitCode.Ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n${help}`);
  const integer = (name: string, raw: string | undefined, max = 65535) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new UsageError(`--${name} must be an integer from 0 to ${max}, got "${raw}"`);
    return n;
  };

  let options: SimulatorOptions = {};
  try {
    if (values.config) options = loadSimulatorConfig(values.config).options;
    if (values.host) options.host = values.host;
    options.port = integer('port', values.port) ?? options.port ?? 8080;
    if (values.callback) {
      if (!/^https?:\/\//.test(values.callback))
        throw new UsageError(`--callback must be an http(s) URL, got "${values.callback}"`);
      options.callback = values.callback;
    }
    const seed = integer('seed', values.seed, 2 ** 31);
    if (seed !== undefined) options.seed = seed;
    if (Boolean(values['tls-cert']) !== Boolean(values['tls-key']))
      throw new UsageError('--tls-cert and --tls-key go together');
    if (values['tls-cert'] && values['tls-key'])
      options.tls = {
        cert: readPem(values['tls-cert'], 'certificate'),
        key: readPem(values['tls-key'], 'key'),
      };
    if (values['no-smtp']) options.smtp = false;
    else if (values['smtp-port'] !== undefined || options.smtp === undefined)
      options.smtp = { ...(options.smtp || {}), port: integer('smtp-port', values['smtp-port']) ?? 2525 };
    if (values.quiet) options.log = () => {};
  } catch (error) {
    if (error instanceof SimulatorError) throw new UsageError(error.message, error.code);
    throw error;
  }

  let sim: Awaited<ReturnType<typeof startSimulator>>;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: string };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES')
      throw new UsageError(
        `cannot listen (${e.code}): ${e.message}; choose another --port or --smtp-port`,
        'MSE_SIM_LISTEN',
      );
    if (error instanceof SimulatorError) throw new UsageError(error.message, error.code);
    throw error;
  }
  // Handlers first: a signal may arrive as soon as the addresses are printed.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`\n${signal}: stopping`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  console.log('MSE simulator listening');
  console.log(`  API       ${sim.url}/MSE/api`);
  console.log(`  USSD      ${sim.url}/MSE/ussd`);
  console.log(`  control   ${sim.controlUrl}`);
  if (sim.smtp) console.log(`  SMTP      smtp://${sim.smtp.host}:${sim.smtp.port}`);
  console.log(`  profiles  ${sim.profiles.length} (GET ${sim.controlUrl}/profiles)`);
  if (options.callback) console.log(`  callback  ${options.callback}`);
  console.log('Stop with Ctrl-C.');

  await stopped;
  await sim.close();
  return ExitCode.Ok;
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the TLS ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'MSE_SIM_TLS',
    );
  }
}

/** `simulate inject KIND`: one POST to the control API of a running simulator, its JSON answer printed. */
async function inject(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    control: { type: 'string' },
    profile: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    text: { type: 'string' },
    mms: { type: 'string' },
    param: { type: 'string', multiple: true },
    msisdn: { type: 'string' },
    'short-code': { type: 'string' },
    kind: { type: 'string' },
    value: { type: 'string' },
    'session-owner': { type: 'string' },
  });
  const kind = positionals[0];
  const control = (values.control ?? 'http://127.0.0.1:8080/__control').replace(/\/+$/, '');
  const profile = values.profile !== undefined ? { profile: values.profile } : {};
  let path: string;
  let body: Record<string, unknown>;
  switch (kind) {
    case 'sms':
      path = '/mo/sms';
      body = { from: values.from, to: values.to, text: values.text, ...profile };
      break;
    case 'mms':
      if (!values.mms) throw new UsageError('inject mms needs --mms FILE (the MIME message)');
      path = '/mo/mms';
      body = { from: values.from, to: values.to, mms: readFileSync(values.mms, 'utf8'), ...profile };
      break;
    case 'wib': {
      const params: Record<string, string> = {};
      for (const p of values.param ?? []) {
        const eq = p.indexOf('=');
        if (eq < 1) throw new UsageError(`--param takes NAME=VALUE, got "${p}"`);
        params[p.slice(0, eq)] = p.slice(eq + 1);
      }
      path = '/mo/wib';
      body = { params, ...profile };
      break;
    }
    case 'ussd':
      path = '/ussd/event';
      body = {
        msisdn: values.msisdn,
        shortCode: values['short-code'],
        kind: values.kind,
        ...(values.value !== undefined ? { value: values.value } : {}),
        ...(values['session-owner'] !== undefined ? { sessionOwner: values['session-owner'] } : {}),
      };
      break;
    default:
      throw new UsageError(`inject needs sms, mms, wib or ussd, got "${kind ?? ''}"\n${help}`);
  }
  let response: Response;
  try {
    response = await fetch(`${control}${path}`, { method: 'POST', body: JSON.stringify(body) });
  } catch (error) {
    console.error(
      `cannot reach the simulator at ${control} (${(error as Error).message}); start it with mse-conformance simulate`,
    );
    return ExitCode.Unreachable;
  }
  const text = await response.text();
  if (response.ok) {
    console.log(text.trim());
    return ExitCode.Ok;
  }
  console.error(`the simulator refused the injection (HTTP ${response.status}): ${text.trim()}`);
  return ExitCode.Usage;
}
