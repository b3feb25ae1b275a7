import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, loggerFromLines, silentLogger, type LogFormat, type LogLevel } from "./log.js";

/** A stream that keeps what is written to it; `isTTY` as a terminal would say. */
function capture(isTTY = false): { stream: Writable & { isTTY?: boolean }; lines(): Promise<string[]> } {
  const chunks: string[] = [];
  const stream: Writable & { isTTY?: boolean } = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  stream.isTTY = isTTY;
  return {
    stream,
    async lines() {
      await new Promise((resolve) => setImmediate(resolve)); // pretty mode formats through a stream
      return chunks.join("").split("\n").filter((line) => line !== "");
    },
  };
}

function logger(format: LogFormat, level: LogLevel = "info", isTTY = false) {
  const output = capture(isTTY);
  return { log: createLogger({ format, level, stream: output.stream, bindings: { node: 3 } }), lines: output.lines };
}

test("JSON lines parse and carry time, level, message, node id, component and the event's fields", async () => {
  const { log, lines } = logger("json");
  log.child({ component: "checkpointer" }).info({ index: 120, term: 2, durationMs: 14 }, "checkpoint at index 120");
  const [line, ...rest] = await lines();
  assert.equal(rest.length, 0);
  const event = JSON.parse(line as string) as Record<string, unknown>;
  assert.equal(event.level, "info");
  assert.equal(event.msg, "checkpoint at index 120");
  assert.equal(event.node, 3);
  assert.equal(event.component, "checkpointer");
  assert.deepEqual([event.index, event.term, event.durationMs], [120, 2, 14]);
  assert.ok(!Number.isNaN(Date.parse(event.time as string)), `time is an ISO date: ${String(event.time)}`);
});

test("events below the level are dropped", async () => {
  const { log, lines } = logger("json", "warn");
  log.debug("a debug event");
  log.info("an info event");
  log.warn({ peer: 2 }, "a warning");
  log.error("an error");
  const levels = (await lines()).map((line) => (JSON.parse(line) as { level: string; msg: string }).level);
  assert.deepEqual(levels, ["warn", "error"]);
});

test("pretty mode prints one readable line per event: time, level, node, component, message, fields", async () => {
  const { log, lines } = logger("pretty", "debug");
  log.child({ component: "cluster" }).warn({ peer: 2, index: 7 }, "sending checkpoint 7 to node 2 failed");
  log.debug("plain");
  const [warning, plain] = await lines();
  assert.match(warning as string, /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: node 3 cluster: sending checkpoint 7 to node 2 failed \{"peer":2,"index":7\}$/);
  assert.match(plain as string, /^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: node 3 plain$/);
});

test("auto is pretty on a terminal and JSON otherwise", async () => {
  const onTerminal = logger("auto", "info", true);
  onTerminal.log.info("hello");
  assert.match(((await onTerminal.lines())[0] ?? "").replace(/\x1b\[[0-9;]*m/g, ""), /INFO: node 3 hello$/);
  const onPipe = logger("auto", "info", false);
  onPipe.log.info("hello");
  assert.equal((JSON.parse((await onPipe.lines())[0] ?? "") as { msg: string }).msg, "hello");
});

test("a line function receives each message, with warnings and errors marked, and no debug", () => {
  const received: string[] = [];
  const log = loggerFromLines((line) => received.push(line)).child({ component: "node" });
  log.debug("hidden");
  log.info({ index: 1 }, "applied");
  log.warn("slow disk");
  log.error({ code: "WAL_IO" }, "write failed");
  assert.deepEqual(received, ["applied", "warning: slow disk", "error: write failed"]);
});

test("the silent logger says nothing and its children are silent too", () => {
  const child = silentLogger.child({ component: "x" });
  assert.equal(child, silentLogger);
  child.error("nothing happens");
});
