import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchmarkCsv } from "./redis_benchmark.js";

test("requests per second are read from redis-benchmark's csv rows", () => {
  const output = [
    '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
    '"SET","16583.75","2.931","0.056","2.151","4.583","16.543","48.703"',
    '"GET","3048.78","1.617","0.032","0.287","6.567","13.207","36.991"',
    "",
  ].join("\n");
  assert.deepEqual([...parseBenchmarkCsv(output)], [["SET", 16583.75], ["GET", 3048.78]]);
});
