import { test } from "node:test";
import assert from "node:assert/strict";
import { Item } from "../engine/values.js";
import { RedisHll } from "../engine/hll_format.js";
import { itemValue } from "./user_values.js";

test("a string reads as text when its bytes are UTF-8, as a Buffer when not (an HLL, a bitmap)", () => {
  const text = new Item({ kind: "string", value: Buffer.from("héllo", "utf8").toString("latin1") }, 1, 0);
  assert.equal(itemValue(text), "héllo");
  const hllBytes = RedisHll.empty().toBytes();
  const hll = new Item({ kind: "string", value: hllBytes }, 1, 0);
  assert.deepEqual(itemValue(hll), Buffer.from(hllBytes, "latin1"));
  const bitmap = new Item({ kind: "string", value: "\x80" }, 1, 0);
  assert.deepEqual(itemValue(bitmap), Buffer.from([0x80]));
});
