import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { loadSpec } from '../../src/spec/load.ts';
import type { Mode, Service } from '../../src/spec/types.ts';
import { invalidSamples } from '../../src/spec/values.ts';
import { validateXml } from '../../src/xml/validate.ts';
import { type ParsedResponse, query, readMse, startReceiver } from './helpers.ts';

// Every partner-to-MSE API service of spec/, in every mode: new service entries are covered by data alone.
const spec = loadSpec();
const apiServices = spec.services.filter((s) => s.kind === 'api');
const modes = spec.protocol.modes.canonical;

let sim: Simulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startSimulator({ callback: receiver.url, clock: 'virtual', smtp: false, log: () => {} });
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

/** A request that satisfies the entry: required inputs, optional ones, one member of each group. */
function validParams(service: Service): Record<string, string> {
  const skip = new Set<string>();
  for (const g of service.groups ?? []) for (const m of g.members.slice(1)) skip.add(m);
  const params: Record<string, string> = {};
  for (const input of service.inputs)
    if (!skip.has(input.name) && (!input.in || input.in === 'query')) params[input.name] = input.sample;
  return params;
}

function control(service: Service, mode: string): Record<string, string> {
  const profile = sim.profiles.find((p) => p.service === service.id)!;
  return {
    profile: profile.id,
    pwd: profile.password,
    mode,
    ...(profile.billingCode !== undefined ? { billingCode: profile.billingCode } : {}),
  };
}

async function call(params: Record<string, string>): Promise<ParsedResponse> {
  const res = await fetch(`${sim.url}/MSE/api?${query(params)}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/xml; charset=UTF-8');
  const text = await res.text();
  expect(validateXml(text, 'mse-response').ok, text).toBe(true);
  return readMse(text);
}

/** The outputs of a successful execution response against the service entry. */
function expectOutputs(service: Service, r: ParsedResponse, request: Record<string, string>) {
  expect(r.statusCode).toBe(Status.ok);
  const known = new Set(service.outputs.map((o) => o.name));
  for (const name of r.names) expect(known.has(name), `${service.id}: unexpected output ${name}`).toBe(true);
  expect(new Set(r.names).size).toBe(r.names.length);
  for (const output of service.outputs) {
    const value = r.parameters[output.name];
    if (output.required) expect(value, `${service.id}: ${output.name} missing`).toBeDefined();
    if (value === undefined) continue;
    if (output.format)
      expect(value, `${service.id}.${output.name}`).toMatch(
        new RegExp(spec.formats.get(output.format)!.pattern, 'u'),
      );
    if (output.enum) expect(output.enum, `${service.id}.${output.name}`).toContain(value);
    if (output.echoes && request[output.echoes] !== undefined) expect(value).toBe(request[output.echoes]);
    if (output.notBefore) expect(value >= r.parameters[output.notBefore]!).toBe(true);
    if (output.derivedFrom) {
      const from = r.parameters[output.derivedFrom.output]!;
      expect(value).toBe(output.derivedFrom.map[from] ?? output.derivedFrom.map['*']);
    }
  }
  for (const group of service.outputGroups ?? []) {
    const present = group.members.filter((m) => r.parameters[m] !== undefined).length;
    if (group.kind === 'exactly-one') expect(present, group.rule).toBe(1);
    if (group.kind === 'at-most-one') expect(present, group.rule).toBeLessThanOrEqual(1);
  }
  if (!service.outputs.length) expect(r.hasParameters).toBe(false);
}

describe.each(apiServices.map((s) => [s.id, s] as const))('%s', (_id, service) => {
  it.each(modes.map((m) => [m] as [Mode]))('mode %s is answered as the entry says', async (mode) => {
    const params = validParams(service);
    const before = receiver.received.length;
    const r = await call({ ...control(service, mode), ...params });
    expect(r.transactionId).toMatch(/^[0-9]{19}$/);
    expect(r.profile).toBe(service.id);
    if (!service.modes.allowed.includes(mode)) {
      expect(r.statusCode, r.errorMessage).toBe(Status.mode);
      expect(r.errorMessage).toContain(mode);
      return;
    }
    if (mode === 'sync') {
      expectOutputs(service, r, params);
      return;
    }
    // An ack: status 0 and no parameters (6.5.2), whatever the service returns later.
    expect(r.statusCode, r.errorMessage).toBe(Status.ok);
    expect(r.hasParameters).toBe(false);
    await sim.advance(1000);
    await sim.idle();
    const mine = receiver.received.slice(before).filter((x) => x.body.toString().includes(r.transactionId!));
    if (mode === 'async-oneway' || service.receipt === 'none') {
      expect(mine).toHaveLength(0);
      return;
    }
    expect(mine).toHaveLength(1);
    const receipt = mine[0]!;
    expect(receipt.method).toBe('POST');
    expect(receipt.target).toMatch(/^\/receipt\?userid=mse&pwd=mse-secret$/);
    expect(receipt.headers['content-type']).toBe('text/xml; charset=UTF-8');
    expect(validateXml(receipt.body, 'mse-response').ok).toBe(true);
    const delivered = readMse(receipt.body.toString('utf8'));
    expect(delivered.transactionId).toBe(r.transactionId);
    expectOutputs(service, delivered, params);
  });

  const firstMode = service.modes.allowed[0];
  if (!firstMode) return;

  it.each(service.inputs.filter((i) => i.required && (!i.in || i.in === 'query')).map((i) => [i.name]))(
    'a request without %s is refused with 12 naming it',
    async (name) => {
      const params = validParams(service);
      delete params[name];
      const r = await call({ ...control(service, firstMode), ...params });
      expect(r.statusCode).toBe(Status.parameter);
      expect(r.errorMessage).toContain(`[${name}]`);
    },
  );

  const invalid = service.inputs
    .filter((i) => (!i.in || i.in === 'query') && (i.level ?? 'MUST') === 'MUST')
    .flatMap((i) => invalidSamples(i, spec.formats).map((s) => [i.name, s.constraint, s.value] as const));
  it.each(invalid)('%s breaking %s (%s) is refused with 12 naming it', async (name, _constraint, value) => {
    const r = await call({ ...control(service, firstMode), ...validParams(service), [name]: value });
    expect(r.statusCode).toBe(Status.parameter);
    expect(r.errorMessage).toContain(`[${name}]`);
  });

  for (const group of service.groups ?? [])
    it(`group ${group.rule} (${group.kind}) is enforced`, async () => {
      const params = validParams(service);
      for (const m of group.members) params[m] = service.inputs.find((i) => i.name === m)!.sample;
      if (group.kind !== 'one-or-other') {
        const r = await call({ ...control(service, firstMode), ...params });
        expect(r.statusCode).toBe(Status.parameter);
        expect(r.errorMessage).toContain(group.members.join('|'));
      }
      if (group.kind !== 'at-most-one') {
        for (const m of group.members) delete params[m];
        const r = await call({ ...control(service, firstMode), ...params });
        expect(r.statusCode).toBe(Status.parameter);
      }
    });

  it('both spellings of the asynchronous modes are accepted', async () => {
    for (const mode of service.modes.allowed.filter((m) => m !== 'sync'))
      for (const spelling of spec.protocol.modes.spellings[mode]) {
        const r = await call({ ...control(service, spelling), ...validParams(service) });
        expect(r.statusCode, `${spelling}: ${r.errorMessage}`).toBe(Status.ok);
      }
  });
});

describe('default profiles', () => {
  it('exist for every service but SMTP, and require billingCode where the entry says so', async () => {
    for (const service of spec.services.filter((s) => s.kind !== 'smtp')) {
      const profile = sim.profiles.find((p) => p.service === service.id);
      expect(profile, service.id).toBeDefined();
      expect(profile!.billingCode !== undefined).toBe(service.billingCode === 'required');
    }
    const billed = apiServices.find((s) => s.billingCode === 'required');
    if (!billed) return;
    const c = control(billed, billed.modes.allowed[0]!);
    delete c.billingCode;
    const r = await call({ ...c, ...validParams(billed) });
    expect(r.statusCode).toBe(Status.billingCode);
    const wrong = await call({ ...c, billingCode: 'nope', ...validParams(billed) });
    expect(wrong.statusCode).toBe(Status.billingCode);
  });
});
