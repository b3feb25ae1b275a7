/**
 * The status page's script and stylesheet, served by walnut itself under /ui/ (no CDN and
 * no external URL: the page must work on machines without internet access).
 *
 * How they ship. The browser code is TypeScript in ui/ beside this file, type-checked and
 * compiled by the repository's one build (`tsc -p tsconfig.json`) into
 * dist/server/http/ui/*.js as ES modules, like every other module. This file reads those
 * compiled files relative to its own import.meta.url, so whatever dist/ ships holds the
 * page, and the browser loads them with <script type="module" src="/ui/app.js">: their
 * relative imports ("./charts.js") resolve to /ui/charts.js. The same compiled modules
 * that run in the browser are the ones Node's tests import (ui/*.test.ts). Only the files
 * named in UI_MODULES are served; their source-map comment is dropped, as the maps point
 * at sources that are not shipped. The stylesheet is text in status_page_style.ts.
 *
 * Caching. Every asset has a strong ETag (SHA-256 of its bytes) and
 * `cache-control: no-cache`: the browser revalidates on each load and gets a 304 until
 * walnut is upgraded, never a stale script from an older version.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { assert } from "../../lib/assert.js";
import { describeError } from "../../lib/errors.js";
import { HttpError } from "./json.js";
import { STATUS_PAGE_STYLESHEET } from "./status_page_style.js";

/** The compiled browser modules under dist/server/http/ui/, each served as /ui/<name>. */
export const UI_MODULES: readonly string[] = [
  "app.js",
  "charts.js",
  "cluster_picture.js",
  "cluster_view.js",
  "dom.js",
  "format.js",
  "metric_points.js",
  "prometheus_text.js",
  "tables.js",
];
export const STYLESHEET_NAME = "style.css";

const JAVASCRIPT = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=\S+\s*$/;

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Loaded once per process (the files do not change while walnut runs). */
const loaded = new Map<string, Promise<Asset>>();

function asset(body: string, contentType: string): Asset {
  const bytes = Buffer.from(body, "utf8");
  return { body: bytes, contentType, etag: `"${createHash("sha256").update(bytes).digest("base64url")}"` };
}

async function loadModule(name: string): Promise<Asset> {
  const url = new URL(`./ui/${name}`, import.meta.url);
  let text: string;
  try {
    text = await readFile(url, "utf8");
  } catch (error) {
    throw new HttpError(500, `Cannot read the status page's script ${url.pathname}: ${describeError(error)} (is dist/ built?)`);
  }
  return asset(text.replace(SOURCE_MAP_COMMENT, "\n"), JAVASCRIPT);
}

function load(name: string): Promise<Asset> {
  let found = loaded.get(name);
  if (found === undefined) {
    found = name === STYLESHEET_NAME ? Promise.resolve(asset(STATUS_PAGE_STYLESHEET, CSS)) : loadModule(name);
    // A failed read is not kept: the next request tries again.
    found.catch(() => loaded.delete(name));
    loaded.set(name, found);
  }
  return found;
}

/** Sends /ui/<name>: 304 when the browser's copy is current. */
export async function sendAsset(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
  assert(name === STYLESHEET_NAME || UI_MODULES.includes(name), `${name} is not a status page asset`);
  const { body, contentType, etag } = await load(name);
  const headers = { etag, "cache-control": "no-cache", "x-content-type-options": "nosniff" };
  const cached = (request.headers["if-none-match"] ?? "").split(",").map((tag) => tag.trim());
  if (cached.includes(etag)) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  response.writeHead(200, { ...headers, "content-type": contentType, "content-length": body.length });
  response.end(body);
}
