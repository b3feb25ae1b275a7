import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { Engine } from "../engine/engine.js";
import { Item } from "../engine/values.js";
import { frameCrc } from "./format.js";
import { temporaryDirectory } from "./test_fixtures.js";
import { writeCheckpoint } from "./writer.js";

const hex = (text: string): string => text.replace(/\s/g, "");

test("the worked example in format.ts is what the writer produces", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = new Engine();
  engine.appliedIndex = 7;
  engine.appliedTerm = 2;
  engine.collection("default")!.put("k", new Item({ kind: "string", value: "v" }, 7, 0));
  const info = await writeCheckpoint(engine.openView(), { dir });
  const file = await readFile(info.path);
  const expectedStart = hex(`
    57414c4e55544350 01000000
    17000000 3b811bf5 01 07000000 00000000 02000000 00000000 01 02000000 7b7d`);
  assert.equal(file.subarray(0, expectedStart.length / 2).toString("hex"), expectedStart);

  const blockAt = expectedStart.length / 2;
  const blockLength = file.readUInt32LE(blockAt);
  const block = file.subarray(blockAt + 9, blockAt + 9 + blockLength);
  assert.equal(file[blockAt + 8], 2);
  assert.equal(file.readUInt32LE(blockAt + 4), frameCrc(2, block));
  assert.equal(block.subarray(0, 8).toString("hex"), hex("00000000 27000000"));
  const records = hex(`
    01 01 0700 64656661756c74
    02 01000000 6b 01 07000000 00000000 00000000 00000000 01000000 76`);
  assert.equal(inflateRawSync(block.subarray(8)).toString("hex"), records);

  const end = file.subarray(blockAt + 9 + blockLength);
  assert.equal(end.toString("hex"), hex("10000000 59771263 03 01000000 01000000 01000000 00000000"));
});
