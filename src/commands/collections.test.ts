import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { Item, NO_EXPIRY, type StoredValue } from "../engine/values.js";
import { limits } from "../lib/limits.js";
import { encodeCollectionImage } from "../snapshot/collection_image.js";
import { collectionCommands, isReadOnlyCall, RANGE_PAIRS_MAX } from "./collections.js";
import { OK, type Reply } from "../engine/reply.js";
import { ListDeque } from "../engine/list_deque.js";

const NOW_MS = 1_700_000_000_000;

/** An engine and a `run` that applies commands in a collection as the log would. */
function harness() {
  const engine = new Engine();
  const run = (collectionName: string, name: string, ...args: string[]): Reply => {
    const spec = collectionCommands.find((candidate) => candidate.name === name);
    assert.ok(spec, `no spec for ${name}`);
    const write = spec.flags.includes("write") && !isReadOnlyCall([name, ...args]);
    const index = write ? engine.appliedIndex + 1 : engine.appliedIndex;
    const collection = engine.requireCollection(collectionName);
    const reply = spec.run({ engine, collection, nowMs: NOW_MS, index }, args);
    if (write) engine.appliedIndex = index;
    return reply;
  };
  const admin = (...args: string[]): Reply => run("default", "COLLECTION", ...args);
  return { engine, run, admin };
}

const err = (text: string): Reply => ({ type: "error", text });
const bulks = (...values: string[]): Reply => ({ type: "array", items: values.map((value) => ({ type: "bulk", value })) });
const row = (name: string, type: string, size: number): Reply => ({
  type: "array",
  items: [
    { type: "bulk", value: name },
    { type: "bulk", value: type },
    { type: "integer", value: size },
  ],
});

function put(engine: Engine, collection: string, key: string, value: StoredValue, expiresAtMs = NO_EXPIRY): void {
  engine.requireCollection(collection).put(key, new Item(value, 1, expiresAtMs));
}

test("COLLECTION CREATE makes hash and ordered collections that LIST reports by name", () => {
  const { admin, engine } = harness();
  assert.deepEqual(admin("CREATE", "users", "hash"), OK);
  assert.deepEqual(admin("CREATE", "events", "ORDERED"), OK);
  put(engine, "users", "u1", { kind: "string", value: "ann" });
  assert.deepEqual(admin("LIST"), {
    type: "array",
    items: [row("default", "hash", 0), row("events", "ordered", 0), row("users", "hash", 1)],
  });
  assert.equal(engine.requireCollection("events").type, "ordered");
});

test("COLLECTION CREATE refuses an existing name, a bad type and bad names", () => {
  const { admin } = harness();
  admin("CREATE", "users", "hash");
  const badName = err("ERR collection name must be 1 to 256 visible ASCII characters");
  assert.deepEqual(admin("CREATE", "users", "ordered"), err("ERR collection 'users' already exists"));
  assert.deepEqual(admin("CREATE", "default", "hash"), err("ERR collection 'default' already exists"));
  assert.deepEqual(admin("CREATE", "other", "btree"), err("ERR collection type must be hash or ordered"));
  assert.deepEqual(admin("CREATE", "", "hash"), badName);
  assert.deepEqual(admin("CREATE", "x".repeat(257), "hash"), badName);
  assert.deepEqual(admin("CREATE", "two words", "hash"), badName);
  assert.deepEqual(admin("CREATE", "tab\there", "hash"), badName);
  assert.deepEqual(admin("CREATE", "caf\xc3\xa9", "hash"), badName);
  assert.deepEqual(admin("CREATE", "x".repeat(256), "hash"), OK);
});

test("COLLECTION CREATE answers an error once the collection limit is reached", () => {
  const { admin, engine } = harness();
  for (let i = engine.collectionNames().length; i < limits.collectionsMax; i++) engine.createCollection(`c${i}`, "hash");
  assert.deepEqual(admin("CREATE", "one-more", "hash"), err(`ERR collection limit of ${limits.collectionsMax} reached`));
});

test("COLLECTION DROP removes a collection and empties the default one", () => {
  const { admin, engine } = harness();
  admin("CREATE", "users", "hash");
  put(engine, "default", "k", { kind: "string", value: "v" });
  assert.deepEqual(admin("DROP", "users"), OK);
  assert.equal(engine.collection("users"), undefined);
  assert.deepEqual(admin("DROP", "default"), OK);
  assert.equal(engine.requireCollection("default").size, 0);
  assert.deepEqual(admin("LIST"), { type: "array", items: [row("default", "hash", 0)] });
  assert.deepEqual(admin("DROP", "users"), err("ERR collection 'users' does not exist"));
});

test("COLLECTION answers unknown subcommands and wrong argument counts as Redis does", () => {
  const { admin } = harness();
  assert.deepEqual(admin("RENAME", "a", "b"), err("ERR unknown subcommand 'RENAME'. Try COLLECTION HELP."));
  assert.deepEqual(admin("CREATE", "a"), err("ERR wrong number of arguments for 'collection|create' command"));
  assert.deepEqual(admin("drop"), err("ERR wrong number of arguments for 'collection|drop' command"));
  assert.deepEqual(admin("LIST", "extra"), err("ERR wrong number of arguments for 'collection|list' command"));
  assert.deepEqual(admin("__proto__"), err("ERR unknown subcommand '__proto__'. Try COLLECTION HELP."));
  const help = admin("HELP") as { type: "array"; items: Reply[] };
  assert.equal(help.type, "array");
  assert.ok(help.items.length > 5);
});

test("isReadOnlyCall routes COLLECTION LIST and HELP as reads and the rest as writes", () => {
  assert.equal(isReadOnlyCall(["COLLECTION", "LIST"]), true);
  assert.equal(isReadOnlyCall(["collection", "list"]), true);
  assert.equal(isReadOnlyCall(["COLLECTION", "help"]), true);
  assert.equal(isReadOnlyCall(["COLLECTION", "CREATE", "x", "hash"]), false);
  assert.equal(isReadOnlyCall(["COLLECTION", "DROP", "x"]), false);
  assert.equal(isReadOnlyCall(["COLLECTION", "LOAD", "x", "hash", "image"]), false);
  assert.equal(isReadOnlyCall(["COLLECTION"]), false);
});

test("COLLECTION LOAD installs an exported image under a new name and type, stamped with the entry's index", () => {
  const { admin, engine, run } = harness();
  admin("CREATE", "source", "hash");
  put(engine, "source", "b", { kind: "string", value: "2" });
  put(engine, "source", "a", { kind: "integer", value: 1n });
  put(engine, "source", "c", { kind: "list", value: ListDeque.from(["x", "y"]) });
  const image = encodeCollectionImage(engine.requireCollection("source")).toString("latin1");
  assert.deepEqual(admin("LOAD", "copy", "ordered", image), OK);
  const copy = engine.requireCollection("copy");
  assert.equal(copy.type, "ordered");
  assert.deepEqual([...copy.entries()].map(([key]) => key), ["a", "b", "c"]);
  assert.deepEqual((copy.get("c")!.value as ListDeque).toArray(), ["x", "y"]);
  for (const [, item] of copy.entries()) assert.equal(item.version, engine.appliedIndex);
  assert.deepEqual(run("copy", "RANGE", "a", "z"), bulks("a", "1", "b", "2"));
  assert.deepEqual(admin("LOAD", "source", "hash", image), OK);
  assert.equal(engine.requireCollection("source").size, 3);
});

test("COLLECTION LOAD refuses a damaged image, a bad type and a bad name without changing anything", () => {
  const { admin, engine } = harness();
  put(engine, "default", "k", { kind: "string", value: "v" });
  const image = encodeCollectionImage(engine.requireCollection("default"));
  image[image.length - 1] ^= 0xff;
  const reply = admin("LOAD", "copy", "hash", image.toString("latin1"));
  assert.equal(reply.type, "error");
  assert.match((reply as { text: string }).text, /^ERR Cannot import collection: bad checksum/);
  const garbage = admin("LOAD", "copy", "hash", "not an image") as { type: string; text: string };
  assert.equal(garbage.type, "error");
  assert.match(garbage.text, /^ERR Cannot import collection: /);
  assert.deepEqual(admin("LOAD", "copy", "sorted", ""), err("ERR collection type must be hash or ordered"));
  assert.deepEqual(admin("LOAD", "", "hash", ""), err("ERR collection name must be 1 to 256 visible ASCII characters"));
  assert.equal(engine.collection("copy"), undefined);
});

test("RANGE answers keys and values of an ordered collection in key order", () => {
  const { admin, engine, run } = harness();
  admin("CREATE", "events", "ordered");
  put(engine, "events", "b", { kind: "string", value: "B" });
  put(engine, "events", "a", { kind: "string", value: "A" });
  put(engine, "events", "d", { kind: "integer", value: -42n });
  put(engine, "events", "c", { kind: "float", value: 1.5 });
  put(engine, "events", "e", { kind: "boolean", value: true });
  put(engine, "events", "f", { kind: "blob", value: "\x00\xff" });
  assert.deepEqual(run("events", "RANGE", "a", "z"), bulks("a", "A", "b", "B", "c", "1.5", "d", "-42", "e", "true", "f", "\x00\xff"));
  assert.deepEqual(run("events", "RANGE", "b", "c"), bulks("b", "B", "c", "1.5"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "LIMIT", "2"), bulks("a", "A", "b", "B"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "limit", "0"), bulks());
  assert.deepEqual(run("events", "RANGE", "z", "a"), bulks());
});

test("RANGE skips expired keys, lists and sets and still fills its LIMIT", () => {
  const { admin, engine, run } = harness();
  admin("CREATE", "events", "ordered");
  put(engine, "events", "a", { kind: "string", value: "1" });
  put(engine, "events", "b", { kind: "string", value: "gone" }, NOW_MS);
  put(engine, "events", "c", { kind: "list", value: ListDeque.from(["x"]) });
  put(engine, "events", "d", { kind: "set", value: new Set(["x"]) });
  put(engine, "events", "e", { kind: "string", value: "later" }, NOW_MS + 1);
  put(engine, "events", "f", { kind: "string", value: "6" });
  assert.deepEqual(run("events", "RANGE", "a", "z", "LIMIT", "2"), bulks("a", "1", "e", "later"));
  assert.deepEqual(run("events", "RANGE", "b", "z", "LIMIT", "2"), bulks("e", "later", "f", "6"));
  assert.deepEqual(run("events", "RANGE", "a", "z"), bulks("a", "1", "e", "later", "f", "6"));
});

test("RANGE refuses hash collections and bad LIMIT clauses", () => {
  const { admin, run } = harness();
  admin("CREATE", "events", "ordered");
  assert.deepEqual(run("default", "RANGE", "a", "z"), err("ERR RANGE needs an ordered collection"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "LIMIT"), err("ERR syntax error"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "COUNT", "2"), err("ERR syntax error"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "LIMIT", "1", "2"), err("ERR syntax error"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "LIMIT", "x"), err("ERR value is not an integer or out of range"));
  assert.deepEqual(run("events", "RANGE", "a", "z", "LIMIT", "-1"), err("ERR LIMIT can't be negative"));
  assert.deepEqual(
    run("events", "RANGE", "a", "z", "LIMIT", String(RANGE_PAIRS_MAX + 1)),
    err(`ERR LIMIT must be at most ${RANGE_PAIRS_MAX}`),
  );
});

test("COLLECTION is a write with arity -2 and RANGE a read with arity -3", () => {
  const byName = new Map(collectionCommands.map((spec) => [spec.name, spec]));
  assert.equal(byName.get("COLLECTION")!.arity, -2);
  assert.ok(byName.get("COLLECTION")!.flags.includes("write"));
  assert.equal(byName.get("RANGE")!.arity, -3);
  assert.ok(byName.get("RANGE")!.flags.includes("readonly"));
});
