#!/usr/bin/env node
import { existsSync } from 'node:fs';

// A reader that stops early (`| head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });

// The installed package runs the compiled CLI (dist/). A checkout has the TypeScript sources and runs them
// through tsx's loader, so a clean clone needs no build step and an edit takes effect at once.
const source = new URL('../src/cli/main.ts', import.meta.url);
let entry = '../dist/src/cli/main.js';
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source.href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
