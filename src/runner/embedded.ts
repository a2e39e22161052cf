/**
 * The wiring of an embedded run: the reference simulator's profiles and the run config that tests it, so
 * that a run without --target (and the tests and bench that start the simulator themselves) provision
 * every service the same way.
 */
import type { RunConfig } from '../checks/config.ts';
import { magicNumbers } from '../simulator/backends.ts';
import type { ProfileConfig } from '../simulator/index.ts';
import { loadSpec } from '../spec/load.ts';

/** The run config of the embedded simulator, built from its own profiles (so every service is provisioned). */
export function configFromSimulator(
  base: RunConfig,
  sim: {
    controlUrl: string;
    smtp?: { host: string; port: number };
    profiles: {
      id: string;
      service: string;
      password: string;
      billingCode?: string;
      shortNumber?: string;
      delivery?: { userid?: string; pwd?: string };
      mo?: { user?: string; pwd?: string };
      rate?: { perSecond: number; burst: number };
    }[];
  },
  smtpFrom: string,
): RunConfig {
  const config: RunConfig = {
    ...base,
    profiles: {},
    listener: { ...base.listener },
    moTrigger: { kind: 'simulator-control', url: sim.controlUrl },
  };
  // The simulator's magic numbers (src/simulator/backends.ts), on the prefix of the run's test subscribers.
  const prefix = (base.subscribers[0] ?? '1191000000').slice(0, 6);
  const magic = (kind: string) => magicNumbers.find((m) => m.subscriber === kind)?.suffix;
  const silent = magic('silent-device');
  const unknown = magic('unknown');
  config.scenarios = {
    ...(silent ? { silentHandset: `${prefix}${silent}` } : {}),
    ...(unknown ? { unknownSubscriber: `${prefix}${unknown}` } : {}),
    ...base.scenarios,
  };
  for (const p of sim.profiles) {
    const entry = {
      profile: p.id,
      password: p.password,
      ...(p.billingCode ? { billingCode: p.billingCode, billingCodeRequired: true } : {}),
      ...(p.shortNumber ? { shortCode: p.shortNumber } : {}),
      ...(p.rate ? { rate: p.rate } : {}),
    };
    // A rate-limited profile is for the traffic checks alone: every other check keeps an unlimited one.
    if (p.rate) {
      config.trafficProfiles = { ...config.trafficProfiles, [p.service]: entry };
      continue;
    }
    config.profiles[p.service] = entry;
    if (p.delivery && (p.delivery.userid || p.delivery.pwd))
      config.listener.credentials = {
        ...(p.delivery.userid ? { userid: p.delivery.userid } : {}),
        ...(p.delivery.pwd ? { pwd: p.delivery.pwd } : {}),
      };
    if (p.mo && (p.mo.user || p.mo.pwd))
      config.listener.moCredentials = {
        ...(p.mo.user ? { user: p.mo.user } : {}),
        ...(p.mo.pwd ? { pwd: p.mo.pwd } : {}),
      };
  }
  if (sim.smtp) config.smtp = { host: sim.smtp.host, port: sim.smtp.port, from: smtpFrom };
  return config;
}

/**
 * The embedded simulator's profiles: its defaults, plus one profile with a small traffic limit (9.3) for the
 * traffic checks, on a sync service so that each refused or accepted request is judged from its answer alone.
 */
export function embeddedProfiles(
  defaults: ProfileConfig[],
  rate: { perSecond: number; burst: number } = { perSecond: 5, burst: 3 },
): ProfileConfig[] {
  const services = new Map(loadSpec().services.map((s) => [s.id, s]));
  const base = defaults.find((p) => {
    const s = services.get(p.service);
    return s?.kind === 'api' && s.modes.allowed.includes('sync') && !p.billingCode;
  });
  if (!base) return defaults;
  return [...defaults, { ...base, id: `${base.service}_LIMITED`, rate }];
}

/** Timeouts for the embedded simulator: it answers in milliseconds, so the run need not wait long. */
export const EMBEDDED_TIMEOUTS: RunConfig['timeouts'] = {
  // Waits end as soon as the event comes, so generous deadlines cost nothing on a healthy run and keep a
  // loaded machine (parallel CI jobs) from turning slowness into failures. Only quietMs is always spent.
  requestMs: 15_000,
  syncMs: 20_000,
  syncLimitMs: 15_000,
  receiptMs: 15_000,
  quietMs: 800,
  redeliveryMs: 15_000,
};
