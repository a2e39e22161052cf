import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/spec/load.ts';

const run = promisify(execFile);

/**
 * The check ids are what people being certified track between versions (STYLE.md: a CHANGELOG of added,
 * changed and removed check ids). Each suite's `--list` is kept in suites/<role>/checks.tsv, so a change
 * to any id, rule, section or level shows in review and is recorded in CHANGELOG.md.
 * After an intended change: `npm run checks:update`.
 */
describe.each(['gateway', 'partner'])('%s check manifest', (role) => {
  it('matches `--list`, id for id', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(projectRoot, 'bin/mse-conformance.js'), role, '--list'],
      {
        cwd: projectRoot,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // The manifest keeps id, rule, section and level; --list adds the stimulus and the row's place.
    const listed = stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t').slice(0, 4).join('\t'));
    const kept = readFileSync(join(projectRoot, 'suites', role, 'checks.tsv'), 'utf8')
      .trim()
      .split('\n');
    const added = listed.filter((l) => !kept.includes(l));
    const removed = kept.filter((l) => !listed.includes(l));
    expect(
      { added, removed },
      'check ids changed: record them in CHANGELOG.md, then npm run checks:update',
    ).toEqual({
      added: [],
      removed: [],
    });
    expect(new Set(listed.map((l) => l.split('\t')[0])).size, 'check ids are unique').toBe(listed.length);
    // Every check says what it sends and where its row is.
    for (const line of stdout.trim().split('\n')) {
      const [id, , , , stimulus, row] = line.split('\t');
      expect(stimulus, id).toMatch(/\w/);
      expect(row, id).toMatch(/^suites\/[a-z]+\/[\w/-]+\.ts:\d+$/);
    }
  });
});
