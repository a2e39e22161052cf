/** Control parameters (6.2): profile, pwd/password, mode, billingCode, lower-case names, for every API service. */

import { encodeQuery } from '../../../src/charset/latin1.ts';
import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import {
  apiServices,
  callApi,
  callRaw,
  define,
  expectAccepted,
  expectRefused,
  meta,
  notProvisioned,
  preferredMode,
  profileOf,
  spec,
  validParams,
} from '../harness.ts';

const F = 'control';

export function definitions(): CheckDefinition[] {
  const defs: CheckDefinition[] = [];
  for (const service of apiServices()) {
    const skipReason = notProvisioned(service);
    const mode = preferredMode(service);
    if (!mode) continue;
    const o = { skipReason };
    const p = () => profileOf(service)!;
    defs.push(
      define(
        meta(F, 'control.profile.required', { service, mode }),
        async (ctx) =>
          expectRefused(
            ctx,
            await callApi(ctx, { service, mode, profile: null }),
            'a request without profile',
          ),
        o,
      ),
      define(
        meta(F, 'control.pwd.required', { service, mode }),
        async (ctx) =>
          expectRefused(ctx, await callApi(ctx, { service, mode, password: null }), 'a request without pwd'),
        o,
      ),
      define(
        meta(F, 'control.pwd.password-alias', { service, mode }),
        async (ctx) =>
          expectAccepted(
            ctx,
            await callApi(ctx, { service, mode, passwordKey: 'password' }),
            'a request with password= instead of pwd=',
          ),
        o,
      ),
      define(
        meta(F, 'control.auth.refused', { service, mode, variant: 'wrong-password' }),
        async (ctx) =>
          expectRefused(
            ctx,
            await callApi(ctx, { service, mode, password: `${p().password}x` }),
            'a request with a wrong password',
          ),
        o,
      ),
      define(
        meta(F, 'control.auth.refused', { service, mode, variant: 'unknown-profile' }),
        async (ctx) =>
          expectRefused(
            ctx,
            await callApi(ctx, { service, mode, profile: `${p().profile}-UNKNOWN-PROFILE` }),
            'a request naming a profile that is not provisioned',
          ),
        o,
      ),
      define(
        // errata.example-omits-mode: assuming the only mode a service allows is a departure from a strict reading.
        meta(
          F,
          service.modes.allowed.length === 1 ? 'control.mode.required-single-mode' : 'control.mode.required',
          {
            service,
          },
        ),
        async (ctx) =>
          expectRefused(ctx, await callApi(ctx, { service, mode: null }), 'a request without mode'),
        o,
      ),
      define(
        meta(F, 'control.mode.values', { service, variant: 'invalid' }),
        async (ctx) =>
          expectRefused(ctx, await callApi(ctx, { service, mode: 'turbo' }), 'a request with mode=turbo'),
        o,
      ),
      define(
        meta(F, 'control.names.lower-case', { service, mode }),
        async (ctx) => {
          // The same valid request with the control names in upper case: they are not control parameters.
          const pairs: Array<[string, string]> = [
            ['PROFILE', p().profile],
            ['PWD', p().password],
            ['MODE', mode],
            ...(p().billingCode ? ([['BILLINGCODE', p().billingCode!]] as Array<[string, string]>) : []),
            ...validParams(service),
          ];
          const a = await callRaw(
            ctx,
            { method: 'GET', path: `${spec.protocol.endpoints.api}?${encodeQuery(pairs, 'UTF-8')}` },
            'upper-case control names',
          );
          expectRefused(ctx, a, 'a request whose control names are upper case (PROFILE, PWD, MODE)');
        },
        o,
      ),
      define(
        meta(F, 'control.billing-code.when-profile', { service, mode }),
        async (ctx) => {
          if (!p().billingCodeRequired)
            ctx.skip(
              `the profile of ${service.id} does not require billingCode (profiles.${service.id}.billingCodeRequired)`,
            );
          expectRefused(
            ctx,
            await callApi(ctx, { service, mode, billingCode: null }),
            'a request without the required billingCode',
          );
          expectRefused(
            ctx,
            await callApi(ctx, { service, mode, billingCode: `${p().billingCode ?? ''}9` }),
            'a request with another billingCode',
          );
          expectAccepted(
            ctx,
            await callApi(ctx, { service, mode }),
            "a request with the profile's billingCode",
          );
        },
        o,
      ),
      define(
        meta(F, 'control.billing-code.otherwise-optional', { service, mode }),
        async (ctx) => {
          if (p().billingCodeRequired) ctx.skip(`the profile of ${service.id} requires billingCode`);
          expectAccepted(
            ctx,
            await callApi(ctx, { service, mode, billingCode: null }),
            'a request without billingCode',
          );
        },
        o,
      ),
    );
  }
  return defs;
}
