/**
 * How each recorded operation maps onto walnut's two client protocols, and what each
 * answer means (outcome.ts holds the rules):
 *
 *   operation      RESP                                   HTTP
 *   read k         GET k                                  GET /key/k (linearizable; 404 → null)
 *   write k v      SET k v                                PUT /key/k {"value": v}
 *   cas k e v      WATCH k, GET k; if ≠ e: UNWATCH and    GET /key/k (value, version); if ≠ e:
 *                  answer false; else MULTI, SET k v,      answer false; else PUT /key/k
 *                  EXEC: array → true, nil → failed       {"value": v, "version": n}: 200 → true,
 *                                                          409 → failed
 *   incr k         INCR k                                 (none: HTTP has no increment)
 *
 * Why the CAS is atomic: WATCH records k's version (the log index of its last write) and
 * EXEC applies only if k still has that version when its entry is applied. Versions only
 * grow, so if EXEC applies, the value the (linearizable) GET returned in between is the
 * value at the moment EXEC applies. A CAS answered "false" linearizes at its GET. The
 * HTTP versioned PUT is the same condition, checked in the same state machine.
 */
import type { OperationCommand, OperationOutcome } from "../check/history.js";
import type { Reply } from "../engine/reply.js";
import { NoAnswer, RespClient } from "../client/resp_client.js";
import { unansweredOutcome, writeErrorOutcome } from "./outcome.js";

/** What one operation came back with. */
export interface Answer {
  outcome: OperationOutcome;
  result: string | null;
  error?: string;
}

/** Where a node answers. */
export interface NodePorts {
  respPort: number;
  httpPort: number;
}

export interface ProtocolClient {
  perform(node: NodePorts, command: OperationCommand, timeoutMs: number): Promise<Answer>;
  close(): void;
}

const ok = (result: string | null): Answer => ({ outcome: "ok", result });
const failed = (error: string): Answer => ({ outcome: "failed", result: null, error });

/** The answer for a write the server refused with `text`. */
function refusedWrite(text: string): Answer {
  return { outcome: writeErrorOutcome(text), result: null, error: text };
}

function replyText(reply: Reply): string | null {
  if (reply.type === "bulk") return reply.value;
  if (reply.type === "integer") return String(reply.value);
  if (reply.type === "status") return reply.text;
  return null;
}

/** RESP over one connection per node, reopened after any failure. */
export class RespProtocolClient implements ProtocolClient {
  private readonly connections = new Map<number, RespClient>();

  async perform(node: NodePorts, command: OperationCommand, timeoutMs: number): Promise<Answer> {
    const isWrite = command.kind !== "read";
    let sentWrite = false;
    try {
      const connection = await this.connection(node.respPort, timeoutMs);
      const run = (argv: string[], writes: boolean): Promise<Reply> => {
        sentWrite ||= writes;
        return connection.command(argv, { timeoutMs });
      };
      return await respOperation(command, run);
    } catch (error) {
      this.drop(node.respPort);
      if (!(error instanceof NoAnswer)) throw error;
      return { outcome: unansweredOutcome({ isWrite, sent: sentWrite && error.sent }), result: null, error: error.message };
    }
  }

  close(): void {
    for (const port of [...this.connections.keys()]) this.drop(port);
  }

  private async connection(port: number, timeoutMs: number): Promise<RespClient> {
    const open = this.connections.get(port);
    if (open?.isOpen === true) return open;
    const fresh = await RespClient.connect({ host: "127.0.0.1", port, connectTimeoutMs: timeoutMs });
    this.connections.set(port, fresh);
    return fresh;
  }

  private drop(port: number): void {
    this.connections.get(port)?.destroy();
    this.connections.delete(port);
  }
}

type RunCommand = (argv: string[], writes: boolean) => Promise<Reply>;

async function respOperation(command: OperationCommand, run: RunCommand): Promise<Answer> {
  switch (command.kind) {
    case "read": {
      const reply = await run(["GET", command.key], false);
      return reply.type === "error" ? failed(reply.text) : ok(replyText(reply));
    }
    case "write": {
      const reply = await run(["SET", command.key, command.value], true);
      return reply.type === "error" ? refusedWrite(reply.text) : ok(null);
    }
    case "incr": {
      const reply = await run(["INCR", command.key], true);
      return reply.type === "error" ? refusedWrite(reply.text) : ok(replyText(reply));
    }
    case "cas":
      return respCompareAndSet(command, run);
  }
}

async function respCompareAndSet(command: Extract<OperationCommand, { kind: "cas" }>, run: RunCommand): Promise<Answer> {
  const watched = await run(["WATCH", command.key], false);
  if (watched.type === "error") return failed(watched.text);
  const current = await run(["GET", command.key], false);
  if (current.type === "error") {
    await run(["UNWATCH"], false);
    return failed(current.text);
  }
  if (replyText(current) !== command.expected) {
    await run(["UNWATCH"], false);
    return ok("false");
  }
  for (const argv of [["MULTI"], ["SET", command.key, command.value]]) {
    const queued = await run(argv, false);
    if (queued.type === "error") {
      await run(["DISCARD"], false); // no EXEC was sent: nothing happened
      return failed(queued.text);
    }
  }
  const executed = await run(["EXEC"], true);
  if (executed.type === "nil") return failed("EXEC answered nil: the key changed since WATCH");
  if (executed.type === "error") return refusedWrite(executed.text);
  return ok("true");
}

/**
 * HTTP through fetch (keep-alive by Node's global agent). With `staleReads` (the
 * campaign's canary) reads ask for ?consistency=stale: the node's own state, which a
 * cut-off or lagging node serves stale; the checker must then catch it.
 */
export class HttpProtocolClient implements ProtocolClient {
  constructor(private readonly staleReads = false) {}

  async perform(node: NodePorts, command: OperationCommand, timeoutMs: number): Promise<Answer> {
    const base = `http://127.0.0.1:${node.httpPort}/key/${encodeURIComponent(command.key)}`;
    const isWrite = command.kind !== "read";
    let sentWrite = false;
    try {
      if (command.kind === "incr") throw new Error("HTTP has no increment; the picker must not choose one");
      if (command.kind === "write") {
        sentWrite = true;
        return await httpWrite(base, { value: command.value, version: undefined }, timeoutMs, false);
      }
      const current = await httpRead(command.kind === "read" && this.staleReads ? `${base}?consistency=stale` : base, timeoutMs);
      if (command.kind === "read" || current.outcome !== "ok") return current;
      if (current.result !== command.expected) return ok("false");
      sentWrite = true;
      return await httpWrite(base, { value: command.value, version: current.version }, timeoutMs, true);
    } catch (error) {
      const notSent = isConnectionRefused(error);
      return { outcome: unansweredOutcome({ isWrite, sent: sentWrite && !notSent }), result: null, error: describe(error) };
    }
  }

  close(): void {}
}

async function httpRead(url: string, timeoutMs: number): Promise<Answer & { version: number }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as { value?: unknown; version?: number; detail?: string };
  if (response.status === 404 && body.detail === "Key not found") return { ...ok(null), version: 0 };
  if (response.status !== 200) return { ...failed(`${response.status} ${body.detail ?? ""}`), version: 0 };
  return { ...ok(body.value === undefined || body.value === null ? null : String(body.value)), version: body.version ?? 0 };
}

async function httpWrite(url: string, body: { value: string; version: number | undefined }, timeoutMs: number, isCas: boolean): Promise<Answer> {
  const response = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const answer = (await response.json()) as { status?: string; detail?: string };
  if (response.status === 200) return ok(isCas ? "true" : null);
  if (response.status === 409 && isCas) return failed(`409 ${answer.detail ?? ""}`);
  return refusedWrite(`${response.status} ${answer.detail ?? ""}`);
}

function isConnectionRefused(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return cause?.code === "ECONNREFUSED";
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.name}: ${error.message}${cause}`;
}
