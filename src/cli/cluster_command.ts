/**
 * `walnut cluster up [--nodes 3] [--data-dir ./walnut-cluster] [--port 6380] [--http-port 8380]
 * [--peer-port 7380] [--fsync always]`: a local cluster on loopback, in the foreground.
 * Node i serves RESP on port+i-1, HTTP on http-port+i-1 and Raft on peer-port+i-1, with its
 * data in <data-dir>/node-i. Each node's log lines are prefixed with its id. Ctrl-C (or
 * SIGTERM) stops every node cleanly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OptionSpec } from "../config/options.js";
import { resolveSettings, settingNumber, settingString } from "../config/resolve.js";
import { WalnutError } from "../lib/errors.js";
import { printHelp, wantsHelp } from "./help.js";

const clusterOptions: readonly OptionSpec[] = [
  { name: "nodes", kind: "integer", default: "3", description: "How many nodes (1 to 9)" },
  { name: "data-dir", kind: "path", default: "./walnut-cluster", description: "Parent of each node's data directory" },
  { name: "port", kind: "port", default: "6380", description: "RESP port of node 1 (node i: port + i - 1)" },
  { name: "http-port", kind: "port", default: "8380", description: "HTTP port of node 1" },
  { name: "peer-port", kind: "port", default: "7380", description: "Raft port of node 1" },
  { name: "fsync", kind: "choice", choices: ["always", "everysec", "no"], default: "always", description: "Durability mode" },
  { name: "cluster-secret", kind: "string", description: "Shared peer secret (default: a random one for this run)" },
];

const walnutBin = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

function prefixLines(prefix: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
}

export async function runCluster(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (wantsHelp(argv)) return printHelp("walnut cluster up [flags]   (a local cluster on loopback; Ctrl-C stops it)", clusterOptions);
  if (action !== "up") {
    process.stderr.write("usage: walnut cluster up [--nodes 3] [--data-dir ./walnut-cluster] [--port 6380] [--http-port 8380] [--peer-port 7380]\n");
    return 2;
  }
  const settings = resolveSettings(clusterOptions, { argv: rest, env: process.env, command: "cluster up" });
  const count = settingNumber(settings, "nodes");
  if (count < 1 || count > 9) throw new WalnutError("BAD_CONFIG", `--nodes must be from 1 to 9 (got ${count})`);
  const dataDir = settingString(settings, "data-dir") ?? "./walnut-cluster";
  const [respBase, httpBase, peerBase] = [settingNumber(settings, "port"), settingNumber(settings, "http-port"), settingNumber(settings, "peer-port")];
  const secret = settingString(settings, "cluster-secret") ?? randomBytes(16).toString("hex");
  const peers = Array.from({ length: count }, (_, i) => `${i + 1}=127.0.0.1:${peerBase + i}`).join(",");
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const id = i + 1;
    const args = [walnutBin, "serve", "--id", String(id), "--peers", peers, "--cluster-secret", secret,
      "--data-dir", join(dataDir, `node-${id}`), "--port", String(respBase + i), "--http-port", String(httpBase + i),
      "--fsync", settingString(settings, "fsync") ?? "always",
      ...(process.stderr.isTTY ? ["--log-format", "pretty"] : [])]; // the nodes' stderr is a pipe to us, not the terminal
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    prefixLines(`[node ${id}] `, child.stdout as NodeJS.ReadableStream, process.stdout);
    prefixLines(`[node ${id}] `, child.stderr as NodeJS.ReadableStream, process.stderr);
    child.on("exit", (code, signal) => process.stderr.write(`[node ${id}] exited (${signal ?? code})\n`));
    children.push(child);
    process.stdout.write(`node ${id}: RESP 127.0.0.1:${respBase + i}  HTTP http://127.0.0.1:${httpBase + i}  Raft 127.0.0.1:${peerBase + i}  data ${join(dataDir, `node-${id}`)}\n`);
  }
  process.stdout.write(`walnut cluster of ${count}: try  walnut cli -p ${respBase} SET hello world  (Ctrl-C stops every node)\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    };
    process.on("SIGINT", stop); // stop() acts once; a second Ctrl-C must not orphan the nodes
    process.on("SIGTERM", stop);
    let running = children.length;
    for (const child of children) child.on("exit", () => --running === 0 && resolve());
  });
  return 0;
}
