/**
 * walnut answers as redis-server 7.0 does: seeded random command sequences of every
 * family walnut has (differential/generator.ts) go to a real redis-server and to
 * `walnut serve`, in RESP2 and RESP3, and every reply must match (differential/compare.ts)
 * unless it is one of the deliberate differences the docs state (differential/deliberate.ts).
 *
 * Short mode (npm test): a few hundred sequences from a fixed seed, so the same commands
 * run every time. WALNUT_DEEP=1: two million commands from a fresh seed (printed).
 * WALNUT_DIFF_SEED=<n> [WALNUT_DIFF_LENGTH=<n>]: replays the one sequence a failure printed.
 * `npm run diff -- --commands N` runs the deep mode outside the test runner.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isInstalled } from "../bench/resp_servers.js";
import { differentialCampaign } from "./differential/campaign.js";
import { DEEP } from "./server_fixtures.js";

/** The short mode's run seed: fixed, so that `npm test` sends the same commands every time. */
const SHORT_SEED = 20_260_701;
const SHORT_SEQUENCES = 300;
const SHORT_LENGTH = 30;
const DEEP_COMMANDS = 2_000_000;
const DEEP_LENGTH = 100;

function replaySeed(): number | null {
  const text = process.env.WALNUT_DIFF_SEED ?? "";
  if (text === "") return null;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Cannot replay: WALNUT_DIFF_SEED must be a sequence seed, got ${JSON.stringify(text)}`);
  return seed;
}

test("seeded command sequences get the same replies from walnut as from redis-server 7.0, in RESP2 and RESP3", { skip: !isInstalled("redis-server") && "redis-server is not installed" }, async () => {
  const replay = replaySeed();
  const lengthText = process.env.WALNUT_DIFF_LENGTH ?? "";
  const length = lengthText !== "" ? Number(lengthText) : DEEP ? DEEP_LENGTH : SHORT_LENGTH;
  const report = await differentialCampaign({
    seed: DEEP ? Math.floor(Math.random() * 2 ** 32) : SHORT_SEED,
    length,
    sequencesMax: DEEP ? Number.MAX_SAFE_INTEGER : SHORT_SEQUENCES,
    commandsMax: DEEP ? DEEP_COMMANDS : Number.MAX_SAFE_INTEGER,
    failuresMax: DEEP ? 20 : 10,
    ...(replay === null ? {} : { seeds: [replay] }),
    log: (line) => console.log(line),
  });
  assert.ok(report.used.length > 0, "walnut has some of the generated commands");
  assert.ok(report.result.commands > 0, "commands were sent");
  assert.equal(report.messages.length, 0, `\n${report.messages.join("\n\n")}`);
});
