/**
 * INFO's commandstats and errorstats, counted as Redis 7.0 counts them, and reset by
 * CONFIG RESETSTAT:
 *
 * - per command (subcommands apart: "config|get"): calls that ran, the microseconds they
 *   took (walnut: from dispatch until the reply is ready, a write's commit included),
 *   calls rejected before running (wrong arity, NOAUTH, NOPERM, OOM, refused in MULTI)
 *   and calls that ran and answered an error. A command queued in MULTI is counted when
 *   EXEC runs it, not when it is queued. Unknown commands have no line.
 * - per error code (the error's first word: ERR, WRONGTYPE, NOAUTH...): every error
 *   reply sent, those inside an EXEC reply included.
 */
import { lookupCommand } from "../commands/table.js";
import type { ByteString } from "../engine/bytes.js";
import type { Reply } from "../engine/reply.js";

interface CommandCounters {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

/** Redis' name for a call's statistics line: "get", "config|get"; null for unknown commands. */
export function statisticsName(argv: readonly ByteString[]): string | null {
  const entry = lookupCommand(argv[0] ?? "");
  if (entry === undefined) return null;
  const name = lowerCaseName(entry.name);
  return entry.hasSubcommands === true && argv[1] !== undefined ? `${name}|${argv[1].toLowerCase()}` : name;
}

/** Table names in lower case, made once each (asked twice for every command run). */
const lowerCaseNames = new Map<string, string>();

function lowerCaseName(name: string): string {
  let lower = lowerCaseNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    lowerCaseNames.set(name, lower);
  }
  return lower;
}

export class CommandStats {
  private readonly commands = new Map<string, CommandCounters>();
  private readonly errors = new Map<string, number>();
  /** Every error reply sent (INFO total_error_replies). */
  errorReplies = 0;

  private counters(name: string): CommandCounters {
    let counters = this.commands.get(name);
    if (counters === undefined) {
      counters = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
      this.commands.set(name, counters);
    }
    return counters;
  }

  /**
   * A call of `argv` ran for `usec` microseconds and answered `reply`. A container's
   * handler (CONFIG, CLIENT, COMMAND) answers an unknown subcommand or a subcommand's
   * wrong arity itself; Redis refuses both before the call, so they count as Redis counts
   * them: no line for an unknown subcommand, a rejected call for a wrong arity.
   */
  called(argv: readonly ByteString[], usec: number, reply: Reply): void {
    const name = statisticsName(argv);
    if (name === null) return;
    const subcommand = name.includes("|");
    if (subcommand && reply.type === "error" && reply.text.startsWith("ERR unknown subcommand")) return;
    if (subcommand && reply.type === "error" && reply.text.startsWith("ERR wrong number of arguments")) {
      this.counters(name).rejectedCalls += 1;
      return;
    }
    const counters = this.counters(name);
    counters.calls += 1;
    counters.usec += Math.round(usec);
    if (reply.type === "error") counters.failedCalls += 1;
  }

  /** A call of `argv` was refused before it ran. */
  rejected(argv: readonly ByteString[]): void {
    const name = statisticsName(argv);
    if (name !== null) this.counters(name).rejectedCalls += 1;
  }

  /** A reply is being sent: counts its errors, and those of the replies it holds (EXEC's). */
  sent(reply: Reply): void {
    if (reply.type === "error") {
      this.errorReplies += 1;
      const code = /^\S+/.exec(reply.text)?.[0] ?? "ERR";
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    } else if (reply.type === "array") {
      for (const item of reply.items) if (item.type === "error" || item.type === "array") this.sent(item);
    }
  }

  reset(): void {
    this.commands.clear();
    this.errors.clear();
    this.errorReplies = 0;
  }

  /** INFO commandstats' lines, without the section header. */
  commandLines(): Array<[string, string]> {
    return [...this.commands].map(([name, c]) => [
      `cmdstat_${name}`,
      `calls=${c.calls},usec=${c.usec},usec_per_call=${(c.calls === 0 ? 0 : c.usec / c.calls).toFixed(2)},rejected_calls=${c.rejectedCalls},failed_calls=${c.failedCalls}`,
    ]);
  }

  /** INFO errorstats' lines. */
  errorLines(): Array<[string, string]> {
    return [...this.errors].map(([code, count]) => [`errorstat_${code}`, `count=${count}`]);
  }
}
