import { MseError } from '../core/errors.ts';
/** An error in the spec files, with a stable code and the file it comes from. */
export class SpecError extends MseError {
  readonly file: string;
  constructor(code: string, file: string, message: string) {
    super(`${file}: ${message}`, code);
    this.file = file;
  }
}
