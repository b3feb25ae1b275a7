/**
 * WATCH of an absent key on a follower of a three-node cluster (embedded nodes, each with
 * its RESP server, their peer traffic through test-controlled proxies:
 * processes/tcp_proxy.ts), racing a create and delete made through the leader. While the
 * follower hears nothing from the leader (a one-way cut, leader → follower), SET and DEL
 * commit on the leader and the other follower, and the EXEC sent to the follower is
 * forwarded and applied there: the follower has applied neither SET nor DEL when its
 * client sends EXEC, so only a check made in apply can see them. EXEC must abort (nil),
 * and on every replica the transaction must have written nothing; a WATCH of a key nobody
 * touches must still let EXEC run. (commands/batch_conditions.ts)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { open, type Db } from "../db.js";
import { PeerNetwork } from "../processes/tcp_proxy.js";
import type { RunningServers } from "../server/servers.js";
import { serveOnLoopback } from "./harness.js";
import { freePort, waitUntil } from "./server_fixtures.js";

const ROUNDS = 3;
const HOST = "127.0.0.1";

interface ProxiedCluster {
  dbs: Map<number, Db>;
  servers: Map<number, RunningServers>;
  network: PeerNetwork;
  dirs: string[];
}

async function startProxiedCluster(): Promise<ProxiedCluster> {
  const realPorts = new Map<number, number>();
  for (const id of [1, 2, 3]) realPorts.set(id, await freePort());
  const network = await PeerNetwork.start([...realPorts].map(([id, realPort]) => ({ id, realPort })));
  const peers = new Map([...network.proxyPorts].map(([id, port]) => [id, { host: HOST, port }]));
  const started: ProxiedCluster = { dbs: new Map(), servers: new Map(), network, dirs: [] };
  for (const id of [1, 2, 3]) {
    const dir = await mkdtemp(join(tmpdir(), `walnut-watch-absent-${id}-`));
    started.dirs.push(dir);
    const db = await open({
      dir,
      nodeId: id,
      cluster: { listen: { host: HOST, port: realPorts.get(id)! }, peers, secret: "watch-absent-secret" },
      checkpointInterval: 0,
      checkpointWalBytes: 0,
      fsync: "no",
    });
    started.dbs.set(id, db);
    const servers = await serveOnLoopback(db);
    started.servers.set(id, servers);
  }
  return started;
}

async function closeProxiedCluster(cluster: ProxiedCluster): Promise<void> {
  for (const running of cluster.servers.values()) await running.close();
  await Promise.all([...cluster.dbs.values()].map((db) => db.close()));
  await cluster.network.close();
  await Promise.all(cluster.dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

test("EXEC on a follower aborts when its absent watched key was created and deleted through the leader before the follower applied either", { timeout: 120_000 }, async () => {
  const cluster = await startProxiedCluster();
  const clients: Redis[] = [];
  const connect = (id: number): Redis => {
    const client = new Redis({ port: cluster.servers.get(id)!.resp!.port, host: HOST, maxRetriesPerRequest: 0 });
    clients.push(client);
    return client;
  };
  try {
    let leaderId = 0;
    await waitUntil("one leader that every node knows", () => {
      const views = [...cluster.dbs.values()].map((db) => db.node.status());
      const leaders = views.filter((status) => status.role === "leader");
      leaderId = leaders.length === 1 && views.every((status) => status.leader === leaders[0]!.id) ? leaders[0]!.id : 0;
      return leaderId !== 0;
    });
    const followerId = [1, 2, 3].find((id) => id !== leaderId)!;
    const leader = cluster.dbs.get(leaderId)!;
    const follower = cluster.dbs.get(followerId)!;
    const watcher = connect(followerId);
    const meddler = connect(leaderId);
    for (let round = 0; round < ROUNDS; round++) {
      await watcher.watch(`k:${round}`);
      cluster.network.cutOneWay(leaderId, [followerId]);
      await meddler.set(`k:${round}`, "v");
      await meddler.del(`k:${round}`);
      const deletedAt = leader.node.status().appliedIndex;
      const exec = watcher.multi().set(`meddled:${round}`, "ran").exec();
      await waitUntil("the leader applied the transaction", () => leader.node.status().appliedIndex > deletedAt);
      assert.ok(follower.node.status().appliedIndex < deletedAt, `round ${round}: the follower had not applied the DEL when the batch was applied`);
      cluster.network.heal();
      assert.equal(await exec, null, `round ${round}: the key was created and deleted after WATCH`);

      await watcher.watch(`untouched:${round}`);
      await meddler.set(`other:${round}`, "v");
      await meddler.del(`other:${round}`);
      assert.deepEqual(await watcher.multi().set(`quiet:${round}`, "ran").exec(), [[null, "OK"]], `round ${round}: nobody wrote the watched key`);
    }
    const last = leader.node.status().appliedIndex;
    await waitUntil("every node applied the last write", () => [...cluster.dbs.values()].every((db) => db.node.status().appliedIndex >= last));
    const removals = [...cluster.dbs.values()].map((db) => db.node.read((engine) => engine.removedKeys.image()));
    assert.ok(removals[0]!.removals.length >= 2 * ROUNDS, "the removals were recorded");
    for (const other of removals.slice(1)) assert.deepEqual(other, removals[0], "every replica holds the same recent removals");
    for (const [id, db] of cluster.dbs) {
      for (let round = 0; round < ROUNDS; round++) {
        assert.equal(await db.get(`meddled:${round}`, { consistency: "stale" }), null, `node ${id} round ${round}: the aborted EXEC wrote nothing`);
        assert.equal(await db.get(`quiet:${round}`, { consistency: "stale" }), "ran", `node ${id} round ${round}`);
      }
    }
  } finally {
    for (const client of clients) client.disconnect();
    await closeProxiedCluster(cluster);
  }
});
