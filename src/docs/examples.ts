import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Example, Service, Spec } from '../spec/types.ts';
import { checkInputValue } from '../spec/values.ts';
import { dtdForRoot, validateXml } from '../xml/validate.ts';

/** What the docs say about one example of the document after checking it against the contract. */
export interface ExampleCheck {
  /** How the example was checked: as a request URL, as an XML document, or not at all (MIME, WML, text). */
  as: 'url' | 'xml' | 'none';
  /** Departures from the contract; empty when the example conforms. */
  problems: string[];
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

/** Checks one example against the service entry: URLs parameter by parameter, XML by its shape. */
export function checkExample(spec: Spec, service: Service, example: Example, text: string): ExampleCheck {
  const body = text.trim();
  if (example.fixture.endsWith('.url') && /^https?:\/\//.test(body))
    return { as: 'url', problems: checkRequestUrl(spec, service, body) };
  // A DTD (6.5.1) is shown as the grammar it is; only documents are validated.
  if (body.startsWith('<') && !example.fixture.endsWith('.dtd'))
    return { as: 'xml', problems: checkXml(spec, service, example, body) };
  return { as: 'none', problems: [] };
}

/** A request URL of 6.1: control parameters of 6.2, then the service's inputs (6.3) with their constraints. */
export function checkRequestUrl(spec: Spec, service: Service, text: string): string[] {
  const problems: string[] = [];
  let url: URL;
  try {
    url = new URL(text.replace(/\s+/g, ''));
  } catch {
    return ['the URL cannot be parsed'];
  }
  const endpoint = service.endpoint ?? spec.protocol.endpoints.api;
  if (url.pathname !== endpoint) problems.push(`the path is ${url.pathname}, not ${endpoint}`);
  // USSD commands travel as an XML body to /MSE/ussd: their URL example is only the endpoint.
  if (service.kind === 'ussd-command') return problems;
  const params = url.searchParams;
  for (const control of spec.protocol.controlParameters) {
    if (control.required !== true) continue;
    const names = [control.name, ...(control.aliases ?? [])];
    if (!names.some((n) => params.has(n)))
      problems.push(`control parameter ${control.name} is missing (6.2)`);
  }
  const mode = params.get('mode');
  if (mode !== null) {
    const canonical = (Object.entries(spec.protocol.modes.spellings) as [string, string[]][]).find(([, s]) =>
      s.includes(mode),
    )?.[0];
    if (!canonical) problems.push(`mode "${mode}" is not a spelling of any mode of 6.2`);
    else if (!(service.modes.allowed as string[]).includes(canonical))
      problems.push(`mode ${canonical} is not allowed for ${service.id}`);
  }
  for (const input of service.inputs) {
    if (input.in && input.in !== 'query') continue;
    const value = params.get(input.name);
    if (value === null) {
      if (input.required) problems.push(`input ${input.name} is required but missing`);
      continue;
    }
    const problem = checkInputValue(input, value, spec.formats);
    if (problem) problems.push(problem.message);
  }
  for (const group of service.groups ?? []) {
    const present = group.members.filter((m) => params.has(m)).length;
    if (group.kind === 'exactly-one' && present !== 1)
      problems.push(`exactly one of ${group.members.join(', ')} is expected, found ${present}`);
    if (group.kind === 'at-most-one' && present > 1)
      problems.push(`at most one of ${group.members.join(', ')} is expected, found ${present}`);
    if (group.kind === 'one-or-other' && present !== 1)
      problems.push(`one of ${group.members.join(', ')} is expected, found ${present}`);
  }
  return problems;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'param-item',
});

type XmlNode = Record<string, unknown>;

/**
 * An XML example: validated by the project's codec against the DTD its root element names
 * (`validateXml`, which refuses DOCTYPEs and entities), then, for an mse-response, checked
 * against the service's outputs (6.3, 6.5.2).
 */
export function checkXml(spec: Spec, service: Service, example: Example, text: string): string[] {
  const root = /<([A-Za-z_][\w.-]*)[\s>/]/.exec(
    text.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, ''),
  )?.[1];
  const dtd = root ? dtdForRoot(root) : undefined;
  if (dtd) {
    const result = validateXml(text, dtd);
    if (!result.ok) return result.errors.map((e) => `${dtd}.dtd: ${e}`);
  } else {
    const valid = XMLValidator.validate(text);
    if (valid !== true) return [`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`];
  }
  const doc = parser.parse(text) as XmlNode;
  const response = doc['mse-response'] as XmlNode | undefined;
  if (!response) return [];
  return checkMseResponse(spec, service, example, response);
}

function checkMseResponse(spec: Spec, service: Service, example: Example, response: XmlNode): string[] {
  const problems: string[] = [];
  const text = (name: string) => {
    const v = response[name];
    return typeof v === 'string' ? v : undefined;
  };
  const status = text('status-code');
  if (status === undefined) problems.push('status-code is missing (6.5.2)');
  else if (!/^[0-9]+$/.test(status)) problems.push(`status-code "${status}" is not a number`);
  if (text('profile') === undefined) problems.push('profile is missing (6.5.2)');
  if (status !== undefined && status !== '0' && text('error-message') === undefined)
    problems.push('error-message is missing although status-code is not 0 (6.5.2)');
  const executed = example.kind === 'receipt' || example.kind === 'execution-response';
  if (status !== '0' || !executed) return problems;
  const parameters = response.parameters as XmlNode | undefined;
  const items = ((parameters?.['param-item'] as XmlNode[] | undefined) ?? []).map((i) => ({
    name: String(i['param-name'] ?? ''),
    value: String(i['param-value'] ?? ''),
  }));
  const values = new Map(items.map((i) => [i.name, i.value]));
  for (const output of service.outputs) {
    const value = values.get(output.name);
    if (value === undefined) {
      if (output.required) problems.push(`output ${output.name} is missing (${service.section})`);
      continue;
    }
    if (output.format) {
      const format = spec.formats.get(output.format);
      if (format && !new RegExp(format.pattern, 'u').test(value))
        problems.push(`output ${output.name} "${value}" is not ${format.id}`);
    }
    if (output.enum && !output.enum.includes(value))
      problems.push(`output ${output.name} "${value}" is not one of ${output.enum.join(', ')}`);
    if (output.notBefore) {
      const other = values.get(output.notBefore);
      if (other !== undefined && value < other)
        problems.push(`output ${output.name} is earlier than ${output.notBefore}`);
    }
  }
  for (const group of service.outputGroups ?? []) {
    const present = group.members.filter((m) => values.has(m)).length;
    if (group.kind === 'exactly-one' && present !== 1)
      problems.push(`exactly one of ${group.members.join(', ')} is expected, found ${present}`);
  }
  return problems;
}
