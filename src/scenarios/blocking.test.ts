/**
 * Blocking list commands as clients meet them, over real connections to a walnut server
 * (ioredis): BLPOP woken by another client's push, timeouts answering a null array,
 * several waiters served first come first served, BLMOVE and BRPOPLPUSH, BLMPOP with a
 * count, blocked clients freed by CLIENT KILL and by disconnecting, a blocked connection
 * running nothing else until it is served, and the blocking forms inside MULTI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTestNode, type TestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";

function client(node: TestNode): Redis {
  return new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
}

async function withNode(run: (node: TestNode, clients: () => Redis) => Promise<void>): Promise<void> {
  const node = await startTestNode();
  const opened: Redis[] = [];
  try {
    await run(node, () => {
      const made = client(node);
      opened.push(made);
      return made;
    });
  } finally {
    for (const each of opened) each.disconnect();
    await node.stop();
  }
}

/** What INFO reports as blocked_clients, as a user would read it. */
async function blockedClients(observer: Redis): Promise<number> {
  const info = await observer.info("clients");
  const match = /blocked_clients:(\d+)/.exec(info);
  assert.ok(match, "INFO clients reports blocked_clients");
  return Number(match[1]);
}

async function untilBlocked(observer: Redis, count: number): Promise<void> {
  await waitUntil(`${count} clients blocked`, async () => (await blockedClients(observer)) === count);
}

test("BLPOP waits for another client's push and answers [key, element]", () =>
  withNode(async (_node, clients) => {
    const waiting = clients();
    const pusher = clients();
    const popped = waiting.blpop("queue", "other", 0);
    await untilBlocked(pusher, 1);
    assert.equal(await pusher.rpush("other", "hello"), 1);
    assert.deepEqual(await popped, ["other", "hello"]);
    assert.equal(await pusher.exists("other"), 0, "the popped list is gone");
    assert.equal(await blockedClients(pusher), 0);
  }));

test("BLPOP and BLMOVE answer a null array when their timeout passes with nothing to pop", () =>
  withNode(async (_node, clients) => {
    const waiting = clients();
    assert.equal(await waiting.blpop("nothing", 0.05), null);
    assert.equal(await waiting.blmove("nothing", "dst", "LEFT", "RIGHT", 0.05), null);
    assert.equal(await waiting.call("BLMPOP", "0.05", "1", "nothing", "LEFT"), null);
    const raw = new RawClient((waiting.options.port as number));
    await raw.connected;
    await raw.write(encodeCommand(["BRPOP", "nothing", "0.01"]));
    await raw.receivedAtLeast(5);
    assert.equal(raw.text(), "*-1\r\n");
    raw.destroy();
  }));

test("several waiters on one key are served first come first served, one element each", () =>
  withNode(async (_node, clients) => {
    const pusher = clients();
    const waiters = [clients(), clients(), clients()];
    const popped: Array<Promise<[string, string] | null>> = [];
    for (const [at, waiter] of waiters.entries()) {
      popped.push(waiter.blpop("jobs", 0));
      await untilBlocked(pusher, at + 1); // arrival order is the order they blocked in
    }
    await pusher.rpush("jobs", "first");
    assert.deepEqual(await popped[0], ["jobs", "first"]);
    await pusher.rpush("jobs", "second", "third");
    assert.deepEqual(await Promise.all(popped.slice(1)), [["jobs", "second"], ["jobs", "third"]]);
    assert.equal(await pusher.llen("jobs"), 0);
  }));

test("BLMOVE and BRPOPLPUSH move the element that arrives into the destination", () =>
  withNode(async (_node, clients) => {
    const pusher = clients();
    const mover = clients();
    const moved = mover.blmove("inbox", "processing", "LEFT", "RIGHT", 0);
    await untilBlocked(pusher, 1);
    await pusher.lpush("inbox", "task-1");
    assert.equal(await moved, "task-1");
    assert.deepEqual(await pusher.lrange("processing", 0, -1), ["task-1"]);
    const rotated = mover.brpoplpush("inbox", "processing", 0);
    await untilBlocked(pusher, 1);
    await pusher.rpush("inbox", "task-2");
    assert.equal(await rotated, "task-2");
    assert.deepEqual(await pusher.lrange("processing", 0, -1), ["task-2", "task-1"]);
  }));

test("BLMPOP takes up to COUNT elements of the list that gets them", () =>
  withNode(async (_node, clients) => {
    const pusher = clients();
    const waiting = clients();
    const popped = waiting.call("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2");
    await untilBlocked(pusher, 1);
    await pusher.rpush("b", "1", "2", "3");
    assert.deepEqual(await popped, ["b", ["3", "2"]]);
    assert.deepEqual(await pusher.lrange("b", 0, -1), ["1"]);
  }));

test("a blocked client killed with CLIENT KILL or gone waits no more, and pops nothing", () =>
  withNode(async (_node, clients) => {
    const observer = clients();
    const victim = clients();
    const id = await victim.client("ID");
    victim.blpop("kept", 0).catch(() => undefined);
    await untilBlocked(observer, 1);
    assert.equal(await observer.client("KILL", "ID", String(id)), 1);
    await untilBlocked(observer, 0);
    const leaving = new RawClient(observer.options.port as number);
    await leaving.connected;
    await leaving.write(encodeCommand(["BLPOP", "kept", "0"]));
    await untilBlocked(observer, 1);
    leaving.destroy();
    await untilBlocked(observer, 0);
    await observer.rpush("kept", "still-here");
    assert.deepEqual(await observer.lrange("kept", 0, -1), ["still-here"]);
  }));

test("a blocked connection runs the commands it pipelined after BLPOP only once served", () =>
  withNode(async (node, clients) => {
    const observer = clients();
    const raw = new RawClient(node.respPort);
    await raw.connected;
    await raw.write(Buffer.concat([encodeCommand(["BLPOP", "gate", "0"]), encodeCommand(["RPUSH", "after", "x"])]));
    await untilBlocked(observer, 1);
    assert.equal(await observer.exists("after"), 0, "the pipelined RPUSH waits behind the blocked BLPOP");
    await observer.rpush("gate", "open");
    await raw.receivedAtLeast("*2\r\n$4\r\ngate\r\n$4\r\nopen\r\n:1\r\n".length);
    assert.equal(raw.text(), "*2\r\n$4\r\ngate\r\n$4\r\nopen\r\n:1\r\n");
    raw.destroy();
  }));

test("inside MULTI the blocking commands never block: they run as their non-blocking forms", () =>
  withNode(async (_node, clients) => {
    const one = clients();
    await one.rpush("ready", "a");
    const replies = await one.multi().blpop("empty", 0).blpop("ready", 0).blmove("empty", "d", "LEFT", "LEFT", 0).exec();
    assert.deepEqual(replies, [
      [null, null],
      [null, ["ready", "a"]],
      [null, null],
    ]);
  }));

test("a waiter whose key gets another type keeps waiting, as in Redis, and is served once it is a list again", () =>
  withNode(async (_node, clients) => {
    const pusher = clients();
    const waiting = clients();
    const popped = waiting.blpop("shifty", 0);
    await untilBlocked(pusher, 1);
    await pusher.set("shifty", "a string");
    await pusher.del("shifty");
    await pusher.rpush("shifty", "element");
    assert.deepEqual(await popped, ["shifty", "element"]);
  }));

test("BZPOPMIN, BZPOPMAX and BZMPOP wait for another client's ZADD; inside MULTI they do not wait", () =>
  withNode(async (_node, clients) => {
    const waiting = clients();
    const writer = clients();
    const lowest = waiting.bzpopmin("scores", "other", 0);
    await untilBlocked(writer, 1);
    assert.equal(await writer.zadd("other", 2, "b", 1, "a"), 2);
    assert.deepEqual(await lowest, ["other", "a", "1"]);
    assert.deepEqual(await waiting.bzpopmax("other", 0), ["other", "b", "2"], "a key with members answers at once");
    assert.equal(await writer.exists("other"), 0, "the emptied sorted set is gone");

    const several = waiting.call("BZMPOP", "0", "2", "first", "second", "MAX", "COUNT", "2");
    await untilBlocked(writer, 1);
    await writer.zadd("second", 1, "x", 5, "y", 3, "z");
    assert.deepEqual(await several, ["second", [["y", "5"], ["z", "3"]]]);
    assert.equal(await waiting.bzpopmin("nothing", 0.05), null, "a timeout answers a null array");

    await writer.set("text", "v");
    await assert.rejects(waiting.bzpopmin("text", 0), /WRONGTYPE/);
    const queued = await waiting.multi().bzpopmin("empty", 0).call("BZMPOP", "0", "1", "empty", "MIN").exec();
    assert.deepEqual(queued, [[null, null], [null, null]], "inside MULTI they run once, as ZPOPMIN would, and answer nil");
    assert.equal(await blockedClients(writer), 0);
  }));
