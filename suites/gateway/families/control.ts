/** Control parameters (6.2): profile, pwd/password, mode, billingCode, lower-case names, for every API service. */

import { encodeQuery } from '../../../src/charset/latin1.ts';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import type { Mode } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  callRaw,
  expectAccepted,
  expectRefused,
  type Pairs,
  preferredMode,
  profileOf,
  spec,
  validParams,
} from '../harness.ts';
import { type Case, expand, row } from '../rows.ts';

interface ControlCase extends Case {
  mode: Mode;
}

const p = (c: ControlCase) => profileOf(c.service)!;

const rows = [
  row<ControlCase>({
    rule: 'control.profile.required',
    stimulus: 'a valid request to {service} in mode {mode} without profile',
    judge: async (ctx, c) =>
      expectRefused(ctx, await callApi(ctx, { ...c, profile: null }), 'a request without profile'),
  }),
  row<ControlCase>({
    rule: 'control.pwd.required',
    stimulus: 'a valid request to {service} in mode {mode} without pwd',
    judge: async (ctx, c) =>
      expectRefused(ctx, await callApi(ctx, { ...c, password: null }), 'a request without pwd'),
  }),
  row<ControlCase>({
    rule: 'control.pwd.password-alias',
    stimulus: 'a valid request to {service} in mode {mode} with its password as password= instead of pwd=',
    judge: async (ctx, c) =>
      expectAccepted(
        ctx,
        await callApi(ctx, { ...c, passwordKey: 'password' }),
        'a request with password= instead of pwd=',
      ),
  }),
  row<ControlCase>({
    rule: 'control.auth.refused',
    variant: 'wrong-password',
    stimulus:
      "a valid request to {service} in mode {mode} with the profile's password and one more character",
    judge: async (ctx, c) =>
      expectRefused(
        ctx,
        await callApi(ctx, { ...c, password: `${p(c).password}x` }),
        'a request with a wrong password',
      ),
  }),
  row<ControlCase>({
    rule: 'control.auth.refused',
    variant: 'unknown-profile',
    stimulus: 'a valid request to {service} in mode {mode} naming a profile that is not provisioned',
    judge: async (ctx, c) =>
      expectRefused(
        ctx,
        await callApi(ctx, { ...c, profile: `${p(c).profile}-UNKNOWN-PROFILE` }),
        'a request naming a profile that is not provisioned',
      ),
  }),
  row<ControlCase>({
    // errata.example-omits-mode: assuming the only mode a service allows is a departure from a strict reading.
    rule: (c) =>
      c.service.modes.allowed.length === 1 ? 'control.mode.required-single-mode' : 'control.mode.required',
    namesMode: false,
    stimulus: 'a valid request to {service} without mode',
    judge: async (ctx, c) =>
      expectRefused(ctx, await callApi(ctx, { service: c.service, mode: null }), 'a request without mode'),
  }),
  row<ControlCase>({
    rule: 'control.mode.values',
    variant: 'invalid',
    namesMode: false,
    stimulus: 'a valid request to {service} with mode=turbo, a mode 6.2 does not name',
    judge: async (ctx, c) =>
      expectRefused(
        ctx,
        await callApi(ctx, { service: c.service, mode: 'turbo' }),
        'a request with mode=turbo',
      ),
  }),
  row<ControlCase>({
    rule: 'control.names.lower-case',
    stimulus:
      'a valid request to {service} in mode {mode} whose control names are upper case (PROFILE, PWD, MODE)',
    judge: async (ctx, c) => {
      // The same valid request with the control names in upper case: they are not control parameters.
      const billingCode = p(c).billingCode;
      const pairs: Pairs = [
        ['PROFILE', p(c).profile],
        ['PWD', p(c).password],
        ['MODE', c.mode],
        ...(billingCode ? ([['BILLINGCODE', billingCode]] as Pairs) : []),
        ...validParams(c.service),
      ];
      const a = await callRaw(
        ctx,
        { method: 'GET', path: `${spec.protocol.endpoints.api}?${encodeQuery(pairs, 'UTF-8')}` },
        'upper-case control names',
      );
      expectRefused(ctx, a, 'a request whose control names are upper case (PROFILE, PWD, MODE)');
    },
  }),
  row<ControlCase>({
    rule: 'control.billing-code.when-profile',
    stimulus:
      "valid requests to {service} in mode {mode} without billingCode, with another one, and with the profile's",
    judge: async (ctx, c) => {
      if (!p(c).billingCodeRequired)
        ctx.skip(
          `the profile of ${c.service.id} does not require billingCode (profiles.${c.service.id}.billingCodeRequired)`,
        );
      const without = await callApi(ctx, { ...c, billingCode: null });
      expectRefused(ctx, without, 'a request without the required billingCode');
      const other = await callApi(ctx, { ...c, billingCode: `${p(c).billingCode ?? ''}9` });
      expectRefused(ctx, other, 'a request with another billingCode');
      expectAccepted(ctx, await callApi(ctx, c), "a request with the profile's billingCode");
    },
  }),
  row<ControlCase>({
    rule: 'control.billing-code.otherwise-optional',
    stimulus: 'a valid request to {service} in mode {mode} without billingCode',
    judge: async (ctx, c) => {
      if (p(c).billingCodeRequired) ctx.skip(`the profile of ${c.service.id} requires billingCode`);
      expectAccepted(ctx, await callApi(ctx, { ...c, billingCode: null }), 'a request without billingCode');
    },
  }),
];

/** Every row once per API service, in the mode the service prefers (services with no mode are left out). */
export function definitions(): CheckDefinition[] {
  return expand('control', rows, apiServices(), (service) => {
    const mode = preferredMode(service);
    return mode ? [{ service, mode }] : [];
  });
}
