/**
 * The membership a restored checkpoint carries. A checkpoint records the Raft membership
 * of the cluster it was taken in (metadata.confState: voters and learners) and where each
 * member listened (metadata.members: "id" → "host:port"); recovery trusts both over the
 * serve flags. A backup restored elsewhere (a cluster's backup into a single node, or into
 * a cluster on other addresses) must therefore say the new membership, or the node waits
 * for voters that do not exist. `walnut restore --from` makes it match what the node will
 * serve with: --peers (every member a voter) or, without it, the node alone.
 */
import type { PeerAddress } from "../config/peers.js";
import { Engine } from "../engine/engine.js";
import type { LoadedCheckpoint } from "../snapshot/reader.js";
import { writeCheckpoint } from "../snapshot/writer.js";

export interface Membership {
  confState: { voters: number[]; learners: number[] };
  members: Record<string, string>;
}

/** The membership of a node started with `--id nodeId` and `--peers peers` (null: alone). */
export function membershipFor(nodeId: number, peers: ReadonlyMap<number, PeerAddress> | null): Membership {
  if (peers === null) return { confState: { voters: [nodeId], learners: [] }, members: {} };
  const ids = [...peers.keys()].sort((a, b) => a - b);
  const members: Record<string, string> = {};
  for (const id of ids) {
    const address = peers.get(id) as PeerAddress;
    members[String(id)] = `${address.host}:${address.port}`;
  }
  return { confState: { voters: ids, learners: [] }, members };
}

/** True when the checkpoint already records exactly this membership. */
export function recordsMembership(metadata: Record<string, unknown>, membership: Membership): boolean {
  const recorded = { confState: metadata.confState ?? null, members: metadata.members ?? {} };
  return JSON.stringify(recorded) === JSON.stringify(membership);
}

/**
 * Writes `loaded`'s data again into `dir` under its own index and term, with `membership`
 * in place of the one it recorded; every other metadata field (sessions, ...) is kept.
 */
export async function writeWithMembership(loaded: LoadedCheckpoint, options: { dir: string; membership: Membership; clusterId: string; nodeId: number }): Promise<void> {
  const engine = new Engine();
  for (const collection of loaded.collections) engine.installCollection(collection);
  engine.appliedIndex = loaded.index;
  engine.appliedTerm = loaded.term;
  await writeCheckpoint(engine.openView(), {
    dir: options.dir,
    metadata: { ...loaded.metadata, clusterId: options.clusterId, nodeId: options.nodeId, ...options.membership },
  });
}
