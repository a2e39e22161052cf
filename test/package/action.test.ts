/**
 * The GitHub Action's script (bin/action.js) with the variables a runner sets, against a stand-in CLI
 * (MSE_CONFORMANCE_BIN) that records its arguments and ends as told. The real CLI under the action is
 * exercised from the installed package in install.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../src/spec/load.ts';

const ACTION = join(projectRoot, 'bin', 'action.js');

/** Writes what a run writes (unless told not to), records argv and the key file it was given, exits as told. */
const FAKE_CLI = `
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const args = process.argv.slice(2);
const at = (name) => args[args.indexOf(name) + 1];
const sign = args.includes('--sign') ? at('--sign') : undefined;
writeFileSync(process.env.FAKE_RECORD, JSON.stringify({
  args,
  key: sign && existsSync(sign) ? { text: readFileSync(sign, 'utf8'), mode: statSync(sign).mode & 0o777 } : null,
}));
if (process.env.FAKE_WRITE !== 'none') {
  mkdirSync(at('--out'), { recursive: true });
  writeFileSync(join(at('--out'), 'summary.md'), '## MSE conformance — gateway: fake\\n');
  writeFileSync(join(at('--out'), 'junit.xml'), '<testsuites/>');
  if (args.includes('--bundle')) writeFileSync(at('--bundle'), 'tar');
}
console.log('fake run');
process.exit(Number(process.env.FAKE_EXIT ?? 0));
`;

interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary?: string;
  record?: { args: string[]; key: { text: string; mode: number } | null };
}

describe('the GitHub Action script', () => {
  let tmp: string;
  let fake: string;
  let n = 0;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mse-action-'));
    fake = join(tmp, 'fake-cli.mjs');
    await writeFile(fake, FAKE_CLI);
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  async function action(
    inputs: Record<string, string>,
    env: Record<string, string> = {},
    stepSummary = true,
  ): Promise<ActionRun> {
    const dir = join(tmp, `run-${++n}`);
    await mkdir(dir);
    const files = {
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      FAKE_RECORD: join(dir, 'record.json'),
    };
    await writeFile(files.GITHUB_OUTPUT, '');
    if (stepSummary) await writeFile(files.GITHUB_STEP_SUMMARY, '# earlier step\n');
    const childEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_OUTPUT: files.GITHUB_OUTPUT,
      ...(stepSummary ? { GITHUB_STEP_SUMMARY: files.GITHUB_STEP_SUMMARY } : {}),
      RUNNER_TEMP: dir,
      MSE_CONFORMANCE_BIN: fake,
      FAKE_RECORD: files.FAKE_RECORD,
      ...env,
    };
    for (const [k, v] of Object.entries(inputs)) childEnv[`INPUT_${k.toUpperCase().replace(/-/g, '_')}`] = v;
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) =>
        execFile(process.execPath, [ACTION], { cwd: dir, env: childEnv }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        ),
    );
    const outputs = Object.fromEntries(
      (await readFile(files.GITHUB_OUTPUT, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return {
      code,
      stdout,
      stderr,
      outputs,
      ...(existsSync(files.GITHUB_STEP_SUMMARY)
        ? { summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8') }
        : {}),
      ...(existsSync(files.FAKE_RECORD)
        ? { record: JSON.parse(await readFile(files.FAKE_RECORD, 'utf8')) as ActionRun['record'] }
        : {}),
    };
  }

  it('turns the inputs into a command line, appends the summary and sets the outputs', async () => {
    const run = await action({
      target: 'http://gateway.test:8080',
      config: 'mse.json',
      strict: 'true',
      expectations: 'known.json',
      reports: 'json,html',
      args: '--only family:envelope --quiet',
    });
    expect(run.code, run.stderr).toBe(0);
    const args = run.record!.args;
    expect(args[0]).toBe('gateway');
    const dir = join(tmp, `run-${n}`);
    expect(args).toEqual(
      expect.arrayContaining([
        '--target',
        'http://gateway.test:8080',
        '--strict',
        '--only',
        'family:envelope',
      ]),
    );
    expect(args[args.indexOf('--config') + 1]).toBe(join(dir, 'mse.json'));
    expect(args[args.indexOf('--expectations') + 1]).toBe(join(dir, 'known.json'));
    expect(args[args.indexOf('--report') + 1]!.split(',').sort()).toEqual(['html', 'json', 'junit', 'md']);
    expect(args[args.indexOf('--bundle') + 1]).toBe(join(dir, 'mse-conformance-bundle.tar'));
    expect(run.summary).toBe('# earlier step\n## MSE conformance — gateway: fake\n');
    expect(run.outputs).toEqual({
      'exit-code': '0',
      conformant: 'true',
      'report-dir': join(dir, 'mse-conformance-reports'),
      junit: join(dir, 'mse-conformance-reports', 'junit.xml'),
      bundle: join(dir, 'mse-conformance-bundle.tar'),
      summary: join(dir, 'mse-conformance-reports', 'summary.md'),
    });
    expect(run.stdout).toContain('fake run');
  });

  it('fails the step on exit 1, with the summary and the outputs still written', async () => {
    const run = await action({ suite: 'partner', strict: 'false', bundle: '' }, { FAKE_EXIT: '1' });
    expect(run.code).toBe(1);
    expect(run.record!.args[0]).toBe('partner');
    expect(run.record!.args).not.toContain('--strict');
    expect(run.record!.args).not.toContain('--bundle');
    expect(run.summary).toContain('## MSE conformance');
    expect(run.outputs).toMatchObject({ 'exit-code': '1', conformant: 'false', bundle: '' });
    expect(run.stderr).toContain('exit 1 (nonconformance found)');
  });

  it('says in the job summary why there is no report when the target is unreachable', async () => {
    const run = await action({}, { FAKE_EXIT: '3', FAKE_WRITE: 'none' });
    expect(run.code).toBe(3);
    expect(run.summary).toContain('No report: the run exited 3 (target unreachable)');
    expect(run.outputs).toMatchObject({ junit: '', bundle: '', summary: '' });
  });

  it('writes no job summary where GITHUB_STEP_SUMMARY is not set', async () => {
    const run = await action({}, {}, false);
    expect(run.code).toBe(0);
    expect(run.summary).toBeUndefined();
    expect(run.outputs['exit-code']).toBe('0');
  });

  it('hands a signing key to the run as a private file, removed afterwards, never printed', async () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKeyMaterialThatMustNotLeak000000000\n-----END PRIVATE KEY-----';
    const run = await action({ 'sign-key': pem });
    expect(run.code).toBe(0);
    const args = run.record!.args;
    const keyFile = args[args.indexOf('--sign') + 1]!;
    expect(run.record!.key).toEqual({ text: `${pem}\n`, mode: 0o600 });
    expect(existsSync(keyFile)).toBe(false);
    expect(run.stdout + run.stderr).not.toContain('KeyMaterial');

    const unsignable = await action({ 'sign-key': pem, bundle: '' });
    expect(unsignable.code).toBe(2);
    expect(unsignable.stderr).toContain('set input bundle too');
  });

  it('refuses a suite it does not know', async () => {
    const run = await action({ suite: 'mse' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('input suite must be gateway or partner');
    expect(run.record).toBeUndefined();
  });
});

/** A stand-in npm on PATH: records each call; `view` answers as FAKE_PUBLISHED says; `pack` writes a tarball. */
const FAKE_NPM = `#!/usr/bin/env bash
echo "$PWD :: $*" >> "$FAKE_NPM_LOG"
case "$1" in
  view) [ -n "$FAKE_PUBLISHED" ] && echo "$FAKE_PUBLISHED"; exit 0 ;;
  pack) touch "$RUNNER_TEMP/mse-conformance-$(node -p "require('./package.json').version").tgz" ;;
esac
exit 0
`;

describe("the GitHub Action's install step", () => {
  let tmp: string;
  let n = 0;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mse-action-install-'));
    await mkdir(join(tmp, 'bin'));
    await writeFile(join(tmp, 'bin', 'npm'), FAKE_NPM, { mode: 0o755 });
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  async function install(
    env: Record<string, string>,
  ): Promise<{ code: number; calls: string[]; env: string }> {
    const action = parseYaml(await readFile(join(projectRoot, 'action.yml'), 'utf8')) as {
      runs: { steps: { name: string; run: string }[] };
    };
    const script = action.runs.steps.find((s) => s.name === 'Install mse-conformance')!.run;
    const dir = join(tmp, `run-${++n}`);
    await mkdir(dir);
    const files = { log: join(dir, 'npm.log'), env: join(dir, 'github-env') };
    await writeFile(files.log, '');
    await writeFile(files.env, '');
    const code = await new Promise<number>((resolve) =>
      execFile(
        'bash',
        ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
        {
          cwd: dir,
          env: {
            PATH: `${join(tmp, 'bin')}:${process.env.PATH}`,
            HOME: process.env.HOME,
            GITHUB_ACTION_PATH: projectRoot,
            GITHUB_ENV: files.env,
            RUNNER_TEMP: dir,
            FAKE_NPM_LOG: files.log,
            INPUT_VERSION: '',
            INPUT_PACKAGE: '',
            ...env,
          },
        },
        (error) => resolve(error ? Number(error.code) : 0),
      ),
    );
    const calls = (await readFile(files.log, 'utf8')).trim().split('\n').filter(Boolean);
    return { code, calls, env: await readFile(files.env, 'utf8') };
  }

  it("installs the action's own version from the registry when the registry has it", async () => {
    const { version } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await install({ FAKE_PUBLISHED: version });
    expect(result.code).toBe(0);
    expect(result.calls.some((c) => / :: ci\b/.test(c))).toBe(false);
    expect(result.calls.at(-1)).toMatch(
      new RegExp(`:: install --prefix \\S+ .*mse-conformance@${version.replace(/\./g, '\\.')}$`),
    );
    expect(result.env).toMatch(
      /^MSE_CONFORMANCE_TOOL=.*\/mse-conformance-tool\/node_modules\/mse-conformance$/m,
    );
  });

  it("builds the package from the action's checkout when the registry does not have that version", async () => {
    const result = await install({ FAKE_PUBLISHED: '' });
    expect(result.code).toBe(0);
    expect(result.calls.map((c) => c.replace(/ :: .*/, ''))).toContain(projectRoot);
    expect(result.calls.some((c) => c.startsWith(`${projectRoot} :: ci `))).toBe(true);
    expect(result.calls.some((c) => c.startsWith(`${projectRoot} :: pack `))).toBe(true);
    expect(result.calls.at(-1)).toMatch(/:: install --prefix \S+ .*\/mse-conformance-[0-9.]+\.tgz$/);
  });

  it('installs what `package` names, and the version `version` names', async () => {
    expect((await install({ INPUT_PACKAGE: '/tmp/x.tgz' })).calls.at(-1)).toMatch(/ \/tmp\/x\.tgz$/);
    const pinned = await install({ INPUT_VERSION: '9.9.9', FAKE_PUBLISHED: '9.9.9' });
    expect(pinned.calls.at(-1)).toMatch(/ mse-conformance@9\.9\.9$/);
  });
});
