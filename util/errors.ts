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

/**
 * A bad option of a library call (a UserError): names the option's field (`backpressure`,
 * `timeoutSeconds`), never a command-line flag; a command maps it to its flag with
 * `optionAsFlag`.
 */
export class OptionError extends UserError {
  /**
   * @param option The option's field name.
   * @param detail What was wrong and what was expected.
   */
  constructor(readonly option: string, readonly detail: string) {
    super(`${option}: ${detail}`);
    this.name = "OptionError";
  }
}

/**
 * A command's view of an error: an OptionError becomes a UserError naming the command's flag
 * (`flags[option]`, else the option in kebab case: `inputGaps` -> `--input-gaps`); any other
 * error is returned as it is.
 */
export function optionAsFlag(error: unknown, flags: Record<string, string> = {}): unknown {
  if (!(error instanceof OptionError)) return error;
  const flag = flags[error.option] ??
    `--${error.option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
  return new UserError(`${flag}: ${error.detail}`);
}
