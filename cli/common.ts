/**
 * What every rnnfab command shares: flag parsing with `--help` (declarations in `flags.ts`), and
 * the exit-code contract (0 success, 2 bad input with one clear line, 1 internal failure).
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { type CommandSpec, type FlagTable, type FlagValues, parseCommandLine } from "./flags.ts";

/**
 * Parse a command line: prints the help text and exits 0 on `--help`; any bad flag is a
 * UserError of one line naming the flag and what it accepts.
 */
export function parseCommand<F extends FlagTable>(
  spec: CommandSpec<F>,
  args: readonly string[] = Deno.args,
): FlagValues<F> {
  const parsed = parseCommandLine(spec, args);
  if (parsed.help) {
    console.log(parsed.text);
    Deno.exit(0);
  }
  return parsed.values;
}

/**
 * Run a command's main function with the exit-code contract: UserError -> one line on stderr and
 * exit 2; any other error -> "internal error: ..." and exit 1 (stack trace with RNNFAB_DEBUG=1).
 */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    const message = error instanceof Error ? error.message : String(error);
    console.error(`internal error: ${message}`);
    if (Deno.env.get("RNNFAB_DEBUG")) console.error(error);
    Deno.exit(1);
  }
}
