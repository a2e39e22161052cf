/** Exit codes CI can rely on (PRODUCT.md). */
export const ExitCode = {
  Ok: 0,
  Nonconformant: 1,
  Usage: 2,
  Unreachable: 3,
} as const;

/** The base of the project's errors: a stable `MSE_*` code that says what went wrong, and a message that says what to do. */
export class MseError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A mistake in the command line or the config: exit code 2. */
export class UsageError extends MseError {
  constructor(message: string, code = 'MSE_USAGE') {
    super(message, code);
  }
}
