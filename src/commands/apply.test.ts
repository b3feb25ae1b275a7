import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { ListDeque } from "../engine/list_deque.js";
import { SortedSet } from "../engine/sorted_set.js";
import { applyEntry } from "./apply.js";
import { array, bulk, error, integer, NIL, OK } from "../engine/reply.js";
import { applyNext, NOW_MS, read, run, runBatch } from "./testing.js";

/** A value as it is now: aggregates and registers are copied, the engine may change them in place later. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  if (value instanceof ListDeque) return value.toArray();
  if (value instanceof SortedSet) return [...value.entries()];
  if (value instanceof Map) return [...value];
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return value;
}

/** Everything apply() can change, in a comparable form. */
function contents(engine: Engine): unknown {
  return engine.listCollections().map(({ name, type }) => {
    const collection = engine.requireCollection(name);
    const items = [...collection.entries()].map(([key, item]) => [key, item.kind, copy(item.value), item.version, item.expiresAtMs]);
    items.sort((left, right) => (String(left[0]) < String(right[0]) ? -1 : 1));
    return { name, type, items, volatileKeys: [...collection.volatileKeys].sort() };
  });
}

function seeded(): Engine {
  const engine = new Engine();
  for (const line of ["SET a 1", "SET b 2 EX 100", "RPUSH list x y", "SET n 10 AS integer", "SET text abc"]) {
    run(engine, line);
  }
  return engine;
}

test("apply sets the applied index and term", () => {
  const engine = new Engine();
  applyEntry(engine, 7, 3, { type: "command", nowMs: NOW_MS, clientId: "", requestId: 0, call: { collection: "default", argv: ["SET", "k", "v"] } });
  assert.equal(engine.appliedIndex, 7);
  assert.equal(engine.appliedTerm, 3);
  assert.deepEqual(read(engine, "VERSION k"), integer(7));
});

test("a no-op changes nothing but the applied index", () => {
  const engine = seeded();
  const before = contents(engine);
  assert.deepEqual(applyNext(engine, { type: "noop", nowMs: NOW_MS, clientId: "", requestId: 0 }), OK);
  assert.equal(engine.appliedIndex, 6);
  assert.deepEqual(contents(engine), before);
});

test("a command answers unknown commands, arity errors and unknown collections with errors", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "NOSUCH a b"), error("ERR", "unknown command 'NOSUCH', with args beginning with: 'a' 'b' "));
  assert.deepEqual(run(engine, "get"), error("ERR", "wrong number of arguments for 'get' command"));
  assert.deepEqual(run(engine, "GET k", { collection: "nope" }), error("ERR", "no such collection 'nope'"));
  assert.deepEqual(run(engine, "set k v"), OK, "command names are case-insensitive");
});

test("a batch answers one reply per call", () => {
  const engine = new Engine();
  assert.deepEqual(runBatch(engine, ["SET a 1", "INCR a", "GET a"]), array([OK, integer(2), bulk("2")]));
  assert.deepEqual(read(engine, "VERSION a"), integer(engine.appliedIndex), "every write of the batch has its index");
});

test("a batch runs when every condition holds", () => {
  const engine = seeded();
  const version = engine.requireCollection("default").get("a")!.version;
  const conditions = [
    { collection: "default", key: "a", version },
    { collection: "default", key: "absent", version: 0 },
    { collection: "missing-collection", key: "k", version: 0 },
  ];
  assert.deepEqual(runBatch(engine, ["SET a 2"], { conditions }), array([OK]));
  assert.deepEqual(read(engine, "GET a"), bulk("2"));
});

test("a batch whose condition fails answers nil and changes nothing", () => {
  const engine = seeded();
  const before = contents(engine);
  const stale = [{ collection: "default", key: "a", version: 0 }];
  assert.deepEqual(runBatch(engine, ["SET a 2", "DEL b"], { conditions: stale }), NIL);
  const absent = [{ collection: "default", key: "absent", version: 3 }];
  assert.deepEqual(runBatch(engine, ["SET a 2"], { conditions: absent }), NIL);
  assert.deepEqual(contents(engine), before);
});

test("a condition treats a key expired at the entry's clock as version 0", () => {
  const engine = new Engine();
  run(engine, "SET k v PX 10");
  const conditions = [{ collection: "default", key: "k", version: 0 }];
  assert.deepEqual(runBatch(engine, ["SET k w"], { conditions, nowMs: NOW_MS + 5 }), NIL);
  assert.deepEqual(runBatch(engine, ["SET k w"], { conditions, nowMs: NOW_MS + 10 }), array([OK]));
});

test("a batch whose third command fails leaves everything as it was", () => {
  const engine = seeded();
  const before = contents(engine);
  const reply = runBatch(engine, [
    "SET a changed",
    "RPUSH list z",
    "INCR text",
    "DEL b",
  ]);
  assert.deepEqual(
    reply,
    error("EXECABORT", "Transaction discarded: command 3 (INCR) failed: ERR value is not an integer or out of range"),
  );
  assert.deepEqual(contents(engine), before);
  assert.deepEqual(read(engine, "LRANGE list 0 -1"), array([bulk("x"), bulk("y")]), "the list mutated in place is restored");
});

test("a failed batch undoes every kind of change: expiry, rename, flush, repeated touches", () => {
  const engine = seeded();
  const before = contents(engine);
  const reply = runBatch(engine, [
    "EXPIRE a 50",
    "PERSIST b",
    "RENAME list moved",
    "RPUSH moved w",
    "LPOP moved",
    "INCR n",
    "INCR n",
    "SET fresh v EX 5",
    "FLUSHDB",
    "SET a after-flush",
    "RPUSH list again",
    "LPUSH list wrong-type-next",
    "SET n x GET",
    "INCRBY a 1",
  ]);
  assert.equal(reply.type, "error");
  assert.match((reply as { text: string }).text, /^EXECABORT Transaction discarded: command 14 \(INCRBY\) failed: ERR value is not an integer/);
  assert.deepEqual(contents(engine), before);
});

test("a failed batch removes the collections it created and restores those it dropped", () => {
  const engine = seeded();
  engine.createCollection("kept", "ordered");
  run(engine, "SET k v", { collection: "kept" });
  const before = contents(engine);
  const reply = runBatch(engine, [
    "COLLECTION CREATE fresh hash",
    "COLLECTION DROP kept",
    "COLLECTION CREATE kept hash",
    "SET x 1",
    "GET x x",
  ]);
  assert.equal(reply.type, "error");
  assert.deepEqual(contents(engine), before);
  assert.equal(engine.collection("fresh"), undefined);
  assert.equal(engine.requireCollection("kept").type, "ordered");
  assert.deepEqual(read(engine, "GET k", { collection: "kept" }), bulk("v"));
});

test("calls of a batch can use a collection an earlier call created", () => {
  const engine = new Engine();
  const call = (collection: string, argv: string[]) => ({ collection, argv });
  const reply = applyNext(engine, {
    type: "batch",
    nowMs: NOW_MS,
    clientId: "",
    requestId: 0,
    conditions: [],
    calls: [call("default", ["COLLECTION", "CREATE", "fresh", "ordered"]), call("fresh", ["SET", "k", "v"]), call("fresh", ["INCR", "k"])],
  });
  assert.equal(reply.type, "error");
  assert.equal(engine.collection("fresh"), undefined, "rolled back with the batch");
  assert.deepEqual(
    applyNext(engine, {
      type: "batch",
      nowMs: NOW_MS,
      clientId: "",
      requestId: 0,
      conditions: [],
      calls: [call("default", ["COLLECTION", "CREATE", "fresh", "ordered"]), call("fresh", ["SET", "k", "v"])],
    }),
    array([OK, OK]),
  );
  assert.deepEqual(read(engine, "GET k", { collection: "fresh" }), bulk("v"));
});

test("a failed batch leaves an open checkpoint view reading the state it opened on", () => {
  const engine = seeded();
  const before = contents(engine);
  const view = engine.openView();
  assert.equal(runBatch(engine, ["RPUSH list z", "SET a 9", "FLUSHDB", "SET b x", "INCR b"]).type, "error");
  run(engine, "RPUSH list after");
  run(engine, "SET a after");
  const seen = new Map<string, unknown>();
  for (const collectionView of view.collections) {
    for (let slice = collectionView.next(2); slice.length > 0; slice = collectionView.next(2)) {
      for (const [key, item] of slice) seen.set(key, copy(item.value));
    }
  }
  view.close();
  assert.deepEqual(seen.get("list"), ["x", "y"]);
  assert.equal(seen.get("a"), "1");
  assert.notDeepEqual(contents(engine), before);
});

test("a retried request of a session is applied once and answered the same", () => {
  const engine = new Engine();
  const session = { clientId: "client-1", requestId: 1 };
  assert.deepEqual(run(engine, "INCR n", session), integer(1));
  assert.deepEqual(run(engine, "INCR n", session), integer(1));
  assert.deepEqual(read(engine, "GET n"), bulk("1"));
  assert.deepEqual(run(engine, "INCR n", { ...session, requestId: 2 }), integer(2));
  assert.deepEqual(
    run(engine, "INCR n", session),
    error("ERR", "request 1 of client 'client-1' was already applied and its reply is gone"),
  );
  assert.deepEqual(run(engine, "INCR n", { clientId: "client-2", requestId: 1 }), integer(3));
  assert.deepEqual(run(engine, "INCR n"), integer(4), "writes without a session are never deduplicated");
  assert.deepEqual(run(engine, "INCR n"), integer(5));
});

test("a retried batch of a session is applied once", () => {
  const engine = new Engine();
  const session = { clientId: "c", requestId: 9 };
  const first = runBatch(engine, ["INCR a", "INCR b"], session);
  assert.deepEqual(runBatch(engine, ["INCR a", "INCR b"], session), first);
  assert.deepEqual(read(engine, "MGET a b"), array([bulk("1"), bulk("1")]));
});

/** A small deterministic generator, so that the test itself is reproducible. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

test("applying the same entries to two engines gives identical contents and replies", () => {
  const random = lcg(42);
  const templates = [
    "SET k# v#", "INCR k#", "APPEND k# x", "EXPIRE k# 3", "PEXPIRE k# 1500", "DEL k#", "RPUSH k# a", "LPOP k#",
    "RENAME k# k#", "GETEX k# PERSIST", "SETRANGE k# 2 zz", "INCRBYFLOAT k# 0.5", "EXPIRESWEEP k# k#", "FLUSHDB",
  ];
  const lines: Array<{ line: string; nowMs: number; batch: boolean }> = [];
  for (let step = 0; step < 2000; step++) {
    const template = templates[Math.floor(random() * (step % 100 === 99 ? templates.length : templates.length - 1))];
    const line = template.replace(/#/g, () => String(Math.floor(random() * 20)));
    lines.push({ line, nowMs: NOW_MS + step * 100, batch: random() < 0.1 });
  }
  const engines = [new Engine(), new Engine()];
  const replies = engines.map((engine) =>
    lines.map(({ line, nowMs, batch }) => (batch ? runBatch(engine, [line, "INCR counter"], { nowMs }) : run(engine, line, { nowMs }))),
  );
  assert.deepEqual(replies[0], replies[1]);
  assert.deepEqual(contents(engines[0]), contents(engines[1]));
  const succeeded = replies[0].filter((reply) => reply.type !== "error").length;
  assert.ok(succeeded > lines.length / 2, `most entries did something (${succeeded} of ${lines.length})`);
});
