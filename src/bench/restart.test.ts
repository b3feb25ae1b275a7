import { test } from "node:test";
import assert from "node:assert/strict";
import { measureRestarts } from "./restart.js";
import { isInstalled } from "./resp_servers.js";

const haveRedis = isInstalled("redis-server") && isInstalled("redis-cli");

test("the restart benchmark loads both servers, restarts each from its log and its checkpoint, and reports every row", { skip: haveRedis ? false : "redis-server or redis-cli is not installed", timeout: 120_000 }, async () => {
  const keys = 2000;
  const rows = await measureRestarts(keys);
  const figures = new Map(rows.map((row) => [row.figure, row]));
  for (const figure of ["keys after restart from the log", "keys after restart from the checkpoint"]) {
    assert.equal(figures.get(figure)?.walnut, keys, figure);
    assert.equal(figures.get(figure)?.redis, keys, figure);
  }
  for (const figure of [
    "data on disk after the load (data dir vs appendonlydir)",
    "restart from the log (WAL vs AOF)",
    "checkpoint size (checkpoints/ vs dump.rdb)",
    "restart from the checkpoint (vs RDB)",
    "RSS after the load",
  ]) {
    const row = figures.get(figure);
    assert.ok(row !== undefined, `no row "${figure}"`);
    assert.ok(row.walnut > 0 && row.redis > 0, `${figure}: ${row.walnut} and ${row.redis} are both measured`);
  }
});
