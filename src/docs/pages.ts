import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputRuleIds, modeRuleId, outputRuleIds } from '../spec/catalogue.ts';
import type { ErrataEntry, Example, Rule, Service, Spec } from '../spec/types.ts';
import { type Coverage, coverageFigure } from './coverage.ts';
import { latin1QueryValue, spellBytes, utf8QueryValue } from './encoding.ts';
import { checkExample, displayText, readFixture } from './examples.ts';
import { anchor, code, esc, layout, markdown, type Page, pre, prose, rootOf, table } from './html.ts';

/** Everything a page needs besides the spec. */
export interface SiteContext {
  spec: Spec;
  fixturesDir: string;
  coverage: Coverage;
  /** Whether the typedoc API reference was generated into api/. */
  apiGenerated: boolean;
}

/** Group labels in the order the document presents the services (chapter 6.4, then chapter 10). */
export const groupLabels: Record<Service['group'], string> = {
  sms: 'SMS',
  mms: 'MMS',
  billing: 'Credit and billing',
  location: 'Location',
  'wap-wib': 'WAP push and WIB',
  imei: 'Handset (IMEI)',
  subscriber: 'Subscriber information',
  ussd: 'USSD',
  offers: 'Offers',
  protocol: 'Customer-care protocol',
  smtp: 'SMTP interface',
};

/** The four kinds of delivery the MSE makes to a partner, each with its page under webhooks/. */
export const deliveries = [
  { page: 'webhooks/receipts.html', title: 'Receipts (async-delivery)' },
  { page: 'webhooks/sms-mo.html', title: 'SMS MO deliveries' },
  { page: 'webhooks/mms-mo.html', title: 'MMS MO deliveries' },
  { page: 'webhooks/ussd-events.html', title: 'USSD events' },
] as const;

/** Text spelled byte by byte on the delivery pages: Portuguese letters outside ASCII, as MO texts carry. */
const sampleText = 'Olá, promoção já';

export const servicePath = (s: Service) => `services/${s.slug}.html`;
const ruleLink = (path: string, id: string) =>
  `<a href="${rootOf(path)}rules.html#${anchor(id)}">${esc(id)}</a>`;
const errataLink = (path: string, id: string) =>
  `<a href="${rootOf(path)}errata.html#${anchor(id)}">${esc(id)}</a>`;
const levelBadge = (level: Rule['level']) => `<span class="badge ${level.toLowerCase()}">${level}</span>`;

/** Which delivery page a partner-facing service belongs to, if any. */
export function deliveryPageOf(s: Service): string | undefined {
  if (s.kind === 'ussd-event') return 'webhooks/ussd-events.html';
  if (s.kind === 'mo-delivery' && s.group === 'sms') return 'webhooks/sms-mo.html';
  if (s.kind === 'mo-delivery' && s.group === 'mms') return 'webhooks/mms-mo.html';
  return undefined;
}

export function indexPage(ctx: SiteContext): Page {
  const path = 'index.html';
  const { spec } = ctx;
  const groups = (Object.keys(groupLabels) as Service['group'][])
    .map((g) => {
      const members = spec.services.filter((s) => s.group === g);
      if (!members.length) return '';
      const items = members
        .map(
          (s) =>
            `<li><a href="${servicePath(s)}">${esc(s.id)}</a> <span class="muted">${esc(s.section)} · ${esc(s.title)} · ${esc(s.direction)}</span></li>`,
        )
        .join('\n');
      return `<h3 id="group-${g}">${esc(groupLabels[g])}</h3>\n<ul class="services">${items}</ul>`;
    })
    .join('\n');
  const partnerFacing = spec.services.filter((s) => s.direction === 'mse-to-partner');
  const deliveryList = deliveries
    .map((d) => {
      const members = partnerFacing.filter((s) => deliveryPageOf(s) === d.page);
      const receipts =
        d.page === 'webhooks/receipts.html' ? spec.services.filter((s) => s.receipt !== 'none') : [];
      const names = [...members, ...receipts].map((s) => `<a href="${servicePath(s)}">${esc(s.id)}</a>`);
      return `<li><a href="${d.page}">${esc(d.title)}</a>${names.length ? ` — ${names.join(', ')}` : ''}</li>`;
    })
    .join('\n');
  const body = `<p>The contract of the MSE (Mobile Services Enabler) partner HTTP API, written from its integration guide
(version 3.0) as data under <code>spec/</code>. Every page here is generated from that data: ${spec.services.length}
services, ${spec.rules.size} rules, ${spec.errata.length} errata entries and ${spec.statusCodes.length} status codes.</p>
<p class="figure">Rule coverage: ${esc(coverageFigure(ctx.coverage))}. See the <a href="rules.html">rules index</a>.</p>
<h2>Services the partner calls</h2>
<p>Requests go to <code>${esc(spec.protocol.endpoints.api)}</code> (GET or POST, 6.1) or, for USSD commands,
<code>${esc(spec.protocol.endpoints.ussd)}</code> (6.4.18). Services are grouped as the document groups them.</p>
${groups}
<h2>Deliveries to the partner</h2>
<p>What the MSE sends to the partner's own endpoints, with the encodings spelled out byte by byte.</p>
<ul>${deliveryList}</ul>
<h2>More</h2>
<ul>
<li><a href="rules.html">Rules index</a>: every rule id, its section, level and sentence, and the checks that cover it.</li>
<li><a href="status-codes.html">Status codes</a>.</li>
<li><a href="errata.html">Errata</a>: where the document contradicts itself, and the reading chosen.</li>
<li><a href="interpreting.html">Interpreting</a>: what a conformance run must do.</li>
<li><a href="pact.html">Pact contracts</a>: the exported pacts and their known limits.</li>
<li><a href="api/index.html">Library API reference</a>${ctx.apiGenerated ? '' : ' (not generated in this build)'}.</li>
</ul>`;
  return layout(path, 'MSE HTTP API contract', body, spec.hash);
}

function limitsOf(i: Service['inputs'][number]): string {
  const parts: string[] = [];
  if (i.maxLength !== undefined) parts.push(`at most ${i.maxLength} characters`);
  if (i.minLength !== undefined) parts.push(`at least ${i.minLength} characters`);
  if (i.enum) parts.push(`one of ${i.enum.map(code).join(', ')}`);
  if (i.notIn) parts.push(`never ${i.notIn.map(code).join(', ')}`);
  if (i.listSeparator) parts.push(`a list separated by ${code(i.listSeparator)}`);
  if (i.requiredWhen)
    parts.push(
      `required (${esc(i.requiredWhen.level)}) when ${esc(i.requiredWhen.input)} ${
        i.requiredWhen.equals ? `is ${i.requiredWhen.equals.map(code).join(' or ')}` : 'is present'
      }`,
    );
  if (i.level && i.level !== 'MUST') parts.push(`constraints are ${esc(i.level)}-level`);
  return parts.join('; ') || '<span class="muted">none stated</span>';
}

function formatCell(spec: Spec, name: string | undefined): string {
  if (!name) return '<span class="muted">free text</span>';
  const f = spec.formats.get(name);
  if (!f) return code(name);
  return `${code(f.id)}: ${prose(f.description)}<br><span class="muted">pattern</span> ${code(f.pattern)}`;
}

function errataFor(spec: Spec, s: Service): ErrataEntry[] {
  const ids = new Set([...(s.errata ?? []), ...s.examples.flatMap((e) => e.errata ?? [])]);
  return spec.errata.filter((e) => ids.has(e.id));
}

function exampleBlock(ctx: SiteContext, path: string, s: Service, e: Example): string {
  const text = readFixture(ctx.fixturesDir, e);
  const check = checkExample(ctx.spec, s, e, readFileSync(join(ctx.fixturesDir, e.fixture)));
  const errata = (e.errata ?? []).map((id) => errataLink(path, id)).join(', ');
  let badge: string;
  if (!e.conforms)
    badge = `<span class="badge invalid">not conforming</span> per ${errata || 'the spec'}${
      check.problems.length
        ? ''
        : '; the automatic check below sees no departure on its own (the point needs the request or the document context)'
    }`;
  else if (check.as === 'none')
    badge = '<span class="badge valid">shown as is</span> (not a request URL or XML document)';
  else if (check.problems.length)
    badge = `<span class="badge invalid">not conforming</span> — the checker disagrees with the spec, which marks this example as conforming`;
  else
    badge = `<span class="badge valid">valid</span> checked as ${check.as === 'url' ? 'a request URL' : 'XML'}`;
  const problems = check.problems.length
    ? `<ul class="problems">${check.problems.map((p) => `<li>${esc(p.detail)}</li>`).join('')}</ul>`
    : '';
  const label = check.as === 'url' ? 'Request URL' : check.as === 'xml' ? 'XML' : 'Content';
  return `<div class="example" id="${anchor(e.fixture)}"><h3>${esc(e.kind)}: <code>fixtures/${esc(e.fixture)}</code></h3>
<p>${badge}</p>${problems}<p class="muted">${label}</p>${pre(displayText(text.trimEnd()))}</div>`;
}

/** A list of rule ids as links, the ids the catalogue has. */
function ruleCell(spec: Spec, path: string, ids: string[]): string {
  return ids
    .filter((id) => spec.rules.has(id))
    .map((id) => ruleLink(path, id))
    .join('<br>');
}

/** The service's facts: section, kind, endpoint, methods, billing, SMPP, delivery. */
function serviceFacts(s: Service, root: string): [string, string][] {
  const facts: [string, string][] = [
    ['Service', code(s.id)],
    ['Section', esc(s.section)],
    ['Kind', esc(s.kind)],
    ['Direction', esc(s.direction)],
    ['Group', `<a href="${root}index.html#group-${s.group}">${esc(groupLabels[s.group])}</a>`],
    [
      'Endpoint',
      s.endpoint ? code(s.endpoint) : '<span class="muted">none (not an HTTP call to the MSE)</span>',
    ],
    ['Methods', esc(s.methods.join(', '))],
  ];
  if (s.billingCode)
    facts.push([
      'billingCode',
      s.billingCode === 'required'
        ? 'required by the profiles of this service'
        : 'required when the profile says so',
    ]);
  if (s.smpp)
    facts.push([
      'SMPP submission',
      esc(
        [
          s.smpp.dataCoding !== undefined ? `data_coding ${s.smpp.dataCoding}` : '',
          s.smpp.esmClass !== undefined ? `esm_class ${s.smpp.esmClass}` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ),
    ]);
  const delivery = deliveryPageOf(s);
  if (delivery) facts.push(['Delivery', `<a href="${root}${delivery}">how the MSE delivers it</a>`]);
  return facts;
}

/** The control parameters every API request carries (none for a service that is no API call). */
function controlsSection(spec: Spec, s: Service): string {
  return s.kind === 'api'
    ? `<h2>Control parameters</h2><p>Sent with every request to the API (6.2), in lower case.</p>${table(
        ['Name', 'Required', 'Description', 'Section'],
        spec.protocol.controlParameters.map((c) => [
          code(c.name) + (c.aliases?.length ? ` (also ${c.aliases.map(code).join(', ')})` : ''),
          c.required === 'profile' ? 'when the profile says so' : c.required ? 'yes' : 'no',
          prose(c.description),
          esc(c.section),
        ]),
      )}`
    : '';
}

/** The service's input parameters and their groups. */
function parametersSection(spec: Spec, s: Service, path: string): string {
  const inputs = table(
    ['Name', 'In', 'Type', 'Required', 'Limits', 'Format', 'Description', 'Sample', 'Rules'],
    s.inputs.map((i) => {
      const ids = inputRuleIds(s, i);
      return [
        code(i.name),
        esc(i.in ?? 'query'),
        esc(i.type),
        i.required ? 'yes' : 'no',
        limitsOf(i),
        formatCell(spec, i.format),
        prose(i.description) + (i.section ? ` <span class="muted">(${esc(i.section)})</span>` : ''),
        code(i.sample),
        ruleCell(spec, path, Object.values(ids)),
      ];
    }),
  );
  const groups = s.groups?.length
    ? `<h3>Parameter groups</h3>${table(
        ['Rule', 'Kind', 'Members', 'Level', 'Statement'],
        s.groups.map((g) => [
          ruleLink(path, g.rule),
          esc(g.kind),
          g.members.map(code).join(', '),
          levelBadge(g.level),
          prose(g.text),
        ]),
      )}`
    : '';
  return `${inputs}${groups}`;
}

/** The modes the service allows, recommends and refuses. */
function modesSection(s: Service, path: string, root: string): string {
  const modeRow = (label: string, modes: string[], verdict: 'allowed' | 'refused' | undefined) =>
    `<dt>${label}</dt><dd>${
      modes.length
        ? modes
            .map((m) => code(m) + (verdict ? ` (${ruleLink(path, modeRuleId(s, m, verdict))})` : ''))
            .join(', ')
        : '<span class="muted">none</span>'
    }</dd>`;
  const modes = `<h2>Modes</h2><dl class="facts">${modeRow('Allowed', s.modes.allowed, 'allowed')}${modeRow(
    'Recommended',
    s.modes.recommended ? [s.modes.recommended] : [],
    undefined,
  )}${modeRow('Refused', s.modes.refused, 'refused')}</dl>${
    s.modes.note ? `<p>${esc(s.modes.note)}${s.modes.section ? ` (${esc(s.modes.section)})` : ''}</p>` : ''
  }<p class="muted">Both spellings of the asynchronous modes are accepted (<a href="${root}errata.html#errata.mode-spelling">errata.mode-spelling</a>).</p>`;
  return modes;
}

/** The service's outputs and their groups. */
function outputsSection(spec: Spec, s: Service, path: string): string {
  const outputs = table(
    ['Name', 'Required', 'Format', 'Values', 'Relation', 'Description', 'Rules'],
    s.outputs.map((o) => {
      const relation = [
        o.echoes ? `carries the request's ${code(o.echoes)}` : '',
        o.notBefore ? `not earlier than ${code(o.notBefore)}` : '',
        o.derivedFrom
          ? `follows ${code(o.derivedFrom.output)}: ${Object.entries(o.derivedFrom.map)
              .map(([k, v]) => `${k === '*' ? 'other' : code(k)} → ${code(v)}`)
              .join(', ')}`
          : '',
        o.deprecated ? 'obsolete, kept for compatibility' : '',
      ]
        .filter(Boolean)
        .join('; ');
      return [
        code(o.name),
        o.required ? 'yes' : 'no',
        formatCell(spec, o.format),
        o.enum ? o.enum.map(code).join(', ') : '',
        relation,
        prose(o.description),
        ruleCell(spec, path, Object.values(outputRuleIds(s, o))),
      ];
    }),
  );
  const outputGroups = s.outputGroups?.length
    ? `<h3>Output groups</h3>${table(
        ['Rule', 'Kind', 'Members', 'Level', 'Statement'],
        s.outputGroups.map((g) => [
          ruleLink(path, g.rule),
          esc(g.kind),
          g.members.map(code).join(', '),
          levelBadge(g.level),
          prose(g.text),
        ]),
      )}`
    : '';
  return `${outputs}${outputGroups}`;
}

/** Whether and how the MSE sends a receipt for the service. */
function receiptSection(spec: Spec, s: Service, root: string): string {
  return s.receipt === 'none'
    ? '<p>This service sends no receipt.</p>'
    : `<p>In async-delivery mode the MSE POSTs ${
        s.receipt === 'sms' ? 'an SMS receipt' : 'the execution response'
      } to the partner's receipt URL: an <code>mse-response</code> in ${esc(spec.protocol.encodings.receipt)}
whose <code>parameters</code> carry the outputs above (6.4.1.1). See <a href="${root}webhooks/receipts.html">receipts</a>.</p>`;
}

/** The failures the document shows for the service, then every status code. */
function statusSection(spec: Spec, s: Service, root: string): string {
  const failures = s.failures?.length
    ? `<h3>Failures the document shows</h3>${table(
        ['status-code', 'error-message', 'When', 'Section'],
        s.failures.map((f) => [
          code(String(f.statusCode)),
          f.errorMessage ? code(f.errorMessage) : '',
          prose(f.when),
          esc(f.section ?? s.section),
        ]),
      )}`
    : '';
  const statusCodes = table(
    ['Code', 'Meaning', 'Source', 'Section'],
    spec.statusCodes.map((c) => [
      `<a href="${root}status-codes.html#code-${c.code}">${c.code}</a>`,
      prose(c.meaning),
      esc(c.source),
      esc(c.section ?? ''),
    ]),
  );
  return `${failures}<p>Every mse-response carries a status-code; 0 means success (6.5.2).</p>${statusCodes}`;
}

/** The rules derived from the service's entry, with how many checks cite each. */
function rulesSection(ctx: SiteContext, s: Service, path: string): string {
  const { spec, coverage } = ctx;
  const rules = [...spec.rules.values()].filter((r) => r.service === s.id);
  const rulesTable = table(
    ['Rule', 'Section', 'Level', 'Statement', 'Checks'],
    rules.map((r) => {
      const checks = coverage.checksByRule.get(r.id) ?? [];
      return [
        ruleLink(path, r.id),
        esc(r.section),
        levelBadge(r.level),
        prose(r.text),
        checks.length ? String(checks.length) : '<span class="uncovered">uncovered</span>',
      ];
    }),
  );
  return `<p>${rules.length} rules are derived from this entry.</p>${rulesTable}`;
}

export function servicePage(ctx: SiteContext, s: Service): Page {
  const path = servicePath(s);
  const { spec } = ctx;
  const root = rootOf(path);
  const facts = serviceFacts(s, root);
  const examples = s.examples.length
    ? s.examples.map((e) => exampleBlock(ctx, path, s, e)).join('\n')
    : '<p class="none">The document gives no example.</p>';
  const errata = errataFor(spec, s);
  const errataHtml = errata.length
    ? `<ul>${errata.map((e) => `<li>${errataLink(path, e.id)}: ${esc(e.title)}. <em>Reading:</em> ${prose(e.reading)}</li>`).join('')}</ul>`
    : '<p class="none">No errata entry touches this service.</p>';

  const body = `<p>${prose(s.summary)}</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
${controlsSection(spec, s)}
<h2>Parameters</h2>${parametersSection(spec, s, path)}
${modesSection(s, path, root)}
<h2>Outputs</h2>${outputsSection(spec, s, path)}
<h2>Receipt</h2>${receiptSection(spec, s, root)}
<h2>Status codes</h2>${statusSection(spec, s, root)}
<h2>Rules</h2>${rulesSection(ctx, s, path)}
<h2>Examples</h2>${examples}
<h2>Errata</h2>${errataHtml}`;
  return layout(path, `${s.id} (${s.section})`, body, spec.hash);
}

export function rulesPage(ctx: SiteContext): Page {
  const path = 'rules.html';
  const { spec, coverage } = ctx;
  const byService = new Map<string, Rule[]>();
  for (const r of spec.rules.values()) {
    const key = r.service ?? '';
    byService.set(key, [...(byService.get(key) ?? []), r]);
  }
  const services = new Map(spec.services.map((s) => [s.id, s]));
  const sections = [...byService.entries()]
    .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : 0))
    .map(([serviceId, rules]) => {
      const s = services.get(serviceId);
      const heading = s
        ? `<h2 id="service-${anchor(s.slug)}"><a href="${servicePath(s)}">${esc(s.id)}</a> (${esc(s.section)})</h2>`
        : '<h2 id="general">General rules</h2>';
      const rows = rules.map((r) => {
        const checks = coverage.checksByRule.get(r.id) ?? [];
        return [
          `<span id="${anchor(r.id)}">${code(r.id)}</span>`,
          esc(r.section),
          levelBadge(r.level),
          prose(r.text),
          checks.length
            ? checks.slice(0, 5).map(code).join('<br>') +
              (checks.length > 5 ? `<br><span class="muted">and ${checks.length - 5} more</span>` : '')
            : '<span class="uncovered">uncovered</span>',
        ];
      });
      return heading + table(['Rule', 'Section', 'Level', 'Statement', 'Covering checks'], rows);
    })
    .join('\n');
  const source = coverage.sources.length
    ? `Coverage read from ${coverage.sources.map(code).join(', ')}.`
    : 'No check registry answered (<code>mse-conformance gateway --list</code>, <code>partner --list</code>, or a module exporting <code>listChecks()</code>), so no rule can be shown as covered.';
  const notes = coverage.notes.length
    ? `<ul class="muted">${coverage.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
    : '';
  const unknown = coverage.unknownRules.length
    ? `<p class="uncovered">${coverage.unknownRules.length} checks cite rule ids the catalogue does not have: ${coverage.unknownRules
        .slice(0, 20)
        .map((u) => `${code(u.check)} → ${code(u.rule)}`)
        .join(', ')}</p>`
    : '';
  const body = `<p class="figure" id="coverage">Coverage: ${esc(coverageFigure(coverage))}.</p>
<p>${source} Rules no check covers are marked <span class="uncovered">uncovered</span>. Rule ids are names, not section
numbers, because the document repeats section numbers (three sections are numbered 6.4.17).</p>${notes}${unknown}
${sections}`;
  return layout(path, 'Rules index', body, spec.hash);
}

export function statusCodesPage(ctx: SiteContext): Page {
  const { spec } = ctx;
  const body = `<p>Every mse-response carries a numeric <code>status-code</code>; 0 means the request was executed, or accepted
for execution in the asynchronous modes (6.5.2). Any other value is a failure and comes with an <code>error-message</code>.
<em>Source</em> says where a code comes from: <code>document</code> (shown by the guide), <code>field</code> (answered by
gateways in use) or <code>project</code> (chosen here where the guide gives no number; checks accept any non-zero code there).</p>
${table(
  ['Code', 'Meaning', 'Source', 'Section', 'error-message shown'],
  spec.statusCodes.map((c) => [
    `<span id="code-${c.code}">${code(String(c.code))}</span>`,
    prose(c.meaning),
    esc(c.source),
    esc(c.section ?? ''),
    c.errorMessage ? code(c.errorMessage) : '',
  ]),
)}`;
  return layout('status-codes.html', 'Status codes', body, spec.hash);
}

export function errataPage(ctx: SiteContext): Page {
  const path = 'errata.html';
  const { spec } = ctx;
  const entries = spec.errata
    .map((e) => {
      const touched = spec.services.filter(
        (s) => s.errata?.includes(e.id) || s.examples.some((x) => x.errata?.includes(e.id)),
      );
      return `<section id="${anchor(e.id)}"><h2>${code(e.id)}: ${esc(e.title)}</h2>
<dl class="facts"><dt>Sections</dt><dd>${esc(e.sections.join(', '))}</dd><dt>Strictness</dt><dd>${esc(e.strictness)}</dd>
<dt>Reading</dt><dd>${prose(e.reading)}</dd><dt>Services</dt><dd>${
        touched.map((s) => `<a href="${servicePath(s)}">${esc(s.id)}</a>`).join(', ') ||
        '<span class="muted">none named</span>'
      }</dd></dl>
${markdown(e.body, 2)}</section>`;
    })
    .join('\n');
  const body = `<p>Where the guide contradicts itself, and the reading this project chose. Normative tables win over
examples. <em>Strictness</em>: <code>always</code> (the reading is enforced), <code>strict-only</code> (enforced only under
<code>--strict</code>; otherwise a departure is reported as non-strict) or <code>informational</code> (nothing to check).</p>
${entries}`;
  return layout(path, 'Errata', body, spec.hash);
}

export function interpretingPage(ctx: SiteContext): Page {
  const { spec } = ctx;
  const file = join(spec.root, 'INTERPRETING.md');
  const doc = existsSync(file)
    ? markdown(readFileSync(file, 'utf8').replace(/^# .*\n/, ''), 1)
    : '<p class="uncovered">spec/INTERPRETING.md is not written yet; the facts below come from spec/protocol.yaml.</p>';
  const p = spec.protocol;
  const facts = `<h2>Protocol facts every run relies on</h2><dl class="facts">
<dt>API endpoint</dt><dd>${code(p.endpoints.api)} (6.1)</dd>
<dt>USSD endpoint</dt><dd>${code(p.endpoints.ussd)} (6.4.18)</dd>
<dt>Modes</dt><dd>${p.modes.canonical.map((m) => `${code(m)} (${p.modes.spellings[m].map(code).join(', ')})`).join('; ')}</dd>
<dt>sync time limit</dt><dd>about ${p.syncTimeoutSeconds} seconds (6.2)</dd>
<dt>Encodings</dt><dd>responses ${esc(p.encodings.response)}, receipts ${esc(p.encodings.receipt)}, SMS MO ${esc(
    p.encodings.smsMo,
  )}, MMS MO ${esc(p.encodings.mmsMo)}, USSD ${esc(p.encodings.ussd)}</dd>
</dl>`;
  return layout('interpreting.html', 'Interpreting the results', doc + facts, spec.hash);
}

export function pactPage(ctx: SiteContext): Page {
  const { spec } = ctx;
  const body = `<p><code>mse-conformance pact export --out DIR</code> writes Pact files (specification v3) from the same
spec, for teams that already verify providers with Pact:</p>
<ul>
<li><code>partner-mse.json</code>: consumer <code>partner</code>, provider <code>mse</code>. One interaction per partner-to-MSE
service, built from the entry's parameter samples, with the profile, password and mode the verifying side must provision.
Responses are matched with rules, not literal values: <code>status-code</code> by <code>^0$</code>,
<code>transaction-id</code> by <code>^[0-9]+$</code>, <code>profile</code> by type, and the content type by
<code>text/xml</code>, so any conforming gateway passes.</li>
<li><code>mse-partner.json</code>: consumer <code>mse</code>, provider <code>partner</code>. Receipts, SMS MO
(${esc(spec.protocol.encodings.smsMo)} query), MMS MO and USSD events; the USSD reply must be a command.</li>
</ul>
<p>Set <code>PACT_DO_NOT_TRACK=true</code> wherever Pact runs; the project's tests and benchmark do.</p>
<h2 id="latin1">Known issue: the ISO-8859-1 SMS MO query</h2>
<p>The SMS MO delivery (6.4.5.1) percent-encodes ISO-8859-1 bytes: <code>ç</code> travels as <code>%E7</code>. Pact stores
query values as decoded Unicode text and always re-encodes them as UTF-8, so it cannot express that request faithfully:</p>
<ul>
<li>Pact's mock server decodes incoming queries as UTF-8; <code>%E7</code> alone is not valid UTF-8, so a consumer test that
sends the real bytes does not match.</li>
<li>Written literally into the pact as <code>%E7</code>, the value is re-encoded by the Verifier as <code>%25E7</code>
(the percent sign itself escaped), and the partner receives the three characters <code>%E7</code> instead of <code>ç</code>.</li>
</ul>
<p>The workaround: the exported SMS MO interaction holds the Latin-1 percent-encoding as literal text and is marked with the
header <code>X-Mse-Query-Charset: ISO-8859-1</code>; the Verifier's <code>requestFilter</code>
(<code>latin1RequestFilter</code> in <code>src/pact/latin1.ts</code>) turns every <code>%25XX</code> of such a request back
into <code>%XX</code> before the request reaches the partner, so the partner sees the bytes the MSE would send.</p>
<p>Two limits remain. Without the filter a partner receives the literal text <code>%E7</code>; and because the
interaction's expected response is only HTTP 200, Pact cannot tell whether the partner decoded the text correctly. The
project's own test checks that separately (the reference partner's inbox holds the decoded text), and
<code>mse-conformance partner</code> checks the decoding as a rule; Pact only checks that the delivery is acknowledged.</p>
<h2 id="matching">How the XML is matched</h2>
<ul>
<li>Rules use the Pact v3 XML paths: <code>$.mse-response.status-code.#text</code> for an element's text.</li>
<li>Pact's regular expressions must match the whole value, so the content type is matched by
<code>text/xml(;.*)?</code>, not <code>^text/xml</code>.</li>
<li>The USSD reply's <code>&lt;command/&gt;</code> carries no rule: Pact then requires the element and accepts any
children (menu, input or notify). A type rule on it would refuse every child it was not shown.</li>
<li>Elements the pact does not name (error-message, parameters in asynchronous acknowledgements) are allowed, as Pact
allows unexpected children in responses.</li>
</ul>
<h2 id="scope">What the pacts leave to the suite</h2>
<p>Pact pins the HTTP status of every response exactly, and the guide fixes no HTTP status for a refusal (only a
non-zero status-code in the body), so refusals, limits, modes refused, receipts' timing and redelivery are not
exported: the pacts describe each service's accepted call and each delivery, and <code>mse-conformance gateway</code> and
<code>partner</code> check the rest (see the <a href="rules.html">rules index</a>). The SMTP interface (chapter 10) and the
WIB MO delivery, whose partner endpoint no document example fixes, are not exported either.</p>`;
  return layout('pact.html', 'Pact contracts', body, spec.hash);
}

export function webhooksIndexPage(ctx: SiteContext): Page {
  const path = 'webhooks/index.html';
  const { spec } = ctx;
  const partnerFacing = spec.services.filter((s) => s.direction === 'mse-to-partner');
  const body = `<p>The MSE also calls the partner: it POSTs receipts in async-delivery mode, delivers the messages
subscribers send to the partner's short numbers (MO), and forwards USSD events, whose reply must be a USSD command. A delivery
counts as done when the partner answers HTTP 200 (6.4.1.1, 6.4.5.1, 6.4.7.1).</p>
<ul>${deliveries.map((d) => `<li><a href="${rootOf(path)}${d.page}">${esc(d.title)}</a></li>`).join('')}</ul>
<h2>Partner-facing services in the spec</h2>
${table(
  ['Service', 'Section', 'Kind', 'Delivery page'],
  partnerFacing.map((s) => {
    const page = deliveryPageOf(s);
    return [
      `<a href="../${servicePath(s)}">${esc(s.id)}</a>`,
      esc(s.section),
      esc(s.kind),
      page ? `<a href="../${page}">${esc(deliveries.find((d) => d.page === page)?.title ?? page)}</a>` : '',
    ];
  }),
)}`;
  return layout(path, 'Deliveries to the partner', body, spec.hash);
}

const charCell = (c: string) => (c === ' ' ? '<span class="muted">space</span>' : code(c));

function bytesTable(text: string, charset: 'ISO-8859-1' | 'UTF-8'): string {
  const rows = spellBytes(text).map((b) =>
    charset === 'ISO-8859-1'
      ? [
          code(b.char),
          b.codePoint,
          b.latin1 ? code(b.latin1) : '<span class="uncovered">none</span>',
          b.latin1Query ? code(b.latin1Query) : '',
        ]
      : [charCell(b.char), b.codePoint, code(b.utf8), code(b.utf8Query)],
  );
  return table(
    charset === 'ISO-8859-1'
      ? ['Character', 'Code point', 'ISO-8859-1 byte', 'In the query']
      : ['Character', 'Code point', 'UTF-8 bytes', 'Percent-encoded'],
    rows,
  );
}

function servicesList(path: string, services: Service[]): string {
  return services.length
    ? services
        .map((s) => `<a href="${rootOf(path)}${servicePath(s)}">${esc(s.id)}</a> (${esc(s.section)})`)
        .join(', ')
    : '<span class="muted">none in the spec yet</span>';
}

function deliveryExamples(
  ctx: SiteContext,
  path: string,
  services: Service[],
  kinds: Example['kind'][],
): string {
  const blocks = services.flatMap((s) =>
    s.examples.filter((e) => kinds.includes(e.kind)).map((e) => exampleBlock(ctx, path, s, e)),
  );
  return blocks.length
    ? blocks.join('\n')
    : '<p class="none">The spec has no example of this delivery yet.</p>';
}

function inputsTable(s: Service): string {
  return table(
    ['Name', 'In', 'Required', 'Description'],
    s.inputs.map((i) => [
      code(i.name),
      esc(i.in ?? 'query'),
      i.required ? 'yes' : 'no',
      prose(i.description),
    ]),
  );
}

export function receiptsPage(ctx: SiteContext): Page {
  const path = 'webhooks/receipts.html';
  const { spec } = ctx;
  const withReceipt = spec.services.filter((s) => s.receipt !== 'none');
  const enc = spec.protocol.encodings.receipt;
  const body = `<p>In async-delivery mode the outcome of a request is POSTed to the partner's receipt URL (6.4.1.1, 7.1.2).
The delivery counts as done when the partner answers HTTP 200.</p>
<dl class="facts"><dt>Method</dt><dd>POST</dd>
<dt>Query</dt><dd>${code('userid')} and ${code('pwd')}, the credentials the partner chose, when the MSE is configured to send them</dd>
<dt>Body</dt><dd>an ${code('mse-response')} document in ${esc(enc)}: status-code, profile, transaction-id, and the service's outputs as
${code('param-item')}s</dd>
<dt>Services</dt><dd>${servicesList(path, withReceipt)}</dd></dl>
<h2>Encoding, byte by byte</h2>
<p>The body is ${esc(enc)}. A value such as <code>${esc(sampleText)}</code> in a <code>param-value</code> is written with these
bytes; were it sent in the query (userid, pwd), it would be percent-encoded from the same bytes:</p>
${bytesTable(sampleText, 'UTF-8')}
<p>So <code>ç</code> is the two bytes <code>0xC3 0xA7</code> in the body, <code>%C3%A7</code> in a query. The receipt's query
never carries ISO-8859-1: that charset belongs to the SMS MO query only.</p>
<h2>Examples</h2>${deliveryExamples(ctx, path, withReceipt, ['receipt'])}`;
  return layout(path, 'Receipts', body, spec.hash);
}

export function smsMoPage(ctx: SiteContext): Page {
  const path = 'webhooks/sms-mo.html';
  const { spec } = ctx;
  const services = spec.services.filter((s) => deliveryPageOf(s) === path);
  const enc = spec.protocol.encodings.smsMo;
  const textInput = services.flatMap((s) => s.inputs).find((i) => i.name === 'TEXT');
  const query = services[0]
    ? services[0].inputs
        .filter((i) => !i.in || i.in === 'query')
        .map((i) => `${i.name}=${latin1QueryValue(i.name === 'TEXT' ? sampleText : i.sample)}`)
        .join('&')
    : `TEXT=${latin1QueryValue(sampleText)}`;
  const body = `<p>A message a subscriber sends to the partner's short number is delivered to the partner's URL (6.4.5.1, 7.2).
The delivery counts as done when the partner answers HTTP 200. Short numbers are four digits: ${code(
    spec.protocol.shortNumbers.trial,
  )} in trial, ${code(spec.protocol.shortNumbers.production)} in production (6.4.5).</p>
<dl class="facts"><dt>Method</dt><dd>GET</dd><dt>Query charset</dt><dd><strong>${esc(enc)}</strong></dd>
<dt>Services</dt><dd>${servicesList(path, services)}</dd></dl>
${services.map((s) => `<h2>Parameters of ${esc(s.id)}</h2>${inputsTable(s)}`).join('\n')}
${
  services.some((sv) => sv.inputs.some((i) => i.name === 'ID'))
    ? ''
    : `<p>The document also names ${code('ID')} (the MSE's transaction id) and, when configured, ${code('USER')} and ${code('PWD')} in this query (6.4.5.1).</p>`
}
<h2>Encoding, byte by byte</h2>
<p>The query is ${esc(enc)}: each character is one byte, and the bytes outside unreserved ASCII are percent-encoded. The
text <code>${esc(sampleText)}</code>${textInput ? ` in ${code(textInput.name)}` : ''} travels as:</p>
${bytesTable(sampleText, 'ISO-8859-1')}
<p>So <code>ç</code> is the single byte <code>0xE7</code> and travels as <code>%E7</code>, where a UTF-8 query would carry
<code>${esc(utf8QueryValue('ç'))}</code>. A partner that decodes the query as UTF-8 sees an invalid sequence (or U+FFFD)
instead of <code>ç</code>. A character with no ISO-8859-1 byte (such as <code>€</code>, U+20AC) cannot be sent at all.</p>
<p>An example query with the sample values of the spec:</p>${pre(`?${query}`)}
<p>Pact cannot express this query directly; see <a href="../pact.html#latin1">the known issue and its workaround</a>.</p>
<h2>Examples</h2>${deliveryExamples(ctx, path, services, ['mo', 'request', 'payload'])}`;
  return layout(path, 'SMS MO deliveries', body, spec.hash);
}

export function mmsMoPage(ctx: SiteContext): Page {
  const path = 'webhooks/mms-mo.html';
  const { spec } = ctx;
  const services = spec.services.filter((s) => deliveryPageOf(s) === path);
  const enc = spec.protocol.encodings.mmsMo;
  const body = `<p>A multimedia message a subscriber sends to the partner is POSTed to the partner's URL as an XML document
(6.4.7.1). The delivery counts as done when the partner answers HTTP 200.</p>
<dl class="facts"><dt>Method</dt><dd>POST</dd><dt>Body</dt><dd>a ${code('REQUEST')} document with ${code('REQ_TYPE="Rcv_MMS_MO"')}, in ${esc(enc)}</dd>
<dt>Services</dt><dd>${servicesList(path, services)}</dd></dl>
${services.map((s) => `<h2>Parameters of ${esc(s.id)}</h2>${inputsTable(s)}`).join('\n')}
<h2>Encoding, byte by byte</h2>
<p>The XML is ${esc(enc)}; the MMS content inside the CDATA section is the MIME message, percent-encoded. A text part
<code>${esc(sampleText)}</code> is therefore written as the percent-encoding of its UTF-8 bytes:</p>
${bytesTable(sampleText, 'UTF-8')}
<p>Binary parts are percent-encoded byte by byte in the same way; the document's example shows the GIF bytes of 6.4.6
re-encoded, where bytes above 0x7F were expanded as if they were Latin-1 characters (<code>%FF</code> became
<code>%C3%BF</code>), which a partner must be prepared to see.</p>
<h2>Examples</h2>${deliveryExamples(ctx, path, services, ['mo', 'request', 'payload'])}`;
  return layout(path, 'MMS MO deliveries', body, spec.hash);
}

export function ussdEventsPage(ctx: SiteContext): Page {
  const path = 'webhooks/ussd-events.html';
  const { spec } = ctx;
  const services = spec.services.filter((s) => deliveryPageOf(s) === path);
  const commands = spec.services.filter((s) => s.kind === 'ussd-command');
  const enc = spec.protocol.encodings.ussd;
  const body = `<p>When a subscriber dials the partner's USSD code, chooses a menu option or answers an input, the MSE POSTs a
${code('ussd_message_response')} document to the partner (6.4.21 to 6.4.23). Only POST is used. Sections 6.4.21 to
6.4.23 say the partner's HTTP reply is a command but show none, so this project reads it as follows
(errata.ussd-reply-head): a ${code('ussd_message_request')} with one ${code('head')} and one ${code('command')} holding
exactly one ${code('menu')}, ${code('input')} or ${code('notify')}, each as 6.4.18 to 6.4.20 define it. The head must
carry ${code('msisdn')} and ${code('short_code')}, and should carry the event's values and its
${code('session_owner')}; ${code('profile')}, ${code('password')} and ${code('mode')}, which a command POSTed to
${code(spec.protocol.endpoints.ussd)} needs to authenticate, are only
recommended in a reply. Neither the order of the head's elements nor that of head and command is judged. A reply that
is no XML, holds no command or two, or whose head lacks ${code('msisdn')} or ${code('short_code')}, is not a command.</p>
<dl class="facts"><dt>Method</dt><dd>POST</dd><dt>Body</dt><dd>${code('ussd_message_response')} in ${esc(enc)}</dd>
<dt>Reply</dt><dd>a command (head with at least msisdn and short_code): ${servicesList(path, commands)}</dd>
<dt>Events</dt><dd>${servicesList(path, services)}</dd></dl>
${services.map((s) => `<h2>Parameters of ${esc(s.id)}</h2>${inputsTable(s)}`).join('\n')}
<h2>Encoding, byte by byte</h2>
<p>Both documents are ${esc(enc)}. A menu title <code>${esc(sampleText)}</code> is written as:</p>
${bytesTable(sampleText, 'UTF-8')}
<p>Menu limits count characters, not bytes: <code>ç</code> is one character of the ${spec.protocol.ussd.pageChars}
that fit a page, although it takes two bytes.</p>
<h2>Examples</h2>${deliveryExamples(ctx, path, services, ['event', 'mo', 'payload'])}`;
  return layout(path, 'USSD events', body, spec.hash);
}
