import { test } from "node:test";
import assert from "node:assert/strict";
import { formatKeyspaceEvents, KEYSPACE_EVENT, notifies, parseKeyspaceEvents } from "./keyspace_events.js";
import { PublishedMessages } from "./published.js";

test("notify-keyspace-events letters print back as Redis 7.0's CONFIG GET shows them", () => {
  const printed = (text: string): string | null => {
    const flags = parseKeyspaceEvents(text);
    return flags === null ? null : formatKeyspaceEvents(flags);
  };
  assert.equal(printed("KEA"), "AKE");
  assert.equal(printed("g$lshzxetdKEmn"), "AKEm", "A absorbs the classes, and hides n as Redis 7.0 does");
  assert.equal(printed("lK"), "lK");
  assert.equal(printed("Kn"), "nK");
  assert.equal(printed("Ad"), "A");
  assert.equal(printed("Ex$"), "$xE");
  assert.equal(printed(""), "");
  assert.equal(printed("Kq"), null, "an unknown letter refuses the whole value");
});

test("an event is published only with its class and K or E enabled", () => {
  const flags = parseKeyspaceEvents("Kh") as number;
  assert.equal(notifies(flags, "hash"), true);
  assert.equal(notifies(flags, "list"), false);
  assert.equal(notifies(parseKeyspaceEvents("h") as number, "hash"), false, "no K nor E: nothing is sent");
  assert.equal((parseKeyspaceEvents("A") as number) & KEYSPACE_EVENT.newKey, 0, "A does not include n");
});

test("keyspace and keyevent channels name the database, the key and the event", () => {
  const published = new PublishedMessages();
  const seen: string[] = [];
  published.listen((message) => {
    seen.push(`${message.channel} ${message.message}`);
    return 1;
  });
  published.keyspaceEventFlags = parseKeyspaceEvents("KEl") as number;
  published.notifyKeyspaceEvent("list", "lpush", { database: "3", index: 9 }, "queue");
  published.notifyKeyspaceEvent("hash", "hset", { database: "3", index: 9 }, "ignored");
  assert.deepEqual(seen, ["__keyspace@3__:queue lpush", "__keyevent@3__:lpush queue"]);
});
