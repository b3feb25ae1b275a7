/**
 * The simulated nodes' state machine: a tiny key-value store over a handful of keys, with
 * put, get, append and compare-and-set. Commands travel in log entries as JSON and carry
 * (client, sequence) so that an entry applied twice (a duplicated forwarded proposal, a
 * client retry) takes effect once: the store keeps each client's last sequence and result,
 * as walnut's at-most-once session table does.
 *
 * Every operation touches one key, which is what lets the linearizability checker split
 * a history per key.
 */
import { assert } from "../lib/assert.js";

export type KvCommand =
  | { kind: "put"; key: string; value: string }
  | { kind: "get"; key: string }
  | { kind: "append"; key: string; value: string }
  | { kind: "cas"; key: string; expected: string | null; value: string };

/** put and append answer "ok", get the value (null when absent), cas "true" or "false". */
export type KvResult = string | null;

export interface KvRequest {
  client: number;
  sequence: number;
  command: KvCommand;
}

export function encodeRequest(request: KvRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(request));
}

/** The request in an entry's data, or null for an empty entry (a new leader's no-op). */
export function decodeRequest(data: Uint8Array): KvRequest | null {
  if (data.length === 0) return null;
  const request = JSON.parse(new TextDecoder().decode(data)) as KvRequest;
  assert(typeof request.client === "number" && typeof request.sequence === "number", "a KV entry lacks client or sequence");
  return request;
}

/** What a command does to a value: the model both the store and the checker use. */
export function applyCommand(value: string | null, command: KvCommand): { value: string | null; result: KvResult } {
  switch (command.kind) {
    case "put":
      return { value: command.value, result: "ok" };
    case "get":
      return { value, result: value };
    case "append":
      return { value: (value ?? "") + command.value, result: "ok" };
    case "cas":
      return value === command.expected ? { value: command.value, result: "true" } : { value, result: "false" };
  }
}

interface Session {
  sequence: number;
  result: KvResult;
}

export class KvStore {
  private values = new Map<string, string>();
  private sessions = new Map<number, Session>();

  /** Applies a request once per (client, sequence); a repeat answers the first result. */
  apply(request: KvRequest): KvResult {
    const session = this.sessions.get(request.client);
    if (session !== undefined && request.sequence <= session.sequence) {
      return request.sequence === session.sequence ? session.result : null;
    }
    const key = request.command.key;
    const { value, result } = applyCommand(this.values.get(key) ?? null, request.command);
    if (value === null) this.values.delete(key);
    else this.values.set(key, value);
    this.sessions.set(request.client, { sequence: request.sequence, result });
    return result;
  }

  read(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /** The whole store as bytes: what a snapshot ships. */
  snapshot(): Uint8Array {
    const image = { values: [...this.values], sessions: [...this.sessions] };
    return new TextEncoder().encode(JSON.stringify(image));
  }

  static restore(bytes: Uint8Array): KvStore {
    const store = new KvStore();
    if (bytes.length === 0) return store;
    const image = JSON.parse(new TextDecoder().decode(bytes)) as { values: [string, string][]; sessions: [number, Session][] };
    store.values = new Map(image.values);
    store.sessions = new Map(image.sessions);
    return store;
  }
}
