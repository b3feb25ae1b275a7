/**
 * Many clients at once against the shipped program (`walnut serve`, its default
 * --maxclients of 10,000 as Redis's): every connection is accepted, each sends a pipeline
 * of writes and reads while all the others do, and every reply is right. 1,000 clients in
 * the quick mode, 10,000 with WALNUT_DEEP=1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWalnut } from "../bench/resp_servers.js";
import type { Reply } from "../engine/reply.js";
import { DEEP, RawClient, waitUntil } from "./server_fixtures.js";

const CLIENTS = DEEP ? 10_000 : 1_000;
/** Connections opened at a time: the listen backlog takes a few hundred pending ones. */
const CONNECT_BATCH = 250;
const REPLIES_PER_CLIENT = 3;

function text(reply: Reply | undefined): string {
  if (reply === undefined) return "(none)";
  if (reply.type === "bulk") return String(reply.value);
  if (reply.type === "status" || reply.type === "error") return reply.text;
  if (reply.type === "integer") return String(reply.value);
  return reply.type;
}

test(`${CLIENTS} clients at once each run a pipeline of writes and reads, all answered right`, { timeout: DEEP ? 1_800_000 : 300_000 }, async () => {
  const server = await startWalnut({ fsync: "always" });
  const clients: RawClient[] = [];
  try {
    for (let first = 0; first < CLIENTS; first += CONNECT_BATCH) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, CLIENTS - first) }, () => new RawClient(server.port));
      await Promise.all(batch.map((client) => client.connected));
      clients.push(...batch);
    }
    await Promise.all(clients.map((client, n) => client.write(`SET client:${n} ${n}\r\nINCR total\r\nGET client:${n}\r\n`)));
    await waitUntil("every client has its replies", () => clients.every((client) => client.closed || client.replies().replies.length >= REPLIES_PER_CLIENT));
    const wrong: string[] = [];
    clients.forEach((client, n) => {
      const [set, incr, get] = client.replies().replies;
      if (client.closed || text(set) !== "OK" || incr?.type !== "integer" || text(get) !== String(n)) {
        wrong.push(`client ${n}: closed=${client.closed} ${text(set)} ${text(incr)} ${text(get)}`);
      }
    });
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} clients got a wrong answer`);
    const last = clients[0] as RawClient;
    const before = last.replies().replies.length;
    await last.write("GET total\r\n");
    await waitUntil("GET total answers", () => last.replies().replies.length > before);
    assert.equal(text(last.replies().replies[before]), String(CLIENTS));
  } finally {
    for (const client of clients) client.destroy();
    await server.stop();
  }
});
