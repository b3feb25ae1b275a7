/**
 * `--help` for the subcommands: a usage line, then the command's flags from its option
 * table (the same table the flag parser reads, so the two cannot disagree).
 */
import { formatOptions, type OptionSpec } from "../config/options.js";

/** True when the arguments ask for help: `--help` anywhere (`-h` is a flag of some commands). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help");
}

export function printHelp(usage: string, options: readonly OptionSpec[], notes = ""): number {
  process.stdout.write(`usage: ${usage}\n\n${formatOptions(options, "text")}\n${notes === "" ? "" : `\n${notes}\n`}`);
  return 0;
}
