/**
 * `walnut serve` checks its ports before it opens its data directory: a port another
 * process holds, or one port given to two listeners, is refused with the port and the
 * flag that sets it, and nothing is written.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort } from "./server_fixtures.js";

const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

async function serve(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [walnut, "serve", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, stderr };
}

test("walnut serve refuses a taken port or one port for two listeners, naming port and flag, before touching its data dir", { timeout: 60_000 }, async () => {
  const dir = join(await mkdtemp(join(tmpdir(), "walnut-ports-")), "data");
  const [resp, http, peer] = [await freePort(), await freePort(), await freePort()];
  const holder = createServer();
  try {
    await new Promise<void>((resolve) => holder.listen(http, "127.0.0.1", resolve)); // e.g. another node's HTTP port
    const taken = await serve(["--data-dir", dir, "--port", String(resp), "--http-port", String(http)]);
    assert.equal(taken.code, 2, taken.stderr);
    assert.match(taken.stderr, new RegExp(`^walnut serve: Cannot start walnut serve: port ${http} \\(HTTP, set by --http-port\\) is already in use by another process; stop what listens there or choose another --http-port\\n$`));
    await assert.rejects(stat(dir), "the data directory was not created");

    const peerTaken = await serve(["--data-dir", dir, "--port", String(resp), "--http-port", "0", "--id", "1", "--peers", `1=127.0.0.1:${http}`]);
    assert.equal(peerTaken.code, 2, peerTaken.stderr);
    assert.match(peerTaken.stderr, new RegExp(`port ${http} \\(Raft peers, set by --peers\\) is already in use`));

    const shared = await serve(["--data-dir", dir, "--port", String(resp), "--http-port", String(resp), "--id", "1", "--peers", `1=127.0.0.1:${peer}`]);
    assert.equal(shared.code, 2, shared.stderr);
    assert.match(shared.stderr, new RegExp(`Cannot start walnut serve: port ${resp} would be both RESP \\(--port\\) and HTTP \\(--http-port\\)`));
    await assert.rejects(stat(dir), "the data directory was not created");
  } finally {
    holder.close();
    await rm(join(dir, ".."), { recursive: true, force: true });
  }
});
