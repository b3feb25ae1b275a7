/**
 * A node's link to the other members: the peer transport for Raft messages, and the
 * streaming of checkpoints to followers too far behind for the log (InstallSnapshot).
 *
 * Sending a snapshot: the core asks for it with a "snapshot" message. We stream the
 * checkpoint file it names to the follower, then deliver the message itself and tell
 * the core how the send went ("snapshotStatus"). One stream per follower at a time.
 *
 * Receiving a snapshot: the chunks are written to a temporary file in the checkpoint
 * directory, fsynced, checked (CRC) and renamed to the checkpoint's name. The follower's
 * core then receives the "snapshot" message and the node installs that file.
 */
import { join } from "node:path";
import { describeError } from "../lib/errors.js";
import { readChunks, type FileHandleLike } from "../lib/files.js";
import { linesTo, type Logger } from "../lib/log.js";
import type { RaftMetrics } from "../metrics/raft_metrics.js";
import { createMessage } from "../raft/message.js";
import type { ConfState, Message, NodeId, SnapshotMetadata } from "../raft/types.js";
import { checkpointFileName, claimTemporaryPath, forgetTemporaryPath } from "../snapshot/checkpoint_files.js";
import { renameDurably } from "../lib/durable_file.js";
import { readCheckpoint } from "../snapshot/reader.js";
import type { Transport } from "../transport/contract.js";
import type { MutualTlsOptions, PeerAddress, PeerTransportStats } from "../transport/transport.js";
import type { NodeEnvironment } from "./environment.js";

const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export interface ClusterOptions {
  /** Where this node listens for peers. */
  listen: PeerAddress;
  /** Every member (this node included) and where it listens for peers. */
  peers: Map<NodeId, PeerAddress>;
  /** Shared secret every member proves it knows; null: none. */
  secret: string | null;
  tls?: MutualTlsOptions;
  /** The cluster's id; by default derived from the initial `peers` (every founding member agrees). */
  clusterId?: string;
  /** The membership a node starts with when its data directory is new (default: every peer a voter). */
  initialConfState?: ConfState;
}

export interface ClusterHost {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly checkpointDirectory: string;
  /** Hands a message to the Raft core (and runs the Ready loop). */
  step(message: Message): void;
  /** The node's logger: the link logs as components "cluster" and "transport". */
  readonly log: Logger;
  /** Counts the snapshots sent and received. */
  readonly metrics: RaftMetrics;
  /** Whether a node that is not a member was removed by a change this node applied. */
  wasRemoved(id: NodeId): boolean;
  /** A member refused this node as removed from the cluster. */
  removed(reason: string): void;
  /** Answers a member's question asked outside Raft (peer_questions.ts). */
  answerQuestion(from: NodeId, question: Buffer): Promise<Uint8Array>;
  /** Where the link's transport, files and timers come from. */
  readonly environment: NodeEnvironment;
}

export class ClusterLink {
  private readonly transport: Transport;
  private readonly log: Logger;
  private readonly streaming = new Set<NodeId>();

  constructor(
    private readonly host: ClusterHost,
    options: ClusterOptions,
  ) {
    this.log = host.log.child({ component: "cluster" });
    this.transport = host.environment.transport({
      nodeId: host.id,
      clusterId: host.clusterId,
      secret: options.secret,
      listen: options.listen,
      peers: options.peers,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      onMessage: (message) => host.step(message),
      onSnapshot: (from, metadata, chunks) => this.receiveSnapshot(from, metadata, chunks),
      onQuestion: (from, question) => host.answerQuestion(from, question),
      onUnreachable: (peer) => host.step(createMessage({ type: "unreachable", from: peer, to: host.id })),
      wasRemoved: (id) => host.wasRemoved(id),
      onRemoved: (reason) => host.removed(reason),
      log: linesTo(host.log.child({ component: "transport" }), "info"),
      random: host.environment.random,
      now: () => host.environment.clock.now(),
    });
  }

  start(): Promise<{ port: number }> {
    return this.transport.start();
  }

  send(messages: Message[]): void {
    const plain: Message[] = [];
    for (const message of messages) {
      if (message.type === "snapshot") this.streamSnapshot(message);
      else plain.push(message);
    }
    if (plain.length > 0) this.transport.send(plain);
  }

  /** Asks `to` one question outside Raft; rejects when it does not answer within `timeoutMs`. */
  ask(to: NodeId, question: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.transport.ask === undefined) return Promise.reject(new Error(`Cannot ask node ${to}: this transport carries Raft messages only`));
    return this.transport.ask(to, question, timeoutMs);
  }

  /** A member joined (or moved): messages to it go to `address`. */
  addPeer(id: NodeId, address: PeerAddress): void {
    if (id !== this.host.id) this.transport.addPeer(id, address);
  }

  removePeer(id: NodeId): void {
    if (id !== this.host.id) this.transport.removePeer(id);
  }

  stats(): PeerTransportStats {
    return this.transport.stats();
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private streamSnapshot(message: Message): void {
    const metadata = message.snapshot;
    if (metadata === null || this.streaming.has(message.to)) return;
    this.streaming.add(message.to);
    const path = join(this.host.checkpointDirectory, checkpointFileName(metadata.index, metadata.term));
    const chunks = readChunks(this.host.environment.files, path, SNAPSHOT_CHUNK_BYTES);
    const fields = { index: metadata.index, term: metadata.term, peer: message.to };
    this.log.info(fields, `sending checkpoint ${metadata.index} to node ${message.to}`);
    this.transport.sendSnapshot(message.to, metadata, chunks).then(
      () => {
        this.streaming.delete(message.to);
        this.host.metrics.snapshotSent();
        this.transport.send([message]);
        this.host.step(createMessage({ type: "snapshotStatus", from: message.to, to: this.host.id, reject: false }));
      },
      (error: unknown) => {
        this.streaming.delete(message.to);
        void chunks.return(undefined).catch(() => undefined);
        this.log.warn(fields, `sending checkpoint ${metadata.index} to node ${message.to} failed: ${describeError(error)}`);
        this.host.step(createMessage({ type: "snapshotStatus", from: message.to, to: this.host.id, reject: true }));
      },
    );
  }

  private async receiveSnapshot(from: NodeId, metadata: SnapshotMetadata, chunks: AsyncIterable<Buffer>): Promise<void> {
    const directory = this.host.checkpointDirectory;
    const name = checkpointFileName(metadata.index, metadata.term);
    const temporary = claimTemporaryPath(join(directory, name));
    const { files, checkpointIo } = this.host.environment;
    try {
      const handle = await files.open(temporary, "w", 0o644);
      try {
        let position = 0;
        for await (const chunk of chunks) {
          await writeFully(handle, chunk, position);
          position += chunk.length;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await readCheckpoint(temporary, checkpointIo); // every CRC checked before it may replace our state
      await renameDurably(temporary, join(directory, name), files);
    } catch (error) {
      await files.rm(temporary, { force: true });
      throw error;
    } finally {
      forgetTemporaryPath(temporary);
    }
    this.host.metrics.snapshotReceived();
    this.log.info({ index: metadata.index, term: metadata.term, peer: from }, `received checkpoint ${metadata.index} from node ${from}`);
  }
}

/** Writes all of `chunk` at `position`, continuing after short writes. */
async function writeFully(handle: FileHandleLike, chunk: Buffer, position: number): Promise<void> {
  for (let done = 0; done < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    if (bytesWritten === 0) throw Object.assign(new Error("EIO: a write made no progress"), { code: "EIO" });
    done += bytesWritten;
  }
}
