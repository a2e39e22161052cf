import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeQuery } from '../../src/charset/latin1.ts';
import {
  checkMmsMo,
  checkMseResponse,
  checkRequestUrl,
  checkUssd,
  type Problem,
} from '../../src/docs/examples.ts';
import { defaultFixturesDir, defaultSpecDir, loadSpec } from '../../src/spec/load.ts';
import type { Example, Service } from '../../src/spec/types.ts';
import { checkInputValue } from '../../src/spec/values.ts';
import { formatContentModel, loadDtd, parseDtd } from '../../src/xml/dtd.ts';

const spec = loadSpec();

/** Which errata entry explains each kind of departure the document's examples show. */
const explainedBy: Record<string, string> = {
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

const documentDir = join(defaultFixturesDir, 'document');
const read = (example: Example) => readFileSync(join(defaultFixturesDir, example.fixture));
const fixtureText = (name: string) => readFileSync(join(documentDir, name), 'latin1');

/** Departures of the payload examples (MIME, WML, DTD, paging screens, MMS MO decoding, SMTP). */
function checkPayload(service: Service, example: Example): Problem[] {
  const name = example.fixture.slice('document/'.length);
  const problems: Problem[] = [];
  if (name.endsWith('.mime')) {
    const text = read(example).toString('latin1');
    const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
    if (!boundary) problems.push({ code: 'mime.boundary', detail: 'no boundary parameter' });
    else if (!text.split('\n').some((line) => line.startsWith(`--${boundary}`)))
      problems.push({ code: 'mime.boundary', detail: `no delimiter line --${boundary}` });
  } else if (name === '6.4.14-imei.wml') {
    const href = /href="([^"]*)"/.exec(read(example).toString('latin1'))?.[1] ?? '';
    if (!href.includes('IMEI=$(L)')) problems.push({ code: 'wml.spacing', detail: `href ${href}` });
  } else if (name === '6.4.15-wml.wml') {
    // The WML of the example is the value of the WML parameter of the example request.
    const url = new URL(fixtureText('6.4.15-request.url').trim());
    const wml = decodeQuery(url.search, 'ISO-8859-1').find(([n]) => n === 'WML')?.[1];
    if (wml !== read(example).toString('latin1').replace(/\n/g, ''))
      problems.push({ code: 'wml.request', detail: 'the request carries another WML' });
  } else if (name.endsWith('.dtd')) {
    // The DTD of 6.5.1 as printed must have the content models of spec/dtd/mse-response.dtd.
    const printed = parseDtd(
      read(example)
        .toString('utf8')
        .replace(/^<\?xml[^>]*\?>/, ''),
      example.fixture,
    );
    const ours = loadDtd(join(defaultSpecDir, 'dtd', 'mse-response.dtd'));
    const models = (d: typeof ours) =>
      [...d.elements.values()].map((e) => `${e.name} ${formatContentModel(e.content)}`).join('\n');
    if (models(printed) !== models(ours)) problems.push({ code: 'dtd.differs', detail: models(printed) });
  } else if (name === '6.4.18-pagination.txt') {
    const screens = read(example).toString('utf8').split('\n---\n');
    const sent = screens[0]!.split('\n').filter((l) => l && !l.startsWith('#') && l !== 'sent:');
    const total = sent.reduce((n, l) => n + l.replace(/^[0-9]+\. /, '').length, 0);
    if (total <= spec.protocol.ussd.pageChars)
      problems.push({
        code: 'ussd.paging',
        detail: `the menu has ${total} characters, not more than a page`,
      });
    for (const page of screens.slice(1))
      if (page.trim().split('\n').at(-1) !== spec.protocol.ussd.notice)
        problems.push({ code: 'ussd.paging', detail: `a page does not end with the notice: ${page}` });
  } else if (name === '6.4.7.1-mo-decoded.txt' || name === '6.4.7.1-mo-hexdump.txt') {
    const request = fixtureText('6.4.7.1-mo-request.xml');
    const cdata = /<!\[CDATA\[(.*?)\]\]>/s.exec(request)?.[1] ?? '';
    const onWire = Buffer.from(decodeURIComponent(cdata.replace(/\+/g, ' ')), 'utf8');
    const shown = name.endsWith('hexdump.txt')
      ? Buffer.from(
          read(example)
            .toString('latin1')
            .trim()
            .split(/\s+/)
            .map((h) => Number.parseInt(h, 16)),
        )
      : read(example);
    if (!shown.equals(onWire))
      problems.push({ code: 'mms-mo.decoding', detail: 'the illustration differs from the decoded CDATA' });
  } else if (name.endsWith('-receipt-query.txt')) {
    // The query string of a receipt carries the partner's credentials and nothing else (6.4.1.1).
    const names = decodeQuery(read(example).toString('latin1').trim(), 'ISO-8859-1').map(([n]) => n);
    if (names.join('&') !== 'userid&pwd') problems.push({ code: 'receipt.query', detail: names.join('&') });
  } else if (name.endsWith('-display.txt')) {
    // What the handset shows is the command as sent: title then "index subtitle", or the content.
    const command = readFileSync(join(documentDir, name.replace('-display.txt', '-command.xml')), 'utf8');
    const values = (tag: string) =>
      [...command.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);
    const indexes = values('index');
    const expected = [
      ...values('title'),
      ...values('subtitle').map((t, i) => `${indexes[i]} ${t}`),
      ...values('content'),
    ];
    const shown = read(example).toString('utf8').trim().split('\n');
    if (shown.join('\n') !== expected.join('\n'))
      problems.push({
        code: 'ussd.display',
        detail: `shows ${shown.join(' / ')}, sent ${expected.join(' / ')}`,
      });
  } else if (name === '10.1-domain-user.txt') {
    const [domain, user] = read(example).toString('utf8').trim().split('\n');
    if (domain?.slice(0, spec.protocol.smtp.domainChars) !== user)
      problems.push({ code: 'smtp.user', detail: `${domain} gives ${user}` });
  } else if (name.endsWith('.eml')) {
    const text = read(example).toString('latin1');
    const number = /\bfor <([^@>]+)@[^>]+>/.exec(text)?.[1];
    const from = /^From: (.+)$/m.exec(text)?.[1]?.trim();
    const inputs = new Map(service.inputs.map((i) => [i.name, i]));
    for (const [input, value] of [
      ['FOR', number],
      ['FROM', from],
    ] as const) {
      const parameter = inputs.get(input);
      if (!parameter || value === undefined) problems.push({ code: 'smtp.missing', detail: `no ${input}` });
      else {
        const problem = checkInputValue(parameter, value, spec.formats);
        if (problem) problems.push({ code: `input.${problem.constraint}`, detail: problem.message });
      }
    }
    const user = from?.split('@')[1]?.slice(0, spec.protocol.smtp.domainChars);
    if (user !== 'empresa.com.br') problems.push({ code: 'smtp.user', detail: `user ${user}` });
  } else problems.push({ code: 'payload.unchecked', detail: `no check for ${name}` });
  return problems;
}

function problemsOf(service: Service, example: Example): Problem[] {
  const bytes = read(example);
  switch (example.kind) {
    case 'request':
      return checkRequestUrl(spec, service, bytes.toString('latin1'));
    case 'ack':
    case 'execution-response':
    case 'receipt':
    case 'failure':
      return checkMseResponse(spec, service, bytes, example.kind);
    case 'command':
    case 'event':
      return checkUssd(spec, service, bytes);
    case 'mo':
      return checkMmsMo(spec, service, bytes);
    case 'payload':
      return checkPayload(service, example);
  }
}

const cases = spec.services.flatMap((service) =>
  service.examples.map((example) => ({ service, example, name: `${service.id} ${example.fixture}` })),
);

describe('examples of the document', () => {
  it('every file under fixtures/document is an example of some service, and only once', () => {
    const listed = cases.map((c) => c.example.fixture);
    const files = readdirSync(documentDir).map((f) => `document/${f}`);
    expect(files.filter((f) => !listed.includes(f))).toEqual([]);
    expect(listed.filter((f, i) => listed.indexOf(f) !== i)).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(70);
  });

  it('examples of kind request are .url files and XML kinds are .xml files', () => {
    for (const { example } of cases) {
      if (example.kind === 'request') expect(example.fixture).toMatch(/\.url$/);
      if (
        ['ack', 'execution-response', 'receipt', 'failure', 'command', 'event', 'mo'].includes(example.kind)
      )
        expect(example.fixture).toMatch(/\.xml$/);
    }
  });

  it.each(cases.filter((c) => c.example.conforms))('$name conforms', ({ service, example }) => {
    expect(problemsOf(service, example)).toEqual([]);
  });

  it.each(cases.filter((c) => !c.example.conforms))(
    '$name departs for the reasons its errata give',
    ({ service, example }) => {
      const problems = problemsOf(service, example);
      expect(problems.length, 'a non-conforming example must break something').toBeGreaterThan(0);
      for (const problem of problems)
        expect(example.errata ?? [], `${problem.code}: ${problem.detail}`).toContain(
          explainedBy[problem.code],
        );
      const explained = new Set(problems.map((p) => explainedBy[p.code]));
      for (const id of example.errata ?? []) expect(explained, `${id} explains nothing here`).toContain(id);
    },
  );

  it('every errata entry an example names is also listed by its service', () => {
    for (const { service, example } of cases)
      for (const id of example.errata ?? [])
        expect(service.errata ?? [], `${service.id} ${id}`).toContain(id);
  });
});

describe('the example checker catches departures (so the tests above can fail)', () => {
  const service = (id: string) => spec.services.find((s) => s.id === id)!;
  const codes = (problems: Problem[]) => problems.map((p) => p.code).sort();
  const base = 'http://retail.mds.claro.com.br/MSE/api?profile=p&pwd=s&mode=async-delivery';

  it('a request within every constraint has no problem', () => {
    expect(checkRequestUrl(spec, service('SMS_TEXT'), `${base}&BNUM=1191000000&TEXT=ok`)).toEqual([]);
  });
  it('a TEXT of 161 characters, a missing BNUM and an unknown parameter are caught', () => {
    const text = encodeURIComponent('ç'.repeat(161));
    expect(codes(checkRequestUrl(spec, service('SMS_TEXT'), `${base}&TEXT=${text}&FOO=1`))).toEqual([
      'input.max-length',
      'input.required',
      'input.unknown',
    ]);
  });
  it('CATEGORIA and OFFERS together break the exactly-one group', () => {
    const url = `${base.replace('async-delivery', 'sync')}&CTN=1191000000&CATEGORIA=A&OFFERS=1`;
    expect(codes(checkRequestUrl(spec, service('OFFER_INSERT'), url))).toEqual(['input.group']);
  });
  it('a refused mode, an unknown mode and a missing billingCode are caught', () => {
    expect(
      codes(
        checkRequestUrl(
          spec,
          service('LBS_TORPEDO'),
          `${base.replace('async-delivery', 'sync')}&CTN=1191000000`,
        ),
      ),
    ).toEqual(['mode.refused']);
    expect(
      codes(
        checkRequestUrl(
          spec,
          service('SYS_CHARGE_SUBSCRIB'),
          `${base.replace('async-delivery', 'synch')}&CTN=1191000000`,
        ),
      ),
    ).toEqual(['control.billing-code.missing', 'control.mode.values']);
  });
  it('an ack with parameters, a failure without error-message and a missing output are caught', () => {
    const envelope = (body: string) =>
      Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><mse-response>${body}</mse-response>`);
    const parameters =
      '<parameters><param-item><param-name>RADIUS</param-name><param-value>1.0</param-value></param-item></parameters>';
    const lbs = service('LBS_TRANSLATOR');
    expect(
      codes(
        checkMseResponse(
          spec,
          lbs,
          envelope(
            `<status-code>0</status-code><profile>p</profile><transaction-id>1</transaction-id>${parameters}`,
          ),
          'ack',
        ),
      ),
    ).toEqual(['envelope.parameters.ack']);
    expect(
      codes(
        checkMseResponse(spec, lbs, envelope('<status-code>12</status-code><profile>p</profile>'), 'failure'),
      ),
    ).toEqual(['envelope.error-message', 'failure.unknown']);
    expect(
      codes(
        checkMseResponse(
          spec,
          lbs,
          envelope(
            `<status-code>0</status-code><profile>p</profile><transaction-id>1</transaction-id>${parameters}`,
          ),
          'execution-response',
        ),
      ),
    ).toEqual(['output.missing', 'output.missing', 'output.missing']);
  });
  it('a USSD menu using a reserved index is caught', () => {
    const xml = readFileSync(join(documentDir, '6.4.18-command.xml'), 'utf8')
      .replace('<msisdn>119998888</msisdn>', '<msisdn>1199998888</msisdn>')
      .replace('<index>2</index>', '<index>9</index>');
    expect(codes(checkUssd(spec, service('USSD_MENU'), Buffer.from(xml)))).toEqual(['input.not-in']);
  });
});
