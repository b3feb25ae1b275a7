/**
 * Hand-written scenarios on real walnut nodes in the simulator (node_cluster.ts), after
 * the MIT 6.5840 Raft lab's tests (election, agreement, persistence, snapshots) and
 * leadership transfer: each one seed, so a failure replays exactly. Election and state
 * machine safety are watched throughout (raft_safety.ts) and every history must be
 * linearizable.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeId } from "../raft/types.js";
import { Random } from "../lib/seeded_random.js";
import { NodeCluster } from "./node_cluster.js";
import { RELIABLE_NETWORK } from "./network.js";
import { SIMULATED_LAN } from "./node_run.js";
import { ScenarioClients } from "./scenario_clients.js";

/** Long enough for an election (timeouts of 1 to 2 s, node/node.ts) and a commit round. */
const ELECTION_MS = 5_000;
const WRITER = 1;

class Lab {
  readonly cluster: NodeCluster;
  readonly clients: ScenarioClients;
  readonly ids: NodeId[];
  private readonly disconnected = new Set<NodeId>();

  constructor(nodes: number, seed: number, options: { unreliable?: boolean } = {}) {
    this.cluster = new NodeCluster({ seed, nodes, network: options.unreliable === true ? SIMULATED_LAN : { ...RELIABLE_NETWORK, minDelay: 1, maxDelay: 2 } });
    this.clients = new ScenarioClients(this.cluster);
    this.ids = [...this.cluster.members.keys()];
    for (const id of this.ids) this.cluster.start(id);
  }

  /** Leaders among the connected, running nodes. */
  leaders(): NodeId[] {
    return this.ids.filter((id) => !this.disconnected.has(id) && this.cluster.member(id).node?.status().role === "leader");
  }

  /** Waits for exactly one connected leader and returns it. */
  async checkOneLeader(): Promise<NodeId> {
    assert.ok(await this.clients.runUntil(() => this.leaders().length === 1, ELECTION_MS), `one leader among the connected (${this.leaders().join(", ") || "none"})`);
    this.assertNoFailure();
    return this.leaders()[0] as NodeId;
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
    this.cluster.start(id);
  }

  /** How many running nodes hold `value` for key x as their own state. */
  holding(value: string): number {
    return this.ids.filter((id) => this.cluster.localValue(id, "x") === value).length;
  }

  /**
   * SET x `value` through whoever leads among the connected, retried until it is
   * acknowledged, then waits until `expected` nodes hold it (the lab's `one`).
   */
  async one(value: string, expected: number): Promise<void> {
    const acknowledged = (): boolean => this.clients.history.some((operation) => operation.command.kind === "set" && operation.command.value === value && operation.result === "OK");
    const deadline = this.cluster.now + 4 * ELECTION_MS;
    while (!acknowledged() && this.cluster.now < deadline) {
      const leader = this.leaders()[0];
      if (leader !== undefined && !this.clients.isBusy(WRITER)) this.clients.send(WRITER, leader, { kind: "set", key: "x", value });
      await this.clients.run(50);
    }
    assert.ok(acknowledged(), `SET x ${value} was acknowledged`);
    assert.ok(await this.clients.runUntil(() => this.holding(value) >= expected, ELECTION_MS), `${expected} nodes hold ${value} (${this.holding(value)} do)`);
    this.assertNoFailure();
  }

  /** A write that must not commit: no quorum holds it after a while. */
  async noCommit(value: string): Promise<void> {
    const leader = this.leaders()[0];
    if (leader !== undefined) this.clients.send(2, leader, { kind: "set", key: "x", value });
    await this.clients.run(2 * ELECTION_MS);
    assert.ok(!this.clients.history.some((operation) => operation.command.kind === "set" && operation.command.value === value && operation.result === "OK"), `SET x ${value} was not acknowledged`);
  }

  async finish(): Promise<void> {
    await this.clients.run(1_000);
    this.assertNoFailure();
    assert.notEqual(this.clients.linearizable(), false, "the clients' history is linearizable");
    assert.ok(this.cluster.safety.checks > 0, "the safety checks ran");
  }

  private assertNoFailure(): void {
    assert.equal(this.cluster.failure, null, this.cluster.failure?.message);
  }
}

test("initial election: one leader, and the term holds without failures", async () => {
  const lab = new Lab(3, 1);
  const leader = await lab.checkOneLeader();
  const term = lab.cluster.member(leader).node?.status().term;
  await lab.clients.run(2 * ELECTION_MS);
  assert.equal(await lab.checkOneLeader(), leader);
  assert.equal(lab.cluster.member(leader).node?.status().term, term, "no election without a failure");
  await lab.finish();
});

test("re-election: a new leader after the leader leaves, none without a quorum", async () => {
  const lab = new Lab(3, 2);
  const first = await lab.checkOneLeader();
  lab.disconnect(first);
  const second = await lab.checkOneLeader();
  assert.notEqual(second, first);
  lab.connect(first);
  const third = await lab.checkOneLeader();
  lab.disconnect(third);
  lab.disconnect(lab.ids.find((id) => id !== third) as NodeId);
  await lab.clients.run(2 * ELECTION_MS);
  assert.equal(lab.leaders().length, 0, "no leader without a quorum");
  for (const id of lab.ids) lab.connect(id);
  await lab.checkOneLeader();
  await lab.finish();
});

test("many elections: seven nodes, three disconnected at random, five times", async () => {
  const lab = new Lab(7, 3);
  const random = new Random(3);
  await lab.checkOneLeader();
  for (let round = 0; round < 5; round++) {
    const victims = random.shuffle(lab.ids).slice(0, 3);
    for (const id of victims) lab.disconnect(id);
    await lab.checkOneLeader();
    for (const id of victims) lab.connect(id);
  }
  await lab.checkOneLeader();
  await lab.finish();
});

test("agreement despite a follower's failure; none without a quorum, and again once it is back", async () => {
  const lab = new Lab(3, 4);
  await lab.one("101", 3);
  const leader = await lab.checkOneLeader();
  const follower = lab.ids.find((id) => id !== leader) as NodeId;
  lab.disconnect(follower);
  await lab.one("102", 2);
  await lab.one("103", 2);
  lab.connect(follower);
  await lab.one("104", 3);
  const leader2 = await lab.checkOneLeader();
  for (const id of lab.ids.filter((each) => each !== leader2)) lab.disconnect(id);
  await lab.noCommit("105");
  for (const id of lab.ids) lab.connect(id);
  await lab.one("106", 3);
  await lab.finish();
});

test("a partitioned leader rejoins and its uncommitted entries are replaced", async () => {
  const lab = new Lab(3, 9);
  await lab.one("101", 3);
  const leader1 = await lab.checkOneLeader();
  lab.disconnect(leader1);
  for (const value of ["102", "103", "104"]) lab.clients.send(10, leader1, { kind: "set", key: "x", value });
  await lab.one("105", 2);
  const leader2 = await lab.checkOneLeader();
  lab.disconnect(leader2);
  lab.connect(leader1);
  await lab.one("106", 2);
  lab.connect(leader2);
  await lab.one("107", 3);
  await lab.finish();
});

test("persistence: the cluster survives crashes of everyone, of the leader, of followers", async () => {
  const lab = new Lab(3, 11);
  await lab.one("11", 3);
  for (const id of lab.ids) lab.crash(id);
  for (const id of lab.ids) lab.restart(id);
  await lab.one("12", 3);
  const leader = await lab.checkOneLeader();
  lab.crash(leader);
  lab.restart(leader);
  await lab.one("13", 3);
  const leader2 = await lab.checkOneLeader();
  lab.crash(leader2);
  await lab.one("14", 2);
  lab.restart(leader2);
  const leader3 = await lab.checkOneLeader();
  const follower = lab.ids.find((id) => id !== leader3) as NodeId;
  lab.crash(follower);
  await lab.one("15", 2);
  lab.restart(follower);
  await lab.one("16", 3);
  await lab.finish();
});

test("snapshot install: a follower that fell behind the leader's window catches up from a checkpoint", async () => {
  const lab = new Lab(3, 15);
  await lab.one("start", 3);
  const leader = await lab.checkOneLeader();
  const follower = lab.ids.find((id) => id !== leader) as NodeId;
  lab.disconnect(follower);
  // Beyond the small log window the simulator gives members (node_cluster.ts): the leader
  // no longer holds the entries the follower lacks, and must send it a checkpoint.
  for (let i = 0; i < 60; i++) await lab.one(`${"v".repeat(100)}${i}`, 2);
  lab.connect(follower);
  await lab.one("after", 3);
  assert.ok(lab.cluster.events.snapshotsInstalled >= 1, "the follower installed a checkpoint from its leader");
  await lab.finish();
});

test("snapshot install over incremental checkpoints: the leader's checkpoints are deltas, and the follower gets a full one", async () => {
  const lab = new Lab(3, 16);
  await lab.one("start", 3);
  const leader = await lab.checkOneLeader();
  const follower = lab.ids.find((id) => id !== leader) as NodeId;
  lab.disconnect(follower);
  // The lab writes one key again and again: after the first two, most checkpoints are
  // deltas. Write past the log window until the leader's newest checkpoint is one.
  const newestIsDelta = (): boolean => {
    const names = (lab.cluster.member(leader).disk.list(`/data/node${leader}/checkpoints`) ?? []).filter((name) => /\.(ckpt|delta)$/.test(name));
    return names.sort().at(-1)?.endsWith(".delta") === true; // zero-padded indices sort as numbers
  };
  for (let i = 0; i < 300 && !(i >= 60 && newestIsDelta()); i++) await lab.one(`${"d".repeat(100)}${i}`, 2);
  assert.ok(newestIsDelta(), "the leader's newest checkpoint is a delta");
  const installed = lab.cluster.events.snapshotsInstalled;
  lab.connect(follower);
  await lab.one("after", 3);
  const receivedFull = (lab.cluster.member(follower).disk.list(`/data/node${follower}/checkpoints`) ?? []).some((name) => name.endsWith(".ckpt"));
  assert.ok(receivedFull, "the follower received a full checkpoint");
  assert.ok(await lab.clients.runUntil(() => lab.cluster.events.snapshotsInstalled > installed, ELECTION_MS), "the follower installed it");
  await lab.finish();
});

test("snapshot init: nodes restart from their checkpoints and keep serving", async () => {
  const lab = new Lab(3, 20);
  for (let i = 0; i < 40; i++) await lab.one(`${"w".repeat(100)}${i}`, 3);
  assert.ok(lab.cluster.events.checkpoints >= 3, "every node took a checkpoint");
  for (const id of lab.ids) lab.crash(id);
  for (const id of lab.ids) lab.restart(id);
  await lab.checkOneLeader();
  assert.ok(await lab.clients.runUntil(() => lab.holding(`${"w".repeat(100)}39`) === 3, ELECTION_MS), "every node restored the last value");
  await lab.one("after-restart", 3);
  await lab.finish();
});

test("leadership transfer: the target leads, writes go on, and a transfer to a cut-off node gives way to an election", async () => {
  const lab = new Lab(3, 21);
  await lab.one("before", 3);
  const leader = await lab.checkOneLeader();
  const target = lab.ids.find((id) => id !== leader) as NodeId;
  lab.cluster.member(leader).node?.transferLeadership(target);
  assert.ok(await lab.clients.runUntil(() => lab.leaders().length === 1 && lab.leaders()[0] === target, ELECTION_MS), `node ${target} leads after the transfer`);
  await lab.one("after-transfer", 3);
  // A transfer to a node that cannot hear: the leader gives it up, and someone leads again.
  const other = lab.ids.find((id) => id !== target) as NodeId;
  lab.disconnect(other);
  lab.cluster.member(target).node?.transferLeadership(other);
  await lab.one("during-failed-transfer", 2);
  lab.connect(other);
  await lab.one("healed", 3);
  await lab.finish();
});

test("a leader crashing right after its WAL fsync, before it sends or applies, loses nothing acknowledged", async () => {
  const lab = new Lab(3, 22);
  await lab.one("before", 3);
  for (let round = 0; round < 4; round++) {
    const leader = await lab.checkOneLeader();
    let crashed = false;
    lab.cluster.member(leader).disk.faults.crashAfterSync = () => {
      crashed = true;
      lab.crash(leader);
    };
    lab.clients.send(WRITER + round + 1, leader, { kind: "append", key: "x", value: `+${round}` });
    assert.ok(await lab.clients.runUntil(() => crashed, ELECTION_MS), "the leader crashed after an fsync");
    await lab.one(`after-${round}`, 2);
    lab.restart(leader);
    await lab.one(`restarted-${round}`, 3);
  }
  await lab.finish();
});
