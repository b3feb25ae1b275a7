/**
 * docs/http-api.md against the HTTP server: every route the router has is documented
 * there, and every route documented there answers on a live node (not the router's 404
 * or 405).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { routeList } from "../server/http/routes.js";
import { startTestNode } from "./harness.js";

const DOC_PATH = fileURLToPath(new URL("../../docs/http-api.md", import.meta.url));

/** The routes the document gives a heading: "### `GET /key/:key`". */
async function documentedRoutes(): Promise<string[]> {
  const text = await readFile(DOC_PATH, "utf8");
  return [...text.matchAll(/^### `([A-Z]+ \/[^`]*)`$/gm)].map((match) => match[1] as string);
}

test("docs/http-api.md documents every route, and only routes that exist", async () => {
  const documented = await documentedRoutes();
  assert.ok(documented.length > 0);
  assert.equal(new Set(documented).size, documented.length, "each route is documented once");
  const routes = routeList();
  assert.deepEqual(routes.filter((route) => !documented.includes(route)), [], "routes missing from docs/http-api.md");
  assert.deepEqual(documented.filter((route) => !routes.includes(route)), [], "documented routes the server does not have");
});

test("every documented route answers on a live node", async () => {
  const node = await startTestNode();
  try {
    const base = `http://127.0.0.1:${node.httpPort}`;
    // PUT first, so that GET and DELETE of the key find it.
    const order = (route: string): number => (route.startsWith("PUT ") ? 0 : route.startsWith("DELETE ") ? 2 : 1);
    const routes = (await documentedRoutes()).sort((a, b) => order(a) - order(b));
    for (const route of routes) {
      const [method, pattern] = route.split(" ") as [string, string];
      const path = pattern.replace(":key", "documented-key").replace(":asset", "app.js");
      const body = method === "PUT" || method === "POST" ? JSON.stringify({ value: [1, 2] }) : undefined;
      const response = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }) });
      // An event stream (GET /watch) never ends: its status and headers are the answer.
      const streams = response.headers.get("content-type")?.startsWith("text/event-stream") === true;
      if (streams) await response.body?.cancel();
      const bytes = streams ? new ArrayBuffer(0) : await response.arrayBuffer();
      assert.equal(response.status, 200, `${route}: ${response.status} ${Buffer.from(bytes).toString("utf8").slice(0, 200)}`);
    }
    const unknown = await fetch(`${base}/no-such-route`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { detail: "Not found: /no-such-route (the routes are in docs/http-api.md)" });
  } finally {
    await node.stop();
  }
});
