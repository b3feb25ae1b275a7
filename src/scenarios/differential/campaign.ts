/**
 * One differential campaign from start to end (differential.test.ts runs it, also for
 * `npm run diff`): starts redis-server and walnut, asks walnut which commands it has,
 * runs the sequences, stops both servers, and says what it covered and what it found.
 */
import { coverageFor } from "./generator.js";
import { commandsOf, describeFailure, DifferentialRunner, runCampaign, type CampaignResult, type Targets } from "./runner.js";

export interface CampaignPlan {
  seed: number;
  length: number;
  sequencesMax: number;
  commandsMax: number;
  failuresMax: number;
  /** Replay exactly these sequence seeds. */
  seeds?: number[];
  /** Starts the two servers (redis-server and walnut, or two redis-servers for a self-check). */
  start(): Promise<Targets>;
  log(line: string): void;
}

export interface CampaignReport {
  result: CampaignResult;
  used: string[];
  skipped: string[];
  /** Every failure's message, ready to print. */
  messages: string[];
}

export async function differentialCampaign(plan: CampaignPlan): Promise<CampaignReport> {
  const targets = await plan.start();
  try {
    const coverage = coverageFor(await commandsOf(targets.walnutPort));
    plan.log(
      `differential: ${coverage.used.length} commands generated; ${coverage.skipped.length} skipped because walnut lacks them` +
        (coverage.skipped.length > 0 ? ` (${coverage.skipped.join(" ")})` : ""),
    );
    plan.log(`differential: run seed ${plan.seed}, ${plan.length} commands a sequence, RESP2 and RESP3`);
    const runner = await DifferentialRunner.open(targets);
    let reported = 0;
    try {
      const result = await runCampaign({
        runner,
        coverage,
        seed: plan.seed,
        length: plan.length,
        sequencesMax: plan.sequencesMax,
        commandsMax: plan.commandsMax,
        failuresMax: plan.failuresMax,
        ...(plan.seeds === undefined ? {} : { seeds: plan.seeds }),
        onProgress: (progress) => {
          if (progress.sequences % 1000 === 0) plan.log(`differential: ${progress.sequences} sequences, ${progress.commands} commands, ${progress.failures.length} failures`);
          for (; reported < progress.failures.length; reported++) plan.log(describeFailure(progress.failures[reported]!));
        },
      });
      const deliberate = [...result.deliberate].map(([id, count]) => `${id} x${count}`).join(", ");
      plan.log(`differential: ${result.sequences} sequences, ${result.commands} commands, ${result.failures.length} distinct failures; deliberate differences met: ${deliberate || "none"}`);
      return { result, used: coverage.used, skipped: coverage.skipped, messages: result.failures.map(describeFailure) };
    } finally {
      runner.close();
    }
  } finally {
    await targets.stop();
  }
}
