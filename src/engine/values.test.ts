import { test } from "node:test";
import assert from "node:assert/strict";
import { ACCESS_CLOCK_MAX } from "./access_clock.js";
import { Item, NO_EXPIRY, NOT_ACCESSED, valueKinds, type StoredValue } from "./values.js";
import { ListDeque } from "./list_deque.js";

test("an Item keeps its kind, encoding flag and access clock apart in its packed state", () => {
  const values: StoredValue[] = [
    { kind: "string", value: "s" },
    { kind: "blob", value: "b" },
    { kind: "integer", value: 5n },
    { kind: "float", value: 1.5 },
    { kind: "boolean", value: true },
    { kind: "list", value: ListDeque.from(["a"]) },
  ];
  for (const value of values) {
    const item = new Item(value, 7, NO_EXPIRY);
    assert.equal(item.kind, value.kind);
    assert.equal(item.accessClock, NOT_ACCESSED, "not accessed since loaded");
    assert.equal(item.largeEncoding, false);
    item.accessClock = ACCESS_CLOCK_MAX;
    item.largeEncoding = true;
    assert.deepEqual([item.kind, item.accessClock, item.largeEncoding], [value.kind, ACCESS_CLOCK_MAX, true]);
    item.accessClock = 0;
    assert.deepEqual([item.kind, item.accessClock, item.largeEncoding], [value.kind, 0, true]);
    item.largeEncoding = false;
    assert.deepEqual([item.kind, item.accessClock, item.largeEncoding], [value.kind, 0, false]);
    const copy = item.clone();
    assert.deepEqual([copy.kind, copy.accessClock, copy.largeEncoding, copy.version], [value.kind, 0, false, 7]);
  }
  assert.equal(valueKinds.length <= 16, true, "every kind's index fits the state's four kind bits");
});

test("an Item's expiry reads NO_EXPIRY when it has none, and can be set and removed", () => {
  const item = new Item({ kind: "string", value: "v" }, 1, NO_EXPIRY);
  assert.equal(item.expiresAtMs, NO_EXPIRY);
  assert.equal(item.isExpiredAt(Number.MAX_SAFE_INTEGER), false);
  item.expiresAtMs = 1_765_000_000_123;
  assert.equal(item.expiresAtMs, 1_765_000_000_123);
  assert.equal(item.isExpiredAt(1_765_000_000_122), false);
  assert.equal(item.isExpiredAt(1_765_000_000_123), true);
  assert.equal(item.clone().expiresAtMs, 1_765_000_000_123);
  item.expiresAtMs = NO_EXPIRY;
  assert.equal(item.isExpiredAt(Number.MAX_SAFE_INTEGER), false);
  assert.equal(new Item({ kind: "string", value: "v" }, 1, 42).expiresAtMs, 42);
});
