/**
 * No write is answered an error because a leader change left its outcome unknown
 * (server/resp/write_session.ts): three `walnut serve` processes, ioredis clients on the
 * followers pipelining INCR and RPUSH without pause, while the leader is killed with -9
 * (then restarted on its data) and, later, while leadership is handed over with RAFT
 * TRANSFER. Afterwards, for every client: no command got an error, its INCRs answered
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
const CLIENTS_PER_FOLLOWER = 2;
/** Acknowledged pipelines each client must see between two faults. */
const PIPELINES_BETWEEN_FAULTS = 20;
/** How long the load may take to stop once asked: a pipeline never answered is a hang to report. */
const STOP_GUARD_MS = 60_000;
const TEST_TIMEOUT_MS = 300_000;

/** One client pipelining INCR n:<name> and RPUSH l:<name> <seq> until stopped. */
class PipelinedWriter {
  incrsAcknowledged = 0;
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
  ) {
    this.running = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const pipeline = this.client.pipeline();
      const elements: string[] = [];
      for (let i = 0; i < PIPELINE_PAIRS; i++) {
        const element = `${this.name}:${this.nextElement++}`;
        elements.push(element);
        pipeline.incr(`n:${this.name}`);
        pipeline.rpush(`l:${this.name}`, element);
      }
      let results: Array<[Error | null, unknown]> | null;
      try {
        results = await pipeline.exec();
      } catch (error) {
        this.errors.push(`pipeline failed: ${String(error)}`);
        return;
      }
      for (let i = 0; i < (results?.length ?? 0); i++) {
        const [error, value] = results![i]!;
        if (error !== null) {
          this.errors.push(`${i % 2 === 0 ? "INCR" : "RPUSH"}: ${error.message}`);
          continue;
        }
        if (i % 2 === 0) this.incrReplies.push(Number(value));
        else this.pushed.push(elements[(i - 1) / 2]!);
      }
      this.pipelines += 1;
    }
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

test("pipelined writes on followers through a kill -9 of the leader and a leadership transfer: none errs, each applied once, in order", { timeout: TEST_TIMEOUT_MS }, async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients: Redis[] = [];
  const writers: PipelinedWriter[] = [];
  try {
    const firstLeader = await cluster.waitForLeader();
    const followers = cluster.ids.filter((id) => id !== firstLeader);
    for (const id of followers) {
      for (let i = 0; i < CLIENTS_PER_FOLLOWER; i++) {
        const client = new Redis({ host: "127.0.0.1", port: cluster.respPort(id), maxRetriesPerRequest: 0 });
        clients.push(client);
        await client.ping();
        writers.push(new PipelinedWriter(`node${id}-${i}`, client));
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
