/**
 * `npm run faults -- [--time 60s] [--nodes 3|5] [--nemesis kill,pause,...] [--clients N]
 *  [--watchers W] [--watch-history N] [--keys K] [--seed S] [--read-mode index|lease] [--canary stale-reads] [--out DIR]`: one fault campaign against real `walnut serve`
 * processes (campaign.ts). Prints progress, the FAULTS.md table row, and where the
 * history and the checker's artifacts went. Exits 1 when a check fails, 2 on bad flags.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseDurationMs } from "../lib/units.js";
import { runCampaign, type CampaignOptions } from "./campaign.js";
import { tableRow, TABLE_HEADER } from "./faults_table.js";
import { NEMESES, nemesesNamed } from "./nemeses.js";
import { isFailing } from "./verdict.js";

const USAGE = `usage: npm run faults -- [--time 60s] [--nodes 3|5] [--nemesis ${[...NEMESES.keys()].join(",")}]
                        [--clients 6] [--watchers 3] [--watch-history N] [--keys 6] [--seed S] [--read-mode index|lease] [--canary stale-reads] [--out DIR]`;

async function options(argv: string[]): Promise<CampaignOptions> {
  const { values } = parseArgs({
    args: argv,
    options: {
      time: { type: "string", default: "60s" },
      nodes: { type: "string", default: "3" },
      nemesis: { type: "string", default: [...NEMESES.keys()].join(",") },
      clients: { type: "string", default: "6" },
      watchers: { type: "string", default: "3" },
      "watch-history": { type: "string" },
      keys: { type: "string", default: "6" },
      seed: { type: "string" },
      "read-mode": { type: "string", default: "index" },
      canary: { type: "string" },
      out: { type: "string" },
    },
  });
  const nodes = Number(values.nodes);
  if (nodes !== 3 && nodes !== 5) throw new Error(`--nodes must be 3 or 5 (got ${values.nodes})`);
  const readMode = values["read-mode"];
  if (readMode !== "index" && readMode !== "lease") throw new Error(`--read-mode must be index or lease (got ${readMode})`);
  if (values.canary !== undefined && values.canary !== "stale-reads") throw new Error(`--canary must be stale-reads (got ${values.canary})`);
  const count = (name: string, text: string, minimum = 1): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < minimum) throw new Error(`--${name} must be an integer >= ${minimum} (got ${text})`);
    return value;
  };
  return {
    durationMs: parseDurationMs(values.time, "--time"),
    nodes,
    nemeses: nemesesNamed(values.nemesis.split(",").filter((name) => name !== "")).map((nemesis) => nemesis.kind),
    clients: count("clients", values.clients),
    watchers: count("watchers", values.watchers, 0),
    ...(values["watch-history"] === undefined ? {} : { watchHistory: count("watch-history", values["watch-history"]) }),
    keys: count("keys", values.keys),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : count("seed", values.seed) >>> 0,
    readMode,
    canary: values.canary === undefined ? null : "stale-reads",
    outDir: values.out ?? (await mkdtemp(join(tmpdir(), "walnut-faults-"))),
    log: (line) => process.stdout.write(`[faults] ${line}\n`),
  };
}

async function main(argv: string[]): Promise<number> {
  let campaign: CampaignOptions;
  try {
    campaign = await options(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const result = await runCampaign(campaign);
  process.stdout.write(`\n${TABLE_HEADER}\n${tableRow(result)}\n\n`);
  for (const line of result.judgement.summary) process.stdout.write(`${line}\n`);
  const artifacts = result.judgement.artifacts;
  if (artifacts !== null) process.stdout.write(`minimal failing sub-history: ${artifacts.subHistoryPath}\ntimeline: ${artifacts.timelinePath}\n`);
  process.stdout.write(`history: ${join(campaign.outDir, "history.json")}\n`);
  process.stdout.write(`${result.watch.summary}\n`);
  for (const problem of result.watch.problems) process.stdout.write(`watch problem: ${problem}\n`);
  for (const problem of result.nemesisProblems) process.stdout.write(`problem: ${problem}\n`);
  return isFailing(result.judgement) || result.nemesisProblems.length > 0 || result.watch.problems.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
