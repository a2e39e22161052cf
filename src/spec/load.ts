import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../core/root.ts';
import { deriveServiceRules } from './catalogue.ts';
import { SpecError } from './errors.ts';
import type { ErrataEntry, Format, Protocol, Rule, Service, Spec, StatusCode } from './types.ts';
import { checkInputValue } from './values.ts';

export { projectRoot };
export const defaultSpecDir = join(projectRoot, 'spec');
export const defaultFixturesDir = join(projectRoot, 'fixtures');

const cache = new Map<string, Spec>();

/** Loads and validates the spec once per folder; every later call returns the same object. */
export function loadSpec(specDir = defaultSpecDir, fixturesDir = join(dirname(specDir), 'fixtures')): Spec {
  const key = `${specDir}\0${fixturesDir}`;
  let spec = cache.get(key);
  if (!spec) {
    spec = readSpec(specDir, fixturesDir);
    cache.set(key, spec);
  }
  return spec;
}

function readSpec(specDir: string, fixturesDir: string): Spec {
  if (!existsSync(specDir))
    throw new SpecError('MSE_SPEC_MISSING', specDir, 'the spec folder does not exist');
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const schema = (name: string) => {
    const file = join(specDir, 'schema', name);
    return ajv.compile(readJson(file, specDir));
  };
  const validate = (validator: ReturnType<typeof schema>, data: unknown, file: string) => {
    if (!validator(data)) {
      const details = (validator.errors ?? [])
        .slice(0, 5)
        .map(
          (e) =>
            `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
        )
        .join('; ');
      throw new SpecError('MSE_SPEC_INVALID', rel(specDir, file), `does not match its schema: ${details}`);
    }
  };

  const protocolFile = join(specDir, 'protocol.yaml');
  const protocol = readYaml(protocolFile, specDir) as Protocol;
  validate(schema('protocol.schema.json'), protocol, protocolFile);

  const formatsFile = join(specDir, 'formats.yaml');
  const rawFormats = readYaml(formatsFile, specDir) as Record<string, Omit<Format, 'id'>>;
  validate(schema('formats.schema.json'), rawFormats, formatsFile);
  const formats = new Map<string, Format>();
  for (const [id, f] of Object.entries(rawFormats)) {
    const re = new RegExp(f.pattern, 'u');
    for (const v of f.valid)
      if (!re.test(v))
        throw new SpecError(
          'MSE_SPEC_INCONSISTENT',
          rel(specDir, formatsFile),
          `format ${id}: valid sample "${v}" does not match its pattern`,
        );
    for (const v of f.invalid)
      if (re.test(v))
        throw new SpecError(
          'MSE_SPEC_INCONSISTENT',
          rel(specDir, formatsFile),
          `format ${id}: invalid sample "${v}" matches its pattern`,
        );
    formats.set(id, { id, ...f });
  }

  const statusFile = join(specDir, 'status-codes.yaml');
  const statusCodes = readYaml(statusFile, specDir) as StatusCode[];
  validate(schema('status-codes.schema.json'), statusCodes, statusFile);

  const errataFile = join(specDir, 'ERRATA.md');
  const errata = parseErrata(readText(errataFile, specDir), rel(specDir, errataFile));
  const errataIds = new Set(errata.map((e) => e.id));

  const rules = new Map<string, Rule>();
  const addRule = (rule: Rule, file: string) => {
    const previous = rules.get(rule.id);
    if (previous)
      throw new SpecError(
        'MSE_SPEC_DUPLICATE_RULE',
        file,
        `rule ${rule.id} is also stated in ${previous.origin}`,
      );
    rules.set(rule.id, rule);
  };

  const rulesFile = join(specDir, 'rules.yaml');
  const generalRules = readYaml(rulesFile, specDir) as Omit<Rule, 'origin'>[];
  validate(schema('rules.schema.json'), generalRules, rulesFile);
  for (const r of generalRules) addRule({ ...r, origin: 'spec/rules.yaml' }, rel(specDir, rulesFile));

  const serviceValidator = schema('service.schema.json');
  const servicesDir = join(specDir, 'services');
  const services: Service[] = [];
  for (const name of listFiles(servicesDir, '.yaml')) {
    const file = join(servicesDir, name);
    const where = rel(specDir, file);
    const service = readYaml(file, specDir) as Service;
    validate(serviceValidator, service, file);
    if (services.some((s) => s.id === service.id))
      throw new SpecError('MSE_SPEC_DUPLICATE_SERVICE', where, `service ${service.id} is defined twice`);
    if (services.some((s) => s.slug === service.slug))
      throw new SpecError('MSE_SPEC_DUPLICATE_SERVICE', where, `slug ${service.slug} is used twice`);
    checkServiceReferences(service, formats, errataIds, fixturesDir, where);
    services.push(service);
    for (const rule of deriveServiceRules(service, formats, `spec/services/${name}`)) addRule(rule, where);
  }
  services.sort((a, b) => compareSections(a.section, b.section) || a.id.localeCompare(b.id));
  checkDeliveries(protocol, services, rel(specDir, protocolFile));
  checkReadings(rules, errata);

  return { root: specDir, protocol, formats, services, statusCodes, rules, errata, hash: hashTree(specDir) };
}

function checkServiceReferences(
  service: Service,
  formats: Map<string, Format>,
  errataIds: Set<string>,
  fixturesDir: string,
  where: string,
) {
  const fail = (message: string) => {
    throw new SpecError('MSE_SPEC_INCONSISTENT', where, `${service.id}: ${message}`);
  };
  const inputNames = new Set(service.inputs.map((i) => i.name));
  const outputNames = new Set(service.outputs.map((o) => o.name));
  for (const input of service.inputs) {
    if (input.format && !formats.has(input.format))
      fail(`input ${input.name} names unknown format ${input.format}`);
    const problem = checkInputValue(input, input.sample, formats);
    if (problem) fail(`the sample of input ${input.name} breaks its own constraint: ${problem.message}`);
  }
  for (const group of service.groups ?? [])
    for (const m of group.members)
      if (!inputNames.has(m)) fail(`group ${group.rule} names unknown input ${m}`);
  for (const group of service.outputGroups ?? [])
    for (const m of group.members)
      if (!outputNames.has(m)) fail(`output group ${group.rule} names unknown output ${m}`);
  for (const output of service.outputs) {
    if (output.format && !formats.has(output.format))
      fail(`output ${output.name} names unknown format ${output.format}`);
    if (output.echoes && !inputNames.has(output.echoes))
      fail(`output ${output.name} echoes unknown input ${output.echoes}`);
    if (output.notBefore && !outputNames.has(output.notBefore))
      fail(`output ${output.name} is compared with unknown output ${output.notBefore}`);
    if (output.derivedFrom && !outputNames.has(output.derivedFrom.output))
      fail(`output ${output.name} derives from unknown output ${output.derivedFrom.output}`);
    if (output.prefixOf && !outputNames.has(output.prefixOf.output))
      fail(`output ${output.name} is a prefix of unknown output ${output.prefixOf.output}`);
  }
  const overlap = service.modes.allowed.filter((m) => service.modes.refused.includes(m));
  if (overlap.length) fail(`modes both allowed and refused: ${overlap.join(', ')}`);
  for (const id of [...(service.errata ?? []), ...service.examples.flatMap((e) => e.errata ?? [])])
    if (!errataIds.has(id)) fail(`names errata entry ${id}, which ERRATA.md does not have`);
  for (const example of service.examples) {
    if (!existsSync(join(fixturesDir, example.fixture)))
      fail(`example fixture ${example.fixture} does not exist under fixtures/`);
    if (!example.conforms && !example.errata?.length)
      fail(`example ${example.fixture} does not conform but names no errata entry saying why`);
  }
}

/**
 * The one place where an errata entry's strictness meets a verdict: a rule names the entries its reading rests
 * on, and its level must agree with them. A `strict-only` reading may be read otherwise by a reasonable target,
 * so a rule resting on one is SHOULD at most (non-strict unless --strict); an `informational` entry states
 * nothing to check, so no rule rests on it. Verdicts then follow from the level alone (src/checks/verdict.ts).
 */
export function checkReadings(rules: Map<string, Rule>, errata: ErrataEntry[]): void {
  const byId = new Map(errata.map((e) => [e.id, e]));
  for (const rule of rules.values())
    for (const id of rule.errata ?? []) {
      const entry = byId.get(id);
      const fail = (message: string) => {
        throw new SpecError('MSE_SPEC_INCONSISTENT', rule.origin, `rule ${rule.id} ${message}`);
      };
      if (!entry) fail(`rests on errata entry ${id}, which ERRATA.md does not have`);
      else if (entry.strictness === 'informational')
        fail(`rests on ${id}, whose strictness is informational (nothing to check)`);
      else if (entry.strictness === 'strict-only' && rule.level === 'MUST')
        fail(`is MUST but rests on ${id}, a strict-only reading: SHOULD at most`);
    }
}

/**
 * ERRATA.md entries: a heading `## errata.id: Title`, then bullet lines `- Sections:`, `- Strictness:`
 * and `- Reading:`, then free text up to the next heading.
 */
export function parseErrata(text: string, file: string): ErrataEntry[] {
  const entries: ErrataEntry[] = [];
  const chunks = text.split(/^## /m).slice(1);
  for (const chunk of chunks) {
    const [heading = '', ...lines] = chunk.split('\n');
    const m = /^(errata\.[a-z0-9-]+): (.+)$/.exec(heading.trim());
    if (!m)
      throw new SpecError(
        'MSE_SPEC_INVALID',
        file,
        `errata heading "${heading.trim()}" is not "errata.id: title"`,
      );
    const field = (name: string) => {
      const line = lines.find((l) => l.startsWith(`- ${name}:`));
      if (!line) throw new SpecError('MSE_SPEC_INVALID', file, `${m[1]} has no "- ${name}:" line`);
      return line.slice(name.length + 3).trim();
    };
    const strictness = field('Strictness');
    if (strictness !== 'strict-only' && strictness !== 'always' && strictness !== 'informational')
      throw new SpecError(
        'MSE_SPEC_INVALID',
        file,
        `${m[1]}: strictness "${strictness}" is not strict-only, always or informational`,
      );
    if (entries.some((e) => e.id === m[1]))
      throw new SpecError('MSE_SPEC_INVALID', file, `${m[1]} appears twice`);
    entries.push({
      id: m[1]!,
      title: m[2]!.trim(),
      sections: field('Sections').split(/,\s*/),
      strictness,
      reading: field('Reading'),
      body: lines
        .filter((l) => !/^- (Sections|Strictness|Reading):/.test(l))
        .join('\n')
        .trim(),
    });
  }
  return entries;
}

export function compareSections(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d) return d;
  }
  return 0;
}

function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else hash.update(relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex');
}

function listFiles(dir: string, ext: string): string[] {
  if (!existsSync(dir)) throw new SpecError('MSE_SPEC_MISSING', dir, 'the folder does not exist');
  return readdirSync(dir)
    .filter((n) => n.endsWith(ext))
    .sort();
}

function readText(file: string, specDir: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecError(
      'MSE_SPEC_MISSING',
      rel(specDir, file),
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

function readYaml(file: string, specDir: string): unknown {
  try {
    return parseYaml(readText(file, specDir), { prettyErrors: true });
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new SpecError(
      'MSE_SPEC_SYNTAX',
      rel(specDir, file),
      `is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

function readJson(file: string, specDir: string): object {
  try {
    return JSON.parse(readText(file, specDir)) as object;
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new SpecError(
      'MSE_SPEC_SYNTAX',
      rel(specDir, file),
      `is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function rel(specDir: string, file: string): string {
  return join('spec', relative(specDir, file));
}

/** Every MO and USSD event service is delivered by exactly one route of protocol.deliveries, and only those. */
function checkDeliveries(protocol: Protocol, services: Service[], where: string): void {
  const routed = Object.values(protocol.deliveries).flatMap((d) => d.services);
  for (const id of routed) {
    const service = services.find((s) => s.id === id);
    if (!service || (service.kind !== 'mo-delivery' && service.kind !== 'ussd-event'))
      throw new SpecError(
        'MSE_SPEC_INCONSISTENT',
        where,
        `deliveries name ${id}, which is no MO or USSD event service`,
      );
  }
  for (const s of services)
    if (
      (s.kind === 'mo-delivery' || s.kind === 'ussd-event') &&
      routed.filter((id) => id === s.id).length !== 1
    )
      throw new SpecError(
        'MSE_SPEC_INCONSISTENT',
        where,
        `${s.id} must be named by exactly one route of deliveries`,
      );
}
