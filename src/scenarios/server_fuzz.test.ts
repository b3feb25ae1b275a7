/**
 * Bad input against live servers. A seeded PRNG (WALNUT_FUZZ_SEED replays a run; the seed
 * is printed with every failure) throws random bytes and mutated RESP frames (flipped
 * bytes, truncations, huge and negative lengths, deep nesting, inline garbage, binary
 * noise) at the RESP port over many connections, and garbage requests, absurd headers,
 * huge Content-Lengths and slowloris-style partial requests at the HTTP port, while a
 * healthy client keeps checking PING and SET/GET round trips.
 *
 * What each bad RESP connection must get is decided without timing, by a model: the same
 * request parser, fed the same bytes, says how many commands the server will run and
 * whether it will then meet a protocol error. The server must answer each command with
 * one well-formed reply, then either `-ERR Protocol error: ...` and close, or stay open.
 * Every error reply is Redis-style (an upper-case code, then a message).
 *
 * Every bad HTTP request gets a 2xx-4xx response or is just closed, never a 5xx.
 *
 * Afterwards every bad connection is gone from the client registry and the process'
 * memory has not grown without bound. Quick by default; WALNUT_DEEP=1 runs 50x more,
 * and also waits for the HTTP server's own timeouts to close the slow clients with a 408.
 */
import { request as httpRequest } from "node:http";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import type { Reply } from "../engine/reply.js";
import { RequestParser } from "../resp/parser.js";
import { encodeCommand } from "../resp/writer.js";
import { startTestNode, type TestNode } from "./harness.js";
import { DEEP, Random, RawClient, runSeed, waitUntil } from "./server_fixtures.js";

const RESP_CASES = DEEP ? 50 * 1000 : 1000;
const HTTP_CASES = DEEP ? 50 * 300 : 300;
const CONCURRENT_CONNECTIONS = 8;
/** The server's request bound for these tests, small so that limits are reached often. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** Mirrors connection.ts: most arguments per command, longest inline line. */
const MAX_ARGUMENTS = 1024 * 1024;
const MAX_INLINE_BYTES = 64 * 1024;
/** How long the deep run waits for the HTTP server's own timeouts to close slow clients. */
const SLOW_CLIENT_GUARD_MS = 300_000;
/** Growth of heap plus Buffers over a run beyond which we call memory unbounded. */
const MEMORY_GROWTH_MAX_BYTES = 200 * 1024 * 1024;

/** Commands the fuzzer starts from; keys live under "fuzz:", apart from the healthy client's. */
const SEED_COMMANDS: readonly (readonly string[])[] = [
  ["PING"], ["ECHO", "hello"], ["SET", "fuzz:a", "value"], ["GET", "fuzz:a"], ["INCR", "fuzz:n"],
  ["DEL", "fuzz:a"], ["MGET", "fuzz:a", "fuzz:b"], ["APPEND", "fuzz:b", "xyz"], ["STRLEN", "fuzz:b"],
  ["EXISTS", "fuzz:a"], ["RPUSH", "fuzz:l", "a", "b"], ["LRANGE", "fuzz:l", "0", "-1"], ["PFADD", "fuzz:h", "a"],
  ["PFCOUNT", "fuzz:h"], ["EXPIRE", "fuzz:a", "100"], ["TYPE", "fuzz:l"], ["SETRANGE", "fuzz:c", "5", "ab"],
  ["GETRANGE", "fuzz:b", "0", "-1"], ["INCRBYFLOAT", "fuzz:f", "1.5"], ["SCAN", "0"], ["MULTI"], ["EXEC"],
  ["DISCARD"], ["WATCH", "fuzz:a"], ["HELLO", "3"], ["HELLO", "2"], ["INFO", "server"], ["COMMAND", "COUNT"],
  ["DBSIZE"], ["TIME"], ["SELECT", "0"], ["LPOP", "fuzz:l"], ["AUTH", "s3cret"], ["AUTH", "default", "wrong"],
  ["HELLO", "3", "AUTH", "default", "s3cret"], ["HELLO", "2", "SETNAME", "fuzzer"], ["RESET"],
];
/** The password of the node fuzzed with authentication on (AUTH frames above carry it). */
const FUZZ_PASSWORD = "s3cret";
/** Commands a mutation might produce that would disturb the other clients or the disk. */
const FORBIDDEN = new Set([
  "FLUSHALL", "FLUSHDB", "CONFIG", "CLIENT", "COLLECTION", "SHUTDOWN", "DEBUG", "SAVE", "BGSAVE", "USE",
  "RENAME", "RENAMENX", "KEYS", "RANDOMKEY", "EXPIRESWEEP",
]);
const PROTOCOL_BYTES = Buffer.from("*$+-:\r\n\r\n0123456789-\"' \\x\t", "latin1");

function protocolNoise(random: Random, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) {
    bytes[index] = random.next() < 0.7 ? (PROTOCOL_BYTES[random.below(PROTOCOL_BYTES.length)] as number) : random.below(256);
  }
  return bytes;
}

function validPipeline(random: Random): Buffer {
  const frames = Array.from({ length: 1 + random.below(5) }, () => encodeCommand([...random.pick(SEED_COMMANDS)]));
  return Buffer.concat(frames);
}

const ABSURD_LENGTHS = ["999999999999", "-1", "-5", "9223372036854775808", "99999999999999999999", "abc", "", "0x10", "+3", "01"];

/** One mutation of `bytes`: a flip, a cut, an insertion, an absurd length, a repeat, a deletion. */
function mutate(random: Random, bytes: Buffer): Buffer {
  const at = random.below(bytes.length + 1);
  switch (random.below(7)) {
    case 0: {
      const flipped = Buffer.from(bytes);
      if (flipped.length > 0) flipped[Math.min(at, flipped.length - 1)]! ^= 1 << random.below(8);
      return flipped;
    }
    case 1:
      return bytes.subarray(0, at);
    case 2:
      return Buffer.concat([bytes.subarray(0, at), protocolNoise(random, 1 + random.below(8)), bytes.subarray(at)]);
    case 3: {
      const text = bytes.toString("latin1");
      const headers = [...text.matchAll(/[*$](-?\d+)\r\n/g)];
      if (headers.length === 0) return bytes;
      const header = random.pick(headers);
      const start = (header.index as number) + 1;
      const replaced = text.slice(0, start) + random.pick(ABSURD_LENGTHS) + text.slice(start + (header[1] as string).length);
      return Buffer.from(replaced, "latin1");
    }
    case 4:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(random.below(at + 1), at), bytes.subarray(at)]);
    case 5:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + random.below(16)))]);
    default:
      return Buffer.from(bytes.toString("latin1").replace("\r\n", random.pick(["\n", "\r", "", "\r\r\n"])), "latin1");
  }
}

function inlineGarbage(random: Random): Buffer {
  const words = Array.from({ length: 1 + random.below(6) }, () =>
    random.pick(["GET", "SET", "fuzz:k", '"quoted \\x41"', "'single'", '"unclosed', "\\x00", "\t", '"a"b', "ECHO", "PING"]),
  );
  return Buffer.from(`${words.join(" ")}${random.pick(["\r\n", "\n", "", "\r\n\r\n"])}`, "latin1");
}

/** A RESP payload of one of the shapes listed at the top of the file. */
function respPayload(random: Random): Buffer {
  switch (random.below(9)) {
    case 0:
      return random.bytes(1 + random.below(512));
    case 1:
      return protocolNoise(random, 1 + random.below(256));
    case 2:
    case 3: {
      let bytes = validPipeline(random);
      for (let count = 1 + random.below(3); count > 0; count--) bytes = mutate(random, bytes);
      return bytes;
    }
    case 4:
      return Buffer.from(`${random.pick(["*", "$"])}${random.pick(ABSURD_LENGTHS)}\r\n${random.pick(["", "$3\r\nGET\r\n", "*1\r\n"])}`, "latin1");
    case 5:
      return Buffer.from(`${"*1\r\n".repeat(1 + random.below(10_000))}$4\r\nPING\r\n`, "latin1");
    case 6:
      return inlineGarbage(random);
    case 7: {
      // A bulk string at, or just past, the request bound; sometimes cut short.
      const length = MAX_REQUEST_BYTES + random.below(2);
      const body = `*3\r\n$3\r\nSET\r\n$6\r\nfuzz:b\r\n$${length}\r\n${"v".repeat(length)}\r\n`;
      return Buffer.from(random.next() < 0.5 ? body : body.slice(0, random.below(body.length)), "latin1");
    }
    default:
      return validPipeline(random);
  }
}

/** What the server will do with `payload`, according to the same parser. */
interface Expectation {
  /** Replies due (one per command run). */
  replies: number;
  /** The protocol error that follows them, or null. */
  protocolError: string | null;
  /** The client sent QUIT: the server closes after its reply. */
  quits: boolean;
  /** A command the fuzz must not send (then the case is regenerated). */
  forbidden: boolean;
}

function expectedOutcome(payload: Buffer): Expectation {
  const parser = new RequestParser({ maxBulkBytes: MAX_REQUEST_BYTES, maxArguments: MAX_ARGUMENTS, maxInlineBytes: MAX_INLINE_BYTES });
  parser.feed(payload);
  const expectation: Expectation = { replies: 0, protocolError: null, quits: false, forbidden: false };
  try {
    for (let argv = parser.next(); argv !== null; argv = parser.next()) {
      const name = (argv[0] ?? "").toUpperCase();
      if (FORBIDDEN.has(name) || argv.some((argument) => argument.startsWith("healthy:"))) expectation.forbidden = true;
      expectation.replies += 1;
      if (name === "QUIT") {
        expectation.quits = true;
        return expectation;
      }
    }
  } catch (error) {
    expectation.protocolError = `ERR ${(error as Error).message}`;
  }
  return expectation;
}

/** Splits `payload` into a few chunks written with a turn of the event loop between them. */
async function sendInChunks(client: RawClient, random: Random, payload: Buffer): Promise<void> {
  let offset = 0;
  for (let pieces = 1 + random.below(4); pieces > 0 && offset < payload.length; pieces--) {
    const end = pieces === 1 ? payload.length : offset + random.below(payload.length - offset + 1);
    await client.write(payload.subarray(offset, end));
    offset = end;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function isRedisStyleError(reply: Reply): boolean {
  return reply.type === "error" && /^[A-Z][A-Z_]* \S/.test(reply.text);
}

/** Sends one bad payload and checks the server's answer against the model. */
async function respCase(port: number, random: Random, label: string): Promise<void> {
  let payload = respPayload(random);
  let expectation = expectedOutcome(payload);
  while (expectation.forbidden) {
    payload = respPayload(random);
    expectation = expectedOutcome(payload);
  }
  const client = new RawClient(port);
  try {
    await client.connected;
    await sendInChunks(client, random, payload);
    const ends = expectation.protocolError !== null || expectation.quits;
    const due = expectation.replies + (expectation.protocolError === null ? 0 : 1);
    await waitUntil(`${label}: ${due} replies arrive`, () => client.closed || client.replies().replies.length >= due);
    if (ends) await waitUntil(`${label}: the server closes the connection`, () => client.closed);
    const { replies, malformed } = client.replies();
    const context = `${label} payload ${JSON.stringify(payload.toString("latin1").slice(0, 300))}`;
    assert.equal(malformed, null, `${context}: every reply is well-formed`);
    assert.equal(replies.length, due, `${context}: one reply per command`);
    assert.equal(client.closed, ends, `${context}: the server closes exactly when the client broke the protocol or quit`);
    if (expectation.protocolError !== null) assert.deepEqual(replies.at(-1), { type: "error", text: expectation.protocolError }, context);
    for (const reply of replies) {
      if (reply.type === "error") assert.ok(isRedisStyleError(reply), `${context}: error reply ${JSON.stringify(reply.text)}`);
    }
  } finally {
    client.destroy();
  }
}

/** A client that keeps checking that the server answers, until stopped. */
function healthyRespClient(node: TestNode, password: string | null): { stop(): Promise<number> } {
  const redis = new Redis({
    port: node.respPort,
    host: "127.0.0.1",
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(password === null ? {} : { password }),
  });
  let running = true;
  let failure: unknown = null;
  let reconnected = false;
  redis.on("close", () => {
    if (running) reconnected = true;
  });
  const loop = (async () => {
    let rounds = 0;
    try {
      for (; running; rounds++) {
        assert.equal(await redis.ping(), "PONG");
        assert.equal(await redis.set(`healthy:${rounds % 100}`, `value-${rounds}`), "OK");
        assert.equal(await redis.get(`healthy:${rounds % 100}`), `value-${rounds}`);
      }
    } catch (error) {
      failure = error;
    }
    return rounds;
  })();
  return {
    async stop() {
      running = false;
      const rounds = await loop;
      redis.disconnect();
      if (failure !== null) throw failure;
      assert.equal(reconnected, false, "the healthy client was never disconnected");
      return rounds;
    },
  };
}

function memoryInUseBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Runs `cases` calls of `run` with CONCURRENT_CONNECTIONS in flight. */
async function runConcurrently(cases: number, run: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases) await run(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENT_CONNECTIONS }, worker));
}

/** Fuzzes a node's RESP port, with or without a password, while a healthy client works. */
async function fuzzResp(options: { password: string | null; cases: number }): Promise<void> {
  const seed = runSeed();
  const node = await startTestNode({ servers: { maxRequestBytes: MAX_REQUEST_BYTES, requirePass: options.password } });
  try {
    const before = memoryInUseBytes();
    const healthy = healthyRespClient(node, options.password);
    const fuzzFailure = await runConcurrently(options.cases, (index) =>
      respCase(node.respPort, new Random(seed + index), `case seed ${seed + index} (WALNUT_FUZZ_SEED=${seed})`),
    ).then(() => null, (error: unknown) => error);
    const rounds = await healthy.stop();
    if (fuzzFailure !== null) throw fuzzFailure;
    assert.ok(rounds > 0, "the healthy client completed round trips");
    await waitUntil("every bad connection is gone", () => node.servers.context.clients.size === 0);
    assert.ok(node.servers.context.stats.protocolErrors > 0, "the fuzz reached protocol errors");
    const growth = memoryInUseBytes() - before;
    assert.ok(growth < MEMORY_GROWTH_MAX_BYTES, `memory grew by ${growth} bytes (WALNUT_FUZZ_SEED=${seed})`);
  } catch (error) {
    console.error(`server_fuzz: RESP run failed; replay with WALNUT_FUZZ_SEED=${seed}`);
    throw error;
  } finally {
    await node.stop();
  }
}

test(`the RESP server survives ${RESP_CASES} connections of bad input and keeps serving a healthy client`, { timeout: DEEP ? 3_600_000 : 300_000 }, () =>
  fuzzResp({ password: null, cases: RESP_CASES }));

test(`with a password, the RESP server survives ${RESP_CASES / 4} connections of bad input, AUTH and HELLO included`, { timeout: DEEP ? 3_600_000 : 300_000 }, () =>
  fuzzResp({ password: FUZZ_PASSWORD, cases: RESP_CASES / 4 }));

const HTTP_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "FOO", "G\tET", "", "PUT PUT"];
const HTTP_PATHS = [
  "/", "/status", "/metrics", "/segments", "/keys", "/keys?limit=abc", "/keys?limit=99999999999", "/keys?prefix=%FF%FE",
  "/key/fuzz:a", "/key/%", "/key/%E0%A4%A", "/key/", "//", "*", "http://[::1", "/key/fuzz:a?collection=nope",
  `/key/${"k".repeat(9000)}`, "/key/fuzz%00a", "/../../etc/passwd", "/key/fuzz:a#frag", "",
];
const JSON_BODIES = [
  '{"value":"v"}', '{"value":12345678901234567890}', '{"value":[1,"a",true]}', '{"value":{"nested":1}}', '{"value":null}',
  '{"value":"v","ttl_ms":-1}', '{"value":"v","version":"x"}', '{"value":"v","client_id":"c","request_id":0}', "[1,2]",
  "not json", '{"value":"\\ud800"}', "", `{"value":${"[".repeat(5000)}${"]".repeat(5000)}}`, '{"value":1e999}',
];

function httpRequestText(random: Random, body: string, headers: string[] = []): Buffer {
  const method = random.pick(HTTP_METHODS);
  const path = random.pick(HTTP_PATHS);
  const lines = [`${method} ${path} HTTP/1.1`, "Host: walnut", ...headers];
  if (body !== "" || random.next() < 0.5) lines.push(`Content-Length: ${Buffer.byteLength(body, "latin1")}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body}`, "latin1");
}

/** Headers no sane client sends: too many, too long, malformed, contradictory. */
function absurdHeaders(random: Random): string[] {
  switch (random.below(6)) {
    case 0:
      return Array.from({ length: 150 + random.below(200) }, (_, index) => `X-Header-${index}: ${index}`);
    case 1:
      return [`X-Long: ${"a".repeat(20_000 + random.below(50_000))}`];
    case 2:
      return ["No colon here", ": no name", "X-Bad\u0001: \u0002"];
    case 3:
      return ["Content-Length: 5", "Content-Length: 7"];
    case 4:
      return ["Transfer-Encoding: chunked"];
    default:
      return [`Authorization: Basic ${random.bytes(40).toString("base64")}`, `Content-Length: ${random.pick(ABSURD_LENGTHS)}`];
  }
}

function httpPayload(random: Random): Buffer {
  switch (random.below(7)) {
    case 0:
      return random.bytes(1 + random.below(1024));
    case 1:
      return httpRequestText(random, "");
    case 2:
      return httpRequestText(random, random.pick(JSON_BODIES), absurdHeaders(random));
    case 3:
      return Buffer.from(`PUT /key/fuzz:big HTTP/1.1\r\nHost: walnut\r\nContent-Length: ${random.pick(["99999999999", "1e9", "-1", String(MAX_REQUEST_BYTES + 1)])}\r\n\r\n{"value":`, "latin1");
    case 4: {
      let bytes = httpRequestText(random, random.pick(JSON_BODIES));
      for (let count = 1 + random.below(3); count > 0; count--) bytes = mutate(random, bytes);
      return bytes;
    }
    case 5:
      return Buffer.from(`PUT /key/fuzz:chunked HTTP/1.1\r\nHost: walnut\r\nTransfer-Encoding: chunked\r\n\r\n${random.pick(["zz\r\n", "FFFFFFFFFFFFFFFF\r\nab", "5\r\n{\"val\r\n0\r\n\r\n", "-1\r\n"])}`, "latin1");
    default:
      return httpRequestText(random, random.pick(JSON_BODIES));
  }
}

/** The status codes of the responses in `text`; throws on anything that is not an HTTP response. */
function responseStatuses(text: string, context: string): number[] {
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
  if (text !== "") assert.match(text, /^HTTP\/1\.1 \d{3} /, `${context}: the answer is an HTTP response`);
  return statuses;
}

/** Sends one bad request, half-closes, and checks the server answered with a 2xx-4xx or just closed. */
async function httpCase(port: number, random: Random, label: string): Promise<void> {
  const payload = httpPayload(random);
  const client = new RawClient(port);
  try {
    await client.connected;
    await sendInChunks(client, random, payload);
    client.socket.end();
    await waitUntil(`${label}: the server closes the connection`, () => client.closed);
    const context = `${label} payload ${JSON.stringify(payload.toString("latin1").slice(0, 300))}`;
    for (const status of responseStatuses(client.text(), context)) {
      assert.ok(status >= 200 && status < 500, `${context}: answered ${status}: ${client.text().slice(0, 500)}`);
    }
  } finally {
    client.destroy();
  }
}

/** Sends a request with a raw http.request (no keep-alive) and returns status and body. */
function httpCall(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, method, path, agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

function healthyHttpClient(node: TestNode): { stop(): Promise<number> } {
  let running = true;
  const loop = (async () => {
    let rounds = 0;
    for (; running; rounds++) {
      const key = `healthy:${rounds % 100}`;
      const put = await httpCall(node.httpPort, "PUT", `/key/${key}`, JSON.stringify({ value: `value-${rounds}` }));
      assert.equal(put.status, 200, put.body);
      const got = await httpCall(node.httpPort, "GET", `/key/${key}`);
      assert.equal(got.status, 200, got.body);
      assert.equal((JSON.parse(got.body) as { value: string }).value, `value-${rounds}`);
    }
    return rounds;
  })();
  return {
    async stop() {
      running = false;
      return loop;
    },
  };
}

/** Opens connections that send part of a request and then nothing (slowloris). */
async function openSlowClients(port: number, random: Random, count: number): Promise<RawClient[]> {
  const partials = [
    "GET /status HTTP/1.1\r\nHost: walnut\r\nX-Slow: ",
    "PUT /key/fuzz:slow HTTP/1.1\r\nHost: walnut\r\nContent-Length: 1000\r\n\r\n{\"value\":\"",
    "GE",
    "PUT /key/fuzz:slow HTTP/1.1\r\nHost: walnut\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"val",
  ];
  const clients: RawClient[] = [];
  for (let index = 0; index < count; index++) {
    const client = new RawClient(port);
    await client.connected;
    await client.write(random.pick(partials));
    clients.push(client);
  }
  return clients;
}

test(`the HTTP server survives ${HTTP_CASES} bad requests and slow clients and keeps serving a healthy client`, { timeout: DEEP ? 3_600_000 : 300_000 }, async () => {
  const seed = runSeed();
  const node = await startTestNode({ servers: { maxRequestBytes: MAX_REQUEST_BYTES } });
  try {
    const before = memoryInUseBytes();
    const healthy = healthyHttpClient(node);
    const slow = await openSlowClients(node.httpPort, new Random(seed), 50);
    const fuzzFailure = await runConcurrently(HTTP_CASES, (index) =>
      httpCase(node.httpPort, new Random(seed + index), `case seed ${seed + index} (WALNUT_FUZZ_SEED=${seed})`),
    ).then(() => null, (error: unknown) => error);
    const rounds = await healthy.stop();
    if (fuzzFailure !== null) throw fuzzFailure;
    assert.ok(rounds > 0, "the healthy client completed round trips");
    if (DEEP) {
      // Node checks its header and request timeouts every 30 s: too slow for a quick run.
      await waitUntil("the server times out every slow client", () => slow.every((client) => client.closed), SLOW_CLIENT_GUARD_MS);
      for (const client of slow) assert.match(client.text(), /^HTTP\/1\.1 408 /, "a slow client is told why it was closed");
    }
    for (const client of slow) client.destroy();
    const growth = memoryInUseBytes() - before;
    assert.ok(growth < MEMORY_GROWTH_MAX_BYTES, `memory grew by ${growth} bytes (WALNUT_FUZZ_SEED=${seed})`);
    const status = await httpCall(node.httpPort, "GET", "/status");
    assert.equal(status.status, 200);
  } catch (error) {
    console.error(`server_fuzz: HTTP run failed; replay with WALNUT_FUZZ_SEED=${seed}`);
    throw error;
  } finally {
    await node.stop();
  }
});
