/**
 * What every rnnfab command shares: flag parsing with `--help`, and the exit-code contract
 * (0 success, 2 bad input with one clear line, 1 internal failure).
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../util/errors.ts";
import { installInterruptHandler } from "../util/interrupt.ts";

/** Options of a command's flag parser. */
export interface CommandSpec {
  /** Command name as typed, e.g. "deno task infer". */
  name: string;
  /** Usage text printed by --help (everything after the name). */
  usage: string;
  /** node:util parseArgs option table; `help` is added automatically. */
  options: NonNullable<ParseArgsConfig["options"]>;
}

/** Parse flags; prints usage and exits 0 on --help; unknown flags are a UserError. */
export function parseFlags(
  args: string[],
  spec: CommandSpec,
): Record<string, string | boolean | undefined> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UserError(`${spec.name}: ${(error as Error).message} (see --help)`);
  }
  if (parsed.values.help) {
    console.log(`usage: ${spec.name} ${spec.usage.trim()}`);
    Deno.exit(0);
  }
  return parsed.values as Record<string, string | boolean | undefined>;
}

/** Read a required string flag, or throw a UserError naming it. */
export function requireFlag(
  values: Record<string, string | boolean | undefined>,
  flag: string,
  commandName: string,
): string {
  const value = values[flag];
  if (typeof value !== "string" || value === "") {
    throw new UserError(`${commandName}: --${flag} is required (see --help)`);
  }
  return value;
}

/**
 * Run a command's main function with the exit-code contract: UserError -> one line on stderr and
 * exit 2; any other error -> "internal error: ..." and exit 1 (stack trace with RNNFAB_DEBUG=1).
 */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  installInterruptHandler(); // SIGINT/SIGTERM: clean up, exit 130/143 (util/interrupt.ts)
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
