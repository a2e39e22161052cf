import { existsSync } from 'node:fs';
import { verifyBundle } from '../bundle/index.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const HELP = `Usage: mse-conformance verify BUNDLE

Checks a certification bundle written by \`mse-conformance partner --bundle\` (or gateway): every file's
SHA-256 against manifest.json, and manifest.json against manifest.sha256. Prints the run's summary.

Exit codes: 0 intact, 1 altered (what was altered is listed), 2 usage error.`;

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one bundle (a directory or a .tar file)');
  const path = positionals[0]!;
  if (!existsSync(path))
    throw new UsageError(`no bundle at ${path}: give the path --bundle wrote`, 'MSE_BUNDLE_MISSING');

  const result = await verifyBundle(path);
  const report = result.report;
  const manifest = result.manifest;
  if (manifest) {
    console.log(`bundle     ${path}`);
    console.log(`suite      ${manifest.suite} ${manifest.suiteVersion}`);
    console.log(`spec hash  ${manifest.specHash}`);
    console.log(`target     ${manifest.target}`);
    console.log(`written    ${manifest.createdAt}`);
  }
  if (report?.summary) {
    const counts = Object.entries(report.summary.byVerdict)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ');
    console.log(`checks     ${report.summary.total} (${counts})`);
    console.log(`conformant ${report.summary.conformant ? 'yes' : 'no'}`);
  }
  if (result.coverage) {
    const entries = Object.values(result.coverage);
    const covered = entries.filter((e) => e.checks.length > 0).length;
    console.log(
      `rules      ${covered} covered by checks, ${entries.length - covered} listed without a check`,
    );
  }
  if (result.intact) {
    console.log(`intact     yes (${Object.keys(manifest?.files ?? {}).length} files match the manifest)`);
    return ExitCode.Ok;
  }
  console.log('intact     NO: the bundle was altered (MSE_BUNDLE_ALTERED)');
  for (const p of result.problems) console.log(`  - ${p}`);
  return ExitCode.Nonconformant;
}
