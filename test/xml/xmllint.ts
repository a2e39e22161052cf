/** libxml2's xmllint as the independent DTD validator the derived validators are compared with. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const xmllintPath =
  ['/usr/bin/xmllint', '/usr/local/bin/xmllint'].find((p) => existsSync(p)) ?? 'xmllint';

export interface XmllintResult {
  /** 0 valid, 1 not well-formed (or unreadable), 3/4 invalid against the DTD. */
  status: number;
  stderr: string;
}

/**
 * Runs xmllint with --nonet and without --noent (entities are not substituted), optionally
 * validating against a DTD file. Input is a file path.
 */
export function xmllint(file: string, dtdFile?: string): XmllintResult {
  const args = ['--noout', '--nonet'];
  if (dtdFile) args.push('--dtdvalid', dtdFile);
  args.push(file);
  const r = spawnSync(xmllintPath, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw new Error(`xmllint could not run (${r.error.message}); install libxml2-utils`);
  return { status: r.status ?? -1, stderr: r.stderr };
}
