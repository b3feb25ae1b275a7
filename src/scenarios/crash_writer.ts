/**
 * The child process of the crash test: writes with fsync "always" and many writes in
 * flight, printing one line per acknowledged write, until it is killed with SIGKILL.
 *
 *   node dist/scenarios/crash_writer.js <dataDir> <round> <inFlight>
 *
 * Lines: "ready", "set <key> <value>" once db.set resolved, "incr <n>" once an INCR
 * resolved with value n. Keys are unique per round so every line names one durable fact.
 */
import { open } from "../db.js";

async function writer(db: Awaited<ReturnType<typeof open>>, round: string, lane: number): Promise<never> {
  for (let sequence = 0; ; sequence++) {
    const key = `r${round}:w${lane}:${sequence}`;
    const value = `value-${round}-${lane}-${sequence}-${"x".repeat(sequence % 200)}`;
    if (sequence % 10 === 9) {
      const count = await db.incr("counter");
      process.stdout.write(`incr ${count}\n`);
    } else {
      await db.set(key, value);
      process.stdout.write(`set ${key} ${value}\n`);
    }
  }
}

async function main(): Promise<void> {
  const [dataDir, round, inFlight] = process.argv.slice(2);
  if (dataDir === undefined || round === undefined) throw new Error("usage: crash_writer <dataDir> <round> [inFlight]");
  const db = await open({
    dir: dataDir,
    fsync: "always",
    segmentSize: 256 * 1024, // small: rolls segments and compacts them during the test
    checkpointWalBytes: 512 * 1024,
    checkpointInterval: 0,
  });
  process.stdout.write("ready\n");
  const lanes = Number(inFlight ?? 32);
  await Promise.all(Array.from({ length: lanes }, (_, lane) => writer(db, round, lane)));
}

main().catch((error: unknown) => {
  process.stderr.write(`crash_writer: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
