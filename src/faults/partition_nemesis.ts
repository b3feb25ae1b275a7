/**
 * partition: cuts links between peers through the test-controlled proxies
 * (processes/tcp_proxy.ts), in one of four shapes chosen by the seed:
 *   - majority/minority: a random minority cut off from the rest;
 *   - isolated leader: the leader alone on its side;
 *   - bridge: two halves that cannot reach each other, and one node that reaches both;
 *   - one-way: what the leader sends the others is dropped, what they send it arrives.
 * Clients still reach every node (only peer traffic is cut). Healed by mending every link.
 */
import type { PeerNetwork } from "../processes/tcp_proxy.js";
import { type Nemesis, type NemesisContext } from "./nemesis.js";

type Shape = "majority-minority" | "isolated-leader" | "bridge" | "one-way";
const SHAPES: readonly Shape[] = ["majority-minority", "isolated-leader", "bridge", "one-way"];

export const partitionNemesis: Nemesis = {
  kind: "partition",
  async inject(context) {
    const network = context.cluster.network;
    if (network === null) throw new Error("the partition nemesis needs a proxied cluster");
    const shape = context.random.pick(SHAPES);
    const description = await cut(network, shape, context);
    return {
      description: `${shape}: ${description}`,
      async heal() {
        network.heal();
        return null;
      },
    };
  },
};

/** Applies `shape`; describes the groups it made. */
async function cut(network: PeerNetwork, shape: Shape, context: NemesisContext): Promise<string> {
  const ids = shuffled(context.cluster.ids, context);
  const leader = await context.cluster.waitForLeader();
  if (shape === "isolated-leader") {
    network.isolate(leader);
    return `leader ${leader} | ${ids.filter((id) => id !== leader).join(",")}`;
  }
  if (shape === "one-way") {
    const others = ids.filter((id) => id !== leader);
    network.cutOneWay(leader, others);
    return `leader ${leader} -/-> ${others.join(",")}`;
  }
  if (shape === "bridge") {
    const [bridge, ...rest] = ids as [number, ...number[]];
    const half = Math.floor(rest.length / 2);
    const groups = [rest.slice(0, half), rest.slice(half)];
    network.partition(groups);
    return `${groups[0]?.join(",")} | ${groups[1]?.join(",")}, bridged by ${bridge}`;
  }
  const minority = ids.slice(0, 1 + context.random.below(Math.floor((ids.length - 1) / 2)));
  const majority = ids.filter((id) => !minority.includes(id));
  network.partition([minority, majority]);
  return `${minority.join(",")} | ${majority.join(",")}`;
}

function shuffled(ids: number[], context: NemesisContext): number[] {
  const copy = [...ids];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = context.random.below(index + 1);
    [copy[index], copy[other]] = [copy[other] as number, copy[index] as number];
  }
  return copy;
}
