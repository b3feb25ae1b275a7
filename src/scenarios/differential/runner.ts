/**
 * The differential runner: sends the same seeded command sequences to a real redis-server
 * 7.0 and to `walnut serve` (child processes on loopback ports, started by the caller)
 * over raw RESP, in RESP2 and, on another connection, after HELLO 3; compares every reply
 * (compare.ts), lets through only the deliberate differences (deliberate.ts), and for any
 * other difference gives the shortest sequence that still shows it (minimize).
 *
 * Commands go in lockstep (each to both servers, then both replies) so that a deliberate
 * difference can be followed by a resync before the next command. Both servers are flushed
 * (FLUSHALL, on a side connection) before every sequence. Nothing here depends on timing
 * beyond the TTL tolerance in compare.ts: same seed, same commands, same result.
 */
import type { Reply } from "../../engine/reply.js";
import { RespConnection, type Answer } from "./connection.js";
import { canonical, sameReply } from "./compare.js";
import { deliberateDifference, type Deliberate, type Observed, type Resync } from "./deliberate.js";
import { generateSequence, sequenceSeed, type Coverage } from "./generator.js";
import { ALL_KEYS } from "./values.js";

export type Protocol = 2 | 3;

/** The two servers compared: redis-server 7.0 and walnut (started by the caller, see differential.test.ts). */
export interface Targets {
  redisPort: number;
  walnutPort: number;
  stop(): Promise<void>;
}

/** The commands a server has, upper case, from its COMMAND LIST. */
export async function commandsOf(port: number): Promise<Set<string>> {
  const connection = await RespConnection.open(port);
  try {
    const { reply } = await connection.send(["COMMAND", "LIST"]);
    if (reply.type !== "array") throw new Error(`Cannot list commands: COMMAND LIST answered ${canonical(reply)}`);
    return new Set(reply.items.map((item) => (item.type === "bulk" ? item.value.toUpperCase() : "")));
  } finally {
    connection.close();
  }
}

/** A reply that differs, with what led to it. */
export interface Difference {
  protocol: Protocol;
  /** The commands sent, up to and including the one whose replies differ. */
  commands: string[][];
  redis: Answer;
  walnut: Answer;
}

export interface SequenceResult {
  difference: Difference | null;
  /** Commands sent to each server. */
  sent: number;
  /** Deliberate differences met, by id. */
  deliberate: string[];
}

interface Pair {
  redis: RespConnection;
  walnut: RespConnection;
}

export class DifferentialRunner {
  private constructor(
    private readonly targets: Targets,
    private readonly probes: Pair,
  ) {}

  /**
   * Opens the side connections (RESP2) used to flush, to resync inside MULTI and to ask
   * about a key. They stay on database 0: a DBSIZE or key probe after SELECT elsewhere acts
   * on database 0 (a limit of the harness, not of the servers).
   */
  static async open(targets: Targets): Promise<DifferentialRunner> {
    const probes = await openPair(targets);
    return new DifferentialRunner(targets, probes);
  }

  close(): void {
    this.probes.redis.close();
    this.probes.walnut.close();
  }

  /** Flushes both servers, then sends `commands` to both on fresh connections speaking `protocol`. */
  async run(commands: readonly string[][], protocol: Protocol): Promise<SequenceResult> {
    await this.both(this.probes, ["FLUSHALL"]);
    const main = await openPair(this.targets);
    const deliberate: string[] = [];
    let sent = 0;
    try {
      if (protocol === 3) await this.hello3(main);
      let queued: string[][] | null = null;
      for (let index = 0; index < commands.length; index++) {
        const argv = commands[index]!;
        if (countsKeys(argv, queued)) await this.expireLazily();
        const [redis, walnut] = await this.both(main, argv);
        sent++;
        const name = (argv[0] ?? "").toUpperCase();
        const ranQueued: string[][] = name === "EXEC" && queued !== null ? queued : [];
        if (queued !== null && (name === "EXEC" || name === "DISCARD")) queued = null;
        else if (queued !== null && redis.reply.type === "status" && redis.reply.text === "QUEUED") queued.push(argv);
        else if (queued === null && name === "MULTI" && redis.reply.type === "status") queued = [];
        if (redis.raw === walnut.raw || sameReply(argv, redis.reply, walnut.reply, ranQueued)) continue;
        const explained = await this.explain(argv, redis.reply, walnut.reply, ranQueued);
        if (explained === null) return { difference: { protocol, commands: commands.slice(0, index + 1), redis, walnut }, sent, deliberate };
        for (const { entry, resync } of explained) {
          deliberate.push(entry.id);
          // On the sequence's own connections when they can take a command now, so that a
          // DEL reaches the database a SELECT moved them to.
          await this.resync(resync, queued === null ? main : this.probes);
        }
      }
      return { difference: null, sent, deliberate };
    } finally {
      main.redis.close();
      main.walnut.close();
    }
  }

  /**
   * The shortest sequence found that still ends in the same difference: drops chunks of
   * commands, halving the chunk size down to one, as long as the last command's replies
   * still differ the same way; at most `trialsMax` runs. Returns `difference` when no
   * shorter sequence reproduces it twice.
   */
  async minimize(difference: Difference, trialsMax = 400): Promise<Difference> {
    let best = difference;
    let trials = 0;
    const reproduces = async (candidate: string[][]): Promise<Difference | null> => {
      trials++;
      const { difference: found } = await this.run(candidate, difference.protocol);
      if (found === null || found.commands.length !== candidate.length) return null;
      const sameKind = canonical(found.redis.reply) === canonical(difference.redis.reply) && canonical(found.walnut.reply) === canonical(difference.walnut.reply);
      return sameKind ? found : null;
    };
    for (let chunk = Math.max(1, Math.floor(best.commands.length / 2)); chunk >= 1 && trials < trialsMax; chunk = Math.floor(chunk / 2)) {
      // The differing command is last and stays; earlier ones are dropped from the end backwards.
      for (let start = best.commands.length - 1 - chunk; start >= 0 && trials < trialsMax; start -= chunk) {
        const candidate = [...best.commands.slice(0, start), ...best.commands.slice(start + chunk)];
        const found = await reproduces(candidate);
        if (found !== null) best = found;
      }
      if (chunk === 1) break;
    }
    if (best === difference) return difference;
    // A random pick (SPOP, say) could make a shorter sequence differ by chance: it must do so twice more.
    for (let again = 0; again < 2; again++) {
      if ((await reproduces(best.commands)) === null) return difference;
    }
    return best;
  }

  /**
   * Redis removes an expired key when it is next touched or when its expire cycle samples
   * it, and DBSIZE counts it until then: a timing walnut need not copy. Touching every key
   * of the key space first (EXISTS deletes expired keys) makes Redis' count exact.
   */
  private async expireLazily(): Promise<void> {
    await this.probes.redis.send(["EXISTS", ...ALL_KEYS]);
  }

  private async hello3(pair: Pair): Promise<void> {
    const [redis, walnut] = await this.both(pair, ["HELLO", "3"]);
    for (const [who, answer] of [["redis-server", redis], ["walnut", walnut]] as const) {
      if (answer.reply.type !== "map") throw new Error(`Cannot switch to RESP3: ${who} answered HELLO 3 with ${JSON.stringify(answer.raw)}`);
    }
  }

  private async both(pair: Pair, argv: readonly string[]): Promise<[Answer, Answer]> {
    return Promise.all([pair.redis.send(argv), pair.walnut.send(argv)]);
  }

  /** The deliberate differences behind a differing reply (one per differing EXEC item), or null. */
  private async explain(argv: readonly string[], redis: Reply, walnut: Reply, queued: readonly string[][]): Promise<Array<{ entry: Deliberate; resync: Resync }> | null> {
    const whole = await this.explainOne(argv, redis, walnut, queued);
    if (whole !== null) return [whole];
    if ((argv[0] ?? "").toUpperCase() !== "EXEC" || redis.type !== "array" || walnut.type !== "array") return null;
    if (redis.items.length !== walnut.items.length || queued.length !== redis.items.length) return null;
    const explained: Array<{ entry: Deliberate; resync: Resync }> = [];
    for (let index = 0; index < queued.length; index++) {
      const [theirs, ours] = [redis.items[index]!, walnut.items[index]!];
      if (sameReply(queued[index]!, theirs, ours)) continue;
      const one = await this.explainOne(queued[index]!, theirs, ours);
      if (one === null) return null;
      explained.push(one);
    }
    return explained;
  }

  private async explainOne(argv: readonly string[], redis: Reply, walnut: Reply, queued: readonly string[][] = []): Promise<{ entry: Deliberate; resync: Resync } | null> {
    const observed: Observed = {
      argv,
      redis,
      walnut,
      queued,
      isHyperLogLog: async (key) => (await isHyperLogLog(this.probes.walnut, key)) || (await isHyperLogLog(this.probes.redis, key)),
      isDeliberate: async (command, theirs, ours) => (await this.explainOne(command, theirs, ours)) !== null,
    };
    const entry = await deliberateDifference(observed);
    return entry === null ? null : { entry, resync: await entry.resync(observed) };
  }

  private async resync(resync: Resync, pair: Pair): Promise<void> {
    if (resync.kind === "flushall") await this.both(pair, ["FLUSHALL"]);
    else if (resync.keys.length > 0) await this.both(pair, ["DEL", ...resync.keys]);
  }
}

/** Whether `argv` (or, for EXEC, a queued command) answers how many keys there are. */
function countsKeys(argv: readonly string[], queued: readonly string[][] | null): boolean {
  const name = (argv[0] ?? "").toUpperCase();
  if (name === "DBSIZE") return true;
  return name === "EXEC" && queued !== null && queued.some((command) => (command[0] ?? "").toUpperCase() === "DBSIZE");
}

/** Whether the server behind `connection` holds `key` as a HyperLogLog: it exists and PFCOUNT counts it. */
async function isHyperLogLog(connection: RespConnection, key: string): Promise<boolean> {
  const exists = await connection.send(["EXISTS", key]);
  if (exists.reply.type !== "integer" || Number(exists.reply.value) !== 1) return false;
  const counted = await connection.send(["PFCOUNT", key]);
  return counted.reply.type === "integer";
}

async function openPair(targets: Targets): Promise<Pair> {
  const [redis, walnut] = await Promise.all([RespConnection.open(targets.redisPort), RespConnection.open(targets.walnutPort)]);
  return { redis, walnut };
}

/** One failing sequence, minimized, with the seed that replays it. */
export interface Failure {
  seed: number;
  length: number;
  difference: Difference;
  /** The difference before minimizing: what the sequence did at full length. */
  original: Difference;
}

export interface CampaignOptions {
  runner: DifferentialRunner;
  coverage: Coverage;
  /** The run's seed: sequence i uses sequenceSeed(seed, i). */
  seed: number;
  /** Commands per sequence. */
  length: number;
  /** Stop after this many sequences, or this many commands sent, whichever comes first. */
  sequencesMax: number;
  commandsMax: number;
  /** Distinct failures (by command and replies) after which the campaign stops. */
  failuresMax: number;
  /** Seeds to run instead of derived ones (a replay). */
  seeds?: readonly number[];
  onProgress?(progress: CampaignResult): void;
}

export interface CampaignResult {
  sequences: number;
  commands: number;
  failures: Failure[];
  /** Deliberate differences met, by id, with how often. */
  deliberate: Map<string, number>;
}

/** Runs sequences in both protocols until the budget is spent or `failuresMax` distinct failures are found. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const result: CampaignResult = { sequences: 0, commands: 0, failures: [], deliberate: new Map() };
  const signatures = new Set<string>();
  const total = options.seeds?.length ?? options.sequencesMax;
  for (let index = 0; index < total && result.commands < options.commandsMax; index++) {
    const seed = options.seeds?.[index] ?? sequenceSeed(options.seed, index);
    const commands = generateSequence(seed, options.coverage, options.length);
    result.sequences++;
    for (const protocol of [2, 3] as const) {
      const run = await options.runner.run(commands, protocol);
      result.commands += run.sent;
      for (const id of run.deliberate) result.deliberate.set(id, (result.deliberate.get(id) ?? 0) + 1);
      if (run.difference === null) continue;
      const signature = signatureOf(run.difference);
      if (!signatures.has(signature)) {
        signatures.add(signature);
        const difference = await options.runner.minimize(run.difference);
        result.failures.push({ seed, length: options.length, difference, original: run.difference });
      }
    }
    options.onProgress?.(result);
    if (result.failures.length >= options.failuresMax) break;
  }
  return result;
}

/** Failures with the same command and the same shape of replies are one bug, reported once (whatever the protocol). */
function signatureOf(difference: Difference): string {
  const last = difference.commands[difference.commands.length - 1]!;
  const words = (reply: Reply): string => canonical(reply).replace(/[0-9]+/g, "#").slice(0, 60);
  return `${(last[0] ?? "").toUpperCase()} ${words(difference.redis.reply)} | ${words(difference.walnut.reply)}`;
}

/** The failure message: seed, replay command, the commands up to the differing one, both replies. */
export function describeFailure(failure: Failure): string {
  const { difference, original } = failure;
  const show = (argv: readonly string[]): string => argv.map((argument) => JSON.stringify(argument)).join(" ");
  const lines = [
    `walnut and redis-server 7.0 answer differently (RESP${difference.protocol}), sequence seed ${failure.seed}`,
    `replay: WALNUT_DIFF_SEED=${failure.seed} WALNUT_DIFF_LENGTH=${failure.length} node --test dist/scenarios/differential.test.js`,
    `commands (minimized from ${original.commands.length} to ${difference.commands.length}; FLUSHALL first${difference.protocol === 3 ? ", HELLO 3" : ""}):`,
    ...difference.commands.map((argv, index) => `  ${String(index + 1).padStart(3)}. ${show(argv)}`),
    `redis-server: ${JSON.stringify(difference.redis.raw)}`,
    `walnut:       ${JSON.stringify(difference.walnut.raw)}`,
  ];
  return lines.join("\n");
}
