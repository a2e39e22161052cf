import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { defaultSpecDir, loadSpec } from '../../src/spec/load.ts';

const spec = loadSpec();
const openapiPath = join(defaultSpecDir, 'openapi.yaml');

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { enum?: string[] };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
}

// validate() dereferences, so the operations below hold the parameters themselves, not $refs.
const api = (await SwaggerParser.validate(openapiPath)) as unknown as Document;

const controlNames = spec.protocol.controlParameters.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
const serviceInputs = new Set(
  spec.services
    .filter((s) => s.kind === 'api')
    .flatMap((s) => s.inputs.filter((i) => (i.in ?? 'query') === 'query').map((i) => i.name)),
);

describe('spec/openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document with the two operations and four webhooks', () => {
    expect(api.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(api.paths).sort()).toEqual(['/MSE/api', '/MSE/ussd']);
    expect(Object.keys(api.paths['/MSE/api']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(api.paths['/MSE/ussd']!)).toEqual(['post']);
    expect(Object.keys(api.webhooks).sort()).toEqual(['mmsMo', 'receipt', 'smsMo', 'ussdEvent']);
  });

  it('lists exactly the control parameters of protocol.yaml plus the union of the services query inputs', () => {
    for (const method of ['get', 'post'] as const) {
      const names = (api.paths['/MSE/api']![method]!.parameters ?? []).map((p) => p.name);
      expect(names.filter((n) => controlNames.includes(n)).sort(), method).toEqual([...controlNames].sort());
      expect(names.filter((n) => !controlNames.includes(n)).sort(), method).toEqual(
        [...serviceInputs].sort(),
      );
    }
    const form =
      api.paths['/MSE/api']!.post!.requestBody!.content['application/x-www-form-urlencoded']!.schema;
    expect(Object.keys(form.properties ?? {}).sort()).toEqual([...controlNames, ...serviceInputs].sort());
  });

  it('accepts every spelling of every mode', () => {
    const mode = api.paths['/MSE/api']!.get!.parameters!.find((p) => p.name === 'mode')!;
    expect(mode.required).toBe(true);
    expect([...(mode.schema?.enum ?? [])].sort()).toEqual(
      Object.values(spec.protocol.modes.spellings).flat().sort(),
    );
  });

  it('sends SMS MO with the parameters of 6.4.5.1 and receipts with userid and pwd', () => {
    const smsMo = (api.webhooks.smsMo!.get!.parameters ?? []).map((p) => p.name).sort();
    expect(smsMo).toEqual(['ANUM', 'BNUM', 'ID', 'PWD', 'TEXT', 'USER']);
    const receipt = (api.webhooks.receipt!.post!.parameters ?? []).map((p) => p.name).sort();
    expect(receipt).toEqual(['pwd', 'userid']);
  });
});
