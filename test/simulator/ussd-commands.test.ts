import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.ts';
import { Status } from '../../src/simulator/status.ts';
import { loadSpec } from '../../src/spec/load.ts';
import type { Service } from '../../src/spec/types.ts';
import { invalidSamples } from '../../src/spec/values.ts';
import { buildUssdRequest, type UssdRequest } from '../../src/xml/ussd.ts';
import { rawRequest, readMse } from './helpers.ts';

// Every USSD command service of spec/, from its samples: new entries are covered by data alone.
const spec = loadSpec();
const commands = spec.services.filter((s) => s.kind === 'ussd-command');

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ clock: 'virtual', smtp: false, log: () => {} });
});
afterAll(async () => {
  await sim.close();
});

const sample = (service: Service, name: string) => service.inputs.find((i) => i.name === name)?.sample;

function command(service: Service, override: Record<string, string> = {}): UssdRequest {
  const v = (name: string) => override[name] ?? sample(service, name);
  const profile = sim.profiles.find((p) => p.service === service.id)!;
  const type = service.id.endsWith('MENU') ? 'menu' : service.id.endsWith('INPUT') ? 'input' : 'notify';
  const sessionOwner = v('session_owner');
  return {
    head: {
      profile: profile.id,
      password: profile.password,
      msisdn: v('msisdn')!,
      shortCode: v('short_code')!,
      mode: Object.keys(spec.protocol.modes.ussd)[0]!,
      ...(sessionOwner !== undefined ? { sessionOwner } : {}),
    },
    command:
      type === 'menu'
        ? {
            type,
            ...(v('title') !== undefined ? { title: v('title')! } : {}),
            options: [{ index: v('index')!, subtitle: v('subtitle')! }],
          }
        : { type, content: v('content')! },
  };
}

async function post(xml: string) {
  const r = await rawRequest(`${sim.url}${spec.protocol.endpoints.ussd}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=UTF-8' },
    body: xml,
  });
  expect(r.status).toBe(200);
  return readMse(r.body);
}

describe.each(commands.map((s) => [s.id, s] as const))('%s', (_id, service) => {
  it('a command built from the samples is accepted, in every USSD mode spelling the service allows', async () => {
    for (const [spelling, mode] of Object.entries(spec.protocol.modes.ussd)) {
      const req = command(service);
      req.head.mode = spelling;
      const r = await post(buildUssdRequest(req));
      if (service.modes.allowed.includes(mode))
        expect(r.statusCode, `${spelling}: ${r.errorMessage}`).toBe(Status.ok);
      else expect(r.statusCode).toBe(Status.mode);
      expect(r.transactionId).toMatch(/^[0-9]{19}$/);
    }
  });

  it('a mode spelled as a property of every object (constructor, __proto__, toString) is no mode', async () => {
    for (const spelling of ['constructor', '__proto__', 'toString']) {
      const req = command(service);
      req.head.mode = spelling;
      const r = await post(buildUssdRequest(req));
      expect(r.statusCode, spelling).toBe(Status.mode);
    }
  });

  const cases = service.inputs
    .filter((i) => i.in === 'head' || i.in === 'command')
    .flatMap((i) => invalidSamples(i, spec.formats).map((s) => [i.name, s.constraint, s.value] as const));
  it.each(cases)('%s breaking %s (%s) is refused with 12 naming it', async (name, _c, value) => {
    const r = await post(buildUssdRequest(command(service, { [name]: value })));
    expect(r.statusCode, r.errorMessage).toBe(Status.parameter);
    expect(r.errorMessage).toContain(`[${name}]`);
  });
});

describe('menu pages', () => {
  it('a menu needing more than maxPages pages is refused', async () => {
    const menu = commands.find((s) => s.id.endsWith('MENU'))!;
    const u = spec.protocol.ussd;
    const subtitle = 'x'.repeat(u.limits.find((l) => l.name === 'subtitle')!.limited);
    const req = command(menu);
    const count = u.limits.find((l) => l.name === 'options')!.limited;
    const indexes = Array.from({ length: 40 }, (_, i) => String(i + 1)).filter(
      (i) => !u.reservedIndexes.includes(i),
    );
    req.command = { type: 'menu', options: indexes.slice(0, count).map((index) => ({ index, subtitle })) };
    const pages = Math.ceil(count / Math.max(1, Math.floor(u.pageChars / (subtitle.length + 5))));
    const r = await post(buildUssdRequest(req));
    if (pages > u.maxPages) {
      expect(r.statusCode).toBe(Status.parameter);
      expect(r.errorMessage).toContain('pages');
    } else {
      expect(r.statusCode).toBe(Status.ok);
      const t = sim.transactions().find((x) => x.transactionId === r.transactionId)!;
      expect(t.screens?.[0]?.pages).toBeGreaterThan(1);
      for (const s of t.screens ?? []) expect(s.text.length).toBeLessThanOrEqual(u.pageChars);
    }
  });
});
