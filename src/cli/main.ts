import { version } from '../core/version.ts';
import { ExitCode, UsageError } from './common.ts';

type Command = (args: string[]) => Promise<number>;

/** Subcommands, loaded on demand so that `--help` does not pay for the simulator or vitest. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  spec: {
    summary: 'spec validate: validate the whole spec; spec coverage: every rule and the checks citing it',
    load: async () => (await import('./spec.ts')).specCommand,
  },
  gateway: {
    summary: 'test an MSE implementation (no --target: the embedded reference simulator)',
    load: async () => (await import('./gateway.ts')).gatewayCommand,
  },
  partner: {
    summary: 'certify partner endpoints (receipts, SMS MO, MMS MO, USSD); no --target: the reference partner',
    load: async () => (await import('./partner.ts')).partnerCommand,
  },
  verify: {
    summary: 'verify BUNDLE: check that a certification bundle is intact and print its summary',
    load: async () => (await import('./verify.ts')).verifyCommand,
  },
  docs: {
    summary: 'write the reference site (services, rules, deliveries, API) from the spec',
    load: async () => (await import('./docs.ts')).docsCommand,
  },
  simulate: {
    summary: 'run the reference MSE simulator (API, USSD, control API, SMTP AUTD) for local development',
    load: async () => (await import('./simulate.ts')).simulateCommand,
  },
  load: {
    summary: 'volume test on Artillery (9.3): write it, run it, and account for every receipt',
    load: async () => (await import('./load.ts')).loadCommand,
  },
  pact: {
    summary: 'pact export: write Pact files for both directions from the spec',
    load: async () => (await import('./pact.ts')).pactCommand,
  },
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'Usage: mse-conformance <command> [options]',
    '',
    'Conformance suite, contract and reference simulator for the Claro MSE partner HTTP API.',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  --help      show this help (also: mse-conformance <command> --help)',
    '  --version   print the version',
    '',
    'Exit codes: 0 conformant, 1 nonconformance found, 2 usage or config error, 3 target unreachable.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return first === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (first === '--version' || first === '-v') {
    console.log(version());
    return ExitCode.Ok;
  }
  const command = commands[first];
  if (!command) {
    console.error(`mse-conformance: unknown command "${first}" (MSE_USAGE). Run mse-conformance --help.`);
    return ExitCode.Usage;
  }
  try {
    return await (await command.load())(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`mse-conformance ${first}: ${error.message} (${error.code})`);
      return ExitCode.Usage;
    }
    throw error;
  }
}
