/**
 * Durability under kill -9: a child process writes with fsync "always" and many writes in
 * flight, printing each acknowledgement; we kill it with SIGKILL at a random moment,
 * reopen the data directory, and check that every acknowledged write is there.
 * WALNUT_DEEP=1 runs ten times more rounds.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../db.js";
import { seededRandom } from "../lib/seeded_random.js";

const ROUNDS = process.env.WALNUT_DEEP ? 200 : 20;
const writerScript = fileURLToPath(new URL("./crash_writer.js", import.meta.url));


interface Acknowledged {
  sets: Map<string, string>;
  highestCount: number;
  incrs: number;
}

/** Runs the writer until `killAfterMs` after it is ready, then SIGKILLs it. */
function runAndKill(dataDir: string, round: number, killAfterMs: number, acknowledged: Acknowledged): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writerScript, dataDir, String(round), "48"], { stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "ready") setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        else if (line.startsWith("set ")) {
          const [, key, value] = line.split(" ");
          acknowledged.sets.set(key as string, value as string);
        } else if (line.startsWith("incr ")) {
          acknowledged.highestCount = Math.max(acknowledged.highestCount, Number(line.slice(5)));
          acknowledged.incrs += 1;
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`writer exited with ${code ?? signal} before the kill: ${stderr}`));
    });
  });
}

test(`every acknowledged write survives kill -9 (${ROUNDS} rounds)`, { timeout: 600_000 }, async () => {
  const seed = Number(process.env.WALNUT_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const dataDir = await mkdtemp(join(tmpdir(), "walnut-crash-"));
  const acknowledged: Acknowledged = { sets: new Map(), highestCount: 0, incrs: 0 };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(dataDir, round, Math.floor(20 + random() * 280), acknowledged);
      const db = await open({ dir: dataDir, checkpointInterval: 0 });
      try {
        for (const [key, value] of acknowledged.sets) {
          assert.equal(await db.get(key), value, `round ${round}: acknowledged ${key} lost (replay with WALNUT_SEED=${seed})`);
        }
        const counter = Number((await db.get("counter")) ?? 0);
        assert.ok(counter >= acknowledged.highestCount, `round ${round}: counter ${counter} < acknowledged ${acknowledged.highestCount}`);
      } finally {
        await db.close();
      }
    }
    assert.ok(acknowledged.sets.size > ROUNDS, "the writer acknowledged writes in most rounds");
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
