/**
 * Every check family of the gateway suite, by name (ajv-style: each family is a module exporting its
 * definitions over the spec data; this index collects them). One vitest file per family registers it, so
 * families run in parallel workers and report their progress one line each.
 */
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import * as control from './control.ts';
import * as envelope from './envelope.ts';
import * as failures from './failures.ts';
import * as mo from './mo.ts';
import * as modes from './modes.ts';
import * as params from './params.ts';
import * as receipts from './receipts.ts';
import * as results from './results.ts';
import * as security from './security.ts';
import * as smtp from './smtp.ts';
import * as traffic from './traffic.ts';
import * as transport from './transport.ts';
import * as ussd from './ussd.ts';
import * as ussdSession from './ussd-session.ts';

export const families: Record<string, () => CheckDefinition[]> = {
  transport: transport.definitions,
  envelope: envelope.definitions,
  control: control.definitions,
  params: params.definitions,
  modes: modes.definitions,
  results: results.definitions,
  failures: failures.definitions,
  receipts: receipts.definitions,
  mo: mo.definitions,
  ussd: () => [...ussd.definitions(), ...ussdSession.definitions()],
  smtp: smtp.definitions,
  security: security.definitions,
  traffic: traffic.definitions,
};
