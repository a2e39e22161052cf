import type { CheckSource } from '../docs/coverage.ts';
import { SpecError } from '../spec/errors.ts';
import { compareSections, defaultSpecDir, loadSpec, projectRoot } from '../spec/load.ts';
import type { Spec } from '../spec/types.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';

const help = `Usage: mse-conformance spec validate [--spec DIR]
       mse-conformance spec coverage [--spec DIR] [--uncited] [--json] [--manifest]

validate   Validates every file of the spec (schemas, cross-references, fixtures, errata) and prints its counts.
coverage   Prints every rule of the catalogue with its level, section and the checks of both roles (gateway,
           partner) that cite it. Exits 1 when an observable rule (one without an "unobservable" reason in
           the spec) is cited by no check, or when a check cites a rule the catalogue does not have.

Options of coverage:
  --uncited    print only the observable rules no check cites
  --json       print the coverage as JSON
  --manifest   read the checks from suites/<role>/checks.tsv instead of collecting the suites (faster;
               the manifests are kept equal to --list by npm test)`;

export async function specCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    spec: { type: 'string' },
    help: { type: 'boolean' },
    uncited: { type: 'boolean' },
    json: { type: 'boolean' },
    manifest: { type: 'boolean' },
  });
  if (values.help) {
    console.log(help);
    return ExitCode.Ok;
  }
  const [sub, ...rest] = positionals;
  if ((sub !== 'validate' && sub !== 'coverage') || rest.length)
    throw new UsageError(`expected "spec validate" or "spec coverage"\n${help}`);
  if (sub === 'validate' && (values.uncited || values.json || values.manifest))
    throw new UsageError('--uncited, --json and --manifest are options of "spec coverage"');
  let spec: Spec;
  try {
    spec = loadSpec(values.spec ?? defaultSpecDir);
  } catch (error) {
    if (error instanceof SpecError) {
      console.error(`spec is invalid (${error.code}): ${error.message}`);
      return ExitCode.Usage;
    }
    throw error;
  }
  if (sub === 'coverage')
    return coverage(spec, {
      uncited: values.uncited ?? false,
      json: values.json ?? false,
      source: values.manifest ? 'manifest' : 'list',
    });
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
}

async function coverage(
  spec: Spec,
  options: { uncited: boolean; json: boolean; source: CheckSource },
): Promise<number> {
  const { loadCoverage } = await import('../docs/coverage.ts');
  const { coverageSummary } = await import('../spec/coverage.ts');
  const c = await loadCoverage(spec, projectRoot, options.source);
  const { report } = c;
  const rules = report.rules
    .filter((r) => !options.uncited || r.gap)
    .sort((a, b) => compareSections(a.rule.section, b.rule.section) || a.rule.id.localeCompare(b.rule.id));
  // A list that could not be read would show its role's rules as uncited, or hide gaps: never a pass.
  const failed = report.gaps > 0 || report.unknownRules.length > 0 || c.notes.length > 0;
  if (options.json) {
    console.log(
      JSON.stringify(
        {
          specHash: spec.hash,
          sources: c.sources,
          notes: c.notes,
          total: report.total,
          observable: report.observable,
          cited: report.cited,
          gaps: report.gaps,
          unknownRules: report.unknownRules,
          rules: rules.map(({ rule, checks, gap }) => ({
            id: rule.id,
            level: rule.level,
            section: rule.section,
            ...(rule.service ? { service: rule.service } : {}),
            ...(rule.unobservable ? { unobservable: rule.unobservable } : {}),
            gap,
            gateway: checks.gateway,
            partner: checks.partner,
          })),
        },
        null,
        2,
      ),
    );
    return failed ? ExitCode.Nonconformant : ExitCode.Ok;
  }
  for (const { rule, checks, gap } of rules) {
    console.log(`${rule.level.padEnd(6)} ${rule.section.padEnd(9)} ${rule.id}`);
    if (rule.unobservable) console.log(`         unobservable: ${rule.unobservable}`);
    if (gap) console.log(`         NO CHECK: ${rule.text}`);
    for (const role of ['gateway', 'partner'] as const)
      for (const id of checks[role]) console.log(`         ${role.padEnd(8)} ${id}`);
  }
  if (rules.length) console.log('');
  for (const u of report.unknownRules)
    console.log(`check ${u.check} cites rule ${u.rule}, which the catalogue does not have`);
  for (const note of c.notes) console.error(`warning: ${note}`);
  console.log(`checks read from ${c.sources.join(', ') || 'nowhere'}`);
  console.log(coverageSummary(report));
  return failed ? ExitCode.Nonconformant : ExitCode.Ok;
}
