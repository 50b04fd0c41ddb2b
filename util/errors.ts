/**
 * Errors that rnnfab reports to users as one line (exit code 2): bad input files, bad flags,
 * impossible configurations. Anything else is an internal failure (exit code 1).
 */

/** A problem with what the user gave us, reported as one line without a stack trace. */
export class UserError extends Error {
  /** @param message One line naming the file, the field and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
