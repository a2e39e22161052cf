/** An error in the spec files, with a stable code and the file it comes from. */
export class SpecError extends Error {
  readonly code: string;
  readonly file: string;
  constructor(code: string, file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SpecError';
    this.code = code;
    this.file = file;
  }
}
