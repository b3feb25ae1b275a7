/**
 * The watch through faults, on the shipped program: three `walnut serve` processes, a
 * writer putting each of many keys once through whichever member is up, and a RESP
 * watcher (WALNUT.WATCH PREFIX w:) that starts on a follower. The leader is killed with
 * -9 (the watcher's follower goes on serving it), then the member the watcher is
 * connected to is killed with -9: the watcher reconnects to another member with
 * FROM (last index seen + 1). At the end the watcher must have seen every change the
 * cluster committed (the keys in every member's state) exactly once, in strictly
 * increasing index order, and so every write the writer had acknowledged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { ReplyParser } from "../resp/reply_parser.js";
import { encodeCommand } from "../resp/writer.js";
import type { Reply } from "../engine/reply.js";
import { waitUntil } from "./server_fixtures.js";

const TEST_TIMEOUT_MS = 600_000;
const LOG_TAIL_CHARS = 4_000;

interface Seen {
  index: number;
  key: string;
  value: string;
}

/** A RESP2 watcher that follows `w:` and, when its connection drops, resumes on another member. */
class Watcher {
  readonly seen: Seen[] = [];
  /** Every index through this one has been delivered (changes or progress). */
  through = 0;
  node = 0;
  reconnects = 0;
  private socket: Socket | null = null;
  private stopped = false;

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly from: number,
  ) {}

  start(node: number): void {
    this.node = node;
    const parser = new ReplyParser();
    const socket = connect({ host: "127.0.0.1", port: this.cluster.respPort(node) });
    this.socket = socket;
    socket.on("connect", () => socket.write(encodeCommand(["WALNUT.WATCH", "PREFIX", "w:", "FROM", String(Math.max(this.from, this.through + 1)), "PROGRESS", "100"])));
    socket.on("data", (chunk: Buffer) => {
      parser.feed(chunk);
      for (let reply = parser.next(); reply !== null; reply = parser.next()) this.receive(reply);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      // Resume on the next member that is up, from just after what was delivered.
      void waitUntil("a member to watch on", () => this.cluster.ids.some((id) => id !== node && this.cluster.isRunning(id))).then(() => {
        if (this.stopped) return;
        const next = this.cluster.ids.find((id) => id !== node && this.cluster.isRunning(id)) as number;
        this.reconnects += 1;
        this.start(next);
      });
    });
  }

  private receive(reply: Reply): void {
    assert.equal(reply.type, "array", `a watch frame: ${JSON.stringify(reply)}`);
    if (reply.type !== "array") return;
    const text = (item: Reply | undefined): string => (item?.type === "bulk" ? item.value : "");
    const number = (item: Reply | undefined): number => (item?.type === "integer" ? Number(item.value) : Number.NaN);
    const kind = text(reply.items[1]);
    if (kind === "put") {
      const index = number(reply.items[2]);
      this.seen.push({ index, key: text(reply.items[4]), value: text(reply.items[5]) });
      this.through = Math.max(this.through, index);
    } else if (kind === "progress") {
      this.through = Math.max(this.through, number(reply.items[2]));
    } else if (kind === "compacted") {
      throw new Error(`the watch was compacted: ${JSON.stringify(reply)}`);
    }
  }

  /** Resolves when every index through `index` has been delivered here. */
  async caughtUp(index: number): Promise<void> {
    await waitUntil(`the watcher delivered through ${index} (at ${this.through}, on node ${this.node})`, () => this.through >= index);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
  }
}

/** Writes w:0, w:1, ... once each through whichever member is up; remembers the acknowledged. */
class Writer {
  readonly acknowledged = new Set<string>();
  private next = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly cluster: ProcessCluster) {
    this.done = this.loop();
  }

  get attempted(): number {
    return this.next;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const up = this.cluster.ids.filter((id) => this.cluster.isRunning(id));
      const id = up[this.next % up.length] as number;
      const key = `w:${this.next}`;
      this.next += 1;
      try {
        const reply = await this.cluster.command(id, ["SET", key, String(this.next - 1)]);
        if (reply.type === "status" && reply.text === "OK") this.acknowledged.add(key);
      } catch {
        // unknown outcome: the key may or may not be committed; it is never written again
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  async waitAcks(count: number): Promise<void> {
    await waitUntil(`${count} writes acknowledged`, () => this.acknowledged.size >= count);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

test("a watcher on a follower sees every committed change exactly once, in order, through kill -9 of the leader and of its own member", { timeout: TEST_TIMEOUT_MS }, async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  let watcher: Watcher | null = null;
  let writer: Writer | null = null;
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as number;
    watcher = new Watcher(cluster, 1);
    watcher.start(follower);
    writer = new Writer(cluster);
    await writer.waitAcks(100);

    // 1. The leader dies; the watcher's follower stays up and keeps delivering.
    assert.equal(await cluster.stop(leader, "SIGKILL"), "SIGKILL");
    await cluster.waitForLeader(cluster.ids.filter((id) => id !== leader));
    await writer.waitAcks(writer.acknowledged.size + 100);
    await cluster.restart(leader);

    // 2. The member the watcher is on dies: it resumes elsewhere from the last index seen + 1.
    const watched = watcher.node;
    const reconnectsBefore = watcher.reconnects;
    assert.equal(await cluster.stop(watched, "SIGKILL"), "SIGKILL");
    await cluster.waitForLeader(cluster.ids.filter((id) => id !== watched));
    await writer.waitAcks(writer.acknowledged.size + 100);
    await waitUntil("the watcher reconnected", () => watcher !== null && watcher.reconnects > reconnectsBefore);
    await cluster.restart(watched);
    await writer.waitAcks(writer.acknowledged.size + 50);

    await writer.stop();
    const index = await cluster.waitConverged();
    await watcher.caughtUp(index);

    const committed = await cluster.ownState(cluster.ids[0] as number);
    const committedKeys = [...committed.keys()].filter((key) => key.startsWith("w:")).sort();
    const seenKeys = watcher.seen.map((seen) => seen.key);
    // Exactly once: no key twice (each is written once), no index twice, indices increasing.
    assert.equal(new Set(seenKeys).size, seenKeys.length, "a change was delivered twice");
    for (let i = 1; i < watcher.seen.length; i++) {
      assert.ok((watcher.seen[i] as Seen).index > (watcher.seen[i - 1] as Seen).index, `indices in order at ${i}`);
    }
    assert.deepEqual([...seenKeys].sort(), committedKeys, "the watcher saw exactly the committed changes");
    for (const seen of watcher.seen) assert.equal(committed.get(seen.key), seen.value);
    const missing = [...writer.acknowledged].filter((key) => !seenKeys.includes(key));
    assert.deepEqual(missing, [], "every acknowledged write was seen");
    assert.ok(watcher.reconnects >= 1);
    assert.ok(writer.acknowledged.size >= 350, `${writer.acknowledged.size} acknowledged of ${writer.attempted}`);
  } catch (error) {
    const logs = cluster.ids.map((id) => `--- node ${id} (tail) ---\n${cluster.stderr(id).slice(-LOG_TAIL_CHARS)}`).join("\n");
    throw new Error(`${String(error)}\n${logs}`, { cause: error });
  } finally {
    watcher?.stop();
    await writer?.stop();
    await cluster.close();
  }
});
