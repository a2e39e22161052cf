/**
 * Checks one example of the document against its service entry, the way the suites judge traffic, and
 * returns every departure with a code. The tests use the codes to tell whether the errata an example
 * names really explain why it does not conform.
 */
import { decodeQuery } from '../../src/charset/latin1.ts';
import type { Example, InputParameter, Service, Spec } from '../../src/spec/types.ts';
import { checkInputValue } from '../../src/spec/values.ts';
import { childElements, isElement, textOf, type XmlElement } from '../../src/xml/codec.ts';
import { type DtdName, validateXml } from '../../src/xml/validate.ts';

export interface Problem {
  /** What broke: `control.mode.missing`, `input.format:msisdn10`, `output.echo`, ... */
  code: string;
  detail: string;
}

/** Which errata entry explains each kind of departure the document's examples show. */
export const explainedBy: Record<string, string> = {
  'control.pwd.missing': 'errata.example-omits-pwd',
  'control.mode.missing': 'errata.example-omits-mode',
  'mode.refused': 'errata.sms-sync-example',
  'input.format:msisdn10': 'errata.example-number-length',
  'input.format:short-number': 'errata.mms-mo-bnum-not-short-number',
  'input.required-when': 'errata.gerar-protocolo-conditional-required',
  'output.echo': 'errata.sms-receipt-numbers-not-swapped',
  'output.format:boolean-text': 'errata.param-value-gt',
  'value.whitespace': 'errata.profile-whitespace',
  'xml.invalid': 'errata.imei-torpedo-receipt-page-break',
  'mime.boundary': 'errata.mms-mt-boundary',
  'wml.spacing': 'errata.wib-mo-wml-spacing',
  'mms-mo.decoding': 'errata.mms-mo-example-inconsistent',
  'ussd.display': 'errata.ussd-notify-display',
};

function inputProblems(
  service: Service,
  spec: Spec,
  values: Map<string, string[]>,
  inputs: InputParameter[] = service.inputs,
): Problem[] {
  const problems: Problem[] = [];
  for (const input of inputs) {
    const got = values.get(input.name) ?? [];
    if (input.required && got.length === 0)
      problems.push({ code: 'input.required', detail: `${input.name} is missing` });
    for (const value of got) {
      const problem = checkInputValue(input, value, spec.formats);
      if (problem)
        problems.push({
          code: `input.${problem.constraint}${problem.constraint === 'format' ? `:${input.format}` : ''}`,
          detail: problem.message,
        });
    }
    const when = input.requiredWhen;
    if (when && got.length === 0) {
      const other = values.get(when.input) ?? [];
      if (other.length && (!when.equals || other.some((v) => when.equals?.includes(v))))
        problems.push({
          code: 'input.required-when',
          detail: `${input.name} is missing although ${when.input} is ${other.join(',')}`,
        });
    }
  }
  for (const group of service.groups ?? []) {
    const present = group.members.filter((m) => (values.get(m) ?? []).length > 0);
    if (group.kind === 'exactly-one' && present.length !== 1)
      problems.push({
        code: 'input.group',
        detail: `${group.rule}: ${present.length} of ${group.members.join(', ')}`,
      });
  }
  return problems;
}

/** A request URL of an `api` service (or the endpoint URL of a USSD command). */
export function checkRequestUrl(service: Service, spec: Spec, text: string): Problem[] {
  const url = new URL(text.trim());
  const problems: Problem[] = [];
  if (url.pathname !== service.endpoint)
    problems.push({ code: 'endpoint', detail: `path ${url.pathname} is not ${service.endpoint}` });
  if (service.kind !== 'api') {
    if (url.search) problems.push({ code: 'endpoint.query', detail: 'a USSD command carries no query' });
    return problems;
  }
  // The document's URLs are ASCII except the MMS binary, whose bytes are not UTF-8: read them as Latin-1.
  const pairs = decodeQuery(url.search, 'ISO-8859-1');
  const values = new Map<string, string[]>();
  for (const [name, value] of pairs) values.set(name, [...(values.get(name) ?? []), value]);
  if (!values.has('profile')) problems.push({ code: 'control.profile.missing', detail: 'no profile' });
  if (!values.has('pwd') && !values.has('password'))
    problems.push({ code: 'control.pwd.missing', detail: 'no pwd or password' });
  const mode = values.get('mode')?.[0];
  if (mode === undefined) problems.push({ code: 'control.mode.missing', detail: 'no mode' });
  else {
    const canonical = Object.entries(spec.protocol.modes.spellings).find(([, spellings]) =>
      spellings.includes(mode),
    )?.[0];
    if (!canonical) problems.push({ code: 'control.mode.values', detail: `mode ${mode} is not a mode` });
    else if (service.modes.refused.includes(canonical as never))
      problems.push({ code: 'mode.refused', detail: `${service.id} refuses ${canonical}` });
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
  return [...problems, ...inputProblems(service, spec, values)];
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
    if (kids.length === 0) {
      const text = textOf(el);
      if (text !== text.trim())
        out.push({
          code: 'value.whitespace',
          detail: `<${el.name}> holds "${text}" with whitespace around it`,
        });
    } else kids.forEach(walk);
  };
  walk(root);
  return out;
}

/** An mse-response example (ack, execution response, receipt, failure), judged by the envelope rules. */
export function checkMseResponse(
  service: Service,
  spec: Spec,
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
  if ((kind === 'execution-response' || kind === 'receipt') && status === '0') {
    const params = new Map<string, string>();
    for (const item of parameters ? childElements(parameters) : []) {
      const [name, val] = childElements(item).map((e) => textOf(e).trim());
      if (name === undefined || val === undefined) continue;
      if (params.has(name)) problems.push({ code: 'envelope.parameters.unique', detail: `${name} twice` });
      params.set(name, val);
    }
    if (service.outputs.some((o) => o.required) && !parameters)
      problems.push({ code: 'envelope.parameters.missing', detail: 'no parameters' });
    for (const name of params.keys())
      if (!service.outputs.some((o) => o.name === name))
        problems.push({ code: 'output.unknown', detail: `${name} is no output of ${service.id}` });
    for (const output of service.outputs) {
      const got = params.get(output.name);
      if (got === undefined) {
        if (output.required) problems.push({ code: 'output.missing', detail: `${output.name} is missing` });
        continue;
      }
      const format = output.format ? spec.formats.get(output.format) : undefined;
      if (format && !new RegExp(format.pattern, 'u').test(got))
        problems.push({
          code: `output.format:${format.id}`,
          detail: `${output.name} "${got}" is not ${format.id}`,
        });
      if (output.enum && !output.enum.includes(got))
        problems.push({
          code: 'output.enum',
          detail: `${output.name} "${got}" is not one of ${output.enum.join(', ')}`,
        });
      // Without the request at hand, an echo is judged by the format of the input it echoes.
      const echoed = service.inputs.find((i) => i.name === output.echoes);
      const echoFormat = echoed?.format ? spec.formats.get(echoed.format) : undefined;
      if (echoFormat && !new RegExp(echoFormat.pattern, 'u').test(got))
        problems.push({
          code: 'output.echo',
          detail: `${output.name} "${got}" cannot be the request's ${echoed?.name} (${echoFormat.id})`,
        });
      const before = output.notBefore ? params.get(output.notBefore) : undefined;
      if (before !== undefined && got < before)
        problems.push({ code: 'output.not-before', detail: `${output.name} ${got} is before ${before}` });
      if (output.derivedFrom) {
        const from = params.get(output.derivedFrom.output);
        const map = output.derivedFrom.map;
        const expected = from === undefined ? undefined : (map[from] ?? map['*']);
        if (expected !== undefined && expected !== got)
          problems.push({ code: 'output.derived', detail: `${output.name} ${got} disagrees with ${from}` });
      }
    }
    for (const group of service.outputGroups ?? []) {
      const present = group.members.filter((m) => params.has(m));
      if (group.kind === 'exactly-one' && present.length !== 1)
        problems.push({ code: 'output.group', detail: `${group.rule}: ${present.join(', ') || 'none'}` });
    }
  }
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
export function checkUssd(service: Service, spec: Spec, bytes: Buffer): Problem[] {
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
    if (mode === undefined || !(mode in spec.protocol.modes.ussd))
      problems.push({ code: 'control.mode.values', detail: `USSD mode ${mode}` });
    const command = childElements(childElements(root).find((c) => c.name === 'command') ?? root)[0]?.name;
    const expected = { USSD_MENU: 'menu', USSD_INPUT: 'input', USSD_NOTIFY: 'notify' }[service.id];
    if (command !== expected) problems.push({ code: 'ussd.command', detail: `command ${command}` });
  }
  return [...problems, ...inputProblems(service, spec, values)];
}

/** The REQUEST document of an MMS MO (6.4.7.1). */
export function checkMmsMo(service: Service, spec: Spec, bytes: Buffer): Problem[] {
  const { problems, root } = xmlProblems(bytes, 'mms-mo-request');
  if (!root) return problems;
  if (root.attributes.REQ_TYPE !== 'Rcv_MMS_MO')
    problems.push({ code: 'mo.req-type', detail: `REQ_TYPE ${root.attributes.REQ_TYPE}` });
  const values = collect(root, new Set(service.inputs.map((i) => i.name)));
  const msgId = childElements(root).find((c) => c.name === 'MSG')?.attributes.MSG_ID;
  if (msgId !== undefined) values.set('MSG_ID', [msgId]);
  return [...problems, ...inputProblems(service, spec, values)];
}
