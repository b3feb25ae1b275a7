/**
 * `npm run bench -- <name>`: walnut's benchmarks. Each prints its figures as ratios to a
 * reference measured in the same run on the same machine.
 */
import { runWalBench } from "./wal.js";
import { runCheckpointStallBench } from "./checkpoint_stall.js";
import { runRespBench } from "./resp.js";
import { runClusterBench } from "./cluster.js";
import { runWritePathBench } from "./write_path.js";
import { runLoadBench } from "./load.js";
import { runMemoryRespBench } from "./memory_resp.js";
import { runRestartBench } from "./restart.js";

const benches: Record<string, () => Promise<void>> = {
  wal: runWalBench,
  write_path: runWritePathBench,
  resp: runRespBench,
  cluster: runClusterBench,
  load: runLoadBench,
  memory: runMemoryRespBench,
  restart: runRestartBench,
  checkpoint: async () => {
    const keys = Number(process.env.WALNUT_BENCH_KEYS ?? 1_000_000);
    const result = await runCheckpointStallBench({ keys });
    process.stdout.write(`checkpoint of ${result.keys} keys: ${JSON.stringify(result)}\n`);
  },
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const names = asked.length > 0 ? asked : Object.keys(benches);
  for (const name of names) {
    const bench = benches[name];
    if (bench === undefined) {
      process.stderr.write(`unknown benchmark "${name}"; choose from: ${Object.keys(benches).join(", ")}\n`);
      process.exitCode = 2;
      return;
    }
    await bench();
  }
}

await main();
