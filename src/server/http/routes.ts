/**
 * The HTTP API's routes, in the shapes the seeds' distributed KV used: /key/:key (GET, PUT,
 * POST, DELETE), /keys, and read-only views of the node (/status, /cluster, /cluster/status,
 * /segments, /checkpoints, /backup, /metrics, the status page at / and /ui/). Each is
 * documented in docs/http-api.md (a write over maxmemory: 507); routeList() is what a test holds that document to.
 * Every key route takes ?collection=name (default "default").
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setCalls, itemValue } from "../../commands/user_values.js";
import { fromInput, toText } from "../../engine/bytes.js";
import { DEFAULT_COLLECTION } from "../../engine/engine.js";
import type { Reply } from "../../engine/reply.js";
import { READ_CONSISTENCIES, type ReadConsistency, type Session } from "../../commands/executor.js";
import type { Engine } from "../../engine/engine.js";
import { isWalnutError, type WalnutErrorCode } from "../../lib/errors.js";
import { isOutOfMemoryReply, OOM_REPLY } from "../../commands/memory_limit.js";
import type { ServerContext } from "../server_context.js";
import { HttpError, readJsonObject, sendJson, valueFromJson, valueToJson } from "./json.js";
import { sendBackup } from "./backup_route.js";
import { sendMetrics } from "./metrics.js";
import { statusPageRoutes, type GetCall } from "./status_page.js";
import { clusterStatusReport, statusReport } from "./cluster_status_route.js";
import { checkpointsReport } from "./checkpoints_route.js";
import { watchRoute } from "./watch_route.js";

const KEYS_LIMIT_DEFAULT = 100;
const KEYS_LIMIT_MAX = 10_000;

function session(body: Record<string, unknown>): Session | undefined {
  const clientId = body.client_id;
  const requestId = body.request_id;
  if (clientId === undefined && requestId === undefined) return undefined;
  if (typeof clientId !== "string" || clientId === "" || clientId.length > 256) {
    throw new HttpError(400, "client_id must be a non-empty string of at most 256 characters");
  }
  if (typeof requestId !== "number" || !Number.isSafeInteger(requestId) || requestId <= 0) {
    throw new HttpError(400, "request_id must be a positive integer");
  }
  return { clientId, requestId };
}

/**
 * The HTTP status of each WalnutError a read or write can fail with. 503: this node cannot
 * serve it now (no leader, closing, not confirmed in time, its WAL failed, removed); 507
 * Insufficient Storage: refused over maxmemory; 413: past a bound in lib/limits.ts.
 */
const STATUS_OF_CODE: Partial<Record<WalnutErrorCode, number>> = {
  NO_LEADER: 503,
  NOT_OPEN: 503,
  TIMEOUT: 503,
  WAL_IO: 503,
  REMOVED: 503,
  OOM: 507,
  LIMIT: 413,
  VERSION_CONFLICT: 409,
  BAD_ARGUMENT: 400,
};

/**
 * The status of a failed write: by the code of the WalnutError behind it; a command's own
 * error reply (no code) is the caller's: 409 for WRONGTYPE (the key holds another type), else 400.
 */
function failureStatus(reply: Reply): number {
  if (reply.type !== "error") return 200;
  const status = reply.code === undefined ? undefined : STATUS_OF_CODE[reply.code];
  if (status !== undefined) return status;
  return reply.text.startsWith("WRONGTYPE") ? 409 : 400;
}

/** ?consistency=: "linearizable" (default) or "stale", the same choice as the embedded API's { consistency }. */
function consistencyOf(url: URL): ReadConsistency {
  const consistency = url.searchParams.get("consistency") ?? "linearizable";
  if (!(READ_CONSISTENCIES as readonly string[]).includes(consistency)) throw new HttpError(400, "consistency must be linearizable or stale");
  return consistency as ReadConsistency;
}

/**
 * Runs `reader` through the executor's read path (the one RESP and the embedded API use).
 * A read this node cannot serve now (the leader did not confirm it, the node is closing)
 * is a 503.
 */
async function readState<T>(context: ServerContext, consistency: ReadConsistency, reader: (engine: Engine) => T): Promise<T> {
  try {
    return await context.executor.readState(reader, consistency);
  } catch (error) {
    // Only "not now" maps here; anything else a read throws is the server's own error.
    const status = isWalnutError(error) ? STATUS_OF_CODE[error.code] : undefined;
    if (status !== undefined && status >= 500 && isWalnutError(error)) throw new HttpError(status, error.message);
    throw error;
  }
}

/** The collection a request names, which must exist in `engine`. */
function collectionIn(engine: Engine, url: URL): string {
  const name = url.searchParams.get("collection") ?? DEFAULT_COLLECTION;
  if (engine.collection(name) === undefined) throw new HttpError(404, `Collection not found: ${name}`);
  return name;
}

/** A write's collection, checked in this node's own state (the write itself fails if it is gone by then). */
function collectionOf(url: URL, context: ServerContext): Promise<string> {
  return readState(context, "stale", (engine) => collectionIn(engine, url));
}

async function putKey(context: ServerContext, request: IncomingMessage, response: ServerResponse, url: URL, key: string): Promise<void> {
  const body = await readJsonObject(request, context.settings.maxRequestBytes);
  if (!("value" in body)) throw new HttpError(400, "The body must have a \"value\"");
  const value = valueFromJson(body.value);
  const collection = await collectionOf(url, context);
  const ttlMs = body.ttl_ms;
  if (ttlMs !== undefined && (typeof ttlMs !== "number" || !Number.isSafeInteger(ttlMs) || ttlMs <= 0)) {
    throw new HttpError(400, "ttl_ms must be a positive integer");
  }
  const version = body.version;
  if (version !== undefined && (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0)) {
    throw new HttpError(400, "version must be a non-negative integer");
  }
  const expireAtMs = ttlMs === undefined ? undefined : context.executor.node.now() + ttlMs;
  const calls = setCalls(collection, fromInput(key), value, expireAtMs === undefined ? {} : { expireAtMs });
  const conditions = version === undefined ? [] : [{ collection, key: fromInput(key), version }];
  const asked = session(body);
  const result =
    calls.length === 1 && conditions.length === 0
      ? await context.executor.writeIndexed(calls[0] as (typeof calls)[0], asked)
      : await context.executor.batchIndexed(calls, conditions, asked);
  if (result.reply.type === "nil" && conditions.length > 0) {
    const current = await readState(context, "stale", (engine) => engine.collection(collection)?.get(fromInput(key))?.version ?? 0);
    throw new HttpError(409, `Version conflict: expected version ${version}, found ${current}`);
  }
  if (result.reply.type === "error") {
    // A list is written as an atomic batch, refused as EXEC is: its detail is the plain OOM one.
    const reply = isOutOfMemoryReply(result.reply) ? OOM_REPLY : result.reply;
    throw new HttpError(failureStatus(reply), reply.type === "error" ? reply.text : "");
  }
  sendJson(response, 200, { status: "ok", id: result.index });
}

async function getKey(context: ServerContext, response: ServerResponse, url: URL, key: string): Promise<void> {
  const item = await readState(context, consistencyOf(url), (engine) => {
    const found = engine.collection(collectionIn(engine, url))?.get(fromInput(key));
    return found === undefined || found.isExpiredAt(context.executor.node.now()) ? undefined : found;
  });
  if (item === undefined) throw new HttpError(404, "Key not found");
  sendJson(response, 200, { key, ...valueToJson(itemValue(item)), kind: item.kind, version: item.version });
}

async function deleteKey(context: ServerContext, request: IncomingMessage, response: ServerResponse, url: URL, key: string): Promise<void> {
  const collection = await collectionOf(url, context);
  const hasBody = Number(request.headers["content-length"] ?? 0) > 0;
  const asked = hasBody ? session(await readJsonObject(request, context.settings.maxRequestBytes)) : undefined;
  const result = await context.executor.writeIndexed({ collection, argv: ["DEL", fromInput(key)] }, asked);
  if (result.reply.type === "error") throw new HttpError(failureStatus(result.reply), result.reply.text);
  sendJson(response, 200, { status: "ok", id: result.index, deleted: result.reply.type === "integer" && Number(result.reply.value) > 0 });
}

async function listKeys(context: ServerContext, response: ServerResponse, url: URL): Promise<void> {
  const consistency = consistencyOf(url);
  const prefix = fromInput(url.searchParams.get("prefix") ?? "");
  const start = fromInput(url.searchParams.get("start") ?? "");
  const endParam = url.searchParams.get("end");
  const end = endParam === null ? null : fromInput(endParam);
  const limitParam = url.searchParams.get("limit");
  const limit = limitParam === null ? KEYS_LIMIT_DEFAULT : Number(limitParam);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > KEYS_LIMIT_MAX) {
    throw new HttpError(400, `limit must be an integer from 1 to ${KEYS_LIMIT_MAX}`);
  }
  const keys = await readState(context, consistency, (engine) => {
    const collection = engine.requireCollection(collectionIn(engine, url));
    const nowMs = context.executor.node.now();
    const low = start > prefix ? start : prefix;
    const matches = (key: string): boolean => key.startsWith(prefix) && key >= low && (end === null || key <= end);
    const found =
      collection.range !== undefined
        ? collection.range(low, end ?? `${prefix}\xff\xff\xff\xff`, Number.MAX_SAFE_INTEGER).filter(([key]) => matches(key))
        : [...collection.entries()].filter(([key]) => matches(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return found
      .filter(([, item]) => !item.isExpiredAt(nowMs))
      .slice(0, limit)
      .map(([key, item]) => ({ key: toText(key), ...valueToJson(itemValue(item)), kind: item.kind, version: item.version }));
  });
  sendJson(response, 200, { keys, count: keys.length });
}

function segments(context: ServerContext, response: ServerResponse): void {
  const list = context.executor.node.segments();
  sendJson(response, 200, {
    segments: list.map((s) => ({ path: s.path, size: s.sizeBytes, first_index: s.firstIndex, last_index: s.lastIndex, is_active: s.active })),
    total_segments: list.length,
  });
}

/** The request's URL; a 400 when its target is not a valid path (such as "//" or "http://["). */
export function requestUrl(request: IncomingMessage): URL {
  try {
    return new URL(request.url ?? "/", "http://walnut");
  } catch {
    throw new HttpError(400, `The request target is not a valid path: ${JSON.stringify(request.url)}`);
  }
}

type GetRoute = (call: GetCall & { url: URL }) => void | Promise<void>;

/** The routes that only read, by path: each answers GET and HEAD. */
const GET_ROUTES: Readonly<Record<string, GetRoute>> = {
  "/keys": ({ context, response, url }) => listKeys(context, response, url),
  "/segments": ({ context, response }) => segments(context, response),
  "/backup": ({ context, request, response }) => sendBackup(context, request, response),
  "/status": ({ context, response }) => sendJson(response, 200, statusReport(context)),
  "/cluster/status": async ({ context, request, response }) => sendJson(response, 200, await clusterStatusReport(context, request)),
  "/checkpoints": async ({ context, response }) => sendJson(response, 200, await checkpointsReport(context)),
  "/cluster": ({ context, response }) => {
    const node = context.executor.node;
    const s = node.status();
    sendJson(response, 200, { clusterId: node.clusterId, leader: s.leader, term: s.term, voters: s.voters, learners: s.learners, members: node.memberAddresses(), peers: s.peers });
  },
  "/metrics": ({ context, response }) => sendMetrics(context, response),
  "/watch": (call) => watchRoute(call),
  ...statusPageRoutes(),
};

const KEY_METHODS = ["GET", "PUT", "POST", "DELETE"] as const;

/**
 * Every route, as "METHOD /path" with :key for the key and :asset for the status page's
 * files under /ui/: what docs/http-api.md documents (a test holds the two together).
 */
export function routeList(): string[] {
  const paths = Object.keys(GET_ROUTES).map((path) => (path.startsWith("/ui/") ? "/ui/:asset" : path));
  return [...KEY_METHODS.map((method) => `${method} /key/:key`), ...[...new Set(paths)].map((path) => `GET ${path}`)];
}

export async function route(context: ServerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = requestUrl(request);
  const method = request.method ?? "GET";
  const keyMatch = /^\/key\/(.+)$/.exec(url.pathname);
  if (keyMatch !== null) {
    let key: string;
    try {
      key = decodeURIComponent(keyMatch[1] as string);
    } catch {
      throw new HttpError(400, "The key is not valid percent-encoding");
    }
    if (method === "PUT" || method === "POST") return putKey(context, request, response, url, key);
    if (method === "GET") return getKey(context, response, url, key);
    if (method === "DELETE") return deleteKey(context, request, response, url, key);
    throw new HttpError(405, `Method ${method} not allowed on /key/:key`, { allow: KEY_METHODS.join(", ") });
  }
  const handler = Object.hasOwn(GET_ROUTES, url.pathname) ? GET_ROUTES[url.pathname] : undefined;
  if (handler === undefined) throw new HttpError(404, `Not found: ${url.pathname} (the routes are in docs/http-api.md)`);
  if (method !== "GET" && method !== "HEAD") throw new HttpError(405, `Method ${method} not allowed on ${url.pathname}`, { allow: "GET" });
  await handler({ context, request, response, url });
}
