import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterRows } from "./resp_cluster.js";
import { isInstalled } from "./resp_servers.js";

const haveTools = isInstalled("redis-server") && isInstalled("redis-benchmark");

test("the cluster rows drive a 3-node walnut cluster through its leader and a follower beside redis, SET and GET at -P 1 and -P 16", { skip: haveTools ? false : "redis-server or redis-benchmark is not installed", timeout: 180_000 }, async () => {
  const rows = await clusterRows({ requests: 200, rounds: 1, withRedis: true, warmUpRequests: 100 });
  const expected = [];
  for (const pipeline of [1, 16]) {
    for (const via of ["leader", "follower"]) {
      for (const command of ["SET", "GET"]) expected.push(`cluster ${command} via ${via} -c 50 -P ${pipeline} -d 100 -n 200`);
    }
  }
  assert.deepEqual(rows.map((row) => row.test), expected);
  for (const row of rows) {
    assert.ok(row.walnutRps > 0, `${row.test}: walnut measured`);
    assert.ok(row.redisRps !== null && row.redisRps > 0, `${row.test}: redis measured`);
  }
  assert.deepEqual(rows.filter((row) => row.goal !== null).map((row) => [row.test, row.goal]), [
    ["cluster SET via leader -c 50 -P 1 -d 100 -n 200", 0.7],
    ["cluster GET via leader -c 50 -P 1 -d 100 -n 200", 0.7],
  ]);
});
