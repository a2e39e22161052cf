/**
 * Finding secrets in output: every spelling a password can take on the way out (raw, percent-encoded as
 * UTF-8 or as ISO-8859-1, form-encoded, XML/HTML- and JSON-escaped) searched in text, and in every
 * base64 run of that text once decoded (exchanges keep bodies as base64).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/spec/load.ts';

function latin1Percent(s: string): string | undefined {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c > 0xff) return undefined;
    out += /[A-Za-z0-9\-_.~]/.test(ch) ? ch : `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Every form of each secret worth searching for (lowercase percent-escapes included). */
export function secretForms(secrets: string[]): string[] {
  const forms = new Set<string>();
  for (const s of secrets) {
    const candidates = [
      s,
      encodeURIComponent(s),
      new URLSearchParams({ x: s }).toString().slice(2),
      latin1Percent(s),
      xmlEscape(s),
      JSON.stringify(s).slice(1, -1),
      Buffer.from(s, 'utf8').toString('latin1'),
      Buffer.from(s, 'utf8').toString('base64').replace(/=+$/, ''),
    ];
    for (const c of candidates)
      if (c) {
        forms.add(c);
        forms.add(c.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
      }
  }
  return [...forms];
}

/** Base64 runs of a text, decoded (as UTF-8 and as Latin-1), so that encoded bodies are searched too. */
function decodedBase64Runs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/]{12,}={0,2}/g)) {
    const bytes = Buffer.from(m[0], 'base64');
    out.push(bytes.toString('utf8'), bytes.toString('latin1'));
  }
  return out;
}

export interface Leak {
  where: string;
  form: string;
  context: string;
}

/** Every occurrence of any form of the secrets in `text` (or in its decoded base64 runs). */
export function findLeaks(where: string, text: string, secrets: string[]): Leak[] {
  const leaks: Leak[] = [];
  const forms = secretForms(secrets);
  const layers: [string, string][] = [
    [where, text],
    ...decodedBase64Runs(text).map((t): [string, string] => [`${where} (base64-decoded)`, t]),
  ];
  // Percent-decoded view too, for forms split by encoding choices the list above does not foresee.
  try {
    layers.push([
      `${where} (percent-decoded)`,
      decodeURIComponent(text.replace(/%(?![0-9a-fA-F]{2})/g, '%25')),
    ]);
  } catch {
    /* not decodable as a whole: the encoded forms above cover it */
  }
  for (const [label, layer] of layers)
    for (const form of forms) {
      const i = layer.indexOf(form);
      if (i >= 0)
        leaks.push({ where: label, form, context: layer.slice(Math.max(0, i - 60), i + form.length + 60) });
    }
  return leaks;
}

export function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((f) => {
    const p = join(root, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Leaks in every file under the given paths (files or directories), read as UTF-8 and as Latin-1. */
export function findLeaksInFiles(paths: string[], secrets: string[]): Leak[] {
  const leaks: Leak[] = [];
  for (const root of paths)
    for (const file of statSync(root).isDirectory() ? filesUnder(root) : [root]) {
      const bytes = readFileSync(file);
      leaks.push(...findLeaks(file, bytes.toString('utf8'), secrets));
      leaks.push(...findLeaks(`${file} (latin1)`, bytes.toString('latin1'), secrets));
    }
  return leaks;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI as a user would, capturing its console. */
/** Runs the CLI in a child process (in `cwd`, default the project) and collects its output. */
export function runCli(args: string[], timeoutMs = 300_000, cwd = projectRoot): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'mse-conformance.js'), ...args], { cwd });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
  });
}
