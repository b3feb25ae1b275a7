import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as net from "node:net";
import { isPeerTransportError } from "./errors.js";
import { closeAll, startCluster, startNode } from "./testing.js";

test("a peer's question reaches the other's handler and its answer comes back", async () => {
  const asked: { from: number; question: string }[] = [];
  const nodes = await startCluster(2, {
    onQuestion: async (from, question) => {
      asked.push({ from, question: question.toString() });
      return Buffer.from(`answer to ${question.toString()}`);
    },
  });
  try {
    const [one, two] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    assert.equal((await one.transport.ask(2, Buffer.from("how many?"), 5000)).toString(), "answer to how many?");
    assert.equal((await two.transport.ask(1, Buffer.from(""), 5000)).toString(), "answer to ");
    assert.deepEqual(asked, [
      { from: 1, question: "how many?" },
      { from: 2, question: "" },
    ]);
  } finally {
    await closeAll(nodes);
  }
});

test("a question to a node that answers none, or whose handler fails, is rejected", async () => {
  const silent = await startNode(1);
  const failing = await startNode(2, { onQuestion: () => Promise.reject(new Error("broken")) });
  const asker = await startNode(3);
  try {
    for (const node of [silent, failing]) {
      asker.transport.addPeer(node.id, { host: "127.0.0.1", port: node.port });
      node.transport.addPeer(asker.id, { host: "127.0.0.1", port: asker.port });
    }
    await assert.rejects(asker.transport.ask(1, Buffer.from("?"), 5000), (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE") && /answers no questions/.test(error.message));
    await assert.rejects(asker.transport.ask(2, Buffer.from("?"), 5000), (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE") && /broken/.test(error.message));
    await assert.rejects(asker.transport.ask(9, Buffer.from("?"), 5000), (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE") && /not a peer/.test(error.message));
  } finally {
    await closeAll([silent, failing, asker]);
  }
});

test("a question to a peer that accepts the connection but never speaks ends at its timeout", async () => {
  // A listener that takes the TCP connection and says nothing: a paused or wedged member.
  const sockets: net.Socket[] = [];
  const mute = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
  const asker = await startNode(1);
  try {
    asker.transport.addPeer(2, { host: "127.0.0.1", port: (mute.address() as net.AddressInfo).port });
    await assert.rejects(asker.transport.ask(2, Buffer.from("?"), 200), (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE") && /no answer within 200 ms/.test(error.message));
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => mute.close(() => resolve()));
    await closeAll([asker]);
  }
});

test("a question to a peer that is down is rejected without waiting for the timeout", async () => {
  const gone = await startNode(2);
  const port = gone.port;
  await gone.transport.close();
  const asker = await startNode(1);
  try {
    asker.transport.addPeer(2, { host: "127.0.0.1", port });
    // 60 s: were the refusal not noticed, the test would hang to its own timeout instead.
    await assert.rejects(asker.transport.ask(2, Buffer.from("?"), 60_000), (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE") && !/no answer within/.test(error.message));
  } finally {
    await closeAll([asker]);
  }
});
