import { resolve } from 'node:path';
import { exportPacts } from '../pact/export.ts';
import { SpecError } from '../spec/errors.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const help = `Usage: mse-conformance pact export --out DIR [--password PWD] [--billing-code CODE]

Writes Pact files (specification v3) generated from the spec, both directions:
  DIR/partner-mse.json  consumer partner -> provider mse: one interaction per service the partner calls
  DIR/mse-partner.json  consumer mse -> provider partner: receipts, SMS MO (ISO-8859-1), MMS MO, USSD events

Responses are matched by rules (status-code ^0$, transaction-id ^[0-9]+$, profile by type), so any
conforming implementation passes. The MSE under test must provision one profile per service, named
after the service (SMS_TEXT, ...), with the password given (default: senha) and, for services whose
profiles demand one, the billingCode given (default: 000000). When verifying the partner, pass
latin1RequestFilter (src/pact/latin1.ts) as the Verifier's requestFilter: see the docs' Pact page.
Set PACT_DO_NOT_TRACK=true wherever Pact runs.`;

export async function pactCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    out: { type: 'string' },
    password: { type: 'string' },
    'billing-code': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    console.log(help);
    return ExitCode.Ok;
  }
  if (positionals[0] !== 'export' || positionals.length > 1)
    throw new UsageError(`expected "pact export"\n${help}`);
  if (!values.out) throw new UsageError(`--out DIR is required\n${help}`);
  try {
    const result = exportPacts(resolve(values.out), {
      ...(values.password ? { password: values.password } : {}),
      ...(values['billing-code'] ? { billingCode: values['billing-code'] } : {}),
    });
    for (const file of result.files) console.log(`wrote ${file}`);
    console.log(`  interactions  ${result.interactions}`);
    console.log(`  profiles      ${result.profiles.length} (one per service, named after it)`);
    for (const s of result.skipped) console.log(`  skipped       ${s}`);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`spec is invalid (${error.code}): ${error.message}`);
      return ExitCode.Usage;
    }
    throw error;
  }
}
