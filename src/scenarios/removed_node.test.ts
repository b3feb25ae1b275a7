/**
 * A node the cluster removed (RAFT REMOVE) learns so and says so, with real processes:
 *
 *   - a follower removed by the leader never sees its removal commit (the leader stops
 *     replicating to it at once); the members that applied it tell it so when it next
 *     dials them, and it reports role "removed", answers clients "this node was removed
 *     from the cluster" with what to do next, and logs that once (not every few seconds
 *     as a campaign that can never win);
 *   - a leader that removes itself applies its own removal, and does the same.
 *
 * The members left go on committing writes. Every wait polls a condition.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { memberStatus } from "./joining_node.js";
import { waitUntil } from "./server_fixtures.js";

/** Writes through `respPort` until `count` succeed (retrying while a leader is elected). */
async function write(respPort: number, count: number, prefix: string): Promise<void> {
  const client = new Redis({ port: respPort, host: "127.0.0.1", maxRetriesPerRequest: 0, lazyConnect: true });
  client.on("error", () => undefined);
  try {
    await client.connect();
    let done = 0;
    await waitUntil(`${count} writes through port ${respPort}`, async () => {
      const ok = await client.set(`${prefix}-${done}`, String(done)).then(() => true, (error: unknown) => {
        if (/no leader|retry/i.test(String(error))) return false;
        throw error;
      });
      if (ok) done += 1;
      return done >= count;
    });
  } finally {
    client.disconnect();
  }
}

/** RAFT/SET/GET on `respPort`: the reply, or "error: <text>". */
async function command(respPort: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port: respPort, host: "127.0.0.1", maxRetriesPerRequest: 0, lazyConnect: true });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await client.call(args[0] as string, ...args.slice(1)).catch((error: unknown) => `error: ${String(error)}`);
  } finally {
    client.disconnect();
  }
}

async function leaderOf(cluster: ProcessCluster, ids: number[]): Promise<number> {
  let leader = 0;
  await waitUntil(`a leader among nodes ${ids.join(",")}`, async () => {
    const statuses = await Promise.all(ids.map((id) => memberStatus(cluster.httpPort(id))));
    leader = statuses.find((status) => status?.role === "leader")?.id ?? 0;
    return leader !== 0;
  });
  return leader;
}

test("a removed follower and a leader that removed itself each report role removed, refuse clients with what to do, and say so once", { timeout: 120_000 }, async () => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  try {
    const leader = await leaderOf(cluster, cluster.ids);
    const follower = cluster.ids.find((id) => id !== leader) as number;
    const third = cluster.ids.find((id) => id !== leader && id !== follower) as number;
    await write(cluster.respPort(leader), 10, "before");

    assert.equal(await command(cluster.respPort(leader), "RAFT", "REMOVE", String(follower)), "OK");
    await waitUntil(`node ${follower} reports role "removed"`, async () => (await memberStatus(cluster.httpPort(follower)))?.role === "removed");
    assert.match(String(await command(cluster.respPort(follower), "SET", "k", "v")), /Cannot write: this node was removed from the cluster; stop it; to use this machine again, empty its --data-dir and join it with a new --id/);
    assert.match(String(await command(cluster.respPort(follower), "GET", "k")), /Cannot read: this node was removed from the cluster/);
    assert.doesNotMatch(String(await command(cluster.respPort(follower), "GET", "k")), /no leader is known/);

    // The two left commit; meanwhile the removed node says nothing more about it.
    await write(cluster.respPort(third), 50, "after");
    const said = cluster.stderr(follower).match(/this node was removed from the cluster \(/g) ?? [];
    assert.equal(said.length, 1, cluster.stderr(follower).slice(-3000));
    assert.equal((await memberStatus(cluster.httpPort(follower)))?.role, "removed");

    // The leader removes itself: it applies its own removal.
    const now = await leaderOf(cluster, [leader, third]);
    const other = now === leader ? third : leader;
    assert.equal(await command(cluster.respPort(now), "RAFT", "REMOVE", String(now)), "OK");
    await waitUntil(`node ${now} reports role "removed"`, async () => (await memberStatus(cluster.httpPort(now)))?.role === "removed");
    assert.match(cluster.stderr(now), /this node was removed from the cluster \(it applied its own removal/);
    await write(cluster.respPort(other), 10, "alone");
  } catch (error) {
    const logs = cluster.ids.map((id) => `--- node ${id} ---\n${cluster.stderr(id).slice(-3000)}`).join("\n");
    throw new Error(`${String(error)}\n${logs}`, { cause: error });
  } finally {
    await cluster.close();
  }
});
