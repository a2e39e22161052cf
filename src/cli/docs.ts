import { resolve } from 'node:path';
import { coverageFigure } from '../docs/coverage.ts';
import { generateDocs } from '../docs/index.ts';
import { SpecError } from '../spec/errors.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const help = `Usage: mse-conformance docs --out DIR [--spec DIR] [--no-api]

Writes the reference site generated from spec/: one page per service, the rules index with its
coverage figure, the deliveries to partners with their encodings byte by byte, the errata, and the
library's API reference (typedoc) under DIR/api. The site works offline; open DIR/index.html.

  --out DIR    folder to write (replaced)
  --spec DIR   spec folder (default: the project's spec/)
  --no-api     skip the typedoc API reference`;

export async function docsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    out: { type: 'string' },
    spec: { type: 'string' },
    'no-api': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    console.log(help);
    return ExitCode.Ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n${help}`);
  if (!values.out) throw new UsageError(`--out DIR is required\n${help}`);
  const outDir = resolve(values.out);
  try {
    const result = await generateDocs({
      outDir,
      ...(values.spec ? { specDir: resolve(values.spec) } : {}),
      api: !values['no-api'],
    });
    console.log(`docs written to ${outDir}`);
    console.log(`  pages     ${result.pages.length}${result.api ? ' (plus the API reference)' : ''}`);
    console.log(`  coverage  ${coverageFigure(result.coverage)}`);
    for (const source of result.coverage.sources) console.log(`            from ${source}`);
    for (const note of result.coverage.notes) console.log(`            ${note}`);
    if (result.apiSkipped)
      console.log('  api       not generated: it needs the TypeScript sources (a checkout of the project)');
    if (result.api) {
      console.log(`  api       ${result.api.entryPoints.length} modules documented`);
      if (result.api.missing.length)
        console.log(`            not written yet: ${result.api.missing.join(', ')}`);
    }
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`spec is invalid (${error.code}): ${error.message}`);
      return ExitCode.Usage;
    }
    throw error;
  }
}
