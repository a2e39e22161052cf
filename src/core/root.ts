import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root: the folder holding spec/, fixtures/ and package.json. Found by walking up, since
 * this module runs from src/spec in a checkout and from dist/src/spec in the installed package. A module
 * of its own, so that `--help` and `--version` find package.json without loading the spec's validators.
 */
export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'spec'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}
