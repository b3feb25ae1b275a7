import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ChunkChannel } from "./chunk_channel.js";

function channelWithLog(highWaterBytes: number): { channel: ChunkChannel; events: string[] } {
  const events: string[] = [];
  const channel = new ChunkChannel({ highWaterBytes, pause: () => events.push("pause"), resume: () => events.push("resume") });
  return { channel, events };
}

test("the channel pauses its producer above the high-water mark and resumes it once drained", async () => {
  const { channel, events } = channelWithLog(10);
  channel.push(Buffer.alloc(6));
  assert.deepEqual(events, []);
  channel.push(Buffer.alloc(6));
  channel.push(Buffer.alloc(6));
  assert.deepEqual(events, ["pause"]);
  channel.end();
  const sizes: number[] = [];
  for await (const chunk of channel) sizes.push(chunk.length);
  assert.deepEqual(sizes, [6, 6, 6]);
  assert.deepEqual(events, ["pause", "resume"]);
});

test("the consumer waits for chunks pushed later and stops at the end", async () => {
  const { channel } = channelWithLog(1024);
  const collected = (async () => {
    const parts: string[] = [];
    for await (const chunk of channel) parts.push(chunk.toString());
    return parts;
  })();
  channel.push(Buffer.from("a"));
  await new Promise((resolve) => setImmediate(resolve));
  channel.push(Buffer.from("b"));
  channel.end();
  assert.deepEqual(await collected, ["a", "b"]);
});

test("a failure ends the iteration with the error", async () => {
  const { channel } = channelWithLog(1024);
  channel.push(Buffer.from("a"));
  channel.fail(new Error("connection lost"));
  const parts: string[] = [];
  await assert.rejects(async () => {
    for await (const chunk of channel) parts.push(chunk.toString());
  }, /connection lost/);
  assert.deepEqual(parts, ["a"]);
});
