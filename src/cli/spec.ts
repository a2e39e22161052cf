import { SpecError } from '../spec/errors.ts';
import { defaultSpecDir, loadSpec } from '../spec/load.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const help = `Usage: mse-conformance spec validate [--spec DIR]

Validates every file of the spec (schemas, cross-references, fixtures, errata) and prints its counts.`;

export async function specCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { spec: { type: 'string' }, help: { type: 'boolean' } });
  if (values.help) {
    console.log(help);
    return ExitCode.Ok;
  }
  if (positionals[0] !== 'validate' || positionals.length > 1)
    throw new UsageError(`expected "spec validate"\n${help}`);
  try {
    const spec = loadSpec(values.spec ?? defaultSpecDir);
    const fixtures = new Set(spec.services.flatMap((s) => s.examples.map((e) => e.fixture)));
    console.log(`spec ${spec.hash.slice(0, 12)} is valid`);
    console.log(`  services  ${spec.services.length}`);
    console.log(`  rules     ${spec.rules.size}`);
    console.log(`  fixtures  ${fixtures.size} document examples`);
    console.log(`  errata    ${spec.errata.length}`);
    console.log(`  status    ${spec.statusCodes.length} codes`);
    for (const s of spec.services)
      console.log(
        `  ${s.section.padEnd(8)} ${s.id.padEnd(22)} ${s.kind.padEnd(13)} modes: ${s.modes.allowed.join(', ') || '-'}`,
      );
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`spec is invalid (${error.code}): ${error.message}`);
      return ExitCode.Usage;
    }
    throw error;
  }
}
