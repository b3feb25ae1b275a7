/**
 * How the campaign brings a removed id back (nemesis.ts rejoin), on three real processes.
 * Started empty before its id is re-added, a node is told "removed" by the members and
 * stops for good, as etcd's removed members do (node/removal.ts): re-added afterwards it
 * would be a voter that never campaigns (the flake of seed 4293867938). Re-added first
 * and started after, it takes part: it catches up, is promoted and can lead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { waitUntil } from "../processes/waiting.js";
import { changeMembership, expectTakingPart, rejoin } from "./nemesis.js";

const TEST_TIMEOUT_MS = 180_000;

test("a removed id started empty before it is re-added stops as removed; re-added first, it rejoins and can lead", { timeout: TEST_TIMEOUT_MS }, async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  try {
    const leader = await cluster.waitForLeader();
    const node = cluster.ids.find((id) => id !== leader) as number;
    await cluster.stop(node, "SIGKILL");
    await changeMembership(cluster, ["RAFT", "REMOVE", String(node)]);

    // The order the campaign used: the empty process first. The members refuse it as removed.
    await cluster.wipe(node);
    await cluster.restart(node);
    await waitUntil(`node ${node} reports the role removed`, async () => (await cluster.status(node))?.role === "removed");
    await assert.rejects(expectTakingPart(cluster, node), /reports the role "removed"/);

    // The order it uses now: add the id, then start the process.
    await rejoin(cluster, node);
    const status = await cluster.status(leader);
    assert.ok(status?.voters.includes(node), `node ${node} is a voter again: ${JSON.stringify(status)}`);
    // It campaigns: a leadership transfer to it succeeds (asked again while it has not yet).
    await waitUntil(`node ${node} leads after RAFT TRANSFER`, async () => {
      if ((await cluster.status(node))?.role === "leader") return true;
      await changeMembership(cluster, ["RAFT", "TRANSFER", String(node)]);
      return false;
    });
    const reply = await cluster.command(node, ["SET", "rejoined", "yes"]);
    assert.deepEqual(reply, { type: "status", text: "OK" });
  } catch (error) {
    const logs = cluster.ids.map((id) => `--- node ${id} ---\n${cluster.stderr(id).slice(-3_000)}`).join("\n");
    throw new Error(`${String(error)}\n${logs}`, { cause: error });
  } finally {
    await cluster.close();
  }
});
