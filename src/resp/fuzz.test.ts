/**
 * Fuzzing of the RESP parsers with a seeded PRNG: random bytes and mutations of valid
 * frames (flipped bytes, truncations, huge and negative lengths, missing CRLF, inserted
 * and repeated bytes), fed in random chunks. For every input each parser must:
 * - throw nothing but ProtocolError;
 * - terminate (each command or reply it returns consumes at least one byte);
 * - keep its pending bytes within one line or one bulk string, whatever was claimed;
 * - give the same result (commands, then the same error or none) for any chunking.
 *
 * A failure names the seed; WALNUT_FUZZ_SEED=<seed> replays it, WALNUT_DEEP=1 runs 100x
 * more iterations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Reply } from "../engine/reply.js";
import { MIN_CAPACITY_BYTES } from "./input_buffer.js";
import { RequestParser, type RequestParserOptions } from "./parser.js";
import { ProtocolError } from "./protocol_error.js";
import { ReplyParser, type ReplyParserOptions } from "./reply_parser.js";
import { ReplyWriter, encodeCommand } from "./writer.js";
import { Random } from "../lib/seeded_random.js";

const ITERATIONS = process.env.WALNUT_DEEP === "1" ? 200_000 : 2_000;
const FIRST_SEED = Number(process.env.WALNUT_FUZZ_SEED ?? 0x5eed);
const SINGLE_SEED = process.env.WALNUT_FUZZ_SEED !== undefined;

/** Bytes that matter to RESP, so that random text often looks like a frame. */
const PROTOCOL_BYTES = Buffer.from("*$+-:_,#%~(!=\r\n\r\n0123456789-\"' \\x", "latin1");

function randomText(random: Random, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => (random.below(2) === 0 ? random.pick([...PROTOCOL_BYTES]) : random.below(256))));
}

function randomRequests(random: Random, maxArgumentBytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let count = 1 + random.below(4); count > 0; count--) {
    if (random.below(4) === 0) {
      const words = Array.from({ length: random.below(4) }, () => random.pick(["GET", "a", '"x y"', "'q'", '"\\x41"', "''"]));
      parts.push(Buffer.from(words.join(" ") + random.pick(["\r\n", "\n"]), "latin1"));
    } else {
      const argv = Array.from({ length: random.below(6) }, () => random.bytes(random.below(maxArgumentBytes + 2)));
      parts.push(encodeCommand(argv));
    }
  }
  return Buffer.concat(parts);
}

function randomReply(random: Random, depth: number): Reply {
  const kind = random.below(depth > 2 ? 7 : 9);
  switch (kind) {
    case 0:
      return { type: "status", text: random.pick(["OK", "QUEUED", "PONG"]) };
    case 1:
      return { type: "error", text: "ERR " + random.pick(["bad", "worse"]) };
    case 2:
      return { type: "integer", value: random.below(2) === 0 ? random.below(1000) - 500 : 2n ** 62n };
    case 3:
      return { type: "bulk", value: random.bytes(random.below(40)).toString("latin1") };
    case 4:
      return { type: "nil" };
    case 5:
      return { type: "double", value: random.pick([1.5, -0.25, Infinity, 1e-9, 42]) };
    case 6:
      return { type: "boolean", value: random.below(2) === 0 };
    case 7:
      return { type: "array", items: Array.from({ length: random.below(4) }, () => randomReply(random, depth + 1)) };
    default:
      return {
        type: "map",
        entries: Array.from({ length: random.below(3) }, () => [randomReply(random, depth + 1), randomReply(random, depth + 1)]),
      };
  }
}

function randomReplies(random: Random): Buffer {
  const writer = new ReplyWriter();
  for (let count = 1 + random.below(3); count > 0; count--) writer.write(randomReply(random, 0), random.pick([2, 3]));
  return writer.take();
}

/** Applies one to three random mutations. */
function mutate(random: Random, input: Buffer): Buffer {
  let bytes: Buffer = Buffer.from(input);
  for (let count = 1 + random.below(3); count > 0; count--) {
    const position = random.below(bytes.length + 1);
    switch (random.below(7)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[Math.min(position, bytes.length - 1)]! ^= 1 << random.below(8);
        break;
      case 1: // truncate
        bytes = bytes.subarray(0, position);
        break;
      case 2: // replace a length or count with a huge, negative or borderline one
        bytes = replaceNumber(random, bytes);
        break;
      case 3: // drop a CR, an LF or both
        bytes = dropLineBreak(random, bytes);
        break;
      case 4: // insert random bytes
        bytes = Buffer.concat([bytes.subarray(0, position), randomText(random, 1 + random.below(8)), bytes.subarray(position)]);
        break;
      case 5: // repeat a slice
        bytes = Buffer.concat([bytes.subarray(0, position), bytes.subarray(random.below(position + 1), position), bytes.subarray(position)]);
        break;
      default: // a long run of one byte, to cross the line limits
        bytes = Buffer.concat([bytes.subarray(0, position), Buffer.alloc(random.below(200), random.pick([...PROTOCOL_BYTES])), bytes.subarray(position)]);
    }
  }
  return bytes;
}

function replaceNumber(random: Random, bytes: Buffer): Buffer {
  const text = bytes.toString("latin1");
  const matches = [...text.matchAll(/[*$%~!=]-?\d+/g)];
  if (matches.length === 0) return bytes;
  const match = random.pick(matches);
  const replacement = random.pick(["-1", "-2", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "0", "33", "65", "7", "9", "01", "-0"]);
  const start = match.index + 1;
  return Buffer.from(text.slice(0, start) + replacement + text.slice(start + match[0].length - 1), "latin1");
}

function dropLineBreak(random: Random, bytes: Buffer): Buffer {
  const text = bytes.toString("latin1");
  const breaks = [...text.matchAll(/\r\n/g)];
  if (breaks.length === 0) return bytes;
  const at = random.pick(breaks).index;
  const [from, to] = random.pick([[at, at + 1], [at + 1, at + 2], [at, at + 2]] as const);
  return Buffer.from(text.slice(0, from) + text.slice(to), "latin1");
}

/** Splits `input` into chunks of random sizes, mostly small. */
function randomChunks(random: Random, input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let position = 0; position < input.length; ) {
    const size = 1 + (random.below(3) === 0 ? random.below(input.length) : random.below(8));
    chunks.push(input.subarray(position, position + size));
    position += size;
  }
  return chunks;
}

interface Parser<T> {
  feed(chunk: Buffer): void;
  next(): T | null;
  readonly pendingBytes: number;
  readonly bufferCapacityBytes: number;
}

interface Outcome<T> {
  results: T[];
  errorMessage: string | null;
}

/** Feeds `chunks`, checking the invariants after each; returns what came out. */
function run<T>(parser: Parser<T>, chunks: Buffer[], pendingBytesMax: number, check: (result: T) => void): Outcome<T> {
  const results: T[] = [];
  let fedBytes = 0;
  for (const chunk of chunks) {
    parser.feed(chunk);
    fedBytes += chunk.length;
    try {
      for (let result = parser.next(); result !== null; result = parser.next()) {
        check(result);
        results.push(result);
        assert.ok(results.length <= fedBytes, "every result consumes at least one byte");
      }
    } catch (thrown) {
      if (!(thrown instanceof ProtocolError)) throw thrown;
      return { results, errorMessage: thrown.message };
    }
    assert.ok(parser.pendingBytes <= pendingBytesMax, `pending ${parser.pendingBytes} bytes, bound ${pendingBytesMax}`);
    const capacityMax = Math.max(MIN_CAPACITY_BYTES, 2 * (pendingBytesMax + chunk.length), chunk.length);
    assert.ok(parser.bufferCapacityBytes <= capacityMax, `buffer of ${parser.bufferCapacityBytes} bytes`);
  }
  return { results, errorMessage: null };
}

/** Runs `body` for each seed, naming the seed when it fails. */
function forEachSeed(body: (random: Random) => void): void {
  const count = SINGLE_SEED ? 1 : ITERATIONS;
  for (let iteration = 0; iteration < count; iteration++) {
    const seed = (FIRST_SEED + iteration) >>> 0;
    try {
      body(new Random(seed));
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      assert.fail(`fuzz seed ${seed} failed (replay with WALNUT_FUZZ_SEED=${seed}): ${message}`);
    }
  }
}

const requestLimitChoices: RequestParserOptions[] = [
  { maxBulkBytes: 16, maxArguments: 4, maxInlineBytes: 24 },
  { maxBulkBytes: 64, maxArguments: 8, maxInlineBytes: 64 },
  { maxBulkBytes: 512 * 1024 * 1024, maxArguments: 1024 * 1024, maxInlineBytes: 64 * 1024 },
];

test("the request parser survives random and mutated input within its bounds", () => {
  forEachSeed((random) => {
    const options = random.pick(requestLimitChoices);
    const valid = randomRequests(random, Math.min(options.maxBulkBytes, 40));
    const input = random.below(5) === 0 ? randomText(random, random.below(300)) : mutate(random, valid);
    const pendingBytesMax = Math.max(options.maxInlineBytes, options.maxBulkBytes) + 1;
    const check = (argv: string[]) => {
      assert.ok(argv.length > 0 && argv.length <= Math.max(options.maxArguments, options.maxInlineBytes));
      for (const argument of argv) assert.ok(argument.length <= Math.max(options.maxBulkBytes, options.maxInlineBytes));
    };
    const whole = run(new RequestParser(options), [input], pendingBytesMax, check);
    const chunked = run(new RequestParser(options), randomChunks(random, input), pendingBytesMax, check);
    assert.deepEqual(chunked, whole, "chunking does not change the outcome");
  });
});

test("the request parser parses unmutated pipelines completely", () => {
  forEachSeed((random) => {
    const options = requestLimitChoices[2]!;
    const input = randomRequests(random, 40);
    const whole = run(new RequestParser(options), [input], Infinity, () => {});
    assert.equal(whole.errorMessage, null);
    assert.deepEqual(run(new RequestParser(options), randomChunks(random, input), Infinity, () => {}), whole);
  });
});

const replyLimitChoices: ReplyParserOptions[] = [
  { maxBulkBytes: 16, maxElements: 2, maxLineBytes: 24, maxDepth: 2 },
  { maxBulkBytes: 1024, maxElements: 1024, maxLineBytes: 1024, maxDepth: 8 },
];

test("the reply parser survives random and mutated input within its bounds", () => {
  forEachSeed((random) => {
    const options = random.pick(replyLimitChoices);
    const input = random.below(5) === 0 ? randomText(random, random.below(300)) : mutate(random, randomReplies(random));
    const pendingBytesMax = Math.max(options.maxLineBytes, options.maxBulkBytes) + 1;
    const whole = run(new ReplyParser(options), [input], pendingBytesMax, () => {});
    const chunked = run(new ReplyParser(options), randomChunks(random, input), pendingBytesMax, () => {});
    assert.deepEqual(chunked, whole, "chunking does not change the outcome");
  });
});
