/**
 * The HTTP API with fetch: the seeds' response shapes, typed JSON values, versions and
 * 409 conflicts, retried requests applied once, listing, segments, status, and errors
 * with proper status codes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestNode, type TestNode } from "./harness.js";

async function withNode(run: (node: TestNode, base: string) => Promise<void>, requirePass: string | null = null): Promise<void> {
  const node = await startTestNode({ servers: { requirePass } });
  try {
    await run(node, `http://127.0.0.1:${node.httpPort}`);
  } finally {
    await node.stop();
  }
}

const put = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: "PUT", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });

test("PUT, GET and DELETE answer in the seeds' shapes", () =>
  withNode(async (_node, base) => {
    const created = await put(`${base}/key/key6`, { value: "myvalue" });
    assert.equal(created.status, 200);
    const body = (await created.json()) as { status: string; id: number };
    assert.equal(body.status, "ok");
    assert.ok(Number.isInteger(body.id) && body.id > 0);
    const read = await fetch(`${base}/key/key6`);
    assert.deepEqual(await read.json(), { key: "key6", value: "myvalue", version: body.id });
    const deleted = await fetch(`${base}/key/key6`, { method: "DELETE" });
    assert.equal(((await deleted.json()) as { status: string }).status, "ok");
    const missing = await fetch(`${base}/key/key6`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { detail: "Key not found" });
  }));

test("JSON numbers, booleans and arrays keep their types", () =>
  withNode(async (node, base) => {
    await put(`${base}/key/n`, { value: 41 });
    await put(`${base}/key/f`, { value: 2.5 });
    await put(`${base}/key/b`, { value: true });
    await put(`${base}/key/l`, { value: ["x", "y"] });
    assert.equal(((await (await fetch(`${base}/key/n`)).json()) as { value: unknown }).value, 41);
    assert.equal(((await (await fetch(`${base}/key/f`)).json()) as { value: unknown }).value, 2.5);
    assert.equal(((await (await fetch(`${base}/key/b`)).json()) as { value: unknown }).value, true);
    assert.deepEqual(((await (await fetch(`${base}/key/l`)).json()) as { value: unknown }).value, ["x", "y"]);
    assert.equal(await node.db.incr("n"), 42, "an integer written over HTTP is an integer for INCR");
  }));

test("a JSON list keeps its numbers over HTTP, while RESP's LRANGE answers the byte strings", () =>
  withNode(async (node, base) => {
    const value = [1, 2, -3.5, 1e21, "a", "007", "1.0", "", "9007199254740993"];
    await put(`${base}/key/list`, { value });
    const read = async (key: string): Promise<unknown> => ((await (await fetch(`${base}/key/${key}`)).json()) as { value: unknown }).value;
    assert.deepEqual(await read("list"), value);
    const listed = (await (await fetch(`${base}/keys?prefix=list`)).json()) as { keys: Array<{ value: unknown }> };
    assert.deepEqual(listed.keys[0]?.value, value, "GET /keys answers the same types");
    const reply = await node.db.command("LRANGE", "list", "0", "-1");
    assert.deepEqual(reply.type === "array" ? reply.items.map((item) => (item.type === "bulk" ? item.value : item.type)) : reply, ["1", "2", "-3.5", "1e+21", "a", "007", "1.0", "", "9007199254740993"]);
    // The documented cost: a string spelling a number the way JSON does comes back as that number.
    await put(`${base}/key/texts`, { value: ["1", "two"] });
    assert.deepEqual(await read("texts"), [1, "two"]);
  }));

test("a stale version answers 409 and changes nothing", () =>
  withNode(async (_node, base) => {
    const first = (await (await put(`${base}/key/k`, { value: "1" })).json()) as { id: number };
    const second = await put(`${base}/key/k`, { value: "2", version: first.id });
    assert.equal(second.status, 200);
    const stale = await put(`${base}/key/k`, { value: "3", version: first.id });
    assert.equal(stale.status, 409);
    assert.match(((await stale.json()) as { detail: string }).detail, /Version conflict/);
    assert.equal(((await (await fetch(`${base}/key/k`)).json()) as { value: unknown }).value, "2");
  }));

test("a retried request with the same client_id and request_id applies once", () =>
  withNode(async (node, base) => {
    await node.db.set("c", 0);
    const request = { value: 5, client_id: "client-a", request_id: 1 };
    await put(`${base}/key/c`, request);
    await node.db.incr("c");
    const retried = await put(`${base}/key/c`, request);
    assert.equal(retried.status, 200);
    assert.equal(await node.db.get("c"), 6, "the retry did not overwrite the later increment");
  }));

test("GET /keys lists by prefix in key order with a limit", () =>
  withNode(async (_node, base) => {
    for (const key of ["b:2", "a:1", "b:1", "b:3", "c:1"]) await put(`${base}/key/${encodeURIComponent(key)}`, { value: key });
    const listed = (await (await fetch(`${base}/keys?prefix=b:&limit=2`)).json()) as { keys: Array<{ key: string }> };
    assert.deepEqual(listed.keys.map((k) => k.key), ["b:1", "b:2"]);
  }));

test("segments, status and metrics describe the node", () =>
  withNode(async (_node, base) => {
    await put(`${base}/key/x`, { value: "y" });
    const segments = (await (await fetch(`${base}/segments`)).json()) as { segments: Array<{ path: string; is_active: boolean }> };
    assert.ok(segments.segments.some((s) => s.is_active));
    const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
    assert.equal(status.role, "leader");
    for (const field of ["id", "term", "leader", "commitIndex", "appliedIndex"]) assert.ok(field in status, field);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^walnut_raft_applied_index \d+$/m);
    const page = await fetch(`${base}/`);
    assert.match(await page.text(), /<title>walnut node 1<\/title>/);
  }));

test("bad requests get JSON errors with proper status codes", () =>
  withNode(async (_node, base) => {
    const badJson = await put(`${base}/key/k`, "{not json");
    assert.equal(badJson.status, 400);
    assert.match(((await badJson.json()) as { detail: string }).detail, /Invalid JSON/);
    assert.equal((await put(`${base}/key/k`, { nothing: 1 })).status, 400);
    // An object is a hash, but a hash's values are text: a nested object is refused.
    assert.equal((await put(`${base}/key/k`, { value: { nested: { deeper: 1 } } })).status, 400);
    assert.equal((await fetch(`${base}/nowhere`)).status, 404);
    const wrongMethod = await fetch(`${base}/status`, { method: "POST" });
    assert.equal(wrongMethod.status, 405);
    const tooLarge = await put(`${base}/key/k`, { value: "x".repeat(65 * 1024 * 1024) });
    assert.equal(tooLarge.status, 413);
  }));

test("a password protects the HTTP API (Basic or Bearer)", () =>
  withNode(async (_node, base) => {
    assert.equal((await fetch(`${base}/key/a`)).status, 401);
    assert.equal((await fetch(`${base}/key/a`, { headers: { authorization: "Bearer wrong" } })).status, 403);
    assert.equal((await put(`${base}/key/a`, { value: "1" }, { authorization: "Bearer pw" })).status, 200);
    const basic = `Basic ${Buffer.from("default:pw").toString("base64")}`;
    assert.equal((await fetch(`${base}/key/a`, { headers: { authorization: basic } })).status, 200);
  }, "pw"));

test("a retried request is still recognised after a checkpoint and a restart", async () => {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "walnut-session-"));
  try {
    let node = await startTestNode({ dir });
    const request = { value: 1, client_id: "client-b", request_id: 7 };
    await put(`http://127.0.0.1:${node.httpPort}/key/c`, request);
    await node.db.incr("c");
    await node.db.checkpoint();
    await node.stop();
    node = await startTestNode({ dir });
    try {
      await put(`http://127.0.0.1:${node.httpPort}/key/c`, request);
      assert.equal(await node.db.get("c"), 2, "the retry after restart was not applied again");
    } finally {
      await node.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
