/**
 * The HTML report: ONE self-contained file (inline CSS and JS, nothing fetched) that a person opens to
 * see what failed and why. Everything the target sent is hostile input: it is escaped, control
 * characters are shown as symbols, and a Content-Security-Policy allows only this file's own script
 * (by hash), so even a missed escape could not run a script or fetch anything.
 *
 * Rendering is static HTML (every check is a <details> with its exchanges), so the report reads with
 * JavaScript disabled; the script only adds the filters and the clickable service × mode matrix.
 */
import { createHash } from 'node:crypto';
import {
  type CheckResult,
  claimStatement,
  type Exchange,
  type RunReport,
  VERDICTS,
  type Verdict,
  type WireMessage,
} from '../src/core/model.ts';
import { bodyView, clip, hexDump, replaceControls, startLine } from './wire.ts';

/** Worst first: the colour of a matrix cell is the worst verdict among its checks. */
export const VERDICT_SEVERITY: readonly Verdict[] = [
  'unexpected-pass',
  'fail',
  'non-strict',
  'known-failure',
  'skip',
  'informational',
  'pass',
  'not-claimed',
];

/** Escapes text for element content and quoted attributes; control characters are shown as `\xNN`. */
export function esc(text: string | number | undefined): string {
  if (text === undefined) return '';
  const shown = replaceControls(String(text), (code) => `\\x${code.toString(16).padStart(2, '0')}`);
  return shown
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * The verdict whose colour a matrix cell takes: the worst one that matters. A skip or an informational
 * result does not outweigh what ran (58 passed and 1 skipped reads green, not grey); a failure of any
 * kind outweighs everything; a cell of skips only is grey.
 */
export const CELL_COLOUR_ORDER: readonly Verdict[] = [
  'unexpected-pass',
  'fail',
  'non-strict',
  'known-failure',
  'pass',
  'informational',
  'skip',
  'not-claimed',
];

/** Short names for the counts inside a cell (the cell's title spells them out). */
const CELL_LABEL: Record<Verdict, string> = {
  'unexpected-pass': 'unexpected pass',
  fail: 'fail',
  'non-strict': 'non-strict',
  'known-failure': 'known',
  pass: 'pass',
  informational: 'info',
  skip: 'skip',
  'not-claimed': 'not claimed',
};

export function cellVerdict(byVerdict: Partial<Record<Verdict, number>>): Verdict | undefined {
  return CELL_COLOUR_ORDER.find((v) => (byVerdict[v] ?? 0) > 0);
}

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict | undefined {
  let worst: number | undefined;
  for (const v of verdicts) {
    const i = VERDICT_SEVERITY.indexOf(v);
    if (worst === undefined || i < worst) worst = i;
  }
  return worst === undefined ? undefined : VERDICT_SEVERITY[worst];
}

/** The label of checks that concern a service but no particular mode, in the matrix. */
export const NO_MODE = '(any mode)';

export interface MatrixCell {
  service: string;
  mode: string;
  checks: number;
  byVerdict: Partial<Record<Verdict, number>>;
  worst: Verdict;
  /** The colour the cell takes (cellVerdict): a skip does not outweigh a pass. */
  colour: Verdict;
}

/** Service × mode: the verdicts of the checks that name a service, by mode (checks with no mode in NO_MODE). */
export function serviceModeMatrix(checks: CheckResult[]): {
  services: string[];
  modes: string[];
  cells: MatrixCell[];
} {
  const services: string[] = [];
  const modes: string[] = [];
  const cells = new Map<string, MatrixCell>();
  for (const c of checks) {
    if (!c.service) continue;
    const mode = c.mode ?? NO_MODE;
    if (!services.includes(c.service)) services.push(c.service);
    if (!modes.includes(mode)) modes.push(mode);
    const key = `${c.service}\u0000${mode}`;
    const cell = cells.get(key) ?? {
      service: c.service,
      mode,
      checks: 0,
      byVerdict: {},
      worst: c.verdict,
      colour: c.verdict,
    };
    cell.checks++;
    cell.byVerdict[c.verdict] = (cell.byVerdict[c.verdict] ?? 0) + 1;
    cell.worst = worstVerdict([cell.worst, c.verdict])!;
    cell.colour = cellVerdict(cell.byVerdict)!;
    cells.set(key, cell);
  }
  // The catch-all column last, so the real modes line up as the document lists them.
  modes.sort((a, b) => Number(a === NO_MODE) - Number(b === NO_MODE));
  return { services, modes, cells: [...cells.values()] };
}

const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--non-strict:#9a6700;--skip:#6e7781;--known-failure:#8250df;--unexpected-pass:#bc4c00;--informational:#0969da;--not-claimed:#8c959f;
--pass-bg:#dafbe1;--fail-bg:#ffebe9;--non-strict-bg:#fff8c5;--skip-bg:#eaeef2;--known-failure-bg:#fbefff;--unexpected-pass-bg:#fff1e5;--informational-bg:#ddf4ff;--not-claimed-bg:#f6f8fa;
--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:#f6f8fa}
main{max-width:1280px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
code,.mono{font-family:var(--mono);font-size:12.5px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.verdict-banner{display:inline-block;font-weight:600;padding:2px 10px;border-radius:12px;margin-left:8px;font-size:14px;vertical-align:middle}
.ok{background:var(--pass-bg);color:var(--pass)}.nok{background:var(--fail-bg);color:var(--fail)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
.counts{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
${VERDICTS.map((v) => `.v-${v}{color:var(--${v});background:var(--${v}-bg)}`).join('\n')}
table{border-collapse:collapse}
table.matrix th,table.matrix td{border:1px solid var(--line);padding:0;text-align:center}
table.matrix th{background:#fff;padding:4px 8px;font-weight:600;font-size:12.5px}
table.matrix th.svc{text-align:left;font-family:var(--mono)}
table.matrix td button{all:unset;display:block;cursor:pointer;padding:5px 10px;min-width:64px;font-size:12.5px;font-weight:600;white-space:nowrap}
table.matrix td button:focus-visible{outline:2px solid var(--informational)}
table.matrix td.empty{color:var(--line);background:#fff}
td.selected{box-shadow:inset 0 0 0 3px var(--fg)}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.filters button.chip{border:1px solid var(--line);border-radius:12px;padding:2px 10px;cursor:pointer;font:inherit;font-size:12.5px}
.filters button.chip[aria-pressed=true]{outline:2px solid currentColor;outline-offset:1px}
.filters input,.filters select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px}
.filters input{min-width:260px}
#shown{color:var(--muted)}
.checks details.check{background:#fff;border:1px solid var(--line);border-radius:6px;margin:4px 0}
.checks details.check>summary{cursor:pointer;padding:6px 10px;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;align-items:baseline;list-style-position:outside}
.checks details.check>summary .badge{grid-row:span 2;min-width:136px;text-align:center}
.cite{color:var(--muted);font-size:12.5px}
.msg{grid-column:2;color:var(--fg);overflow-wrap:anywhere}
.body{padding:4px 12px 12px;border-top:1px solid var(--line)}
.exchange{border:1px solid var(--line);border-radius:6px;margin:8px 0;overflow:hidden}
.exchange>header{background:#f6f8fa;padding:4px 8px;font-weight:600;border-bottom:1px solid var(--line)}
.exchange .pair{display:grid;grid-template-columns:1fr 1fr;gap:0}
.exchange .pair>section{padding:6px 8px;min-width:0}
.exchange .pair>section+section{border-left:1px solid var(--line)}
@media (max-width:900px){.exchange .pair{grid-template-columns:1fr}.exchange .pair>section+section{border-left:0;border-top:1px solid var(--line)}}
.startline{font-family:var(--mono);font-weight:600;overflow-wrap:anywhere}
table.headers td{font-family:var(--mono);font-size:12px;padding:0 8px 0 0;vertical-align:top;overflow-wrap:anywhere}
table.headers td:first-child{color:var(--muted);white-space:nowrap}
pre{font-family:var(--mono);font-size:12px;background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:6px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere;max-height:480px;overflow:auto}
.error{color:var(--fail);font-weight:600;padding:6px 8px}
.muted{color:var(--muted)}
ul.failures{margin:4px 0;padding-left:20px}
[hidden]{display:none!important}
`;

const SCRIPT = `(function(){
'use strict';
var rows=Array.prototype.slice.call(document.querySelectorAll('details.check'));
rows.forEach(function(r){r.__text=r.textContent.toLowerCase();});
var state={verdicts:{},family:'',service:null,mode:null,q:''};
var shown=document.getElementById('shown');
var bar=document.getElementById('filters');bar.hidden=false;
var chips=Array.prototype.slice.call(document.querySelectorAll('button.chip'));
var cells=Array.prototype.slice.call(document.querySelectorAll('table.matrix td button[data-service]'));
var famCells=Array.prototype.slice.call(document.querySelectorAll('table.families td button'));
var cellNote=document.getElementById('cell-filter');
function apply(){
  var any=Object.keys(state.verdicts).length>0,n=0,q=state.q;
  rows.forEach(function(r){
    var d=r.dataset;
    var ok=(!any||state.verdicts[d.verdict])&&(!state.family||d.family===state.family)
      &&(state.service===null||d.service===state.service)&&(state.mode===null||d.mode===state.mode)
      &&(!q||r.__text.indexOf(q)>=0);
    r.hidden=!ok;if(ok)n++;
  });
  shown.textContent=n+' of '+rows.length+' checks shown';
  chips.forEach(function(c){c.setAttribute('aria-pressed',state.verdicts[c.dataset.verdict]?'true':'false');});
  cells.forEach(function(b){b.parentNode.classList.toggle('selected',b.dataset.service===state.service&&b.dataset.mode===state.mode);});
  if(state.service!==null){cellNote.hidden=false;cellNote.querySelector('span').textContent=state.service+' × '+state.mode;}else{cellNote.hidden=true;}
}
chips.forEach(function(c){c.addEventListener('click',function(){var v=c.dataset.verdict;if(state.verdicts[v])delete state.verdicts[v];else state.verdicts[v]=true;apply();});});
cells.forEach(function(b){b.addEventListener('click',function(){
  if(state.service===b.dataset.service&&state.mode===b.dataset.mode){state.service=null;state.mode=null;}
  else{state.service=b.dataset.service;state.mode=b.dataset.mode;}
  apply();document.getElementById('checks').scrollIntoView({block:'start'});
});});
famCells.forEach(function(b){b.addEventListener('click',function(){
  state.family=b.dataset.family;state.verdicts={};state.verdicts[b.dataset.verdict]=true;
  document.getElementById('family').value=state.family;apply();document.getElementById('checks').scrollIntoView({block:'start'});
});});
document.getElementById('family').addEventListener('change',function(e){state.family=e.target.value;apply();});
document.getElementById('search').addEventListener('input',function(e){state.q=e.target.value.trim().toLowerCase();apply();});
document.getElementById('clear-cell').addEventListener('click',function(){state.service=null;state.mode=null;apply();});
document.getElementById('reset').addEventListener('click',function(){state={verdicts:{},family:'',service:null,mode:null,q:''};
  document.getElementById('family').value='';document.getElementById('search').value='';apply();});
apply();
})();`;

function badge(verdict: Verdict, text: string = verdict): string {
  return `<span class="badge v-${verdict}">${esc(text)}</span>`;
}

function wireHtml(message: WireMessage, kind: 'request' | 'response'): string {
  const headers = Object.entries(message.headers ?? {})
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`)
    .join('');
  const body = bodyView(message);
  let bodyHtml: string;
  if (body.bytes.length === 0) bodyHtml = '<div class="muted">(empty body)</div>';
  else if (body.text !== undefined) {
    bodyHtml = `<pre>${esc(clip(body.text))}</pre>`;
    if (body.nonAscii) {
      bodyHtml += `<details><summary class="muted">bytes (${body.bytes.length}, hex)</summary><pre>${esc(hexDump(body.bytes))}</pre></details>`;
    }
  } else {
    bodyHtml = `<div class="muted">${body.bytes.length} bytes, not valid UTF-8 text; hex:</div><pre>${esc(hexDump(body.bytes))}</pre>`;
  }
  return `<section><div class="muted">${kind}</div><div class="startline">${esc(startLine(message, kind))}</div>${
    headers ? `<table class="headers">${headers}</table>` : ''
  }${bodyHtml}</section>`;
}

function exchangeHtml(ex: Exchange): string {
  const response = ex.response
    ? wireHtml(ex.response, 'response')
    : `<section><div class="muted">response</div><div class="error">${esc(ex.error ?? 'no response')}</div></section>`;
  const error = ex.response && ex.error ? `<div class="error">${esc(ex.error)}</div>` : '';
  return `<div class="exchange"><header>${esc(ex.label)} <span class="muted mono">${esc(ex.at)}</span></header><div class="pair">${wireHtml(ex.request, 'request')}${response}</div>${error}</div>`;
}

function checkHtml(check: CheckResult, index: number): string {
  const cite = `${check.section} · ${check.rule} · ${check.level}${check.service ? ` · ${check.service}` : ''}${check.mode ? ` · ${check.mode}` : ''}`;
  const message =
    check.verdict === 'unexpected-pass'
      ? `passed, but the expectations file lists it as a known failure: ${check.expectation ?? ''}`
      : (check.message ?? '');
  const details = [
    `<p><b>Requirement</b> (${esc(check.section)}, <code>${esc(check.rule)}</code>, ${esc(check.level)}): ${esc(check.requirement)}</p>`,
    check.stimulus
      ? `<p><b>Sends</b>: ${esc(check.stimulus)}${check.row ? ` <span class="muted">(row: <code>${esc(check.row)}</code>)</span>` : ''}</p>`
      : '',
    check.message ? `<p><b>Observed:</b> ${esc(check.message)}</p>` : '',
    check.expectation ? `<p><b>Expectations file:</b> ${esc(check.expectation)}</p>` : '',
    `<p class="muted">family ${esc(check.family)}${check.tags?.length ? ` · tags ${esc(check.tags.join(', '))}` : ''} · ${esc(check.durationMs.toFixed(0))} ms</p>`,
    check.exchanges.length > 0
      ? check.exchanges.map(exchangeHtml).join('')
      : '<p class="muted">No exchange recorded.</p>',
  ].join('');
  const data = `data-verdict="${esc(check.verdict)}" data-family="${esc(check.family)}" data-service="${esc(check.service ?? '')}" data-mode="${esc(check.service ? (check.mode ?? NO_MODE) : '')}"`;
  return `<details class="check" id="check-${index}" ${data}><summary>${badge(check.verdict)}<span><code>${esc(check.id)}</code> <span class="cite">[${esc(cite)}]</span></span>${
    message ? `<span class="msg">${esc(message)}</span>` : ''
  }</summary><div class="body">${details}</div></details>`;
}

function matrixHtml(checks: CheckResult[]): string {
  const { services, modes, cells } = serviceModeMatrix(checks);
  if (services.length === 0) return '<p class="muted">No check names a service.</p>';
  const head = `<tr><th>service \\ mode</th>${modes.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const body = services
    .map((s) => {
      const tds = modes.map((m) => {
        const cell = cells.find((c) => c.service === s && c.mode === m);
        if (!cell) return '<td class="empty" title="no checks">·</td>';
        const present = CELL_COLOUR_ORDER.filter((v) => cell.byVerdict[v]);
        const title = present.map((v) => `${cell.byVerdict[v]} ${v}`).join(', ');
        const counts = present
          .map((v) => `<span class="n">${cell.byVerdict[v]} ${esc(CELL_LABEL[v])}</span>`)
          .join(' · ');
        return `<td class="v-${cell.colour}"><button type="button" data-service="${esc(s)}" data-mode="${esc(m)}" title="${esc(`${s} × ${m}: ${title} (${cell.checks} checks)`)}">${counts}</button></td>`;
      });
      return `<tr><th class="svc">${esc(s)}</th>${tds.join('')}</tr>`;
    })
    .join('');
  return `<div style="overflow-x:auto"><table class="matrix">${head}${body}</table></div><p class="muted">Each cell counts its checks by verdict. Its colour is the worst verdict that matters: red for a failure, green when everything that ran passed (a skip does not turn it grey), grey when all were skipped. Click a cell to list its checks.</p>`;
}

function familiesHtml(checks: CheckResult[]): string {
  const families = [...new Set(checks.map((c) => c.family))];
  const verdicts = VERDICTS.filter((v) => checks.some((c) => c.verdict === v));
  const head = `<tr><th>family</th>${verdicts.map((v) => `<th>${esc(v)}</th>`).join('')}<th>total</th></tr>`;
  const rows = families.map((f) => {
    const list = checks.filter((c) => c.family === f);
    const tds = verdicts.map((v) => {
      const n = list.filter((c) => c.verdict === v).length;
      return n === 0
        ? '<td class="empty">·</td>'
        : `<td class="v-${v}"><button type="button" data-family="${esc(f)}" data-verdict="${v}" title="${esc(`${f}: ${n} ${v}`)}">${n}</button></td>`;
    });
    return `<tr><th class="svc">${esc(f)}</th>${tds.join('')}<td>${list.length}</td></tr>`;
  });
  return `<div style="overflow-x:auto"><table class="matrix families">${head}${rows.join('')}</table></div>`;
}

function scriptHash(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('base64');
}

export function renderHtml(report: RunReport): string {
  const { summary } = report;
  const errors = report.errors ?? [];
  const conformant = summary.conformant && errors.length === 0;
  const failing = report.checks
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.verdict === 'fail' || c.verdict === 'unexpected-pass');
  const families = [...new Set(report.checks.map((c) => c.family))];
  const familyCount = (f: string) => report.checks.filter((c) => c.family === f).length;
  const counts = VERDICTS.map((v) => badge(v, `${summary.byVerdict[v]} ${v}`)).join('');
  const chips = VERDICTS.filter((v) => summary.byVerdict[v] > 0)
    .map(
      (v) =>
        `<button type="button" class="chip v-${v}" data-verdict="${v}" aria-pressed="false">${esc(v)} (${summary.byVerdict[v]})</button>`,
    )
    .join('');
  const title = `MSE conformance: ${report.suite} suite — ${conformant ? 'conformant' : 'not conformant'}`;
  const errorsList =
    errors.length > 0
      ? `<h2>Errors outside any check (${errors.length})</h2><div class="card">${errors.map((e) => `<pre>${esc(clip(e))}</pre>`).join('')}</div>`
      : '';
  const failuresList =
    failing.length > 0
      ? `<h2>Failures (${failing.length})</h2><div class="card"><ul class="failures">${failing
          .map(
            ({ c, i }) =>
              `<li><a href="#check-${i}"><code>${esc(c.id)}</code></a> <span class="cite">[${esc(c.section)} · ${esc(c.rule)} · ${esc(c.level)}]</span> ${esc(
                c.verdict === 'unexpected-pass' ? 'unexpected pass' : (c.message ?? ''),
              )}</li>`,
          )
          .join('')}</ul></div>`
      : '';
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${scriptHash(SCRIPT)}'; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="card">
<h1>MSE conformance — ${esc(report.suite)} suite <span class="verdict-banner ${conformant ? 'ok' : 'nok'}">${conformant ? 'conformant' : 'not conformant'}</span></h1>
<dl class="meta">
<dt>Target</dt><dd class="mono">${esc(report.target)}</dd>
<dt>Suite version</dt><dd>${esc(report.suiteVersion)}</dd>
<dt>Spec hash</dt><dd class="mono">${esc(report.specHash)}</dd>
<dt>Report schema</dt><dd>${esc(report.schemaVersion)}</dd>
<dt>Strict</dt><dd>${report.strict ? 'yes (SHOULD-level departures fail)' : 'no (SHOULD-level departures are reported as non-strict)'}</dd>
<dt>Started</dt><dd>${esc(report.startedAt)}</dd>
<dt>Duration</dt><dd>${esc((report.durationMs / 1000).toFixed(2))} s</dd>
<dt>Checks</dt><dd>${summary.total}</dd>
${report.features?.length ? `<dt>Features</dt><dd>${esc(claimStatement(report.features))}</dd>` : ''}
</dl>
<div class="counts">${counts}</div>
</header>
${errorsList}
${failuresList}
<h2>Service × mode</h2>
<div class="card">${matrixHtml(report.checks)}</div>
<h2>Families</h2>
<div class="card">${familiesHtml(report.checks)}</div>
<h2 id="checks">Checks</h2>
<noscript><p class="muted">Filters need JavaScript; every check is listed below and opens to its exchanges.</p></noscript>
<div class="filters" id="filters" hidden>
${chips}
<select id="family" aria-label="family"><option value="">all families</option>${families
    .map((f) => `<option value="${esc(f)}">${esc(f)} (${familyCount(f)})</option>`)
    .join('')}</select>
<input id="search" type="search" placeholder="search id, rule, section, message, bodies…" aria-label="search">
<span id="cell-filter" hidden>cell <b><span></span></b> <button type="button" id="clear-cell">×</button></span>
<button type="button" id="reset">reset</button>
<span id="shown"></span>
</div>
<div class="checks">
${report.checks.map(checkHtml).join('\n')}
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
