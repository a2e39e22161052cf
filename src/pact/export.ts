import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { groupBounds } from '../spec/judge.ts';
import { defaultSpecDir, loadSpec } from '../spec/load.ts';
import type { InputParameter, Mode, Service, Spec } from '../spec/types.ts';
import { checkInputValue } from '../spec/values.ts';
import { buildMseResponse, escapeXml } from '../xml/mse-response.ts';

/** Matching rules of the Pact specification v3: a path (`$.a.b.#text`, a header or query name) → matchers. */
type Matcher = { match: 'type'; min?: number } | { match: 'regex'; regex: string };
type Rules = Record<string, { combine: 'AND'; matchers: Matcher[] }>;

export interface PactRequest {
  method: string;
  path: string;
  query?: Record<string, string[]>;
  headers?: Record<string, string>;
  body?: string;
}

export interface PactResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  matchingRules?: { header?: Rules; body?: Rules };
}

export interface PactInteraction {
  description: string;
  request: PactRequest;
  response: PactResponse;
}

export interface PactFile {
  consumer: { name: string };
  provider: { name: string };
  interactions: PactInteraction[];
  metadata: { pactSpecification: { version: '3.0.0' }; 'mse-conformance': { specHash: string } };
}

/** The credentials an MSE under test must provision for one pact interaction. */
export interface PactProfile {
  id: string;
  service: string;
  password: string;
  billingCode?: string;
}

export interface PactExportOptions {
  specDir?: string;
  fixturesDir?: string;
  /** Password of every profile the partner → MSE pact uses (default `senha`, the document's example in 6.1). */
  password?: string;
  /** billingCode sent to services whose profiles require one (6.4.9). */
  billingCode?: string;
  /** Credentials the MSE sends to the partner (receipt userid/pwd, SMS MO USER/PWD); default: the SMS MO samples. */
  partnerCredentials?: { userid: string; pwd: string };
}

/** Header that marks an interaction whose query holds ISO-8859-1 percent-encoding as literal text. */
export const latin1Header = 'X-Mse-Query-Charset';

/** Where the partner receives each delivery, relative to its base URL (spec/protocol.yaml `deliveries`). */
const deliveries = loadSpec().protocol.deliveries;
export const partnerPaths = {
  receipt: deliveries.receipt.path,
  smsMo: deliveries['sms-mo'].path,
  mmsMo: deliveries['mms-mo'].path,
  ussd: deliveries['ussd-event'].path,
} as const;

/** Text of the SMS MO interaction: Portuguese letters with no ASCII form, so the Latin-1 bytes matter. */
const latin1Text = 'Olá, promoção já';

const rule = (...matchers: Matcher[]) => ({ combine: 'AND' as const, matchers });
// Pact's regexes must match the whole value (Oniguruma full match), hence the optional parameters part.
const xmlHeaderRules = (): Rules => ({ 'Content-Type': rule({ match: 'regex', regex: 'text/xml(;.*)?' }) });

/** The profile the pact uses for a service: named after the service, like the simulator's default profiles. */
export function pactProfile(service: Service, options: PactExportOptions = {}): PactProfile {
  const profile: PactProfile = { id: service.id, service: service.id, password: options.password ?? 'senha' };
  if (service.billingCode === 'required') profile.billingCode = options.billingCode ?? '000000';
  return profile;
}

/** The mode an interaction uses: the recommended one, else the first allowed; async first so no backend must answer. */
function modeOf(service: Service): Mode | undefined {
  if (service.modes.recommended && service.modes.allowed.includes(service.modes.recommended))
    return service.modes.recommended;
  return service.modes.allowed[0];
}

/**
 * The inputs a request carries: every required input, the first member of each group that needs one,
 * and inputs required by another (requiredWhen) whose condition the chosen values meet.
 */
function chosenInputs(service: Service): InputParameter[] {
  const chosen = new Map<string, InputParameter>();
  for (const i of service.inputs) if (i.required) chosen.set(i.name, i);
  for (const g of service.groups ?? []) {
    if (groupBounds(g.kind).min === 0 || g.members.some((m) => chosen.has(m))) continue;
    const first = service.inputs.find((i) => i.name === g.members[0]);
    if (first) chosen.set(first.name, first);
  }
  for (const i of service.inputs) {
    const when = i.requiredWhen;
    if (!when || chosen.has(i.name)) continue;
    const other = chosen.get(when.input);
    if (other && (!when.equals || when.equals.includes(other.sample))) chosen.set(i.name, i);
  }
  return service.inputs.filter((i) => chosen.has(i.name));
}

/** The mse-response every accepted request gets (6.5): matched by rules so that any conforming gateway passes. */
function mseResponse(service: Service, mode: Mode, profile: string): PactResponse {
  const executed = mode === 'sync' && service.outputs.some((o) => o.required);
  const body = buildMseResponse({
    statusCode: 0,
    profile,
    transactionId: '1020606201622668099',
    ...(executed
      ? { parameters: service.outputs.filter((o) => o.required).map((o) => ({ name: o.name, value: 'x' })) }
      : {}),
  });
  const bodyRules: Rules = {
    '$.mse-response.status-code.#text': rule({ match: 'regex', regex: '^0$' }),
    '$.mse-response.profile.#text': rule({ match: 'type' }),
    '$.mse-response.transaction-id.#text': rule({ match: 'regex', regex: '^[0-9]+$' }),
  };
  if (executed) {
    bodyRules['$.mse-response.parameters.param-item'] = rule({ match: 'type', min: 1 });
    bodyRules['$.mse-response.parameters.param-item.param-name.#text'] = rule({ match: 'type' });
    bodyRules['$.mse-response.parameters.param-item.param-value.#text'] = rule({ match: 'type' });
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'text/xml; charset=UTF-8' },
    body,
    matchingRules: { header: xmlHeaderRules(), body: bodyRules },
  };
}

/** Replaces the text of the first `<name>` element of a document (fixtures are small and element names unique). */
function setElement(xml: string, name: string, value: string): string {
  const re = new RegExp(`(<${name}>)[^<]*(</${name}>)`);
  return re.test(xml) ? xml.replace(re, `$1${escapeXml(value)}$2`) : xml;
}

function fixtureOf(fixturesDir: string, service: Service, kind: string): string | undefined {
  const example =
    service.examples.find((e) => e.kind === kind && e.conforms) ??
    service.examples.find((e) => e.kind === kind);
  return example ? readFileSync(join(fixturesDir, example.fixture), 'utf8') : undefined;
}

/** Partner (consumer) → MSE (provider): one interaction per service the partner calls. */
export function partnerToMsePact(options: PactExportOptions = {}): {
  pact: PactFile;
  profiles: PactProfile[];
  skipped: string[];
} {
  const spec = loadSpec(options.specDir ?? defaultSpecDir, options.fixturesDir);
  const fixturesDir = options.fixturesDir ?? join(dirname(spec.root), 'fixtures');
  const interactions: PactInteraction[] = [];
  const profiles: PactProfile[] = [];
  const skipped: string[] = [];
  for (const service of spec.services) {
    if (service.direction !== 'partner-to-mse') continue;
    const profile = pactProfile(service, options);
    const mode = modeOf(service);
    if (!mode) {
      skipped.push(`${service.id}: no mode is allowed`);
      continue;
    }
    if (service.kind === 'api') {
      const query: Record<string, string[]> = {
        profile: [profile.id],
        pwd: [profile.password],
        mode: [mode],
      };
      if (profile.billingCode) query.billingCode = [profile.billingCode];
      for (const input of chosenInputs(service)) query[input.name] = [input.sample];
      const method = service.methods.includes('GET') ? 'GET' : 'POST';
      interactions.push({
        description: `${service.id} (${service.section}) in ${mode}: accepted with status-code 0 and a transaction-id`,
        request: {
          method,
          path: service.endpoint ?? spec.protocol.endpoints.api,
          ...(method === 'GET'
            ? { query }
            : {
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: new URLSearchParams(
                  Object.entries(query).map(([k, v]): [string, string] => [k, v[0]!]),
                ).toString(),
              }),
        },
        response: mseResponse(service, mode, profile.id),
      });
      profiles.push(profile);
    } else if (service.kind === 'ussd-command') {
      let xml = fixtureOf(fixturesDir, service, 'command');
      if (!xml) {
        skipped.push(`${service.id}: the spec has no command example to build the request from`);
        continue;
      }
      // The document's command, with the pact's credentials and the entry's samples, which satisfy every limit.
      xml = setElement(setElement(xml, 'profile', profile.id), 'password', profile.password);
      for (const input of service.inputs)
        if (input.in === 'head' || input.in === 'command') xml = setElement(xml, input.name, input.sample);
      interactions.push({
        description: `${service.id} (${service.section}): the command is accepted with status-code 0 and a transaction-id`,
        request: {
          method: 'POST',
          path: service.endpoint ?? spec.protocol.endpoints.ussd,
          headers: { 'Content-Type': 'text/xml; charset=UTF-8' },
          body: xml,
        },
        response: mseResponse(service, mode, profile.id),
      });
      profiles.push(profile);
    } else skipped.push(`${service.id}: ${service.kind} is not an HTTP call Pact can describe`);
  }
  return {
    pact: {
      consumer: { name: 'partner' },
      provider: { name: 'mse' },
      interactions,
      metadata: { pactSpecification: { version: '3.0.0' }, 'mse-conformance': { specHash: spec.hash } },
    },
    profiles,
    skipped,
  };
}

/** Latin-1 percent-encoding with nothing left for the Verifier to reinterpret: only unreserved ASCII stays literal. */
export function latin1Literal(text: string): string {
  return [...text]
    .map((c) => {
      const cp = c.codePointAt(0)!;
      if (cp > 0xff) throw new RangeError(`${c} has no ISO-8859-1 byte`);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** What the MSE → partner interactions are built from, and what they are collected in. */
interface PartnerPactBuild {
  spec: Spec;
  fixturesDir: string;
  credentials: { userid: string; pwd: string };
  interactions: PactInteraction[];
  skipped: string[];
}

const ok = (): PactResponse => ({ status: 200 });

function smsMoService(spec: Spec): Service | undefined {
  return spec.services.find((s) => s.kind === 'mo-delivery' && s.group === 'sms');
}

/** MSE (consumer) → partner (provider): receipts, SMS MO, MMS MO and USSD events. */
export function mseToPartnerPact(options: PactExportOptions = {}): { pact: PactFile; skipped: string[] } {
  const spec = loadSpec(options.specDir ?? defaultSpecDir, options.fixturesDir);
  const fixturesDir = options.fixturesDir ?? join(dirname(spec.root), 'fixtures');
  const sample = (name: string) => smsMoService(spec)?.inputs.find((i) => i.name === name)?.sample;
  const credentials = options.partnerCredentials ?? {
    userid: sample('USER') ?? 'mse',
    pwd: sample('PWD') ?? 'mse-secret',
  };
  const build: PartnerPactBuild = { spec, fixturesDir, credentials, interactions: [], skipped: [] };
  receiptInteractions(build);
  smsMoInteraction(build);
  mmsMoInteraction(build);
  otherMoSkipped(build);
  ussdEventInteractions(build);
  return {
    pact: {
      consumer: { name: 'mse' },
      provider: { name: 'partner' },
      interactions: build.interactions,
      metadata: { pactSpecification: { version: '3.0.0' }, 'mse-conformance': { specHash: spec.hash } },
    },
    skipped: build.skipped,
  };
}

function receiptInteractions({ spec, fixturesDir, credentials, interactions }: PartnerPactBuild): void {
  // Receipts (6.4.1.1): one per receipt shape, built like the MSE builds it, from the document's example when there is one.
  for (const shape of ['sms', 'execution-response'] as const) {
    const service = spec.services.find((s) => s.receipt === shape);
    if (!service) continue;
    const body =
      fixtureOf(fixturesDir, service, 'receipt') ??
      buildMseResponse({ statusCode: 0, profile: service.id, transactionId: '1020606201622668099' });
    interactions.push({
      description: `a ${service.id} receipt (${shape}, 6.4.1.1) is acknowledged with HTTP 200`,
      request: {
        method: 'POST',
        path: partnerPaths.receipt,
        query: { userid: [credentials.userid], pwd: [credentials.pwd] },
        headers: { 'Content-Type': `text/xml; charset=${spec.protocol.encodings.receipt}` },
        body,
      },
      response: ok(),
    });
  }
}

function smsMoInteraction({ spec, credentials, interactions, skipped }: PartnerPactBuild): void {
  // SMS MO (6.4.5.1): a GET whose query is ISO-8859-1. Pact keeps query values as Unicode and re-encodes them as
  // UTF-8, so the Latin-1 percent-encoding is stored as literal text and the header marks it for the request filter
  // (latin1RequestFilter), which turns the Verifier's %25XX back into %XX. See the docs' Pact page.
  const smsMo = smsMoService(spec);
  if (smsMo) {
    const query: Record<string, string[]> = {};
    for (const input of smsMo.inputs) {
      let value =
        input.name === 'USER' ? credentials.userid : input.name === 'PWD' ? credentials.pwd : input.sample;
      if (input.name === 'TEXT' && !checkInputValue(input, latin1Text, spec.formats)) value = latin1Text;
      query[input.name] = [latin1Literal(value)];
    }
    interactions.push({
      description: `an SMS MO (${smsMo.section}) with an ISO-8859-1 query is acknowledged with HTTP 200`,
      request: {
        method: 'GET',
        path: partnerPaths.smsMo,
        query,
        headers: { [latin1Header]: spec.protocol.encodings.smsMo },
      },
      response: ok(),
    });
  } else skipped.push('SMS MO: the spec has no mo-delivery service of group sms');
}

function mmsMoInteraction({ spec, fixturesDir, interactions, skipped }: PartnerPactBuild): void {
  const mmsMo = spec.services.find((s) => s.kind === 'mo-delivery' && s.group === 'mms');
  const mmsBody = mmsMo && fixtureOf(fixturesDir, mmsMo, 'mo');
  if (mmsMo && mmsBody)
    interactions.push({
      description: `an MMS MO (${mmsMo.section}) is acknowledged with HTTP 200`,
      request: {
        method: 'POST',
        path: partnerPaths.mmsMo,
        headers: { 'Content-Type': `text/xml; charset=${spec.protocol.encodings.mmsMo}` },
        body: mmsBody,
      },
      response: ok(),
    });
  else skipped.push('MMS MO: the spec has no mo-delivery service of group mms with an example');
}

function otherMoSkipped({ spec, skipped }: PartnerPactBuild): void {
  for (const service of spec.services.filter(
    (s) => s.kind === 'mo-delivery' && s.group !== 'sms' && s.group !== 'mms',
  ))
    skipped.push(
      `${service.id}: the partner-side delivery of ${service.section} has no agreed endpoint to describe`,
    );
}

function ussdEventInteractions({ spec, fixturesDir, interactions, skipped }: PartnerPactBuild): void {
  for (const service of spec.services.filter((s) => s.kind === 'ussd-event')) {
    let body = fixtureOf(fixturesDir, service, 'event');
    if (!body) {
      skipped.push(`${service.id}: the spec has no event example`);
      continue;
    }
    for (const input of service.inputs) body = setElement(body, input.name, input.sample);
    interactions.push({
      description: `the USSD event ${service.id} (${service.section}) is answered with a command`,
      request: {
        method: 'POST',
        path: partnerPaths.ussd,
        headers: { 'Content-Type': `text/xml; charset=${spec.protocol.encodings.ussd}` },
        body,
      },
      // 6.4.21-6.4.23: the reply is a ussd_message_request whose head names the subscriber and which has a command.
      // The command's content (menu, input, notify) is the partner's choice: <command/> carries no rule, so Pact
      // requires the element and lets its children be anything (a type rule there would refuse unexpected children).
      response: {
        status: 200,
        headers: { 'Content-Type': 'text/xml; charset=UTF-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<ussd_message_request><head><msisdn>1199998888</msisdn><short_code>100</short_code></head><command/></ussd_message_request>\n`,
        matchingRules: {
          header: xmlHeaderRules(),
          body: {
            '$.ussd_message_request.head.msisdn.#text': rule({ match: 'regex', regex: '^[0-9]+$' }),
            '$.ussd_message_request.head.short_code.#text': rule({ match: 'type' }),
          },
        },
      },
    });
  }
}

export interface PactExportResult {
  files: string[];
  interactions: number;
  profiles: PactProfile[];
  skipped: string[];
}

/** Writes `partner-mse.json` and `mse-partner.json` into outDir. */
export function exportPacts(outDir: string, options: PactExportOptions = {}): PactExportResult {
  const forward = partnerToMsePact(options);
  const backward = mseToPartnerPact(options);
  mkdirSync(outDir, { recursive: true });
  const files = [join(outDir, 'partner-mse.json'), join(outDir, 'mse-partner.json')];
  writeFileSync(files[0]!, `${JSON.stringify(forward.pact, null, 2)}\n`);
  writeFileSync(files[1]!, `${JSON.stringify(backward.pact, null, 2)}\n`);
  return {
    files,
    interactions: forward.pact.interactions.length + backward.pact.interactions.length,
    profiles: forward.profiles,
    skipped: [...forward.skipped, ...backward.skipped],
  };
}
