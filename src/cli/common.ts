import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';

export { ExitCode, UsageError } from '../core/errors.ts';

/** node:util parseArgs, with its errors turned into UsageError. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
