import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { loadSpec } from '../spec/load.ts';
import type { Scenario } from './backends.ts';
import { SimulatorError } from './status.ts';
import type { ProfileConfig, SimulatorOptions } from './types.ts';

/** The configuration file's contents (spec/schema/simulator-config.schema.json). */
export interface SimulatorConfigFile {
  version?: 1;
  host?: string;
  port?: number;
  callback?: string;
  seed?: number;
  clock?: 'real' | 'virtual';
  receiptDelayMs?: number;
  retry?: { delaysMs: number[] };
  syncTimeoutMs?: number;
  maxBodyBytes?: number;
  maxTransactions?: number;
  tls?: { cert: string; key: string };
  smtp?: false | { port: number; domains?: { domain: string; profile?: string }[] };
  profiles?: ProfileConfig[];
  scenario?: Scenario;
}

export const configSchemaPath = () => join(loadSpec().root, 'schema', 'simulator-config.schema.json');

/**
 * Reads and validates a configuration file (JSON or YAML). Problems are reported as
 * MSE_CONFIG_INVALID with the file, the JSON path and what is wrong; the CLI exits 2 on them.
 */
export function loadSimulatorConfig(file: string): {
  config: SimulatorConfigFile;
  options: SimulatorOptions;
} {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SimulatorError(
      'MSE_CONFIG_MISSING',
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`,
    );
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new SimulatorError(
      'MSE_CONFIG_SYNTAX',
      `${file}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const config = validateSimulatorConfig(data, file);
  const base = dirname(path);
  const readPemFile = (name: string, what: string) => {
    try {
      return readFileSync(resolve(base, name), 'utf8');
    } catch (error) {
      throw new SimulatorError(
        'MSE_CONFIG_INVALID',
        `${file}: /tls/${what}: cannot read ${name} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  const { version: _v, tls, scenario, ...rest } = config;
  const options: SimulatorOptions = { ...rest };
  if (tls) options.tls = { cert: readPemFile(tls.cert, 'cert'), key: readPemFile(tls.key, 'key') };
  if (scenario) options.scenario = scenario;
  return { config, options };
}

let compiled: ValidateFunction | undefined;

export function validateSimulatorConfig(data: unknown, file = 'config'): SimulatorConfigFile {
  compiled ??= new Ajv2020({ allErrors: true, strict: true }).compile(
    JSON.parse(readFileSync(configSchemaPath(), 'utf8')) as object,
  );
  const validate = compiled;
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if')
      .slice(0, 8)
      .map((e) => {
        const extra =
          'additionalProperty' in e.params
            ? ` (${String(e.params.additionalProperty)})`
            : 'allowedValues' in e.params
              ? ` (${(e.params.allowedValues as unknown[]).map(String).join(', ')})`
              : '';
        return `${file}: ${e.instancePath || '/'}: ${e.message}${extra}`;
      });
    throw new SimulatorError('MSE_CONFIG_INVALID', problems.join('\n'));
  }
  const config = data as SimulatorConfigFile;
  const services = new Set(loadSpec().services.map((s) => s.id));
  const ids = new Set<string>();
  for (const [i, p] of (config.profiles ?? []).entries()) {
    if (!services.has(p.service))
      throw new SimulatorError(
        'MSE_CONFIG_INVALID',
        `${file}: /profiles/${i}/service: ${p.service} is not a service of spec/services`,
      );
    if (ids.has(p.id))
      throw new SimulatorError('MSE_CONFIG_INVALID', `${file}: /profiles/${i}/id: ${p.id} is used twice`);
    ids.add(p.id);
  }
  return config;
}
