/**
 * The apply rules of ordered at-most-once sessions (engine/session_table.ts), through the
 * whole write path (entry encoded, decoded, applied): duplicates answer their remembered
 * reply, a request after a gap is not applied, acknowledged replies are dropped, the
 * table forgets the least recently used session beyond its bound.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, SessionTable } from "../engine/engine.js";
import { SESSION_REPLIES_MAX, SESSION_REPLY_BYTES_MAX } from "../engine/session_table.js";
import { DEFAULT_COLLECTION } from "../engine/engine.js";
import { SESSION_OUT_OF_ORDER } from "./apply.js";
import { bulk, error, integer, OK, type Reply } from "../engine/reply.js";
import { applyNext, NOW_MS, read, words } from "./testing.js";

/** Applies `line` as request `requestId` of ordered session `clientId`, acknowledging below `ackBelow`. */
function request(engine: Engine, line: string, session: { clientId: string; requestId: number; ackBelow: number }): Reply {
  return applyNext(engine, { type: "command", nowMs: NOW_MS, ...session, call: { collection: DEFAULT_COLLECTION, argv: words(line) } });
}

test("an ordered session applies each request once: a duplicate answers its remembered reply", () => {
  const engine = new Engine();
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 1, ackBelow: 1 }), integer(1));
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 2, ackBelow: 1 }), integer(2));
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 1, ackBelow: 1 }), integer(1), "a retry of request 1");
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 2, ackBelow: 1 }), integer(2), "a retry of request 2");
  assert.deepEqual(read(engine, "GET n"), bulk("2"));
  assert.deepEqual(engine.sessions.get("c"), { next: 3, firstKept: 1, replies: [integer(1), integer(2)] });
});

test("a request after a gap is not applied and answers out of order; the lost one and then it apply in order", () => {
  const engine = new Engine();
  assert.deepEqual(request(engine, "RPUSH l a", { clientId: "c", requestId: 1, ackBelow: 1 }), integer(1));
  // Request 2 was lost on its way to the leader: 3 arrives first.
  assert.equal(request(engine, "RPUSH l c", { clientId: "c", requestId: 3, ackBelow: 2 }), SESSION_OUT_OF_ORDER);
  assert.deepEqual(read(engine, "LRANGE l 0 -1"), { type: "array", items: [bulk("a")] }, "request 3 changed nothing");
  assert.equal(engine.sessions.get("c")?.next, 2);
  assert.deepEqual(request(engine, "RPUSH l b", { clientId: "c", requestId: 2, ackBelow: 2 }), integer(2));
  assert.deepEqual(request(engine, "RPUSH l c", { clientId: "c", requestId: 3, ackBelow: 2 }), integer(3));
  assert.deepEqual(read(engine, "LRANGE l 0 -1"), { type: "array", items: [bulk("a"), bulk("b"), bulk("c")] });
});

test("an unknown session starts at its acknowledgement: an earlier request still awaited makes a gap", () => {
  const engine = new Engine();
  // The connection still waits for request 1 (ackBelow 1) when its request 2 arrives: 2 must wait.
  assert.equal(request(engine, "SET k 2", { clientId: "fresh", requestId: 2, ackBelow: 1 }), SESSION_OUT_OF_ORDER);
  assert.equal(engine.sessions.get("fresh"), undefined, "an out-of-order request leaves no session behind");
  assert.deepEqual(request(engine, "SET k 1", { clientId: "fresh", requestId: 1, ackBelow: 1 }), OK);
  assert.deepEqual(request(engine, "SET k 2", { clientId: "fresh", requestId: 2, ackBelow: 1 }), OK);
  assert.deepEqual(read(engine, "GET k"), bulk("2"));
  // A session first seen at request 40 with nothing older awaited starts there.
  assert.deepEqual(request(engine, "INCR m", { clientId: "late", requestId: 40, ackBelow: 40 }), integer(1));
  assert.equal(engine.sessions.get("late")?.next, 41);
});

test("acknowledged replies are dropped: their retry answers an error and applies nothing", () => {
  const engine = new Engine();
  for (let requestId = 1; requestId <= 5; requestId++) request(engine, "INCR n", { clientId: "c", requestId, ackBelow: 1 });
  assert.equal(engine.sessions.get("c")?.replies.length, 5);
  request(engine, "INCR n", { clientId: "c", requestId: 6, ackBelow: 4 });
  assert.deepEqual(engine.sessions.get("c"), { next: 7, firstKept: 4, replies: [integer(4), integer(5), integer(6)] });
  assert.deepEqual(
    request(engine, "INCR n", { clientId: "c", requestId: 3, ackBelow: 3 }),
    error("ERR", "request 3 of client 'c' was already applied and its reply is gone"),
  );
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 5, ackBelow: 4 }), integer(5));
  assert.deepEqual(read(engine, "GET n"), bulk("6"));
});

test("a session keeps at most SESSION_REPLIES_MAX replies, the oldest dropped first", () => {
  const engine = new Engine();
  const total = SESSION_REPLIES_MAX + 10;
  for (let requestId = 1; requestId <= total; requestId++) request(engine, "INCR n", { clientId: "c", requestId, ackBelow: 1 });
  const record = engine.sessions.get("c");
  assert.equal(record?.replies.length, SESSION_REPLIES_MAX);
  assert.equal(record?.firstKept, 11);
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 11, ackBelow: 1 }), integer(11));
});

test("a reply too large to keep is not kept: its duplicate answers an error, smaller ones their reply", () => {
  const engine = new Engine();
  const large = "x".repeat(SESSION_REPLY_BYTES_MAX);
  request(engine, `SET big ${large}`, { clientId: "c", requestId: 1, ackBelow: 1 });
  assert.deepEqual(request(engine, "GETDEL big", { clientId: "c", requestId: 2, ackBelow: 2 }), bulk(large));
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 3, ackBelow: 2 }), integer(1));
  assert.deepEqual(
    request(engine, "GETDEL big", { clientId: "c", requestId: 2, ackBelow: 2 }),
    error("ERR", "request 2 of client 'c' was already applied; its reply was too large to keep"),
  );
  assert.deepEqual(request(engine, "INCR n", { clientId: "c", requestId: 3, ackBelow: 2 }), integer(1));
  assert.deepEqual(read(engine, "EXISTS big"), integer(0), "the duplicate deleted nothing more");
});

test("a batch is a request of its session like a command", () => {
  const engine = new Engine();
  const batch = (requestId: number): Reply =>
    applyNext(engine, {
      type: "batch",
      nowMs: NOW_MS,
      clientId: "c",
      requestId,
      ackBelow: 1,
      conditions: [],
      calls: [{ collection: DEFAULT_COLLECTION, argv: ["INCR", "a"] }],
    });
  assert.equal(batch(2), SESSION_OUT_OF_ORDER);
  assert.deepEqual(batch(1), { type: "array", items: [integer(1)] });
  assert.deepEqual(batch(2), { type: "array", items: [integer(2)] });
  assert.deepEqual(batch(1), { type: "array", items: [integer(1)] });
  assert.deepEqual(read(engine, "GET a"), bulk("2"));
});

test("single requests (no acknowledgement: HTTP, blocked clients, old logs) may skip ids and keep only the last reply", () => {
  const engine = new Engine();
  const single = (line: string, requestId: number): Reply => request(engine, line, { clientId: "h", requestId, ackBelow: 0 });
  assert.deepEqual(single("INCR n", 5), integer(1));
  assert.deepEqual(single("INCR n", 9), integer(2), "a jump in ids is no gap for a single-request session");
  assert.deepEqual(single("INCR n", 9), integer(2));
  assert.deepEqual(single("INCR n", 5), error("ERR", "request 5 of client 'h' was already applied and its reply is gone"));
  assert.deepEqual(engine.sessions.get("h"), { next: 10, firstKept: 9, replies: [integer(2)] });
});

test("the session table forgets the least recently applied client beyond its bound", () => {
  const table = new SessionTable(2);
  table.applied("a", 1, 1, OK);
  table.applied("b", 1, 1, OK);
  table.applied("a", 2, 1, OK);
  table.applied("c", 1, 1, OK);
  assert.deepEqual(table.snapshot().map(([clientId]) => clientId), ["a", "c"]);
  assert.equal(table.get("a")?.next, 3);
  assert.equal(table.get("b"), undefined);
});

test("a snapshot is a copy: requests applied after it do not change it", () => {
  const table = new SessionTable();
  table.applied("a", 1, 1, integer(1));
  const snapshot = table.snapshot();
  table.applied("a", 2, 2, integer(2));
  assert.deepEqual(snapshot, [["a", { next: 2, firstKept: 1, replies: [integer(1)] }]]);
  assert.deepEqual(table.get("a"), { next: 3, firstKept: 2, replies: [integer(2)] });
});

test("two engines applying the same session requests, gaps and duplicates included, agree", () => {
  const engines = [new Engine(), new Engine()];
  const script: Array<[string, number, number]> = [
    ["RPUSH l a", 1, 1], ["RPUSH l c", 3, 1], ["RPUSH l b", 2, 1], ["RPUSH l b", 2, 1], ["RPUSH l c", 3, 2], ["RPUSH l d", 4, 4],
  ];
  const replies = engines.map((engine) => script.map(([line, requestId, ackBelow]) => request(engine, line, { clientId: "c", requestId, ackBelow })));
  assert.deepEqual(replies[0], replies[1]);
  assert.deepEqual(engines[0]!.sessions.snapshot(), engines[1]!.sessions.snapshot());
  assert.deepEqual(read(engines[0]!, "LRANGE l 0 -1"), { type: "array", items: ["a", "b", "c", "d"].map((v) => bulk(v)) });
});
