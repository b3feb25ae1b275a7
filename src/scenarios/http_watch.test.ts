/**
 * GET /watch (server/http/watch_route.ts): server-sent events whose ids are log indices,
 * so that a client resuming with Last-Event-ID gets exactly what it missed; ?from=, key and
 * prefix filters, progress events, and 410 Gone for a start older than the window.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startTestNode, type TestNode } from "./harness.js";
import { waitUntil } from "./server_fixtures.js";

let walnut: TestNode;

before(async () => {
  walnut = await startTestNode({ db: { fsync: "no", watchHistory: 40 } });
});

after(async () => {
  await walnut?.stop();
});

interface SseEvent {
  event: string;
  id: string | null;
  data: { index?: number; oldest_index?: number; changes?: Array<Record<string, unknown>> };
}

/** An open event stream: the events parsed so far, and how to close it. */
class EventStream {
  readonly events: SseEvent[] = [];
  private buffer = "";
  private readonly controller = new AbortController();
  readonly status: Promise<number>;

  constructor(path: string, headers: Record<string, string> = {}) {
    this.status = fetch(`http://127.0.0.1:${walnut.httpPort}${path}`, { headers, signal: this.controller.signal }).then((response) => {
      void this.read(response);
      return response.status;
    });
  }

  private async read(response: Response): Promise<void> {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        this.buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf("\n\n")) >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const field = (name: string): string | null => block.split("\n").find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
          this.events.push({ event: field("event") ?? "message", id: field("id"), data: JSON.parse(field("data") ?? "null") as SseEvent["data"] });
        }
      }
    } catch {
      // aborted by close()
    }
  }

  changes(): SseEvent[] {
    return this.events.filter((event) => event.event === "change");
  }

  close(): void {
    this.controller.abort();
  }
}

async function write(...argv: string[]): Promise<number> {
  await walnut.db.command(...argv);
  return walnut.db.node.read((engine) => engine.appliedIndex);
}

test("events from ?from= in index order, one per entry with its index as id, then live ones and progress", async () => {
  const first = await write("SET", "u:1", "ann");
  await write("SET", "x", "other");
  const batch = await (async () => {
    await walnut.db.batch([
      { op: "set", key: "u:2", value: "bob" },
      { op: "delete", key: "u:1" },
    ]);
    return walnut.db.node.read((engine) => engine.appliedIndex);
  })();
  const stream = new EventStream(`/watch?prefix=u:&from=${first}&progress_ms=50`);
  try {
    assert.equal(await stream.status, 200);
    await waitUntil("two change events", () => stream.changes().length >= 2);
    assert.deepEqual(stream.changes().slice(0, 2), [
      { event: "change", id: String(first), data: { index: first, changes: [{ type: "put", collection: "default", key: "u:1", kind: "string", value: "ann" }] } },
      {
        event: "change",
        id: String(batch),
        data: { index: batch, changes: [{ type: "put", collection: "default", key: "u:2", kind: "string", value: "bob" }, { type: "delete", collection: "default", key: "u:1" }] },
      },
    ]);
    const live = await write("SET", "u:3", "cy");
    await waitUntil("the live change", () => stream.changes().some((event) => event.id === String(live)));
    await waitUntil("a progress event at the applied index", () => stream.events.some((event) => event.event === "progress" && event.data.index === live));
    assert.equal(stream.changes().length, 3, "x is not under u:");
  } finally {
    stream.close();
  }
});

test("Last-Event-ID resumes just after that index, and key= watches one key", async () => {
  const a = await write("SET", "k", "1");
  await write("SET", "k", "2");
  const c = await write("SET", "k", "3");
  const stream = new EventStream(`/watch?key=k&from=1`, { "last-event-id": String(a) });
  try {
    await waitUntil("the changes after Last-Event-ID", () => stream.changes().some((event) => event.id === String(c)));
    assert.deepEqual(stream.changes().map((event) => event.data.changes?.[0]?.value), ["2", "3"]);
  } finally {
    stream.close();
  }
});

test("a start older than the window answers 410 with the oldest index; bad parameters answer 400", async () => {
  for (let i = 0; i < 50; i++) await write("SET", "churn", String(i));
  const oldest = walnut.db.node.read((engine) => engine.history.oldestIndex);
  const gone = await fetch(`http://127.0.0.1:${walnut.httpPort}/watch?prefix=&from=1`);
  assert.equal(gone.status, 410);
  assert.deepEqual(await gone.json(), { detail: `The history was compacted: the oldest index available is ${oldest}`, oldest_index: oldest });
  const both = await fetch(`http://127.0.0.1:${walnut.httpPort}/watch?prefix=a&key=b`);
  assert.equal(both.status, 400);
  const badFrom = await fetch(`http://127.0.0.1:${walnut.httpPort}/watch?prefix=a&from=zero`);
  assert.equal(badFrom.status, 400);
});
