import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../lib/seeded_random.js";
import { ListDeque, PACKED_BYTES_MAX } from "./list_deque.js";
import { frame, pack, packedSize, spanAt, spanBefore } from "./list_packed.js";

function assertSame(list: ListDeque, model: string[], context: string): void {
  assert.equal(list.length, model.length, `${context}: length`);
  assert.deepEqual(list.toArray(), model, `${context}: contents`);
  assert.deepEqual([...list], model, `${context}: iteration`);
  for (let i = -1; i <= model.length; i++) assert.equal(list.at(i), model[i], `${context}: at(${i})`);
}

test("a packed element is framed by its length on both sides, one byte under 128 and two from 128", () => {
  assert.equal(pack(["ab", ""]), "\x02ab\x02\x00\x00");
  const long = "x".repeat(300); // 300 = 0x012c
  assert.equal(frame(long), "\x81\x2c" + long + "\x2c\x81");
  assert.equal(packedSize(long), 304);
  assert.equal(packedSize("x".repeat(127)), 129);
  assert.equal(packedSize("x".repeat(128)), 132);
  const packed = pack(["a", long, "b"]);
  const middle = spanAt(packed, 3);
  assert.equal(packed.slice(middle.start, middle.end), long);
  assert.deepEqual(spanBefore(packed, middle.frameEnd), middle);
});

test("a list stays compact up to PACKED_BYTES_MAX bytes and turns large past them, by push at either end", () => {
  for (const end of ["head", "tail"] as const) {
    const list = new ListDeque();
    const model: string[] = [];
    // 100-byte elements take 102 bytes packed: fill to exactly the limit with a last, shorter one.
    while (list.packedBytes + 102 <= PACKED_BYTES_MAX) {
      const element = `${end}${model.length}`.padEnd(100, ".");
      list.push(end, [element]);
      if (end === "head") model.unshift(element);
      else model.push(element);
    }
    const filler = "f".repeat(PACKED_BYTES_MAX - list.packedBytes - 2);
    list.push(end, [filler]);
    if (end === "head") model.unshift(filler);
    else model.push(filler);
    assert.equal(list.packedBytes, PACKED_BYTES_MAX);
    assert.equal(list.isCompact, true, `${end}: exactly at the limit is compact`);
    assertSame(list, model, `${end} at the limit`);
    list.push(end, [""]);
    if (end === "head") model.unshift("");
    else model.push("");
    assert.equal(list.isCompact, false, `${end}: one more byte is large`);
    assertSame(list, model, `${end} past the limit`);
    // Never back by itself: popping down to one element keeps the ring.
    while (list.length > 1) assert.equal(list.popHead(), model.shift());
    assert.equal(list.isCompact, false);
    assertSame(list, model, `${end} shrunk`);
  }
});

test("a set that makes a compact list outgrow the limit turns it large, and a multi-element push turns it large at once", () => {
  const list = ListDeque.from(["a", "b", "c"]);
  assert.equal(list.isCompact, true);
  list.set(1, "B".repeat(PACKED_BYTES_MAX));
  assert.equal(list.isCompact, false);
  assert.deepEqual(list.toArray(), ["a", "B".repeat(PACKED_BYTES_MAX), "c"]);

  const pushed = new ListDeque();
  const many = Array.from({ length: 1000 }, (_, at) => `element-${at}`);
  pushed.push("head", many);
  assert.equal(pushed.isCompact, false);
  assert.deepEqual(pushed.toArray(), [...many].reverse(), "LPUSH order: each argument becomes the head");
});

test("ListDeque.from builds the compact form exactly when the elements fit, whatever their number", () => {
  const fits = Array.from({ length: PACKED_BYTES_MAX / 2 }, () => ""); // 4096 empty elements, 2 bytes each
  assert.equal(ListDeque.from(fits).isCompact, true);
  assert.equal(ListDeque.from([...fits, ""]).isCompact, false);
  assert.deepEqual(ListDeque.from([...fits, ""]).toArray(), [...fits, ""]);
});

test("a compact list's clone shares its string but not its changes; a large list's clone copies its ring", () => {
  for (const elements of [["a", "b", "c"], Array.from({ length: 2000 }, (_, at) => `e${at}`)]) {
    const list = ListDeque.from(elements);
    const copy = list.clone();
    assert.equal(copy.isCompact, list.isCompact);
    copy.pushHead("z");
    copy.set(1, "A");
    copy.popTail();
    assert.deepEqual(list.toArray(), elements, "the original is untouched");
    assert.deepEqual(copy.toArray(), ["z", "A", ...elements.slice(1, -1)]);
  }
});

test("ListDeque matches a plain array under random pushes, pops and sets of short and long elements across both forms", () => {
  const seed = Math.floor(Math.random() * 2 ** 32) >>> 0;
  const random = new Random(seed);
  let list = new ListDeque();
  const model: string[] = [];
  let conversions = 0;
  for (let step = 0; step < 8_000; step++) {
    const context = `seed ${seed} step ${step}`;
    const wasCompact = list.isCompact;
    const length = [0, 5, 12, 13, 127, 128, 300, 9000, 40_000][random.below(random.below(20) === 0 ? 9 : 7)]!;
    const element = String.fromCharCode(random.below(256)).repeat(length);
    const operation = random.below(100);
    if (operation < 25) {
      list.pushHead(element);
      model.unshift(element);
    } else if (operation < 50) {
      const count = 1 + random.below(4);
      list.push("tail", Array.from({ length: count }, () => element));
      for (let at = 0; at < count; at++) model.push(element);
    } else if (operation < 65) {
      assert.equal(list.popHead(), model.shift(), `${context}: popHead`);
    } else if (operation < 80) {
      assert.equal(list.popTail(), model.pop(), `${context}: popTail`);
    } else if (operation < 90 && model.length > 0) {
      const at = random.below(model.length);
      list.set(at, element);
      model[at] = element;
    } else {
      const first = random.below(model.length + 2) - 1;
      const end = random.below(model.length + 2);
      assert.deepEqual(list.slice(first, end), model.slice(Math.max(0, first), Math.max(0, end)), `${context}: slice`);
    }
    if (wasCompact && !list.isCompact) conversions += 1;
    // Start over now and then so that the run crosses the limit many times.
    if (!list.isCompact && random.below(200) === 0) {
      assertSame(list, model, context);
      model.length = 0;
      list = new ListDeque();
    }
    if (step % 53 === 0) assertSame(list, model, context);
  }
  assertSame(list, model, `seed ${seed} end`);
  assert.ok(conversions > 0, `seed ${seed}: the run crossed the limit`);
});
