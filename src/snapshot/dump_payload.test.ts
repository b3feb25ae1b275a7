import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { Item, type StoredValue } from "../engine/values.js";
import { HashFields } from "../engine/hash_fields.js";
import { ListDeque } from "../engine/list_deque.js";
import { decodeDumpPayload, encodeDumpPayload } from "./dump_payload.js";

const VALUES: StoredValue[] = [
  { kind: "string", value: "hi\x00\xff" },
  { kind: "blob", value: "" },
  { kind: "integer", value: -(2n ** 63n) },
  { kind: "float", value: 0.1 },
  { kind: "boolean", value: false },
  { kind: "list", value: ListDeque.from(["a", "", "c"]) },
  { kind: "hash", value: new HashFields([["f", "v"], ["g", ""]]) },
  { kind: "set", value: new Set(["x", "y"]) },
];

test("a DUMP payload decodes to the value it was made from, for every kind", () => {
  for (const value of VALUES) {
    assert.deepEqual(decodeDumpPayload(encodeDumpPayload(new Item(value, 9, 1234))), value, value.kind);
  }
});

test("a payload with a changed byte, a truncated one or another version is refused by its footer", () => {
  const payload = encodeDumpPayload(new Item({ kind: "string", value: "hello" }, 1, 0));
  for (let at = 0; at < payload.length; at++) {
    const damaged = payload.slice(0, at) + String.fromCharCode(payload.charCodeAt(at) ^ 0x01) + payload.slice(at + 1);
    assert.equal(decodeDumpPayload(damaged), "version or checksum", `byte ${at} flipped`);
  }
  assert.equal(decodeDumpPayload(payload.slice(0, -1)), "version or checksum");
  assert.equal(decodeDumpPayload(""), "version or checksum");
  assert.equal(decodeDumpPayload("garbage"), "version or checksum");
});

test("a payload whose footer checks but whose body does not read is bad data, not a bad checksum", () => {
  const withFooter = (body: Buffer): string => {
    const version = Buffer.from([1, 0]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(Buffer.concat([body, version])));
    return Buffer.concat([body, version, crc]).toString("latin1");
  };
  assert.equal(decodeDumpPayload(withFooter(Buffer.from([99]))), "bad data format", "unknown kind");
  assert.equal(decodeDumpPayload(withFooter(Buffer.from([1, 9, 0, 0, 0, 97]))), "bad data format", "a length past the end");
  assert.equal(decodeDumpPayload(withFooter(Buffer.from([5, 1, 7]))), "bad data format", "bytes left over");
  assert.deepEqual(decodeDumpPayload(withFooter(Buffer.from([5, 1]))), { kind: "boolean", value: true });
});
