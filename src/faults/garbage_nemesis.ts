/**
 * garbage: for GARBAGE_MS, bad input at every running node's RESP, HTTP and (real, not
 * proxied) peer port, through garbage.ts. Every connection must be refused or closed;
 * one that hangs or is accepted as if it were fine fails the campaign. The clients'
 * history meanwhile shows whether the garbage disturbed anything else.
 */
import { clusterIdentity, describeGarbage, throwGarbage } from "./garbage.js";
import type { Nemesis } from "./nemesis.js";

/** How long garbage is thrown (the fault's hold may end sooner: healing waits for it). */
const GARBAGE_MS = 3_000;
/** Connections in flight at once: a few, so the clients still get their share of the cores. */
const GARBAGE_CONCURRENCY = 4;

export const garbageNemesis: Nemesis = {
  kind: "garbage",
  async inject(context) {
    const { cluster } = context;
    const running = cluster.ids.filter((id) => cluster.isRunning(id));
    const identity = await clusterIdentity(cluster.httpPort(running[0] as number));
    const seed = context.random.below(2 ** 31);
    const thrown = throwGarbage({
      targets: {
        resp: running.map((id) => cluster.respPort(id)),
        http: running.map((id) => cluster.httpPort(id)),
        peer: running.map((id) => ({ port: cluster.peerListenPort(id), nodeId: id })),
      },
      cluster: { id: identity.id, secret: cluster.clusterSecret, members: identity.members },
      seed,
      durationMs: GARBAGE_MS,
      concurrency: GARBAGE_CONCURRENCY,
    });
    return {
      description: `garbage at the RESP, HTTP and peer ports of nodes ${running.join(",")} (garbage seed ${seed})`,
      async heal() {
        const report = await thrown;
        for (const failure of report.failures) {
          context.reportProblem(`garbage ${failure.kind}:${failure.caseName} at port ${failure.port} was ${failure.outcome}: sent ${JSON.stringify(failure.sent.slice(0, 80))}`);
        }
        return describeGarbage(report);
      },
    };
  },
};
