/**
 * Artillery processor of an MSE load test, written by `mse-conformance load` (src/load/plan.ts) with its
 * plan in PLAN. Self-contained (no import of mse-conformance), so that Artillery can ship it to remote
 * workers as is.
 *
 * Before each request it sets the exact bytes: the parameters were percent-encoded by mse-conformance in
 * the entry's charset (ISO-8859-1 travels as a form POST that declares it; Artillery's own encoding is
 * UTF-8 only); only the password is added here, from MSE_LOAD_SECRETS, so it is never in the files.
 * After each response it counts what it saw (HTTP status, status-code, malformed answers, transaction ids
 * seen twice by this worker) as Artillery counters, and sends every answer's transaction id to the
 * ledger of the run (PLAN.ledgerUrl), where receipts are matched and every body shape is judged by the
 * project's own mse-response validator.
 */
'use strict';

const http = require('node:http');
const https = require('node:https');
const { randomBytes } = require('node:crypto');

const PLAN = /*PLAN*/ null;

const secrets = (() => {
  try {
    return JSON.parse(process.env.MSE_LOAD_SECRETS || '{}');
  } catch {
    throw new Error('MSE_LOAD_SECRETS is not JSON: set it to {"PROFILE": "password", ...}');
  }
})();

// Java URLEncoder's safe set, as the project's encoder (src/charset/latin1.ts) uses.
function percent(text, charset) {
  const bytes = Buffer.from(text, charset === 'ISO-8859-1' ? 'latin1' : 'utf8');
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9.\-*_]/.test(c)) out += c;
    else if (b === 0x20) out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const prepared = PLAN.entries.map((e) => {
  const password = secrets[e.profile];
  if (password === undefined)
    throw new Error(`MSE_LOAD_SECRETS has no password for profile ${e.profile} (used by ${e.name})`);
  const query = `${e.head}&${PLAN.passwordKey}=${percent(password, e.charset)}${e.tail}`;
  return e.method === 'GET'
    ? { method: 'GET', url: `${PLAN.apiPath}?${query}` }
    : { method: 'POST', url: PLAN.apiPath, body: query, contentType: e.contentType };
});

const worker = randomBytes(6).toString('hex');
const seen = new Set();
const shapes = new Map();
let records = [];
let newShapes = {};
let flushing = Promise.resolve();

function post(payload) {
  return new Promise((resolve) => {
    const url = new URL(PLAN.ledgerUrl);
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 10000 },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', (error) => {
      console.error(`mse-load: the ledger at ${PLAN.ledgerUrl} is unreachable (${error.message})`);
      resolve();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

function flush() {
  if (!records.length) return flushing;
  const payload = JSON.stringify({ worker, records, shapes: newShapes });
  records = [];
  newShapes = {};
  flushing = flushing.then(() => post(payload));
  return flushing;
}

// Batches go every 100 ms: the runner waits at least a second after the last arrival before it ends a
// worker, so the last batch is sent before the worker stops.
setInterval(flush, 100).unref();

function entryHook(index) {
  return (requestParams, context, _ee, next) => {
    const p = prepared[index];
    context.vars.mseEntry = index;
    // A path: Artillery puts the script's target in front of it.
    requestParams.url = p.url;
    if (p.method === 'POST') {
      requestParams.body = p.body;
      requestParams.headers = { ...(requestParams.headers || {}), 'content-type': p.contentType };
    }
    return next();
  };
}

function text(body) {
  if (Buffer.isBuffer(body)) return body.toString('latin1');
  return typeof body === 'string' ? body : '';
}

function check(_requestParams, response, context, ee, next) {
  const index = context.vars.mseEntry;
  const raw = response.rawBody ?? response.body;
  const body = text(raw);
  const status = response.statusCode;
  ee.emit('counter', `mse.http.${status}`, 1);
  if (status !== 200) ee.emit('counter', 'mse.check.http_not_200', 1);
  const tid = /<transaction-id>\s*([^<\s]*)\s*<\/transaction-id>/.exec(body)?.[1] ?? '';
  const code = /<status-code>\s*([^<\s]*)\s*<\/status-code>/.exec(body)?.[1] ?? '';
  if (!/^\s*(<\?xml[^>]*\?>)?\s*<mse-response>/.test(body) || !/^-?[0-9]+$/.test(code))
    ee.emit('counter', 'mse.check.malformed', 1);
  else if (code === '0') ee.emit('counter', 'mse.accepted', 1);
  else ee.emit('counter', `mse.refused.${code}`, 1);
  if (tid) {
    if (seen.has(tid)) ee.emit('counter', 'mse.check.duplicate_transaction_id', 1);
    seen.add(tid);
  }
  // The shape is the body with its transaction id taken out: one per kind of answer, judged once.
  const shape = tid ? body.split(tid).join('\u0000') : body;
  let shapeId = shapes.get(shape);
  // Past 10,000 shapes (every answer different) the rest go unjudged (-1), and the ledger says how many.
  if (shapeId === undefined && shapes.size < 10000) {
    shapeId = shapes.size;
    shapes.set(shape, shapeId);
    newShapes[shapeId] = (Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw ?? ''), 'utf8')).toString(
      'base64',
    );
  }
  records.push([index, tid, code, status, Date.now(), shapeId ?? -1]);
  if (records.length >= 500) flush();
  return next();
}

module.exports = { check, flush };
for (let i = 0; i < PLAN.entries.length; i++) module.exports[`entry${i}`] = entryHook(i);
