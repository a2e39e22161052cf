#!/usr/bin/env node
import { resolve } from 'node:path';
// Runs a TypeScript entry point (benchmarks, scripts) through tsx's loader.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const entry = process.argv[2];
if (!entry) {
  console.error('usage: run-ts.js FILE.ts [args...]');
  process.exit(2);
}
await import(pathToFileURL(resolve(entry)).href);
