/**
 * The --peers flag: "1=127.0.0.1:7380,2=127.0.0.1:7381,3=127.0.0.1:7382", every member of
 * the cluster with the address it listens on for Raft traffic, this node included.
 */
import { WalnutError } from "../lib/errors.js";

export interface PeerAddress {
  host: string;
  port: number;
}

export function parsePeers(text: string, source = "--peers"): Map<number, PeerAddress> {
  const peers = new Map<number, PeerAddress>();
  const fail = (why: string): never => {
    throw new WalnutError("BAD_CONFIG", `${source} ${why} (expected id=host:port,id=host:port,..., e.g. 1=127.0.0.1:7380,2=127.0.0.1:7381)`);
  };
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const match = /^(\d+)=(\[[^\]]+\]|[^:]+):(\d+)$/.exec(part);
    if (match === null) fail(`has a malformed member "${part}"`);
    const id = Number(match?.[1]);
    const port = Number(match?.[3]);
    if (!Number.isSafeInteger(id) || id < 1) fail(`has a bad node id in "${part}": ids are positive integers`);
    if (port < 1 || port > 65535) fail(`has a bad port in "${part}"`);
    if (peers.has(id)) fail(`names node ${id} twice`);
    peers.set(id, { host: (match?.[2] as string).replace(/^\[|\]$/g, ""), port });
  }
  if (peers.size === 0) fail("names no members");
  return peers;
}
