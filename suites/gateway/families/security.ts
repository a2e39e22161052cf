/**
 * Security (6.2, 6.4.18, 9.3): XML bodies are never expanded (an out-of-band XXE probe pointing at the
 * suite's own listener must never be fetched), DOCTYPEs and malformed or mis-encoded bodies are refused,
 * an oversized body is refused without taking the gateway down, no wrong password ever succeeds, and no
 * answer ever carries the password it was sent.
 */
import type { CheckContext, CheckDefinition } from '../../../src/checks/kernel.ts';
import type { Mode, Service } from '../../../src/spec/types.ts';
import {
  apiServices,
  callApi,
  callRaw,
  ensure,
  expectAccepted,
  expectRefused,
  preferredMode,
  profileOf,
  run,
  spec,
  timeouts,
  token,
  ussdCommandServices,
  validParams,
  waitDeliveries,
} from '../harness.ts';
import { type Case, expand, type Row, row } from '../rows.ts';
import { callUssd, ussdBody } from './ussd.ts';

const OVERSIZED_BYTES = 10 * 1024 * 1024;

/** A valid command of `service` whose content refers to an external entity on the listener (never to be fetched). */
function xxe(service: Service, mark: string): string {
  const url = `${run.listenerUrl}/xxe/${mark}`;
  return ussdBody(service)
    .replace(
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ussd_message_request [<!ENTITY probe SYSTEM "${url}">]>`,
    )
    .replace(/<(content|subtitle)>[^<]*<\/\1>/, '<$1>&probe;</$1>');
}

const postUssd = (ctx: CheckContext, body: string | Buffer, label: string) =>
  callRaw(
    ctx,
    {
      method: 'POST',
      path: spec.protocol.endpoints.ussd,
      headers: { 'content-type': 'text/xml; charset=UTF-8' },
      body,
    },
    label,
  );

const postOversized = (ctx: CheckContext, body: Buffer) =>
  callRaw(
    ctx,
    {
      method: 'POST',
      path: spec.protocol.endpoints.api,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      timeoutMs: timeouts.requestMs * 3,
    },
    `POST of ${OVERSIZED_BYTES} bytes`,
  );

const needsListener = () => (run.listenerUrl ? undefined : 'the run has no listener to observe fetches');
const oversizedBudget = () => timeouts.requestMs * 4 + 5_000;

/** Rows on one USSD command service: hostile XML bodies. */
const ussdRows = [
  row({
    rule: 'security.xml.no-entity-expansion',
    needs: needsListener,
    stimulus: "a USSD command to {service} whose content names an external entity on the suite's listener",
    judge: async (ctx, { service }) => {
      const mark = token('xxe');
      await postUssd(ctx, xxe(service, mark), 'USSD command with an external entity');
      const fetched = await waitDeliveries(ctx, {
        kind: 'other',
        contains: mark,
        timeoutMs: timeouts.quietMs,
      });
      ensure(
        ctx,
        !fetched.length,
        `the gateway fetched the external entity ${run.listenerUrl}/xxe/${mark} named in the body`,
      );
    },
  }),
  row({
    rule: 'security.xml.doctype-refused',
    needs: needsListener,
    stimulus: 'a USSD command to {service} with a DOCTYPE that declares an external entity',
    judge: async (ctx, { service }) =>
      expectRefused(
        ctx,
        await postUssd(ctx, xxe(service, token('xxe')), 'USSD command with a DOCTYPE'),
        'a USSD command with a DOCTYPE',
      ),
  }),
  row({
    rule: 'security.xml.malformed-refused',
    needs: needsListener,
    stimulus: 'a USSD command to {service} whose </command> end tag is missing',
    judge: async (ctx, { service }) => {
      const body = ussdBody(service).replace('</command>', '');
      expectRefused(
        ctx,
        await postUssd(ctx, body, 'malformed USSD command'),
        'a USSD command that is not well-formed XML',
      );
    },
  }),
  row({
    rule: 'security.xml.encoding-mismatch',
    needs: needsListener,
    stimulus: 'a USSD command to {service} declared UTF-8 whose "Atenção" is written in ISO-8859-1 bytes',
    judge: async (ctx, { service }) => {
      const body = Buffer.from(
        ussdBody(service, { values: { content: 'Atenção', subtitle: 'Atenção' } }),
        'latin1',
      );
      expectRefused(
        ctx,
        await postUssd(ctx, body, 'USSD command in ISO-8859-1 bytes declared UTF-8'),
        'a body whose bytes are not the UTF-8 it declares',
      );
    },
  }),
  row({
    rule: 'security.password.not-echoed',
    variant: 'ussd',
    needs: needsListener,
    stimulus: 'a USSD command to {service} with a wrong, distinctive password; the answer is searched for it',
    judge: async (ctx, { service }) => {
      const wrong = `Wr0ng-${token('pw')}`;
      const a = await callUssd(ctx, service, { password: wrong }, 'USSD command with a wrong password');
      ensure(ctx, !a.body.includes(wrong), 'the answer to a USSD command contains the password it was sent');
    },
  }),
];

/** Rows on one API service: oversized bodies. */
const apiRows = [
  row({
    rule: 'security.body.size-limit',
    timeoutMs: oversizedBudget,
    stimulus: `a POST to /MSE/api for {service} whose form body is 10 MB (${OVERSIZED_BYTES} bytes)`,
    judge: async (ctx, { service }) => {
      const head = Buffer.from(
        `profile=${encodeURIComponent(profileOf(service)?.profile ?? '')}&mode=${preferredMode(service)}&PAD=`,
      );
      const a = await postOversized(ctx, Buffer.concat([head, Buffer.alloc(OVERSIZED_BYTES, 'A')]));
      ensure(ctx, a.read.statusCode !== '0', 'a 10 MB request body was accepted (status-code 0)');
    },
  }),
  row({
    rule: 'security.availability.after-bad-input',
    timeoutMs: oversizedBudget,
    stimulus: `a POST of 10 MB to /MSE/api, then a valid request to {service}`,
    judge: async (ctx, { service }) => {
      await postOversized(ctx, Buffer.alloc(OVERSIZED_BYTES, 'A'));
      expectAccepted(ctx, await callApi(ctx, { service }), 'a valid request right after an oversized one');
    },
  }),
];

interface AuthCase extends Case {
  mode: Mode;
}

const password = (c: Case) => profileOf(c.service)!.password;

/** A wrong password close to the real one: refused like any other (control.auth.refused). */
function wrongPassword(
  variant: string,
  stimulus: string,
  value: (real: string) => string,
): Omit<Row<AuthCase>, 'at'> {
  return {
    rule: 'control.auth.refused',
    variant: `password-${variant}`,
    stimulus: `a valid request to {service} in mode {mode} with ${stimulus}`,
    judge: async (ctx, c) => {
      const v = value(password(c));
      if (v === password(c)) ctx.skip('this variant equals the real password');
      expectRefused(
        ctx,
        await callApi(ctx, { ...c, password: v }),
        `a request with a ${variant.replace('-', ' ')} password`,
      );
    },
  };
}

const otherCase = (p: string) =>
  p.toUpperCase() !== p ? p.toUpperCase() : p.toLowerCase() === p ? `${p}X` : p.toLowerCase();

/** Rows on every API service: passwords. */
const authRows = [
  row(wrongPassword('empty', 'an empty password', () => '')),
  row(wrongPassword('other-case', 'the password in another case', otherCase)),
  row(wrongPassword('extra-character', 'the password and a trailing space', (p) => `${p} `)),
  row(wrongPassword('prefix', 'the password less its last character', (p) => p.slice(0, -1))),
  row<AuthCase>({
    rule: 'security.password.not-echoed',
    stimulus:
      'a request to {service} in mode {mode} with a wrong password as pwd=, then as password=, then a valid one; each answer is searched for the password',
    judge: async (ctx, c) => {
      const wrong = `Wr0ng-${token('pw')}`;
      const refused = await callApi(ctx, { ...c, password: wrong });
      ensure(ctx, !refused.body.includes(wrong), 'the answer to a wrong password contains that password');
      const alias = await callApi(ctx, { ...c, password: wrong, passwordKey: 'password' });
      ensure(ctx, !alias.body.includes(wrong), 'the answer to a wrong password= contains that password');
      const ok = await callApi(ctx, { ...c, params: validParams(c.service) });
      // Only a distinctive password can be looked for: a short one may be an ordinary word of a message.
      if (password(c).length >= 8)
        ensure(ctx, !ok.body.includes(password(c)), 'the answer contains the profile password');
    },
  }),
];

const once = (service: Service): Case[] => [{ service }];

export function definitions(): CheckDefinition[] {
  const ussd = ussdCommandServices().find((s) => profileOf(s)) ?? ussdCommandServices()[0];
  const api = apiServices().find((s) => profileOf(s) && preferredMode(s)) ?? apiServices()[0];
  return [
    ...expand('security', ussdRows, ussd ? [ussd] : [], once),
    ...expand('security', apiRows, api ? [api] : [], once),
    ...expand('security', authRows, apiServices(), (service) => {
      const mode = preferredMode(service);
      return mode ? [{ service, mode }] : [];
    }),
  ];
}
