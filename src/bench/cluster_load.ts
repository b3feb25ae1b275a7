/**
 * The load generator of the cluster benchmark, the same for walnut and etcd: a number of
 * workers, each with one write in flight on its own connection, writing 100-byte values
 * for a fixed time and recording every write's latency. Only the writer differs: walnut
 * gets `SET key value` over RESP (src/client/resp_client.ts), etcd gets `POST /v3/kv/put`
 * with a base64 key and value on its v3 JSON gateway, over a keep-alive HTTP agent.
 *
 * A second mode, `runFailoverLoad`, keeps writing while the caller kills the leader: a
 * worker whose write fails or times out drops its connection and reconnects to the next
 * target the caller names, until the load stops.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { RespClient } from "../client/resp_client.js";

const HOST = "127.0.0.1";
export const VALUE_BYTES = 100;
/** Distinct keys per worker; keys are reused so that walnut's keyspace stays small. */
const KEYS_PER_WORKER = 1000;
/** Under steady load, a write not answered in this time counts as failed. */
const WRITE_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 1000;
/** Pause after a failed write or connection, so that a dead target is not hammered. */
const RETRY_PAUSE_MS = 10;
const VALUE = "v".repeat(VALUE_BYTES);

/** One connection that writes one key at a time. */
export interface Writer {
  /** Resolves once the write is acknowledged; rejects on an error reply or a broken connection. */
  put(key: string, value: string): Promise<void>;
  close(): void;
}

/** Opens a writer to the member listening on `clientPort`. */
export type WriterFactory = (clientPort: number) => Promise<Writer>;

export async function openWalnutWriter(clientPort: number): Promise<Writer> {
  const client = await RespClient.connect({ host: HOST, port: clientPort, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  return {
    async put(key, value) {
      const reply = await client.command(["SET", key, value]);
      if (reply.type === "error") throw new Error(`Cannot SET ${key}: ${reply.text}`);
    },
    close: () => client.close(),
  };
}

/** An etcd writer factory whose writers share one keep-alive agent (one socket per writer in flight). */
export function etcdWriterFactory(): { open: WriterFactory; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  return {
    open: async (clientPort) => openEtcdWriter(agent, clientPort),
    close: () => agent.destroy(),
  };
}

function openEtcdWriter(agent: Agent, clientPort: number): Writer {
  let current: ReturnType<typeof request> | null = null;
  return {
    put(key, value) {
      const body = JSON.stringify({ key: Buffer.from(key, "latin1").toString("base64"), value: Buffer.from(value, "latin1").toString("base64") });
      return new Promise((resolve, reject) => {
        const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
        current = request({ host: HOST, port: clientPort, method: "POST", path: "/v3/kv/put", agent, headers }, (response) => {
          let answer = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (answer += chunk));
          response.on("error", reject);
          response.on("end", () => {
            if (response.statusCode === 200 && !answer.includes('"error"')) resolve();
            else reject(new Error(`Cannot put ${key} into etcd: HTTP ${response.statusCode ?? "?"} ${answer.slice(0, 200)}`));
          });
        });
        current.on("error", reject);
        current.end(body);
      });
    },
    close: () => current?.destroy(),
  };
}

export interface LoadOptions {
  openWriter: WriterFactory;
  clientPort: number;
  /** Workers, each with one write in flight. */
  inFlight: number;
  durationMs: number;
}

export interface LoadResult {
  writes: number;
  failedWrites: number;
  elapsedMs: number;
  /** Every acknowledged write's latency, sorted ascending. */
  latenciesMs: Float64Array;
}

/** `inFlight` workers writing to one member for `durationMs`; every latency recorded. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const writers = await Promise.all(Array.from({ length: options.inFlight }, () => options.openWriter(options.clientPort)));
  const latencies: number[] = [];
  let failedWrites = 0;
  const started = performance.now();
  const stopAt = started + options.durationMs;
  const work = async (writer: Writer, worker: number): Promise<void> => {
    for (let sequence = 0; performance.now() < stopAt; sequence++) {
      const sent = performance.now();
      try {
        await withTimeout(writer.put(keyOf(worker, sequence), VALUE), WRITE_TIMEOUT_MS);
        latencies.push(performance.now() - sent);
      } catch {
        failedWrites++;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  };
  try {
    await Promise.all(writers.map((writer, worker) => work(writer, worker)));
  } finally {
    for (const writer of writers) writer.close();
  }
  const elapsedMs = performance.now() - started;
  return { writes: latencies.length, failedWrites, elapsedMs, latenciesMs: Float64Array.from(latencies).sort() };
}

/** The latency below which `fraction` of the sorted latencies fall (nearest rank). */
export function percentile(sortedMs: Float64Array, fraction: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const rank = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil(fraction * sortedMs.length) - 1));
  return sortedMs[rank] as number;
}

export interface FailoverLoadOptions {
  openWriter: WriterFactory;
  inFlight: number;
  /** Where a worker (re)connects: asked again after every failure. */
  nextClientPort: () => number;
  /** A write not answered in this time counts as failed; the worker reconnects and retries. */
  writeTimeoutMs: number;
}

/** An acknowledged write: when it was sent and when its answer came, performance.now() ms. */
export interface Acknowledgement {
  sentMs: number;
  answeredMs: number;
}

export interface FailoverLoad {
  /** When the earliest-answered write sent at or after `sinceMs` was acknowledged; null if none yet. */
  firstAnsweredSentSince(sinceMs: number): number | null;
  /** Stops the workers (after their current write) and resolves with every acknowledgement. */
  stop(): Promise<{ acknowledgements: Acknowledgement[]; failedWrites: number }>;
}

/** Workers that write until stopped, reconnecting to `nextClientPort()` after any failure. */
export function runFailoverLoad(options: FailoverLoadOptions): FailoverLoad {
  const acknowledgements: Acknowledgement[] = [];
  let failedWrites = 0;
  let stopped = false;
  const work = async (worker: number): Promise<void> => {
    let writer: Writer | null = null;
    for (let sequence = 0; !stopped; sequence++) {
      const sentMs = performance.now();
      try {
        writer ??= await withTimeout(options.openWriter(options.nextClientPort()), CONNECT_TIMEOUT_MS);
        await withTimeout(writer.put(keyOf(worker, sequence), VALUE), options.writeTimeoutMs);
        acknowledgements.push({ sentMs, answeredMs: performance.now() });
      } catch {
        failedWrites++;
        writer?.close();
        writer = null;
        await sleep(RETRY_PAUSE_MS);
      }
    }
    writer?.close();
  };
  const workers = Promise.all(Array.from({ length: options.inFlight }, (_, worker) => work(worker)));
  return {
    firstAnsweredSentSince(sinceMs) {
      let first: number | null = null;
      for (const { sentMs, answeredMs } of acknowledgements) {
        if (sentMs >= sinceMs && (first === null || answeredMs < first)) first = answeredMs;
      }
      return first;
    },
    async stop() {
      stopped = true;
      await workers;
      return { acknowledgements, failedWrites };
    },
  };
}

function keyOf(worker: number, sequence: number): string {
  return `bench:${worker}:${sequence % KEYS_PER_WORKER}`;
}

/** `work`, or a rejection once `timeoutMs` has passed (the work itself is not cancelled). */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}
