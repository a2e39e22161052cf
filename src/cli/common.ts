import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit codes CI can rely on (PRODUCT.md). */
export const ExitCode = {
  Ok: 0,
  Nonconformant: 1,
  Usage: 2,
  Unreachable: 3,
} as const;

/** A mistake in the command line or the config: exit code 2, with a stable code and what to do. */
export class UsageError extends Error {
  readonly code: string;
  constructor(message: string, code = 'MSE_USAGE') {
    super(message);
    this.name = 'UsageError';
    this.code = code;
  }
}

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
