/**
 * A long read-only script, byte for byte against redis-server 7.0: while it runs past
 * busy-reply-threshold another client is answered BUSY (the EVAL text, or the FUNCTION
 * text for FCALL), SCRIPT KILL and FUNCTION KILL answer NOTBUSY with nothing running,
 * refuse to kill the other kind of script with BUSY, and kill the right kind; the killed
 * script's caller gets "Script killed by user with SCRIPT KILL..." with where it was; and
 * FUNCTION STATS answers BUSY during an EVAL. The scripts loop forever, at their own level
 * and inside pcall, xpcall and coroutines: only the kill ends them (walnut's instruction
 * limit is some seconds away on any machine).
 *
 * Then walnut alone: a script that may write is a log entry every replica runs, so SCRIPT
 * KILL answers walnut's UNKILLABLE, and the script ends with its writes applied; and a
 * paused read-only script holds off writes, so both of its reads of a key agree.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { RespConnection, type Answer } from "./differential/connection.js";

const SPIN_EVAL = ["eval_ro", "local i = 0\nwhile true do i = i + 1 end", "0"];
const SPIN_SHEBANG = ["eval", "#!lua flags=no-writes\nlocal i = 0\nwhile true do i = i + 1 end", "0"];
/** Spinning where Lua 5.1 cannot yield across: inside pcall, xpcall and coroutines (walnut's script_threads.ts pauses there all the same). */
const SPIN_INSIDE = [
  ["eval_ro", "return pcall(function() local i = 0 while true do i = i + 1 end end)", "0"],
  ["eval_ro", "return xpcall(function() local i = 0 while true do i = i + 1 end end, function(e) return e end)", "0"],
  ["eval_ro", "local co = coroutine.wrap(function() local i = 0 while true do i = i + 1 end end)\nco()", "0"],
  ["eval_ro", "local co = coroutine.create(function() pcall(function() while true do end end) end)\nreturn coroutine.resume(co)", "0"],
];
const LIBRARY = "#!lua name=spinners\nredis.register_function{function_name='spin', callback=function() local i = 0 while true do i = i + 1 end end, flags={'no-writes'}}";
/** PINGs sent at most while waiting for the script to pass the threshold (a guard: BUSY comes within a few). */
const PINGS_MAX = 100_000;

/** Sends PING until the answer is BUSY (the script is past the threshold); the BUSY answer. */
async function untilBusy(other: RespConnection): Promise<Answer> {
  for (let attempt = 0; attempt < PINGS_MAX; attempt++) {
    const answer = await other.send(["ping"]);
    if (answer.raw.startsWith("-BUSY")) return answer;
  }
  throw new Error("never BUSY");
}

/** The same story told to a server on `port`: the raw reply of each step. */
async function busyStory(port: number): Promise<string[]> {
  const caller = await RespConnection.open(port);
  const other = await RespConnection.open(port);
  const transcript: string[] = [];
  const say = async (argv: string[]): Promise<void> => {
    transcript.push(`${argv.join(" ")} -> ${(await other.send(argv)).raw}`);
  };
  try {
    await say(["config", "set", "busy-reply-threshold", "50"]);
    await say(["config", "get", "lua-time-limit"]);
    await say(["script", "kill"]);
    await say(["function", "kill"]);
    for (const spin of [SPIN_EVAL, SPIN_SHEBANG, ...SPIN_INSIDE]) {
      const spinning = caller.send(spin);
      transcript.push(`ping -> ${(await untilBusy(other)).raw}`);
      await say(["get", "k"]);
      await say(["function", "kill"]);
      await say(["function", "stats"]);
      await say(["script", "kill"]);
      transcript.push(`caller -> ${(await spinning).raw}`);
      await say(["ping"]);
    }
    await say(["function", "load", "replace", LIBRARY]);
    const spinning = caller.send(["fcall_ro", "spin", "0"]);
    transcript.push(`ping -> ${(await untilBusy(other)).raw}`);
    await say(["script", "kill"]);
    await say(["function", "kill"]);
    transcript.push(`caller -> ${(await spinning).raw}`);
    await say(["script", "kill"]);
    await say(["function", "flush"]);
    return transcript;
  } finally {
    caller.close();
    other.close();
  }
}

test("a long read-only script: BUSY, NOTBUSY, SCRIPT KILL and FUNCTION KILL answer as redis-server 7.0's", { timeout: 120_000 }, async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const expected = await busyStory(redis.port);
    const actual = await busyStory(node.respPort);
    assert.deepEqual(actual, expected);
    assert.ok(expected.some((line) => line.includes("Script killed by user with SCRIPT KILL...")), "the story killed a script");
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test("a long script that may write is never killed: walnut's UNKILLABLE, then its reply and its writes", { timeout: 120_000 }, async () => {
  const node = await startTestNode();
  const caller = await RespConnection.open(node.respPort);
  const other = await RespConnection.open(node.respPort);
  try {
    await other.send(["config", "set", "busy-reply-threshold", "0"]);
    const running = caller.send(["eval", "redis.call('incr', 'runs')\nfor i = 1, 150000000 do end\nreturn redis.call('get', 'runs')", "0"]);
    let busy: Answer | null = null;
    let finished = false;
    void running.then(() => (finished = true));
    while (busy === null && !finished) {
      const answer = await other.send(["get", "runs"]);
      if (answer.raw.startsWith("-BUSY")) busy = answer;
      // Before the script runs (or after), GET answers what the whole script left: never half of it.
      else assert.ok(answer.raw === "$-1\r\n" || answer.raw === "$1\r\n1\r\n", `GET answered ${JSON.stringify(answer.raw)}`);
    }
    assert.ok(busy !== null, "another client was told BUSY while the script ran");
    assert.equal(busy.raw, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
    const kill = await other.send(["script", "kill"]);
    assert.match(kill.raw, /^-UNKILLABLE The busy script is a log entry that every replica runs/);
    assert.equal((await running).raw, "$1\r\n1\r\n");
    assert.equal((await other.send(["get", "runs"])).raw, "$1\r\n1\r\n");
    assert.equal((await other.send(["script", "kill"])).raw, "-NOTBUSY No scripts in execution right now.\r\n");
  } finally {
    caller.close();
    other.close();
    await node.stop();
  }
});

test("a paused read-only script holds off writes: both its reads see the same value", { timeout: 120_000 }, async () => {
  const node = await startTestNode();
  const caller = await RespConnection.open(node.respPort);
  const other = await RespConnection.open(node.respPort);
  try {
    await other.send(["set", "k", "old"]);
    await other.send(["config", "set", "busy-reply-threshold", "0"]);
    const body = "local a = redis.call('get', 'k')\nfor i = 1, 100000000 do end\nreturn {a, redis.call('get', 'k')}";
    const running = caller.send(["eval_ro", body, "0"]);
    await untilBusy(other); // the script is paused now
    // The embedded API meets no BUSY: its write is logged at once, and applied after the script.
    const written = node.db.set("k", "new");
    assert.equal((await running).raw, "*2\r\n$3\r\nold\r\n$3\r\nold\r\n");
    await written;
    assert.equal((await other.send(["get", "k"])).raw, "$3\r\nnew\r\n");
  } finally {
    caller.close();
    other.close();
    await node.stop();
  }
});
