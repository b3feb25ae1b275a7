/**
 * A member removed and added back must stay in the address book of a node that restarts
 * afterwards. Found by the fault campaign (FAULTS.md, "Bugs found"): a restarted node
 * replayed its log's membership changes into the address book, then applied the same
 * committed entries once more; the second "remove 3" made it forget node 3 for good
 * (applying an add only ever re-adds nothing), so it refused node 3's connections, and
 * with another node doing the same to a third, no two nodes could form a majority.
 * Three embedded nodes over loopback TCP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../db.js";
import { startEmbeddedCluster } from "../scenarios/embedded_cluster.js";
import { waitUntil } from "../scenarios/server_fixtures.js";

const SIZE = 3;

test("a node restarted after a member was removed and added back still knows that member's address", { timeout: 120_000 }, async () => {
  const cluster = await startEmbeddedCluster({ size: SIZE, name: "membership-restart" });
  const { dbs, peers } = cluster;
  try {
    const leader = await cluster.leader();
    const leaderDb = dbs.get(leader) as Db;
    const [member, restarted] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    const address = `127.0.0.1:${peers.get(member)?.port}`;
    // One change at a time: the next is refused until the last has committed everywhere it must.
    const change = (conf: Parameters<Db["node"]["changeMembership"]>[0]): Promise<void> =>
      waitUntil(`${conf.type} ${conf.node} accepted`, () => leaderDb.node.changeMembership(conf).then(() => true, () => false));
    await change({ type: "remove", node: member });
    await change({ type: "addLearner", node: member, address });
    await change({ type: "addVoter", node: member, address });
    await leaderDb.set("after", "re-added");
    const lastChange = leaderDb.node.status().commitIndex;
    await waitUntil(`node ${restarted} applied the changes`, () => (dbs.get(restarted) as Db).node.status().appliedIndex >= lastChange);

    await (dbs.get(restarted) as Db).close();
    const again = await cluster.start(restarted);
    await waitUntil(`node ${restarted} applied the changes again`, () => again.node.status().appliedIndex >= lastChange);
    assert.equal(again.node.memberAddresses()[String(member)], address);
  } finally {
    await cluster.close();
  }
});
