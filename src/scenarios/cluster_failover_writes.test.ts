/**
 * No write is answered an error because a leader change left its outcome unknown
 * (server/resp/write_session.ts): three `walnut serve` processes, ioredis clients on the
 * followers pipelining INCR and RPUSH without pause, while the leader is killed with -9
 * (then restarted on its data) and, later, while leadership is handed over with RAFT
 * TRANSFER. The pairs go as plain commands, as MULTI/EXEC transactions and as EVAL scripts. Afterwards, for every client: no command got an error, its INCRs answered
 * 1, 2, 3, ... in order (each applied once, none lost, none twice), and its list holds
 * exactly the elements it pushed, each once, in the order it sent them. No wait is a fixed
 * sleep; each has a guard, and everything is closed in `finally`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { waitUntil } from "./server_fixtures.js";

/** Commands per pipeline: half INCR, half RPUSH. */
const PIPELINE_PAIRS = 16;
/** On each follower, one client per form. */
const FORMS: WriteForm[] = ["plain", "plain", "transaction", "script"];
/** Acknowledged pipelines each client must see between two faults. */
const PIPELINES_BETWEEN_FAULTS = 20;
/** How long the load may take to stop once asked: a pipeline never answered is a hang to report. */
const STOP_GUARD_MS = 60_000;
const TEST_TIMEOUT_MS = 300_000;

/**
 * How a writer sends its INCR and RPUSH pairs: as plain commands, each pair as one
 * MULTI/EXEC, or each command as an EVAL script. All pipelined.
 */
type WriteForm = "plain" | "transaction" | "script";

const INCR_SCRIPT = "return redis.call('INCR', KEYS[1])";
const RPUSH_SCRIPT = "return redis.call('RPUSH', KEYS[1], ARGV[1])";

/** One client pipelining INCR n:<name> and RPUSH l:<name> <seq> until stopped. */
class PipelinedWriter {
  /** The INCR replies in the order received. */
  readonly incrReplies: number[] = [];
  /** Elements whose RPUSH was acknowledged, in send order. */
  readonly pushed: string[] = [];
  readonly errors: string[] = [];
  pipelines = 0;
  private nextElement = 0;
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(
    readonly name: string,
    private readonly client: Redis,
    private readonly form: WriteForm,
  ) {
    this.running = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const elements = Array.from({ length: PIPELINE_PAIRS }, () => `${this.name}:${this.nextElement++}`);
      let pairs: Array<[[Error | null, unknown], [Error | null, unknown]]>;
      try {
        pairs = await this.sendPairs(elements);
      } catch (error) {
        this.errors.push(`pipeline failed: ${String(error)}`);
        return;
      }
      pairs.forEach(([[incrError, count], [pushError]], i) => {
        if (incrError !== null) this.errors.push(`INCR: ${incrError.message}`);
        else this.incrReplies.push(Number(count));
        if (pushError !== null) this.errors.push(`RPUSH: ${pushError.message}`);
        else this.pushed.push(elements[i]!);
      });
      this.pipelines += 1;
    }
  }

  /** Sends one INCR and one RPUSH per element, pipelined; the results of each pair. */
  private async sendPairs(elements: string[]): Promise<Array<[[Error | null, unknown], [Error | null, unknown]]>> {
    const counter = `n:${this.name}`;
    const list = `l:${this.name}`;
    if (this.form === "transaction") {
      // Each pair as MULTI INCR RPUSH EXEC; ioredis writes them back to back on the one connection.
      const results = await Promise.all(elements.map((element) => this.client.multi().incr(counter).rpush(list, element).exec()));
      return results.map((result) => {
        if (result === null) throw new Error("EXEC answered nil: nothing was watched");
        return [result[0] as [Error | null, unknown], result[1] as [Error | null, unknown]];
      });
    }
    const pipeline = this.client.pipeline();
    for (const element of elements) {
      if (this.form === "script") pipeline.eval(INCR_SCRIPT, 1, counter).eval(RPUSH_SCRIPT, 1, list, element);
      else pipeline.incr(counter).rpush(list, element);
    }
    const results = (await pipeline.exec()) ?? [];
    return elements.map((_, i) => [results[2 * i] as [Error | null, unknown], results[2 * i + 1] as [Error | null, unknown]]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await waitFor(this.running, STOP_GUARD_MS, `client ${this.name}'s last pipeline to answer`);
  }
}

async function waitFor<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Gave up waiting (${ms} ms) for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until every writer has had `count` more pipelines answered. */
async function progress(writers: PipelinedWriter[], count: number, what: string): Promise<void> {
  const start = writers.map((writer) => writer.pipelines);
  await waitUntil(`${count} more pipelines per client ${what}`, () => writers.every((writer, i) => writer.pipelines >= start[i]! + count || writer.errors.length > 0));
}

/** Hands leadership from the current leader to `target`, asking again until it leads. */
async function transferLeadership(cluster: ProcessCluster, target: number): Promise<void> {
  await waitUntil(`node ${target} leads after RAFT TRANSFER`, async () => {
    const leader = await cluster.waitForLeader();
    if (leader === target) return true;
    await cluster.command(leader, ["RAFT", "TRANSFER", String(target)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return (await cluster.waitForLeader()) === target;
  });
}

test("pipelined writes, transactions and scripts on followers through a kill -9 of the leader and a leadership transfer: none errs, each applied once, in order", { timeout: TEST_TIMEOUT_MS }, async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients: Redis[] = [];
  const writers: PipelinedWriter[] = [];
  try {
    const firstLeader = await cluster.waitForLeader();
    const followers = cluster.ids.filter((id) => id !== firstLeader);
    for (const id of followers) {
      for (const [i, form] of FORMS.entries()) {
        const client = new Redis({ host: "127.0.0.1", port: cluster.respPort(id), maxRetriesPerRequest: 0 });
        clients.push(client);
        await client.ping();
        writers.push(new PipelinedWriter(`node${id}-${i}-${form}`, client, form));
      }
    }
    await progress(writers, PIPELINES_BETWEEN_FAULTS, "before the kill");

    await cluster.stop(firstLeader, "SIGKILL");
    const secondLeader = await cluster.waitForLeader(followers);
    await progress(writers, PIPELINES_BETWEEN_FAULTS, `after the kill, under leader ${secondLeader}`);
    await cluster.restart(firstLeader);
    await progress(writers, PIPELINES_BETWEEN_FAULTS, "after the killed node came back");

    await transferLeadership(cluster, firstLeader);
    await progress(writers, PIPELINES_BETWEEN_FAULTS, "after the leadership transfer");

    for (const writer of writers) await writer.stop();
    for (const writer of writers) {
      assert.deepEqual(writer.errors, [], `client ${writer.name} got no error`);
      const expected = Array.from({ length: writer.incrReplies.length }, (_, i) => i + 1);
      assert.deepEqual(writer.incrReplies, expected, `client ${writer.name}'s INCRs answered 1, 2, 3, ... in order`);
    }
    const reader = clients[0]!;
    for (const writer of writers) {
      assert.equal(Number(await reader.get(`n:${writer.name}`)), writer.incrReplies.length, `n:${writer.name} counts each INCR once`);
      assert.deepEqual(await reader.lrange(`l:${writer.name}`, 0, -1), writer.pushed, `l:${writer.name} holds each element once, in send order`);
    }
  } finally {
    await Promise.allSettled(writers.map((writer) => writer.stop()));
    for (const client of clients) client.disconnect();
    await cluster.close();
  }
});
