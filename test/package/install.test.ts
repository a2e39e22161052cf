/**
 * The published tool: `npm pack` (which builds dist/), installed from the tarball into an empty folder by
 * the GitHub Action's own install step (action.yml, run with bash as a runner does), and run from there as
 * a user would: no TypeScript, no tsx, no source tree. Dependencies come from npm's local cache first
 * (`--prefer-offline`), from the registry only for what the cache lacks.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { RunReport } from '../../src/core/model.ts';
import { projectRoot } from '../../src/spec/load.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The nested npm and CLI must not inherit the settings of an enclosing `npm test`. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) env[k] = v;
  return env;
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, timeout: 300_000, env: { ...cleanEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

interface PackedFile {
  path: string;
  size: number;
}

// Whole runs of the installed tool: each may take minutes on a loaded machine.
describe('the packed tarball, installed into an empty folder', { timeout: 300_000 }, () => {
  let tmp: string;
  let files: PackedFile[];
  let app: string;
  let runner: string;
  let tool: string;
  let cli: (args: string[]) => Promise<Run>;
  let step: (name: string) => string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mse-package-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], projectRoot);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: PackedFile[] }[];
    files = info!.files;
    app = join(tmp, 'app');
    runner = join(tmp, 'runner');
    await mkdir(app);
    await mkdir(runner);
    const action = parseYaml(await readFile(join(projectRoot, 'action.yml'), 'utf8')) as {
      runs: { steps: { name: string; run: string }[] };
    };
    step = (name) => action.runs.steps.find((s) => s.name === name)!.run;
    const githubEnv = join(runner, 'env');
    await writeFile(githubEnv, '');
    const installed = await run(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step('Install mse-conformance')],
      app,
      {
        GITHUB_ACTION_PATH: projectRoot,
        GITHUB_ENV: githubEnv,
        RUNNER_TEMP: runner,
        INPUT_PACKAGE: join(tmp, info!.filename),
        INPUT_VERSION: '',
        npm_config_prefer_offline: 'true',
      },
    );
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    tool = /^MSE_CONFORMANCE_TOOL=(.*)$/m.exec(await readFile(githubEnv, 'utf8'))![1]!;
    const bin = join(tool, '..', '.bin', 'mse-conformance');
    cli = (args) => run(bin, args, app);
  }, 600_000);
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('holds what runs (compiled CLI and suites, spec, schemas, DTDs, the document examples) and no sources or tests', () => {
    const paths = files.map((f) => f.path);
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/mse-conformance.js',
      'bin/action.js',
      'action.yml',
      'dist/src/cli/main.js',
      'dist/src/cli/main.d.ts',
      'dist/src/bundle/manifest.schema.json',
      'dist/suites/gateway/envelope.test.js',
      'dist/suites/partner/mo.test.js',
      'spec/schema/config.schema.json',
      'spec/ERRATA.md',
    ])
      expect(paths, needed).toContain(needed);
    expect(paths.some((p) => p.startsWith('spec/dtd/') && p.endsWith('.dtd'))).toBe(true);
    expect(paths.some((p) => p.startsWith('fixtures/document/'))).toBe(true);
    const unwanted = paths.filter(
      (p) =>
        /^(test|bench|src|suites|reporters|fixtures\/(edge|regressions))\//.test(p) ||
        (p.endsWith('.ts') && !p.endsWith('.d.ts')),
    );
    expect(unwanted).toEqual([]);
  });

  it('installs without the development tools: no TypeScript, no tsx', () => {
    for (const dev of ['typescript', 'tsx', 'typedoc', '@biomejs/biome'])
      expect(existsSync(join(tool, '..', dev)), dev).toBe(false);
  });

  it('prints its version and help', async () => {
    const pkg = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mse-conformance <command>');
  });

  it('validates the shipped spec', async () => {
    const result = await cli(['spec', 'validate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^spec [0-9a-f]+ is valid/);
  });

  it('tests the embedded simulator with the gateway suite and writes the reports', async () => {
    const result = await cli(['gateway', '--out', 'gateway-reports']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(
      await readFile(join(app, 'gateway-reports', 'report.json'), 'utf8'),
    ) as RunReport;
    expect(report.suite).toBe('gateway');
    expect(report.summary.byVerdict.fail).toBe(0);
    expect(report.summary.byVerdict.pass).toBeGreaterThan(1000);
  });

  it('certifies the embedded reference partner with the partner suite', async () => {
    const result = await cli(['partner', '--out', 'partner-reports']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(
      await readFile(join(app, 'partner-reports', 'report.json'), 'utf8'),
    ) as RunReport;
    expect(report.suite).toBe('partner');
    expect(report.summary.byVerdict.pass).toBeGreaterThan(60);
  });

  it('writes the reference site, saying plainly that the API reference needs a checkout', async () => {
    const result = await cli(['docs', '--out', 'site']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('not generated: it needs the TypeScript sources');
    expect(result.stdout).toMatch(/coverage {2}\d+ of \d+ rules/);
    const site = await readdir(join(app, 'site'));
    expect(site).toEqual(expect.arrayContaining(['index.html', 'style.css']));
    expect(await readFile(join(app, 'site', 'api', 'index.html'), 'utf8')).toContain('checkout');
  });

  it('runs as the GitHub Action does: job summary, outputs, and a signed bundle that verify --key accepts', async () => {
    const pair = generateKeyPairSync('ed25519');
    const publicFile = join(app, 'bundle-key.pub.pem');
    await writeFile(publicFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const github = join(tmp, 'github');
    await mkdir(github);
    const [outputFile, summaryFile] = [join(github, 'output'), join(github, 'summary')];
    await writeFile(outputFile, '');
    const result = await run(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step('Run the conformance suite')],
      app,
      {
        MSE_CONFORMANCE_TOOL: tool,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: github,
        INPUT_ARGS: '--only gateway.transport.eai-check-credit.*',
        INPUT_SIGN_KEY: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await readFile(summaryFile, 'utf8')).toMatch(/^## MSE conformance — gateway: .*conformant/);
    const outputs = Object.fromEntries(
      (await readFile(outputFile, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(outputs).toMatchObject({ 'exit-code': '0', conformant: 'true' });
    expect(existsSync(outputs.junit!)).toBe(true);
    expect(outputs.bundle).toBe(join(app, 'mse-conformance-bundle.tar'));
    const verified = await cli(['verify', outputs.bundle!, '--key', publicFile]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toContain('signature  valid');
  });
});
