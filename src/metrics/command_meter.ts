/**
 * What every command costs and how it ends, for RESP commands and HTTP key operations:
 *
 *   walnut_commands_total{command,outcome,protocol}   counter, outcome "ok" or "error"
 *   walnut_command_duration_seconds{command}          histogram, 50 µs to 5 s
 *
 * The hot path: a connection asks `instruments(protocol, argv[0], commandName)` once per command and
 * gets an object bound to its label set, cached by the name exactly as the client spelled
 * it ("GET", "get"); recording then touches only numbers (scraped_metric.ts says why not
 * prom-client's own instruments). Command labels are bounded: a name that is no command
 * counts as "unknown"; at most SPELLINGS_CACHED_MAX spellings are cached, none longer than
 * COMMAND_NAME_BYTES_MAX (a client may send megabytes as a command name).
 */
import type { Registry } from "prom-client";
import { LatencyCells, registerScrapedMetric, type Sample } from "./scraped_metric.js";

export type Protocol = "resp" | "http";

export const COMMAND_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Distinct spellings of command names remembered per protocol (beyond: looked up each time). */
const SPELLINGS_CACHED_MAX = 1024;
/** Longer than any command's name: such a name is "unknown" without a look-up. */
const COMMAND_NAME_BYTES_MAX = 32;
const UNKNOWN_COMMAND = "unknown";
/**
 * The command table's name for a spelling, in any case, or undefined when it names no
 * command (commands/table.ts commandName). The callers pass it in because metrics/ sits
 * below commands/; the table is fixed, so a spelling's label can be cached.
 */
export type CommandNames = (spelling: string) => string | undefined;

/** The label a command name counts under: its lower-case name, or "unknown" when the command table has no such command. */
export function commandLabel(name: string, names: CommandNames): string {
  if (name.length > COMMAND_NAME_BYTES_MAX) return UNKNOWN_COMMAND;
  return names(name)?.toLowerCase() ?? UNKNOWN_COMMAND;
}

/** One command over one protocol: where its calls are counted and timed. */
export class CommandInstruments {
  ok = 0;
  errors = 0;

  constructor(
    readonly command: string,
    readonly protocol: Protocol,
    private readonly duration: LatencyCells,
  ) {}

  /** One call answered, `durationMs` after it arrived (a performance.now() difference). */
  record(durationMs: number, failed: boolean): void {
    if (failed) this.errors += 1;
    else this.ok += 1;
    this.duration.observe(durationMs / 1000);
  }
}

interface CommandCells {
  duration: LatencyCells;
  byProtocol: Map<Protocol, CommandInstruments>;
}

export class CommandMeter {
  private readonly byCommand = new Map<string, CommandCells>();
  private readonly bySpelling: Record<Protocol, Map<string, CommandInstruments>> = { resp: new Map(), http: new Map() };

  constructor(registry: Registry) {
    registerScrapedMetric(registry, {
      name: "walnut_commands_total",
      help: "Commands answered, by command, outcome (ok or error) and protocol (resp or http).",
      type: "counter",
      samples: () => this.countSamples(),
      reset: () => this.reset(),
    });
    registerScrapedMetric(registry, {
      name: "walnut_command_duration_seconds",
      help: "Time from a command's arrival to its reply being ready (a write: once committed and applied).",
      type: "histogram",
      samples: () => [...this.byCommand].flatMap(([command, cells]) => cells.duration.samples("walnut_command_duration_seconds", { command })),
      reset: () => this.reset(),
    });
  }

  /** The instruments of the command `name` (any case) over `protocol`; `names` is the command table's (the same on every call). */
  instruments(protocol: Protocol, name: string, names: CommandNames): CommandInstruments {
    const spellings = this.bySpelling[protocol];
    const cached = spellings.get(name);
    if (cached !== undefined) return cached;
    const instruments = this.bind(protocol, commandLabel(name, names));
    if (spellings.size < SPELLINGS_CACHED_MAX && name.length <= COMMAND_NAME_BYTES_MAX) spellings.set(name, instruments);
    return instruments;
  }

  private bind(protocol: Protocol, command: string): CommandInstruments {
    let cells = this.byCommand.get(command);
    if (cells === undefined) {
      cells = { duration: new LatencyCells(COMMAND_DURATION_BUCKETS_SECONDS), byProtocol: new Map() };
      this.byCommand.set(command, cells);
    }
    let instruments = cells.byProtocol.get(protocol);
    if (instruments === undefined) {
      instruments = new CommandInstruments(command, protocol, cells.duration);
      cells.byProtocol.set(protocol, instruments);
    }
    return instruments;
  }

  private countSamples(): Sample[] {
    const samples: Sample[] = [];
    for (const cells of this.byCommand.values()) {
      for (const { command, protocol, ok, errors } of cells.byProtocol.values()) {
        samples.push({ labels: { command, outcome: "ok", protocol }, value: ok });
        samples.push({ labels: { command, outcome: "error", protocol }, value: errors });
      }
    }
    return samples;
  }

  private reset(): void {
    for (const cells of this.byCommand.values()) {
      cells.duration.reset();
      for (const instruments of cells.byProtocol.values()) {
        instruments.ok = 0;
        instruments.errors = 0;
      }
    }
  }
}
