/**
 * socket.io's redis adapter, unchanged, over a walnut cluster: two socket.io servers, each
 * publishing and subscribing through a different walnut node, deliver each other's
 * broadcasts to their clients, to everyone and to a room, and answer fetchSockets() for
 * the whole set of servers (a request/response over pub/sub that counts the servers with
 * PUBSUB NUMSUB).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import { isInstalled, startRedis } from "../../bench/resp_servers.js";
import { skipReason, startLibraryTarget, type LibraryTarget } from "./library_target.js";
import { waitUntil } from "../server_fixtures.js";

const redis = { isInstalled, startRedis };

interface SocketServer {
  io: Server;
  http: HttpServer;
  url: string;
}

let target: LibraryTarget;
const servers: SocketServer[] = [];
const clients: ClientSocket[] = [];

before(async () => {
  if (skipReason(redis) !== false) return;
  target = await startLibraryTarget(redis);
  for (const node of [1, 2]) servers.push(await startSocketServer(node));
});

after(async () => {
  for (const client of clients) client.disconnect();
  for (const server of servers) {
    await new Promise<void>((resolve) => void server.io.close(() => resolve()));
  }
  await target?.close();
});

async function startSocketServer(node: number): Promise<SocketServer> {
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(target.client(node), target.client(node)) });
  io.on("connection", (socket) => {
    socket.on("join", (room: string, done: () => void) => {
      void socket.join(room);
      done();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { io, http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function connectTo(server: SocketServer): Promise<ClientSocket> {
  const socket = connect(server.url, { transports: ["websocket"], reconnection: false });
  clients.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

/**
 * The adapters subscribe asynchronously: waits until both servers' request channels and
 * broadcast patterns show, each on the node its server subscribes through.
 */
async function waitForAdapters(): Promise<void> {
  const perNode = target.endpoints.map((_, i) => target.client(i));
  await waitUntil("both servers subscribed", async () => {
    let requestSubscribers = 0;
    let nodesWithPatterns = 0;
    for (const client of perNode) {
      const [, count] = (await client.call("PUBSUB", "NUMSUB", "socket.io-request#/#")) as [string, number];
      requestSubscribers += count;
      if (Number(await client.call("PUBSUB", "NUMPAT")) > 0) nodesWithPatterns++;
    }
    return requestSubscribers === servers.length && nodesWithPatterns === Math.min(servers.length, perNode.length);
  });
}

function nextEvent(socket: ClientSocket, event: string): Promise<unknown[]> {
  return new Promise((resolve) => socket.once(event, (...args: unknown[]) => resolve(args)));
}

test("a broadcast from one server reaches the clients of the other", { skip: skipReason(redis) }, async () => {
  const [first, second] = servers as [SocketServer, SocketServer];
  const onFirst = await connectTo(first);
  const onSecond = await connectTo(second);
  await waitForAdapters();
  const heardFirst = nextEvent(onFirst, "news");
  const heardSecond = nextEvent(onSecond, "news");
  second.io.emit("news", "hello", { from: 2 });
  assert.deepEqual(await heardFirst, ["hello", { from: 2 }]);
  assert.deepEqual(await heardSecond, ["hello", { from: 2 }]);
});

test("a room broadcast reaches only the room's members, on the other server", { skip: skipReason(redis) }, async () => {
  const [first, second] = servers as [SocketServer, SocketServer];
  const member = await connectTo(first);
  const outsider = await connectTo(first);
  await new Promise<void>((resolve) => member.emit("join", "room-a", resolve));
  let outsiderHeard = false;
  outsider.on("room-news", () => {
    outsiderHeard = true;
  });
  const heard = nextEvent(member, "room-news");
  second.io.to("room-a").emit("room-news", 42);
  assert.deepEqual(await heard, [42]);
  // A broadcast to everyone after the room's one arrives after it on the same channel.
  const everyone = nextEvent(outsider, "all");
  second.io.emit("all");
  await everyone;
  assert.equal(outsiderHeard, false);
});

// Known gap (docs/pubsub.md): PUBSUB NUMSUB counts the subscribers of the node asked, so a server
// whose adapter subscribes through another node is not counted and its answer is not awaited.
const numsubIsNodeLocal = process.env.WALNUT_LIBRARIES_TARGET === "redis" ? false : "PUBSUB NUMSUB counts one node's subscribers, not the cluster's";

test("fetchSockets() on one server lists the sockets of both", { skip: skipReason(redis), todo: numsubIsNodeLocal }, async () => {
  const [first, second] = servers as [SocketServer, SocketServer];
  await connectTo(first);
  await connectTo(second);
  const local = (await first.io.local.fetchSockets()).length + (await second.io.local.fetchSockets()).length;
  const all = await first.io.fetchSockets();
  assert.equal(all.length, local);
  assert.equal((await second.io.fetchSockets()).length, local);
});
