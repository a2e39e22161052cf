#!/usr/bin/env node
// Builds dist/ for the published package (`npm pack` runs it as prepack): the library, the suites and the
// reporters compiled to JavaScript with types, plus the data files modules read beside themselves.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);
cpSync(join(root, 'src/bundle/manifest.schema.json'), join(dist, 'src/bundle/manifest.schema.json'));
// The suites are run, never imported by users: their declarations would only weigh the package.
for (const entry of readdirSync(join(dist, 'suites'), { recursive: true, withFileTypes: true }))
  if (entry.isFile() && entry.name.endsWith('.d.ts')) rmSync(join(entry.parentPath, entry.name));
