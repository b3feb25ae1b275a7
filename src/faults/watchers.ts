/**
 * The campaign's watchers: change-feed clients (docs/watch.md) that follow every key of
 * the default collection through every fault, one on RESP (WALNUT.WATCH, RESP2 arrays)
 * or HTTP (GET /watch, server-sent events), each starting on its own node.
 *
 * A watcher keeps `through`, the index through which it has been told everything
 * (changes or progress). When its connection ends (the node was killed, removed, wiped),
 * or says nothing for STALL_MS although progress is due every PROGRESS_MS (the node is
 * paused), it moves to another running node, picked by the seed, and resumes from
 * through + 1. A node that answers "compacted" (its window no longer holds that index:
 * it restarted from a checkpoint, or installed one) sends the watcher to another node;
 * only when every running node has answered compacted for the same start does the
 * watcher accept the gap (through + 1 .. oldest − 1, oldest the earliest any offered),
 * record it, and go on from there. watch_check.ts judges what the watchers saw.
 */
import { request, type ClientRequest } from "node:http";
import { connect, type Socket } from "node:net";
import type { Reply } from "../engine/reply.js";
import type { Random } from "../lib/seeded_random.js";
import type { ProcessCluster } from "../processes/cluster_processes.js";
import { waitUntil } from "../processes/waiting.js";
import { ReplyParser } from "../resp/reply_parser.js";
import { encodeCommand } from "../resp/writer.js";

/** How often a watched node sends progress. */
const PROGRESS_MS = 200;
/** Silence after which a watcher gives its node up (a paused process keeps its sockets open). */
const STALL_MS = 3_000;
/** Pause before trying again when no node is running to watch on. */
const NO_NODE_PAUSE_MS = 100;

/** One put a watcher saw (the campaign only writes: no deletes, expiries or flushes). */
export interface SeenChange {
  index: number;
  type: string;
  key: string;
  value: string | null;
}

/** Indices a watcher was never told about: every running node had compacted them. */
export interface WatchGap {
  from: number;
  to: number;
}

/** What one watcher saw, for the check and the report. */
export interface WatcherLog {
  name: string;
  changes: SeenChange[];
  gaps: WatchGap[];
  through: number;
  reconnects: number;
  /** "compacted" answers it got (each sent it to another node, or, from every node, made a gap). */
  compactedAnswers: number;
  /** Frames it could not make sense of: each fails the check. */
  malformed: string[];
}

interface Session {
  close(): void;
}

export class CampaignWatcher {
  readonly log: WatcherLog;
  private session: Session | null = null;
  private node = 0;
  private stopped = false;
  private lastHeardMs = 0;
  /** The start every node answered compacted for, and the oldest index each offered. */
  private compactedAnswers: { from: number; oldest: Map<number, number> } | null = null;
  private readonly stallTimer: ReturnType<typeof setInterval>;

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly protocol: "resp" | "http",
    private readonly random: Random,
    firstNode: number,
  ) {
    this.log = { name: `${protocol} watcher`, changes: [], gaps: [], through: 0, reconnects: 0, compactedAnswers: 0, malformed: [] };
    this.stallTimer = setInterval(() => {
      if (this.session !== null && performance.now() - this.lastHeardMs > STALL_MS) this.moveOn(this.node);
    }, STALL_MS / 3);
    this.stallTimer.unref();
    this.connect(firstNode);
  }

  get through(): number {
    return this.log.through;
  }

  /** Resolves once the watcher has been told everything through `index` (moving nodes if it must). */
  async caughtUp(index: number): Promise<void> {
    await waitUntil(`the ${this.log.name} told everything through ${index} (at ${this.log.through}, on node ${this.node})`, () => this.log.through >= index);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.stallTimer);
    this.session?.close();
    this.session = null;
  }

  private connect(node: number): void {
    if (this.stopped) return;
    this.node = node;
    this.lastHeardMs = performance.now();
    const from = this.log.through + 1;
    const handlers = { change: (change: SeenChange) => this.receive(change), progress: (index: number) => this.progress(index), compacted: (oldest: number) => this.compacted(node, from, oldest) };
    const ended = (): void => this.moveOn(node);
    const heard = (): void => void (this.lastHeardMs = performance.now());
    const malformed = (what: string): void => void this.log.malformed.push(`node ${node}: ${what}`);
    this.session = this.protocol === "resp" ? respSession(this.cluster.respPort(node), from, { ...handlers, ended, heard, malformed }) : httpSession(this.cluster.httpPort(node), from, { ...handlers, ended, heard, malformed });
  }

  /** The session on `node` is over: resume on another running node (or this one, if it is the only one). */
  private moveOn(node: number): void {
    if (this.stopped || this.node !== node || this.session === null) return;
    this.session.close();
    this.session = null;
    this.log.reconnects += 1;
    const retry = (): void => {
      if (this.stopped) return;
      const running = this.cluster.ids.filter((id) => this.cluster.isRunning(id) && !this.cluster.isPaused(id));
      const others = running.filter((id) => id !== node);
      const candidates = this.compactedAnswers === null ? (others.length > 0 ? others : running) : running.filter((id) => !this.compactedAnswers?.oldest.has(id));
      if (candidates.length === 0) {
        if (this.compactedAnswers !== null && running.length > 0 && running.every((id) => this.compactedAnswers?.oldest.has(id))) this.acceptGap();
        setTimeout(retry, NO_NODE_PAUSE_MS);
        return;
      }
      this.connect(this.random.pick(candidates));
    };
    setTimeout(retry, 0);
  }

  private receive(change: SeenChange): void {
    this.compactedAnswers = null;
    this.log.changes.push(change);
    this.log.through = Math.max(this.log.through, change.index);
  }

  private progress(index: number): void {
    if (index > this.log.through) this.compactedAnswers = null;
    this.log.through = Math.max(this.log.through, index);
  }

  private compacted(node: number, from: number, oldest: number): void {
    this.log.compactedAnswers += 1;
    if (this.compactedAnswers === null || this.compactedAnswers.from !== from) this.compactedAnswers = { from, oldest: new Map() };
    this.compactedAnswers.oldest.set(node, oldest);
    this.moveOn(node);
  }

  /** Every running node has compacted the start: skip to the earliest index any of them still holds. */
  private acceptGap(): void {
    const answers = this.compactedAnswers;
    if (answers === null) return;
    const oldest = Math.min(...answers.oldest.values());
    this.log.gaps.push({ from: answers.from, to: oldest - 1 });
    this.log.through = Math.max(this.log.through, oldest - 1);
    this.compactedAnswers = null;
  }
}

interface SessionHandlers {
  change(change: SeenChange): void;
  progress(index: number): void;
  compacted(oldest: number): void;
  /** The session is over (closed, refused, errored). */
  ended(): void;
  /** Anything arrived. */
  heard(): void;
  malformed(what: string): void;
}

/** WALNUT.WATCH PREFIX "" FROM from over RESP2: the reply, then one array per event. */
function respSession(port: number, from: number, on: SessionHandlers): Session {
  const parser = new ReplyParser();
  const socket: Socket = connect({ host: "127.0.0.1", port });
  let answered = false;
  socket.on("connect", () => socket.write(encodeCommand(["WALNUT.WATCH", "PREFIX", "", "FROM", String(from), "PROGRESS", String(PROGRESS_MS)])));
  socket.on("data", (chunk: Buffer) => {
    on.heard();
    parser.feed(chunk);
    for (let reply = parser.next(); reply !== null; reply = parser.next()) {
      if (reply.type === "error") return void socket.destroy(); // e.g. a removed node: watch elsewhere
      const items = reply.type === "array" ? reply.items : [];
      const word = bulkText(items[1]);
      if (!answered) {
        answered = true;
        if (bulkText(items[0]) !== "watch" || items[1]?.type !== "integer") on.malformed(`WALNUT.WATCH answered ${JSON.stringify(reply)}`);
      } else if (word === "put") {
        on.change({ index: integerOf(items[2]), type: "put", key: bulkText(items[4]) ?? "", value: items[5]?.type === "bulk" ? items[5].value : null });
      } else if (word === "delete" || word === "expire") {
        on.change({ index: integerOf(items[2]), type: word, key: bulkText(items[4]) ?? "", value: null });
      } else if (word === "flush") {
        on.change({ index: integerOf(items[2]), type: "flush", key: "", value: null });
      } else if (word === "progress") {
        on.progress(integerOf(items[2]));
      } else if (word === "compacted") {
        on.compacted(integerOf(items[2]));
        return void socket.destroy();
      } else {
        on.malformed(`an event ${JSON.stringify(reply)}`);
      }
    }
  });
  socket.on("error", () => undefined);
  socket.on("close", () => on.ended());
  return { close: () => socket.destroy() };
}

/** GET /watch?prefix=&from=from as server-sent events; 410 Gone: compacted at the start. */
function httpSession(port: number, from: number, on: SessionHandlers): Session {
  let closed = false;
  const call: ClientRequest = request({ host: "127.0.0.1", port, path: `/watch?prefix=&from=${from}&progress_ms=${PROGRESS_MS}`, headers: { accept: "text/event-stream" } }, (response) => {
    response.setEncoding("utf8");
    let buffered = "";
    response.on("data", (text: string) => {
      on.heard();
      buffered += text;
      for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (response.statusCode === 200) sseEvent(block, on);
      }
      if (response.statusCode === 410) {
        try {
          on.compacted((JSON.parse(buffered) as { oldest_index: number }).oldest_index);
          buffered = "";
          response.destroy();
        } catch {
          // the body is not complete yet
        }
      }
    });
    // Any other status (a node shutting down, say) just ends the session: the watcher moves on.
    response.on("close", finish);
    response.on("error", () => undefined);
  });
  function finish(): void {
    if (closed) return;
    closed = true;
    on.ended();
  }
  call.on("error", finish);
  call.on("close", finish);
  call.end();
  return { close: () => call.destroy() };
}

/** One server-sent event: `event:` and `data:` lines. */
function sseEvent(block: string, on: SessionHandlers): void {
  let type = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  try {
    const body = JSON.parse(data) as { index?: number; oldest_index?: number; changes?: Array<{ type: string; key?: string; value?: string | null }> };
    if (type === "change") {
      for (const change of body.changes ?? []) on.change({ index: body.index as number, type: change.type, key: change.key ?? "", value: change.value ?? null });
    } else if (type === "progress") {
      on.progress(body.index as number);
    } else if (type === "compacted") {
      on.compacted(body.oldest_index as number);
    } else {
      on.malformed(`an event of type ${type}`);
    }
  } catch {
    on.malformed(`an event that is not JSON: ${block.slice(0, 200)}`);
  }
}

function bulkText(item: Reply | undefined): string | null {
  return item?.type === "bulk" ? item.value : null;
}

function integerOf(item: Reply | undefined): number {
  return item?.type === "integer" ? Number(item.value) : Number.NaN;
}
