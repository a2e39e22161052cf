/**
 * Checks the document's examples against the contract, for the docs (which show every departure beside the
 * example) and for the tests (which match each departure to the errata entry that explains it). Inputs and
 * outputs are judged by the one judge (src/spec/judge.ts); this module only reads the examples' shapes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeQuery } from '../charset/latin1.ts';
import { judgeInputs, judgeOutputs, type OutputItem } from '../spec/judge.ts';
import type { Example, Service, Spec } from '../spec/types.ts';
import { childElements, isElement, textOf, type XmlElement } from '../xml/codec.ts';
import { type DtdName, validateXml } from '../xml/validate.ts';

/** One departure from the contract: `control.mode.missing`, `input.format:msisdn10`, `output.echo`, ... */
export interface Problem {
  code: string;
  detail: string;
}

/** What the docs say about one example after checking it: how it was read, and its departures. */
export interface ExampleCheck {
  /** As a request URL, as an XML document, or not at all (MIME, WML, text). */
  as: 'url' | 'xml' | 'none';
  problems: Problem[];
}

/** Reads a fixture as UTF-8 text; bytes that are not UTF-8 become U+FFFD. */
export function readFixture(fixturesDir: string, example: Example): string {
  return readFileSync(join(fixturesDir, example.fixture), 'utf8');
}

/** A fixture as shown on a page: control bytes (binary MIME parts) spelled `\xNN` so the HTML stays text. */
export function displayText(text: string): string {
  let out = '';
  for (const c of text) {
    const n = c.charCodeAt(0);
    const control = (n < 0x20 && c !== '\n' && c !== '\r' && c !== '\t') || n === 0x7f;
    out += control ? `\\x${n.toString(16).toUpperCase().padStart(2, '0')}` : c;
  }
  return out;
}

/** Checks one example by its kind; payloads (MIME, WML, text, DTDs) are shown as they are. */
export function checkExample(spec: Spec, service: Service, example: Example, bytes: Buffer): ExampleCheck {
  switch (example.kind) {
    case 'request':
      return { as: 'url', problems: checkRequestUrl(spec, service, bytes.toString('latin1')) };
    case 'ack':
    case 'execution-response':
    case 'receipt':
    case 'failure':
      return { as: 'xml', problems: checkMseResponse(spec, service, bytes, example.kind) };
    case 'command':
    case 'event':
      return { as: 'xml', problems: checkUssd(spec, service, bytes) };
    case 'mo':
      return { as: 'xml', problems: checkMmsMo(spec, service, bytes) };
    case 'payload':
      return { as: 'none', problems: [] };
  }
}

/** The judge's verdict on a set of input values, as coded problems. */
function inputProblems(
  spec: Spec,
  service: Service,
  values: Map<string, string[]>,
  inputs?: Service['inputs'],
): Problem[] {
  return judgeInputs(spec, service, values, inputs).map((j): Problem => {
    if (j.kind === 'group') return { code: 'input.group', detail: `${j.rule}: ${j.message}` };
    if (j.kind === 'payload')
      return {
        code: 'input.payload',
        detail: `${j.limit.inputs.join('+')}: ${j.bytes} bytes, more than ${j.limit.maxBytes}`,
      };
    if (j.kind === 'missing')
      return j.when
        ? {
            code: 'input.required-when',
            detail: `${j.input.name} is missing although ${j.when.input} is ${j.when.value}`,
          }
        : { code: 'input.required', detail: `${j.input.name} is missing` };
    const { constraint, message } = j.problem;
    return {
      code: `input.${constraint}${constraint === 'format' ? `:${j.input.format}` : ''}`,
      detail: message,
    };
  });
}

/** A request URL of an `api` service (or the endpoint URL of a USSD command): control parameters, then inputs. */
export function checkRequestUrl(spec: Spec, service: Service, text: string): Problem[] {
  let url: URL;
  try {
    url = new URL(text.replace(/\s+/g, ''));
  } catch {
    return [{ code: 'url', detail: 'the URL cannot be parsed' }];
  }
  const problems: Problem[] = [];
  const endpoint = service.endpoint ?? spec.protocol.endpoints.api;
  if (url.pathname !== endpoint)
    problems.push({ code: 'endpoint', detail: `the path is ${url.pathname}, not ${endpoint}` });
  if (service.kind !== 'api') {
    if (url.search) problems.push({ code: 'endpoint.query', detail: 'a USSD command carries no query' });
    return problems;
  }
  // The document's URLs are ASCII except the MMS binary, whose bytes are not UTF-8: read them as Latin-1.
  const pairs = decodeQuery(url.search, 'ISO-8859-1');
  const values = new Map<string, string[]>();
  for (const [name, value] of pairs) values.set(name, [...(values.get(name) ?? []), value]);
  for (const control of spec.protocol.controlParameters) {
    if (control.required !== true) continue;
    if (![control.name, ...(control.aliases ?? [])].some((n) => values.has(n)))
      problems.push({
        code: `control.${control.name}.missing`,
        detail: `control parameter ${control.name} is missing (6.2)`,
      });
  }
  const mode = values.get('mode')?.[0];
  if (mode !== undefined) {
    const canonical = Object.entries(spec.protocol.modes.spellings).find(([, s]) => s.includes(mode))?.[0];
    if (!canonical)
      problems.push({ code: 'control.mode.values', detail: `mode "${mode}" is not a mode of 6.2` });
    else if ((service.modes.refused as string[]).includes(canonical))
      problems.push({ code: 'mode.refused', detail: `${service.id} refuses mode ${canonical}` });
  }
  if (service.billingCode === 'required' && !values.has('billingCode'))
    problems.push({ code: 'control.billing-code.missing', detail: 'no billingCode' });
  const known = new Set([
    ...spec.protocol.controlParameters.flatMap((c) => [c.name, ...(c.aliases ?? [])]),
    ...service.inputs.map((i) => i.name),
  ]);
  for (const name of values.keys())
    if (!known.has(name))
      problems.push({ code: 'input.unknown', detail: `${name} is no input of ${service.id}` });
  return [...problems, ...inputProblems(spec, service, values)];
}

function xmlProblems(bytes: Buffer, dtd: DtdName): { problems: Problem[]; root?: XmlElement } {
  const result = validateXml(bytes, dtd);
  if (!result.ok) return { problems: [{ code: 'xml.invalid', detail: result.errors.join('; ') }] };
  return { problems: [], root: result.document.root };
}

function whitespaceProblems(root: XmlElement): Problem[] {
  const out: Problem[] = [];
  const walk = (el: XmlElement) => {
    const kids = childElements(el);
    if (kids.length > 0) return kids.forEach(walk);
    const text = textOf(el);
    if (text !== text.trim())
      out.push({
        code: 'value.whitespace',
        detail: `<${el.name}> holds "${text}" with whitespace around it`,
      });
  };
  walk(root);
  return out;
}

/** The code of an output judgement: the kind of rule it breaks, from the rule id's last part. */
function outputCode(spec: Spec, service: Service, rule: string): string {
  const output = service.outputs.find((o) =>
    rule.startsWith(`${service.slug}.output.${o.name.toLowerCase().replace(/_/g, '-')}.`),
  );
  const kind = rule.slice(rule.lastIndexOf('.') + 1);
  if (!output) return 'output.group';
  if (kind === 'present') return 'output.missing';
  if (kind === 'format') return `output.format:${spec.formats.get(output.format ?? '')?.id ?? output.format}`;
  return `output.${kind}`;
}

/** An mse-response example (ack, execution response, receipt, failure), judged by the envelope rules. */
export function checkMseResponse(
  spec: Spec,
  service: Service,
  bytes: Buffer,
  kind: Example['kind'],
): Problem[] {
  const { problems, root } = xmlProblems(bytes, 'mse-response');
  if (!root) return problems;
  problems.push(...whitespaceProblems(root));
  const child = (name: string) => childElements(root).find((c) => c.name === name);
  const value = (name: string) => {
    const el = child(name);
    return el ? textOf(el).trim() : undefined;
  };
  const status = value('status-code');
  if (status === undefined || !/^[0-9]+$/.test(status))
    problems.push({ code: 'envelope.status-code', detail: `status-code ${status}` });
  if (!value('profile')) problems.push({ code: 'envelope.profile', detail: 'no profile' });
  const parameters = child('parameters');
  if (status === '0') {
    if (!value('transaction-id'))
      problems.push({ code: 'envelope.transaction-id', detail: 'no transaction-id' });
    if (kind === 'failure') problems.push({ code: 'kind', detail: 'a failure example with status-code 0' });
  } else {
    if (!value('error-message'))
      problems.push({ code: 'envelope.error-message', detail: 'no error-message' });
    if (kind !== 'failure')
      problems.push({ code: 'kind', detail: `a ${kind} example with status-code ${status}` });
    if (!(service.failures ?? []).some((f) => String(f.statusCode) === status))
      problems.push({ code: 'failure.unknown', detail: `${service.id} lists no failure ${status}` });
  }
  if (kind === 'ack' && parameters)
    problems.push({ code: 'envelope.parameters.ack', detail: 'an ack with parameters' });
  if ((kind !== 'execution-response' && kind !== 'receipt') || status !== '0') return problems;
  const items: OutputItem[] = [];
  for (const item of parameters ? childElements(parameters) : []) {
    const [name, val] = childElements(item).map((e) => textOf(e).trim());
    if (name === undefined || val === undefined) continue;
    if (items.some((i) => i.name === name))
      problems.push({ code: 'envelope.parameters.unique', detail: `${name} twice` });
    else items.push({ name, value: val });
  }
  if (service.outputs.some((o) => o.required) && !parameters)
    problems.push({ code: 'envelope.parameters.missing', detail: 'no parameters' });
  for (const { name } of items)
    if (!service.outputs.some((o) => o.name === name))
      problems.push({ code: 'output.unknown', detail: `${name} is no output of ${service.id}` });
  // Without the request at hand, an echo is judged by the format of the input it echoes.
  for (const output of service.outputs) {
    const got = items.find((i) => i.name === output.name)?.value;
    const echoed = service.inputs.find((i) => i.name === output.echoes);
    const echoFormat = echoed?.format ? spec.formats.get(echoed.format) : undefined;
    if (got !== undefined && echoFormat && !new RegExp(echoFormat.pattern, 'u').test(got))
      problems.push({
        code: 'output.echo',
        detail: `${output.name} "${got}" cannot be the request's ${echoed?.name} (${echoFormat.id})`,
      });
  }
  for (const j of judgeOutputs(spec, service, items))
    if (!j.rule.endsWith('.echoes'))
      problems.push({ code: outputCode(spec, service, j.rule), detail: j.message });
  return problems;
}

function collect(root: XmlElement, names: Set<string>): Map<string, string[]> {
  const values = new Map<string, string[]>();
  const walk = (el: XmlElement) => {
    for (const kid of el.children) {
      if (!isElement(kid)) continue;
      if (names.has(kid.name) && childElements(kid).length === 0)
        values.set(kid.name, [...(values.get(kid.name) ?? []), textOf(kid).trim()]);
      walk(kid);
    }
  };
  walk(root);
  return values;
}

/** A ussd_message_request command or ussd_message_response event. */
export function checkUssd(spec: Spec, service: Service, bytes: Buffer): Problem[] {
  const dtd: DtdName = service.kind === 'ussd-command' ? 'ussd_message_request' : 'ussd_message_response';
  const { problems, root } = xmlProblems(bytes, dtd);
  if (!root) return problems;
  const values = collect(
    root,
    new Set([...service.inputs.map((i) => i.name), 'mode', 'profile', 'password']),
  );
  if (service.kind === 'ussd-command') {
    for (const name of ['profile', 'password'])
      if (!values.get(name)?.length) problems.push({ code: `control.${name}.missing`, detail: `no ${name}` });
    const mode = values.get('mode')?.[0];
    if (mode === undefined || !Object.hasOwn(spec.protocol.modes.ussd, mode))
      problems.push({ code: 'control.mode.values', detail: `USSD mode ${mode}` });
    const command = childElements(childElements(root).find((c) => c.name === 'command') ?? root)[0]?.name;
    if (command !== service.ussdCommand)
      problems.push({ code: 'ussd.command', detail: `command ${command}` });
  }
  return [...problems, ...inputProblems(spec, service, values, service.inputs)];
}

/** The REQUEST document of an MMS MO (6.4.7.1). */
export function checkMmsMo(spec: Spec, service: Service, bytes: Buffer): Problem[] {
  const { problems, root } = xmlProblems(bytes, 'mms-mo-request');
  if (!root) return problems;
  if (root.attributes.REQ_TYPE !== 'Rcv_MMS_MO')
    problems.push({ code: 'mo.req-type', detail: `REQ_TYPE ${root.attributes.REQ_TYPE}` });
  const values = collect(root, new Set(service.inputs.map((i) => i.name)));
  const msgId = childElements(root).find((c) => c.name === 'MSG')?.attributes.MSG_ID;
  if (msgId !== undefined) values.set('MSG_ID', [msgId]);
  return [...problems, ...inputProblems(spec, service, values, service.inputs)];
}
