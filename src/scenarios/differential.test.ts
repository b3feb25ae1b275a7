/**
 * walnut answers as redis-server 7.0 does: seeded random command sequences of every
 * family walnut has (differential/generator.ts) go to a real redis-server and to
 * `walnut serve`, in RESP2 and RESP3, and every reply must match (differential/compare.ts)
 * unless it is one of the deliberate differences the docs state (differential/deliberate.ts).
 *
 * Short mode (npm test): 300 sequences from a fixed seed, so the same commands run every
 * time. WALNUT_DEEP=1: two million commands from a fresh seed (printed).
 * WALNUT_DIFF_SEED=<n> [WALNUT_DIFF_LENGTH=<n>]: replays the one sequence a failure printed.
 * `npm run diff -- --commands N [--seed N] [--length N] [--failures N] [--self-check]` runs
 * this file directly with those arguments (the deep mode, sized); --self-check puts a
 * second redis-server in walnut's place, so any failure is the harness' own nondeterminism.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { isInstalled, startRedis, startWalnut, type BenchServer } from "../bench/resp_servers.js";
import { differentialCampaign } from "./differential/campaign.js";
import type { Targets } from "./differential/runner.js";
import { DEEP } from "./server_fixtures.js";

/** The short mode's run seed: fixed, so that `npm test` sends the same commands every time. */
const SHORT_SEED = 20_260_701;
const SHORT_SEQUENCES = 300;
const SHORT_LENGTH = 30;
const DEEP_COMMANDS = 2_000_000;
const DEEP_LENGTH = 100;

/** `npm run diff -- ...` arguments; none under `node --test`. */
const { values: cli } = parseArgs({
  args: process.argv.slice(2),
  strict: false,
  options: {
    commands: { type: "string" },
    seed: { type: "string" },
    length: { type: "string" },
    failures: { type: "string" },
    "self-check": { type: "boolean" },
  },
});

function whole(name: string, text: string | boolean | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`Cannot run the differential test: ${name} must be a whole number, got ${JSON.stringify(text)}`);
  return value;
}

/** redis-server and walnut (fsync no, no checkpoints), or two redis-servers. */
async function startTargets(selfCheck: boolean): Promise<Targets> {
  const redis = await startRedis({ appendFsyncAlways: false });
  let walnut: BenchServer;
  try {
    walnut = selfCheck ? await startRedis({ appendFsyncAlways: false }) : await startWalnut({ fsync: "no" });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return { redisPort: redis.port, walnutPort: walnut.port, stop: async () => void (await Promise.all([redis.stop(), walnut.stop()])) };
}

test("seeded command sequences get the same replies from walnut as from redis-server 7.0, in RESP2 and RESP3", { skip: !isInstalled("redis-server") && "redis-server is not installed" }, async () => {
  const replay = whole("WALNUT_DIFF_SEED", process.env.WALNUT_DIFF_SEED);
  const commands = whole("--commands", cli.commands);
  const deep = DEEP || commands !== undefined;
  const length = whole("--length", cli.length) ?? whole("WALNUT_DIFF_LENGTH", process.env.WALNUT_DIFF_LENGTH) ?? (deep ? DEEP_LENGTH : SHORT_LENGTH);
  const report = await differentialCampaign({
    seed: whole("--seed", cli.seed) ?? (deep ? Math.floor(Math.random() * 2 ** 32) : SHORT_SEED),
    length,
    sequencesMax: deep ? Number.MAX_SAFE_INTEGER : SHORT_SEQUENCES,
    commandsMax: commands ?? (deep ? DEEP_COMMANDS : Number.MAX_SAFE_INTEGER),
    failuresMax: whole("--failures", cli.failures) ?? (deep ? 20 : 10),
    ...(replay === undefined ? {} : { seeds: [replay] }),
    start: () => startTargets(cli["self-check"] === true),
    log: (line) => console.log(line),
  });
  assert.ok(report.used.length > 0, "walnut has some of the generated commands");
  assert.ok(report.result.commands > 0, "commands were sent");
  assert.equal(report.messages.length, 0, `\n${report.messages.join("\n\n")}`);
});
