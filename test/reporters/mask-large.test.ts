import { expect, it } from 'vitest';
import { maskSerialized } from '../../reporters/secrets.ts';

it('masks a JSON report holding a multi-megabyte string without overflowing the stack', () => {
  const body = `${'a'.repeat(12_000_000)}hunter22${'\\n'.repeat(100_000)}`;
  const text = JSON.stringify({ body, password: 'hunter22', quoted: 'q"x\\' });
  const out = maskSerialized('json', text, ['hunter22']);
  expect(out).not.toContain('hunter22');
  const parsed = JSON.parse(out) as { quoted: string; body: string };
  expect(parsed.quoted).toBe('q"x\\');
  expect(parsed.body.length).toBeGreaterThan(12_000_000);
});
