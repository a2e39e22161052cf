#!/usr/bin/env node
/**
 * The GitHub Action's step (action.yml): runs the suite with the action's inputs, writes the Markdown
 * summary to $GITHUB_STEP_SUMMARY, the paths of the reports and the bundle to $GITHUB_OUTPUT, and exits
 * with the suite's exit code (1 nonconformant, 2 usage or config, 3 unreachable), which fails the job.
 * Plain JavaScript, so the action needs no build; inputs arrive as INPUT_* environment variables.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXIT_MEANING = {
  0: 'conformant',
  1: 'nonconformance found',
  2: 'usage or config error',
  3: 'target unreachable',
};

const input = (name, fallback = '') => (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim() || fallback;
const flag = (name) => /^(true|yes|1)$/i.test(input(name));

/** The command line the inputs stand for. Throws on an input that cannot be right. */
export function commandLine() {
  const suite = input('suite', 'gateway');
  if (suite !== 'gateway' && suite !== 'partner')
    throw new Error(`input suite must be gateway or partner, not "${suite}"`);
  const out = resolve(input('out', 'mse-conformance-reports'));
  const formats = new Set(
    input('reports', 'json,junit,html,md')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  );
  // The step summary is written from summary.md, and the outputs name junit.xml: both are always produced.
  formats.add('md');
  formats.add('junit');
  const args = [suite, '--out', out, '--report', [...formats].join(',')];
  if (input('target')) args.push('--target', input('target'));
  if (input('config')) args.push('--config', resolve(input('config')));
  if (input('expectations')) args.push('--expectations', resolve(input('expectations')));
  if (flag('strict')) args.push('--strict');
  // Unset: the default of action.yml; set but empty: no bundle.
  const bundleInput = process.env.INPUT_BUNDLE === undefined ? 'mse-conformance-bundle.tar' : input('bundle');
  const bundle = bundleInput ? resolve(bundleInput) : '';
  if (bundle) args.push('--bundle', bundle);
  const extra = input('args');
  if (extra) args.push(...extra.split(/\s+/));
  return { suite, out, bundle, args };
}

/** The CLI beside this script (the installed package), unless MSE_CONFORMANCE_BIN names another. */
function cliPath() {
  return process.env.MSE_CONFORMANCE_BIN || fileURLToPath(new URL('./mse-conformance.js', import.meta.url));
}

function run(args) {
  return new Promise((done) => {
    const bin = cliPath();
    const [file, argv] = /\.[cm]?js$/.test(bin) ? [process.execPath, [bin, ...args]] : [bin, args];
    const child = spawn(file, argv, { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } });
    child.on('error', (error) => {
      console.error(`mse-conformance action: cannot start ${bin}: ${error.message}`);
      done(2);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 2 : 0)));
  });
}

function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  if (file) appendFileSync(file, `${name}=${value}\n`);
}

export async function main() {
  let line;
  try {
    line = commandLine();
  } catch (error) {
    console.error(`mse-conformance action: ${error.message}`);
    return 2;
  }
  // A signing key comes as the text of a secret; it goes to a file only this run can read, removed after.
  let keyDir;
  const key = process.env.INPUT_SIGN_KEY ?? process.env['INPUT_SIGN-KEY'];
  if (key?.trim()) {
    if (!line.bundle) {
      console.error('mse-conformance action: input sign-key signs the bundle: set input bundle too');
      return 2;
    }
    keyDir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'mse-key-'));
    writeFileSync(join(keyDir, 'key.pem'), `${key.trim()}\n`, { mode: 0o600 });
    line.args.push('--sign', join(keyDir, 'key.pem'));
  }
  let code;
  try {
    code = await run(line.args);
  } finally {
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  }

  const summaryFile = join(line.out, 'summary.md');
  const junit = join(line.out, 'junit.xml');
  setOutput('exit-code', code);
  setOutput('conformant', code === 0 ? 'true' : 'false');
  setOutput('report-dir', line.out);
  setOutput('junit', existsSync(junit) ? junit : '');
  setOutput('bundle', line.bundle && existsSync(line.bundle) ? line.bundle : '');
  setOutput('summary', existsSync(summaryFile) ? summaryFile : '');

  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    const text = existsSync(summaryFile)
      ? readFileSync(summaryFile, 'utf8')
      : `## mse-conformance ${line.suite}\n\nNo report: the run exited ${code} (${EXIT_MEANING[code] ?? 'unexpected'}). See the step's log.\n`;
    appendFileSync(stepSummary, text.endsWith('\n') ? text : `${text}\n`);
  }
  if (code !== 0)
    console.error(`mse-conformance ${line.suite}: exit ${code} (${EXIT_MEANING[code] ?? 'unexpected'})`);
  return code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = await main();
