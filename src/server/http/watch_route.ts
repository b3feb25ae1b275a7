/**
 * GET /watch: the HTTP face of the watch (docs/watch.md, docs/http-api.md), a feed of
 * node/watch_feed.ts as server-sent events.
 *
 *   GET /watch?prefix=user:&from=42[&collection=name][&progress_ms=5000]
 *   GET /watch?key=user:1
 *   GET /watch                       every key of the default collection
 *
 * Each applied entry that changed a watched key is one event, its id the entry's log
 * index, so that EventSource's Last-Event-ID (sent when it reconnects, and taking
 * precedence over ?from=) resumes exactly after it:
 *
 *   event: change
 *   id: 42
 *   data: {"index":42,"changes":[{"type":"put","collection":"default","key":"user:1","kind":"string","value":"ann"}]}
 *
 * Progress events carry an id too (everything through it is delivered):
 *
 *   event: progress
 *   id: 57
 *   data: {"index":57}
 *
 * A start older than the window answers 410 Gone with {"detail", "oldest_index"} (an
 * EventSource does not retry it); a stream whose position falls out of the window later
 * (this node installed a checkpoint from its leader) ends with `event: compacted`, data
 * {"oldest_index":N}: the client must close its EventSource, re-read, and watch anew.
 * A client whose unread events pass the output buffer limit (--output-buffer-limit)
 * is cut off; its EventSource reconnects and resumes through Last-Event-ID.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fromInput, toText } from "../../engine/bytes.js";
import type { Change, ChangeFilter } from "../../engine/change_history.js";
import { DEFAULT_COLLECTION } from "../../engine/engine.js";
import { WatchFeed, type WatchMessage } from "../../node/watch_feed.js";
import type { ServerContext } from "../server_context.js";
import { HttpError, sendJson } from "./json.js";

interface WatchCall {
  context: ServerContext;
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
}

/** Streams the watch until the client goes away or the window passes it by. */
export function watchRoute({ context, request, response, url }: WatchCall): Promise<void> {
  const filter = filterOf(url);
  const from = startOf(request, url);
  const progressMs = integerParameter(url, "progress_ms", 0);
  const engineHistory = context.executor.node.read((engine) => engine.history);
  if (from !== undefined && from <= engineHistory.compactedThrough) {
    sendJson(response, 410, { detail: `The history was compacted: the oldest index available is ${engineHistory.oldestIndex}`, oldest_index: engineHistory.oldestIndex });
    return Promise.resolve();
  }
  response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
  if (request.method === "HEAD") {
    response.end();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const feed = context.executor.node.read(
      (engine) =>
        new WatchFeed(engine, { filter, ...(from === undefined ? {} : { from }), ...(progressMs === undefined ? {} : { progressIntervalMs: progressMs }) }, (message) => {
          response.write(eventsOf(message));
          // A client that reads slower than changes come is cut off, as RESP's output
          // buffer limit does; its EventSource reconnects with Last-Event-ID and resumes.
          if (message.type === "compacted" || response.writableLength > context.settings.outputBufferLimitBytes) response.end();
        }),
    );
    const finish = (): void => {
      feed.stop();
      resolve();
    };
    response.once("close", finish);
    response.once("finish", finish);
    feed.start();
  });
}

function filterOf(url: URL): ChangeFilter {
  const key = url.searchParams.get("key");
  const prefix = url.searchParams.get("prefix");
  if (key !== null && prefix !== null) throw new HttpError(400, "Give key or prefix, not both");
  const collection = fromInput(url.searchParams.get("collection") ?? DEFAULT_COLLECTION);
  return { collection, ...(key === null ? {} : { key: fromInput(key) }), ...(prefix === null ? {} : { prefix: fromInput(prefix) }) };
}

/** Last-Event-ID + 1 when the client resumes, else ?from=, else undefined (from now). */
function startOf(request: IncomingMessage, url: URL): number | undefined {
  const lastEventId = request.headers["last-event-id"];
  if (typeof lastEventId === "string" && lastEventId !== "") {
    if (!/^\d{1,15}$/.test(lastEventId)) throw new HttpError(400, "Last-Event-ID must be a log index");
    return Number(lastEventId) + 1;
  }
  return integerParameter(url, "from", 1);
}

function integerParameter(url: URL, name: string, minimum: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) < minimum) throw new HttpError(400, `${name} must be an integer >= ${minimum}`);
  return Number(text);
}

/** One feed message as server-sent events. */
function eventsOf(message: WatchMessage): string {
  if (message.type === "progress") return `event: progress\nid: ${message.index}\ndata: ${JSON.stringify({ index: message.index })}\n\n`;
  if (message.type === "compacted") return `event: compacted\ndata: ${JSON.stringify({ oldest_index: message.oldestIndex })}\n\n`;
  let text = "";
  let start = 0;
  const changes = message.changes;
  // Changes come grouped by entry, in index order: one event per entry.
  while (start < changes.length) {
    const index = (changes[start] as Change).index;
    let end = start;
    while (end < changes.length && (changes[end] as Change).index === index) end += 1;
    const data = { index, changes: changes.slice(start, end).map(changeJson) };
    text += `event: change\nid: ${index}\ndata: ${JSON.stringify(data)}\n\n`;
    start = end;
  }
  return text;
}

function changeJson(change: Change): Record<string, unknown> {
  if (change.type === "flush") return { type: "flush", collection: toText(change.collection) };
  if (change.type !== "put") return { type: change.type, collection: toText(change.collection), key: toText(change.key) };
  return { type: "put", collection: toText(change.collection), key: toText(change.key), kind: change.kind, value: change.value === null ? null : toText(change.value) };
}
