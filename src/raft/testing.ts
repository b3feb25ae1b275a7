/**
 * A tiny in-memory cluster for the core's tests: a Map of RaftNode, a "disk" per node
 * (what its Readys persisted), and a network that delivers every Ready's messages after
 * the Ready was persisted, until the cluster is quiet. Links can be cut and messages
 * filtered; nothing is random except the nodes' injected PRNGs, so every test replays.
 *
 * This is test support, not a simulator (src/sim/ is): no delays, no reordering.
 */
import { assert } from "../lib/assert.js";
import { createMessage } from "./message.js";
import { RaftNode } from "./raft.js";
import type { ConfState, Entry, HardState, Message, NodeId, RaftConfig, RaftInitialState, ReadState, SnapshotMetadata } from "./types.js";
import { seededRandom } from "../lib/seeded_random.js";


/** A seeded PRNG (mulberry32): the nodes' `random`. */
export { seededRandom };

export const ELECTION_TICKS = 10;
export const HEARTBEAT_TICKS = 1;

export function testConfig(id: NodeId, overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id,
    electionTicks: ELECTION_TICKS,
    heartbeatTicks: HEARTBEAT_TICKS,
    random: seededRandom(id * 7919),
    preVote: false,
    checkQuorum: false,
    maxEntriesPerAppend: 64,
    maxInflightAppends: 8,
    ...overrides,
  };
}

/** What a node's driver made durable, and what it applied. */
export interface Disk {
  hardState: HardState;
  snapshot: SnapshotMetadata;
  entries: Entry[];
  applied: Entry[];
  /** The state machine's position: the last applied entry or installed snapshot. */
  appliedIndex: number;
  readStates: ReadState[];
  installedSnapshots: SnapshotMetadata[];
  /** The membership the node was first started with (the base when it has no snapshot). */
  startingConfState: ConfState;
}

export function entry(index: number, term: number, data = ""): Entry {
  return { index, term, type: "normal", data: new TextEncoder().encode(data) };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

export interface ClusterOptions {
  voters: NodeId[];
  learners?: NodeId[];
  config?: Partial<RaftConfig>;
  /** Per-node starting log and term (default: empty log, term 0). */
  initial?: Map<NodeId, { entries: Entry[]; term: number; commit?: number }>;
}

export class Cluster {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly disks = new Map<NodeId, Disk>();
  /** Every message delivered (or dropped), in order: tests count round trips with it. */
  readonly sent: Message[] = [];
  /** Return false to drop a message. */
  filter: (message: Message) => boolean = () => true;
  /** Orders (or drops, or duplicates) each batch of messages before delivery. */
  arrange: (batch: Message[]) => Message[] = (batch) => batch;
  /** Changes a message in flight (a test shortening an append, say). */
  rewrite: (message: Message) => Message = (message) => message;
  private readonly cut = new Set<string>();
  private queue: Message[] = [];

  constructor(private readonly options: ClusterOptions) {
    const learners = options.learners ?? [];
    for (const id of [...options.voters, ...learners]) {
      this.add(id, { voters: options.voters, learners });
    }
  }

  /** Starts node `id` with membership `confState` (a joining node passes an empty one). */
  add(id: NodeId, confState: ConfState): RaftNode {
    const start = this.options.initial?.get(id);
    const entries = start?.entries ?? [];
    const initial: RaftInitialState = {
      hardState: { term: start?.term ?? 0, vote: 0, commit: start?.commit ?? 0 },
      confState,
      snapshot: { index: 0, term: 0, confState },
      entries,
    };
    const node = new RaftNode(testConfig(id, this.options.config), initial);
    this.nodes.set(id, node);
    this.disks.set(id, { hardState: initial.hardState, snapshot: initial.snapshot, entries: [...entries], applied: [], appliedIndex: 0, readStates: [], installedSnapshots: [], startingConfState: confState });
    return node;
  }

  /** Crashes node `id` and starts it again from what its disk holds. */
  restart(id: NodeId): RaftNode {
    const disk = this.disk(id);
    const confState = disk.snapshot.index > 0 ? disk.snapshot.confState : disk.startingConfState;
    const node = new RaftNode(testConfig(id, this.options.config), { hardState: disk.hardState, confState, snapshot: disk.snapshot, entries: [...disk.entries] });
    this.nodes.set(id, node);
    disk.appliedIndex = disk.snapshot.index; // the state machine is rebuilt from the snapshot
    return node;
  }

  node(id: NodeId): RaftNode {
    const found = this.nodes.get(id);
    assert(found !== undefined, `no node ${id}`);
    return found;
  }

  disk(id: NodeId): Disk {
    const found = this.disks.get(id);
    assert(found !== undefined, `no disk ${id}`);
    return found;
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handles every node's Ready once (persist, install, queue messages, apply, advance). */
  handleReadies(): void {
    for (const [id, node] of this.nodes) {
      while (node.hasReady()) {
        const ready = node.ready();
        const disk = this.disk(id);
        if (ready.hardState !== null) disk.hardState = ready.hardState;
        if (ready.snapshot !== null) {
          disk.snapshot = ready.snapshot;
          disk.entries = [];
          disk.installedSnapshots.push(ready.snapshot);
          disk.appliedIndex = ready.snapshot.index;
        }
        for (const each of ready.entries) {
          disk.entries = disk.entries.filter((kept) => kept.index < each.index);
          disk.entries.push(each);
        }
        this.queue.push(...ready.messages);
        for (const each of ready.committedEntries) {
          assert(each.index === disk.appliedIndex + 1, `node ${id} applies ${each.index} after ${disk.appliedIndex}`);
          disk.appliedIndex = each.index;
          disk.applied.push(each);
        }
        disk.readStates.push(...ready.readStates);
        node.advance(ready);
      }
    }
  }

  /** Messages handed out by Readys and not yet delivered. */
  pending(): readonly Message[] {
    return this.queue;
  }

  /** Delivers the queued messages once; returns how many were queued. */
  deliverQueued(): number {
    const batch = this.queue;
    this.queue = [];
    const delivered = new Set<Message>();
    for (const message of this.arrange(batch)) {
      if (this.deliver(message)) delivered.add(message);
    }
    // The leader's driver streams each snapshot and always reports how it went.
    for (const message of batch) {
      if (message.type !== "snapshot") continue;
      const report = createMessage({ type: "snapshotStatus", from: message.to, to: message.from, reject: !delivered.has(message) });
      this.node(message.from).step(report);
    }
    return batch.length;
  }

  /** Handles Readys and delivers messages until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round += 1) {
      this.handleReadies();
      if (this.deliverQueued() === 0) return;
    }
    assert(false, `cluster did not settle in ${maxRounds} rounds`);
  }

  tick(id: NodeId, times = 1): void {
    for (let count = 0; count < times; count += 1) {
      this.node(id).tick();
      this.stabilize();
    }
  }

  tickAll(times = 1): void {
    for (let count = 0; count < times; count += 1) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }

  /** Ids of the nodes that believe they lead. */
  leaders(): NodeId[] {
    return [...this.nodes].filter(([, node]) => node.status().role === "leader").map(([id]) => id);
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
    assert(this.node(id).status().role === "leader", `node ${id} did not win its election`);
  }

  /** Steps `original` into its target unless the link is cut or the filter drops it. */
  private deliver(original: Message): boolean {
    const message = this.rewrite(original);
    this.sent.push(message);
    if (this.cut.has(`${message.from}->${message.to}`) || !this.filter(message)) return false;
    const target = this.nodes.get(message.to);
    if (target === undefined) return false;
    target.step(message);
    return true;
  }
}
