import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../../engine/engine.js";
import type { Change } from "../../engine/change_history.js";
import type { Reply } from "../../engine/reply.js";
import { ClientTracking, type InvalidationReceiver } from "./client_tracking.js";

/** A RESP3 connection that keeps each frame as words: ["invalidate", "k"], null payloads as "*". */
function receiver(id: number, protocol: 2 | 3 = 3): InvalidationReceiver & { frames: string[][] } {
  const frames: string[][] = [];
  const words = (reply: Reply): string[] =>
    reply.type === "bulk" ? [reply.value] : reply.type === "array" ? reply.items.flatMap(words) : reply.type === "integer" ? [String(reply.value)] : ["*"];
  return { id, protocol, frames, subscribed: () => false, deliver: (frame) => frames.push(frame.flatMap(words)) };
}

function setUp(keysMax?: number): { engine: Engine; tracking: ClientTracking; clients: Map<number, ReturnType<typeof receiver>> } {
  const engine = new Engine();
  const clients = new Map<number, ReturnType<typeof receiver>>();
  const tracking = new ClientTracking(engine, (id) => clients.get(id), keysMax);
  return { engine, tracking, clients };
}

/** What the engine tells its listeners after applying entry `index` that put `keys` (origin: the entry's payload). */
function applied(engine: Engine, index: number, keys: string[], origin: object | null = null): void {
  const changes: Change[] = keys.map((key) => ({ index, collection: "default", type: "put", key, kind: "string", value: "v" }));
  for (const listener of engine.changeListeners) listener(changes, index, origin);
}

test("nothing listens to the engine until a client tracks, and nothing once none does", () => {
  const { engine, tracking, clients } = setUp();
  clients.set(1, receiver(1));
  assert.equal(engine.changeListeners.size, 0);
  assert.deepEqual(tracking.trackingCommand(1, ["on"]), { type: "status", text: "OK" });
  assert.equal(engine.changeListeners.size, 1);
  tracking.disable(1);
  assert.equal(engine.changeListeners.size, 0);
});

test("a key is announced once, then forgotten until read again", () => {
  const { engine, tracking, clients } = setUp();
  const client = receiver(1);
  clients.set(1, client);
  tracking.trackingCommand(1, ["on"]);
  tracking.remember(1, ["k", "other"])?.();
  assert.deepEqual(tracking.totals, { keys: 2, items: 2, prefixes: 0 });
  applied(engine, 5, ["k"]);
  applied(engine, 6, ["k"]);
  assert.deepEqual(client.frames, [["invalidate", "k"]]);
  assert.deepEqual(tracking.totals, { keys: 1, items: 1, prefixes: 0 });
});

test("a key read by a read still running stays remembered through changes until the read answers", () => {
  const { engine, tracking, clients } = setUp();
  const client = receiver(1);
  clients.set(1, client);
  tracking.trackingCommand(1, ["on"]);
  const answered = tracking.remember(1, ["k"]);
  applied(engine, 5, ["k"]); // applied after the engine was read, before the reply went out
  applied(engine, 6, ["k"]);
  assert.ok(answered !== null);
  answered();
  applied(engine, 7, ["k"]);
  applied(engine, 8, ["k"]);
  assert.deepEqual(client.frames, [["invalidate", "k"], ["invalidate", "k"], ["invalidate", "k"]]);
});

test("past keysMax the oldest remembered keys are announced and forgotten", () => {
  const { tracking, clients } = setUp(2);
  const client = receiver(1);
  clients.set(1, client);
  tracking.trackingCommand(1, ["on"]);
  tracking.remember(1, ["a"])?.();
  tracking.remember(1, ["b"])?.();
  tracking.remember(1, ["c"])?.();
  assert.deepEqual(client.frames, [["invalidate", "a"]]);
  assert.equal(tracking.totals.keys, 2);
});

test("BCAST sends the keys of entries applied together in one message per prefix, sorted, without a NOLOOP client's own", async () => {
  const { engine, tracking, clients } = setUp();
  const watcher = receiver(1);
  const writer = receiver(2);
  clients.set(1, watcher).set(2, writer);
  tracking.trackingCommand(1, ["on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:"]);
  tracking.trackingCommand(2, ["on", "BCAST", "NOLOOP"]);
  const ownCall = { collection: "default", argv: ["SET", "user:1", "x"] };
  tracking.noteOwnCall(ownCall, 2);
  applied(engine, 5, ["user:2", "other"]);
  applied(engine, 6, ["user:1", "obj:9"], { type: "command", call: ownCall });
  await Promise.resolve();
  assert.deepEqual(watcher.frames, [["invalidate", "obj:9"], ["invalidate", "user:1", "user:2"]]);
  assert.deepEqual(writer.frames, [["invalidate", "other", "user:2"]]); // user:1 and obj:9 are its own
});

test("a redirect whose connection is gone is flagged, and a RESP3 client is told", () => {
  const { engine, tracking, clients } = setUp();
  const client = receiver(1);
  clients.set(1, client).set(2, receiver(2));
  tracking.trackingCommand(1, ["on", "REDIRECT", "2"]);
  tracking.remember(1, ["k"])?.();
  clients.delete(2);
  applied(engine, 5, ["k"]);
  assert.deepEqual(client.frames, [["tracking-redir-broken", "2"]]);
  assert.deepEqual(tracking.describe(1), { flags: "tR", redirect: 2 });
});

test("lowering the limit (CONFIG SET tracking-table-max-keys) announces the oldest keys at once; 0 means no limit", () => {
  const { tracking, clients } = setUp();
  const client = receiver(1);
  clients.set(1, client);
  tracking.trackingCommand(1, ["on"]);
  tracking.maxKeys = 0;
  tracking.remember(1, ["a", "b", "c", "d"])?.();
  assert.deepEqual(tracking.totals, { keys: 4, items: 4, prefixes: 0 });
  tracking.maxKeys = 2;
  assert.deepEqual(client.frames, [["invalidate", "a"], ["invalidate", "b"]]);
  assert.deepEqual(tracking.totals, { keys: 2, items: 2, prefixes: 0 });
});
