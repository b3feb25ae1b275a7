/**
 * The status page over HTTP, without a browser: the shell and its headers, the /ui/
 * assets (content types, ETag revalidation, nothing external, every compiled browser
 * module listed), the same authentication as every route, and the /checkpoints and
 * /cluster/status reports the page reads. The browser test is
 * scenarios/status_page_browser.test.ts.
 */
import { readdir } from "node:fs/promises";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestNode, type TestNode } from "../../scenarios/harness.js";
import { STYLESHEET_NAME, UI_MODULES } from "./status_page_assets.js";

async function withNode(run: (base: string, node: TestNode) => Promise<void>, requirePass: string | null = null): Promise<void> {
  const node = await startTestNode({ servers: { requirePass } });
  try {
    await run(`http://127.0.0.1:${node.httpPort}`, node);
  } finally {
    await node.stop();
  }
}

/** Every URL-looking string in a text, but the SVG namespace (a name, never fetched). */
function externalUrls(text: string): string[] {
  return (text.match(/https?:\/\/[^\s"'`)]+/g) ?? []).filter((url) => url !== "http://www.w3.org/2000/svg");
}

test("GET / serves the shell with its scripts and stylesheet under ui/ and a policy that allows only walnut itself", () =>
  withNode(async (base) => {
    const response = await fetch(`${base}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
    const html = await response.text();
    assert.match(html, /<script type="module" src="ui\/app.js"><\/script>/);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="ui/${STYLESHEET_NAME}">`));
    assert.deepEqual(externalUrls(html), []);
    assert.equal((await fetch(`${base}/`, { method: "HEAD" })).status, 200);
  }));

test("every browser module is served as JavaScript, revalidated by ETag, importing only other served modules", () =>
  withNode(async (base) => {
    for (const name of UI_MODULES) {
      const response = await fetch(`${base}/ui/${name}`);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8", name);
      assert.equal(response.headers.get("cache-control"), "no-cache", name);
      const etag = response.headers.get("etag") ?? "";
      assert.match(etag, /^"[\w-]+"$/, name);
      const script = await response.text();
      assert.doesNotMatch(script, /sourceMappingURL/, `${name} points at no source map`);
      assert.deepEqual(externalUrls(script), [], name);
      const imported = [...script.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1] as string);
      for (const path of imported) assert.ok(UI_MODULES.includes(path.replace(/^\.\//, "")) && path.startsWith("./"), `${name} imports ${path}`);
      const again = await fetch(`${base}/ui/${name}`, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304, name);
      assert.equal(await again.text(), "");
    }
  }));

test("UI_MODULES lists every compiled browser module", async () => {
  const compiled = (await readdir(new URL("./ui/", import.meta.url))).filter((name) => name.endsWith(".js") && !name.endsWith(".test.js"));
  assert.deepEqual([...UI_MODULES].sort(), compiled.sort());
});

test("the stylesheet is served as CSS; an unknown asset is a 404", () =>
  withNode(async (base) => {
    const css = await fetch(`${base}/ui/${STYLESHEET_NAME}`);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    assert.match(await css.text(), /\.member\.leader rect/);
    assert.deepEqual(externalUrls(await (await fetch(`${base}/ui/${STYLESHEET_NAME}`)).text()), []);
    assert.equal((await fetch(`${base}/ui/missing.js`)).status, 404);
    assert.equal((await fetch(`${base}/ui/status_page_assets.test.js`)).status, 404);
    assert.equal((await fetch(`${base}/ui/app.js`, { method: "POST" })).status, 405);
  }));

test("the page and its assets need the same credentials as every other route", () =>
  withNode(async (base) => {
    for (const path of ["/", "/ui/app.js", `/ui/${STYLESHEET_NAME}`, "/cluster/status", "/checkpoints"]) {
      const anonymous = await fetch(`${base}${path}`);
      assert.equal(anonymous.status, 401, path);
      assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="walnut"/, path);
      assert.equal((await fetch(`${base}${path}`, { headers: { authorization: "Bearer wrong" } })).status, 403, path);
      assert.equal((await fetch(`${base}${path}`, { headers: { authorization: "Bearer s3cret" } })).status, 200, path);
    }
  }, "s3cret"));

test("GET /checkpoints lists the checkpoint files, newest first, with the control file's last checkpoint", () =>
  withNode(async (base, node) => {
    const before = (await (await fetch(`${base}/checkpoints`)).json()) as { last: { id: number }; checkpoints: unknown[]; directory: string };
    assert.equal(before.last.id, 0);
    assert.deepEqual(before.checkpoints, []);
    await node.db.set("a", "1");
    const first = await node.db.checkpoint();
    await node.db.set("b", "2");
    const second = await node.db.checkpoint();
    await node.db.set("c", "3");
    const third = await node.db.checkpoint();
    const after = (await (await fetch(`${base}/checkpoints`)).json()) as {
      last: { index: number; id: number };
      checkpoints: Array<{ name: string; index: number; term: number; previousIndex: number | null; size: number; modified: string }>;
    };
    assert.equal(after.last.index, third.index);
    assert.ok(after.last.id >= 3);
    assert.deepEqual(
      after.checkpoints.map((each) => each.index),
      [third.index, second.index, first.index],
    );
    assert.ok(after.checkpoints.every((each) => each.size > 0 && !Number.isNaN(Date.parse(each.modified))));
    // The first two checkpoints are full, the third a delta on the second (an incremental checkpoint).
    assert.deepEqual(
      after.checkpoints.map((each) => [each.name.endsWith(".delta") ? "delta" : each.name.endsWith(".ckpt") ? "full" : each.name, each.previousIndex]),
      [["delta", second.index], ["full", null], ["full", null]],
    );
    assert.ok(before.directory.endsWith("checkpoints"));
  }));

test("GET /cluster/status on a node alone reports it as the one member, with its own status", () =>
  withNode(async (base) => {
    const report = (await (await fetch(`${base}/cluster/status`)).json()) as {
      id: number;
      members: Array<{ id: number; self: boolean; status: { role: string; id: number } | null; error: string | null }>;
    };
    assert.equal(report.members.length, 1);
    const [only] = report.members;
    assert.equal(only?.id, report.id);
    assert.equal(only?.self, true);
    assert.equal(only?.status?.role, "leader");
    assert.equal(only?.error, null);
  }));
