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
  --quiet            no per-transaction log lines`;

export async function simulateCommand(args: string[]): Promise<number> {
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
