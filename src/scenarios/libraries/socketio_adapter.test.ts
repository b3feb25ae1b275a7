/**
 * socket.io's redis adapter, unchanged, over a walnut cluster: two socket.io servers, each
 * publishing and subscribing through a different walnut node, deliver each other's
 * broadcasts to their clients, to everyone and to a room, answer fetchSockets() for the
 * whole set of servers and get every other server's answer to serverSideEmitWithAck():
 * requests and responses over pub/sub, for which the adapter counts the servers with
 * PUBSUB NUMSUB on its own connection, and walnut answers NUMSUB for the whole cluster
 * (docs/pubsub.md).
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
  // The adapter's close() sends UNSUBSCRIBE and PUNSUBSCRIBE without awaiting them: closing their
  // connections before the replies come would reject those commands, unhandled. Wait until no server is subscribed.
  if (servers.length > 0) await waitForSubscribers(0);
  await target?.close();
});

async function startSocketServer(node: number): Promise<SocketServer> {
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(target.client(node), target.client(node)) });
  // A server-side event from another server (serverSideEmitWithAck): answers which server heard it.
  io.on("whoami", (question: string, answer: (reply: string) => void) => answer(`${question} heard by server ${node}`));
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
 * The adapters subscribe asynchronously: waits until every node counts both servers on the
 * request channel (the count the adapters will ask for) and their broadcast pattern (one
 * pattern, the same for both servers).
 */
function waitForAdapters(): Promise<void> {
  return waitForSubscribers(servers.length);
}

/** Waits until every node counts `count` servers on the request channel, and their one pattern if any. */
async function waitForSubscribers(count: number): Promise<void> {
  const perNode = target.endpoints.map((_, i) => target.client(i));
  await waitUntil(`${count} servers subscribed, as every node counts them`, async () => {
    for (const client of perNode) {
      const [, subscribers] = (await client.call("PUBSUB", "NUMSUB", "socket.io-request#/#")) as [string, number];
      if (subscribers !== count || Number(await client.call("PUBSUB", "NUMPAT")) !== Math.min(count, 1)) return false;
    }
    return true;
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

test("fetchSockets() on either server lists the sockets of both", { skip: skipReason(redis) }, async () => {
  const [first, second] = servers as [SocketServer, SocketServer];
  const onFirst = await connectTo(first);
  const onSecond = await connectTo(second);
  await waitForAdapters();
  const firstLocal = (await first.io.local.fetchSockets()).map((socket) => socket.id);
  const secondLocal = (await second.io.local.fetchSockets()).map((socket) => socket.id);
  assert.ok(firstLocal.includes(onFirst.id as string) && secondLocal.includes(onSecond.id as string), "each client is local to its server");
  const expected = [...firstLocal, ...secondLocal].sort();
  assert.deepEqual((await first.io.fetchSockets()).map((socket) => socket.id).sort(), expected);
  assert.deepEqual((await second.io.fetchSockets()).map((socket) => socket.id).sort(), expected);
});

test("serverSideEmitWithAck() on either server gets the other server's answer", { skip: skipReason(redis) }, async () => {
  const [first, second] = servers as [SocketServer, SocketServer];
  await waitForAdapters();
  assert.deepEqual(await first.io.serverSideEmitWithAck("whoami", "from 1"), ["from 1 heard by server 2"]);
  assert.deepEqual(await second.io.serverSideEmitWithAck("whoami", "from 2"), ["from 2 heard by server 1"]);
});
