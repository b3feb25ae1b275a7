/**
 * The node's view of membership beyond what the Raft core decides: where each member
 * listens for peers (the address book, kept in step with the log's membership changes so
 * every node and every future leader can reach a new member), and the RAFT ADD/REMOVE
 * callers waiting for their change to be applied.
 */
import { parsePeers, type PeerAddress } from "../config/peers.js";
import { WalnutError } from "../lib/errors.js";
import type { ConfChange, ConfState } from "../raft/types.js";

interface ChangeWaiter {
  done(conf: ConfState): boolean;
  deadlineMs: number;
  resolve(): void;
  reject(error: Error): void;
}

/** What the address book tells the transport about. */
export interface PeerDirectory {
  addPeer(id: number, address: PeerAddress): void;
  removePeer(id: number): void;
}

export class MembershipBook {
  private readonly addresses = new Map<number, PeerAddress>();
  /** Members whose removal this node applied since it started (the peer handshake tells them so). */
  private readonly removedIds = new Set<number>();
  /** Per member id, whether the newest change appended for it removes it or adds it. */
  private readonly newestAppended = new Map<number, "remove" | "add">();
  private waiters: ChangeWaiter[] = [];
  private directory: PeerDirectory | null = null;

  /** From now on, changes to the address book also reach `directory` (the transport). */
  attach(directory: PeerDirectory): void {
    this.directory = directory;
  }

  /** Addresses recorded in a checkpoint ("id" → "host:port"). */
  loadRecorded(recorded: Record<string, string>): void {
    for (const [id, text] of Object.entries(recorded)) {
      const parsed = parsePeers(`${id}=${text}`, "the checkpoint's member list").get(Number(id));
      if (parsed !== undefined) this.addresses.set(Number(id), parsed);
    }
  }

  /**
   * A checkpoint installed from the leader replaced the log: members of its membership
   * that this node has no address for (their changes were in the entries the checkpoint
   * covers, which this node never saw) become reachable from its address book. Addresses
   * already known stay: the flags' and newer changes' word wins.
   */
  learnFromCheckpoint(recorded: Record<string, string>, confState: ConfState, selfId: number): void {
    const members = new Set([...confState.voters, ...confState.learners]);
    for (const [id, text] of Object.entries(recorded)) {
      const node = Number(id);
      if (node === selfId || !members.has(node) || this.addresses.has(node)) continue;
      const address = parsePeers(`${id}=${text}`, "the checkpoint's member list").get(node);
      if (address === undefined) continue;
      this.addresses.set(node, address);
      this.directory?.addPeer(node, address);
    }
  }

  set(id: number, address: PeerAddress): void {
    this.addresses.set(id, address);
  }

  peers(): Map<number, PeerAddress> {
    return new Map(this.addresses);
  }

  /**
   * A membership change reached our log. A new member's address is known at once: the
   * leader replicates to it before the change commits. A removed member stays reachable
   * until the change is applied (noteApplied): a leader that removes itself must still
   * hear the acknowledgements that commit its removal.
   */
  noteAppended(change: ConfChange): void {
    this.newestAppended.set(change.node, change.type === "remove" ? "remove" : "add");
    if (change.type !== "remove") this.removedIds.delete(change.node);
    if (change.type === "remove" || change.address === undefined) return;
    const address = parsePeers(`${change.node}=${change.address}`, "a membership change's address").get(change.node);
    if (address === undefined) return;
    this.addresses.set(change.node, address);
    this.directory?.addPeer(change.node, address);
  }

  /**
   * A membership change was applied: a removed member is forgotten and its connections
   * close, unless a change adding the id back was appended since (a node catching up
   * appends a removal and the re-adding together, then applies them: the re-adding's
   * address must stay, or this node would refuse the member as "not a member").
   */
  noteApplied(change: ConfChange): void {
    if (change.type !== "remove" || this.newestAppended.get(change.node) === "add") return;
    this.addresses.delete(change.node);
    this.directory?.removePeer(change.node);
  }

  /** A committed change removed `id`, which no newer change brought back (`current`: the newest membership). */
  noteRemoved(id: number, current: ConfState): void {
    if (!current.voters.includes(id) && !current.learners.includes(id)) this.removedIds.add(id);
  }

  /** Whether `id`, not a member now, was removed by a change this node applied. */
  wasRemoved(id: number): boolean {
    return this.removedIds.has(id);
  }

  /** Members and where they listen for peers ("host:port"), in id order. */
  recorded(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, address] of [...this.addresses].sort(([a], [b]) => a - b)) out[String(id)] = `${address.host}:${address.port}`;
    return out;
  }

  /** Resolves once `change` shows in the applied membership (see settle). */
  waitFor(change: ConfChange, applied: ConfState, deadlineMs: number): Promise<void> {
    const done = (conf: ConfState): boolean =>
      change.type === "addVoter"
        ? conf.voters.includes(change.node)
        : change.type === "addLearner"
          ? conf.learners.includes(change.node)
          : !conf.voters.includes(change.node) && !conf.learners.includes(change.node);
    if (done(applied)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ done, deadlineMs, resolve, reject }));
  }

  /** The applied membership changed, or time passed: answer the waiters that are done or late. */
  settle(applied: ConfState, nowMs: number): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.done(applied)) waiter.resolve();
      else if (waiter.deadlineMs <= nowMs) waiter.reject(new WalnutError("TIMEOUT", "Cannot confirm the membership change in time; check RAFT STATUS"));
      else return true;
      return false;
    });
  }
}
