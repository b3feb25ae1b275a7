/**
 * The MIT 6.5840 Raft lab's test harness (config.go), ported to the simulator: servers are
 * connected and disconnected (every link to and from them cut), crashed and restarted
 * from their disks, and checked with the lab's helpers — checkOneLeader, checkTerms,
 * checkNoLeader, nCommitted and one(). Commands are KV puts of a unique value to key "x";
 * durations are in election timeouts (electionTicks ticks), not seconds.
 */
import { assert } from "../lib/assert.js";
import type { NodeId } from "../raft/types.js";
import { Cluster, type ClusterOptions } from "./cluster.js";
import { encodeRequest } from "./kv.js";

/** The client id the harness proposes under (the clients of a Cluster use small ids). */
const LAB_CLIENT = 1_000_000;

export class Lab {
  readonly cluster: Cluster;
  private readonly disconnected = new Set<NodeId>();
  private sequence = 0;
  /** Units in one election timeout. */
  readonly electionTimeout: number;

  constructor(options: ClusterOptions) {
    this.cluster = new Cluster(options);
    this.electionTimeout = this.cluster.ticks(options.raft?.electionTicks ?? 10);
  }

  get ids(): NodeId[] {
    return this.cluster.ids;
  }

  isConnected(id: NodeId): boolean {
    return !this.disconnected.has(id);
  }

  disconnect(id: NodeId): void {
    this.disconnected.add(id);
    this.cluster.network.isolate(id);
  }

  connect(id: NodeId): void {
    this.disconnected.delete(id);
    this.cluster.network.reconnect(id);
  }

  crash(id: NodeId): void {
    this.cluster.crash(id);
  }

  restart(id: NodeId): void {
    this.cluster.restart(id);
  }

  /** Runs for `timeouts` election timeouts. */
  wait(timeouts: number): void {
    this.cluster.runFor(Math.ceil(timeouts * this.electionTimeout));
  }

  /** Connected, up servers. */
  live(): NodeId[] {
    return this.ids.filter((id) => this.isConnected(id) && this.cluster.node(id).isUp);
  }

  /** Waits for exactly one leader of the newest term among the live servers; returns it. */
  checkOneLeader(): NodeId {
    for (let attempt = 0; attempt < 10; attempt++) {
      this.wait(0.5 + this.cluster.random.next() * 0.5);
      const leadersByTerm = new Map<number, NodeId[]>();
      for (const id of this.live()) {
        const node = this.cluster.node(id);
        if (node.role !== "leader") continue;
        leadersByTerm.set(node.term, [...(leadersByTerm.get(node.term) ?? []), id]);
      }
      for (const [term, leaders] of leadersByTerm) assert(leaders.length === 1, `term ${term} has ${leaders.length} leaders`);
      const newest = Math.max(...leadersByTerm.keys());
      if (leadersByTerm.size > 0) return (leadersByTerm.get(newest) as NodeId[])[0] as NodeId;
    }
    throw new Error("expected one leader, got none");
  }

  /** Every live server agrees on the term; returns it. */
  checkTerms(): number {
    const terms = new Set(this.live().map((id) => this.cluster.node(id).raft.status().term));
    assert(terms.size <= 1, `servers disagree on the term: ${[...terms].join(", ")}`);
    return [...terms][0] ?? 0;
  }

  checkNoLeader(): void {
    for (const id of this.live()) assert(this.cluster.node(id).role !== "leader", `server ${id} leads without a quorum`);
  }

  /** How many servers applied index `index`, and the value they applied (they must agree). */
  nCommitted(index: number): { count: number; value: string | undefined } {
    let count = 0;
    let value: string | undefined;
    for (const id of this.ids) {
      const request = this.cluster.appliedRequests.get(id)?.get(index);
      if (request === undefined) continue;
      const applied = request.command.kind === "put" ? request.command.value : `${request.command.kind}`;
      assert(value === undefined || value === applied, `servers applied ${value} and ${applied} at index ${index}`);
      value = applied;
      count++;
    }
    return { count, value };
  }

  /** Proposes `value` at `id`: the index it would take and whether `id` leads. */
  start(id: NodeId, value: string): { index: number; term: number; isLeader: boolean } {
    const node = this.cluster.node(id);
    const request = { client: LAB_CLIENT, sequence: ++this.sequence, command: { kind: "put" as const, key: "x", value } };
    const result = node.propose(encodeRequest(request));
    const term = node.isUp ? node.raft.status().term : 0;
    return result !== null && result.ok ? { index: result.index, term, isLeader: true } : { index: 0, term, isLeader: false };
  }

  /**
   * The lab's one(): keeps offering `value` to whichever live server leads until
   * `expectedServers` servers applied it at one index; returns that index.
   */
  one(value: string, expectedServers: number, options: { retry: boolean } = { retry: true }): number {
    const deadline = this.cluster.now + 10 * this.electionTimeout * 4;
    let starter = 0;
    while (this.cluster.now < deadline) {
      let index = 0;
      for (let offered = 0; offered < this.ids.length && index === 0; offered++) {
        starter = (starter + 1) % this.ids.length;
        const id = this.ids[starter] as NodeId;
        if (this.live().includes(id)) index = this.start(id, value).index;
      }
      if (index === 0) {
        this.wait(0.25);
        continue;
      }
      const committed = this.cluster.runUntil(() => {
        const { count, value: applied } = this.nCommitted(index);
        return count >= expectedServers && applied === value;
      }, 2 * this.electionTimeout * 4);
      if (committed) return index;
      if (!options.retry) throw new Error(`one(${value}) failed to reach agreement`);
    }
    throw new Error(`one(${value}) failed to reach agreement among ${expectedServers} servers`);
  }

  /** Waits until `count` servers applied `index` (or the leader's term moved past `startTerm`). */
  waitCommitted(index: number, count: number, startTerm: number): string | undefined {
    this.cluster.runUntil(() => {
      if (this.nCommitted(index).count >= count) return true;
      return this.live().some((id) => this.cluster.node(id).raft.status().term > startTerm);
    }, 4 * this.electionTimeout);
    const { count: committed, value } = this.nCommitted(index);
    return committed >= count ? value : undefined;
  }

  /** Messages the network carried so far. */
  get messages(): number {
    return this.cluster.network.stats.sent;
  }
}
