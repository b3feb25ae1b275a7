/**
 * `npm run diff -- --commands 1000000 [--seed N] [--length 100] [--failures 20] [--self-check]`:
 * the deep differential run against redis-server 7.0 outside the test runner, printing each
 * distinct failure (minimized, with its replay command) as it is found. Exits 1 on any.
 * --self-check compares redis-server with a second redis-server: every family is generated,
 * and any failure is the harness' own nondeterminism.
 */
import { parseArgs } from "node:util";
import { differentialCampaign } from "./campaign.js";

const { values } = parseArgs({
  options: {
    commands: { type: "string", default: "1000000" },
    seed: { type: "string" },
    length: { type: "string", default: "100" },
    failures: { type: "string", default: "20" },
    "self-check": { type: "boolean", default: false },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`Cannot run the differential test: --${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : positive("seed", values.seed);
const report = await differentialCampaign({
  seed,
  length: positive("length", values.length),
  commandsMax: positive("commands", values.commands),
  sequencesMax: Number.MAX_SAFE_INTEGER,
  failuresMax: positive("failures", values.failures),
  selfCheck: values["self-check"],
  log: (line) => console.log(line),
});
process.exitCode = report.result.failures.length === 0 ? 0 : 1;
