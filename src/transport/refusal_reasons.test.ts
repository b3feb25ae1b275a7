/**
 * Every refused peer connection leaves a line on the listener saying why, even when the
 * dialer is the one that hangs up (a wrong secret seen from its side, a frame cut short),
 * and the line names the address the connection came from. A connection past the inbound
 * limit is told so in an error frame, not dropped in silence.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createMessage } from "../raft/message.js";
import { DialerHandshake } from "./handshake.js";
import { closeAll, rawExchange, startNode, waitFor, type TestNode } from "./testing.js";

/** Node 2 of cluster "walnut-test", logging into `lines`, with node 1 as its only peer. */
async function listenerLogging(lines: string[]): Promise<TestNode> {
  const listener = await startNode(2, { log: (line) => lines.push(line) });
  listener.transport.addPeer(1, { host: "127.0.0.1", port: 1 }); // a member that never dials itself
  return listener;
}

test("a dialer that finds the listener's proof wrong tells the listener why, and the listener logs it", async () => {
  const lines: string[] = [];
  const listener = await listenerLogging(lines);
  const dialer = await startNode(1, { secret: "not-the-secret" });
  try {
    dialer.transport.addPeer(2, { host: "127.0.0.1", port: listener.port });
    dialer.transport.send([createMessage({ type: "heartbeat", from: 1, to: 2, term: 5 })]);
    await waitFor("the listener's refusal", () => listener.transport.stats().refusedHandshakes === 1);
    const expected = /^Refused a peer connection from 127\.0\.0\.1:\d+: Cannot accept peer connection: the dialer gave up: the listener proved a different cluster secret$/;
    assert.ok(lines.some((line) => expected.test(line)), lines.join("\n"));
    assert.equal(listener.received.length, 0);
  } finally {
    await closeAll([listener, dialer]);
  }
});

test("a connection closed inside a frame is logged with how far the frame got", async () => {
  const lines: string[] = [];
  const listener = await listenerLogging(lines);
  try {
    const hello = new DialerHandshake({ nodeId: 1, clusterId: "walnut-test", secret: "test-secret" }, { peerId: 2, purpose: "messages" }).hello();
    const exchange = await rawExchange(listener.port, [hello.subarray(0, 10)], { end: true });
    assert.deepEqual(exchange.frames, [], "nothing to answer a dialer that already hung up");
    await waitFor("the listener's refusal", () => listener.transport.stats().refusedHandshakes === 1);
    assert.ok(lines.some((line) => /from 127\.0\.0\.1:\d+: the peer closed the connection 10 bytes into a frame$/.test(line)), lines.join("\n"));
  } finally {
    await closeAll([listener]);
  }
});

test("a connection past the inbound limit is told why and logged, not dropped in silence", async () => {
  const lines: string[] = [];
  const listener = await startNode(2, { log: (line) => lines.push(line), maxInboundConnections: 1 });
  const { connect } = await import("node:net");
  const first = connect({ host: "127.0.0.1", port: listener.port });
  first.on("error", () => {});
  try {
    await new Promise((resolve) => first.once("connect", resolve)); // accepted before the next: the listener takes them in order
    const exchange = await rawExchange(listener.port, []);
    assert.deepEqual(exchange.frames.map((frame) => frame.payload.toString("utf8")), ["Cannot accept peer connection: this node holds 1 peer connections already, its limit"]);
    assert.ok(lines.some((line) => /^Refused a peer connection from 127\.0\.0\.1:\d+: Cannot accept peer connection: this node holds 1 peer connections already, its limit$/.test(line)), lines.join("\n"));
  } finally {
    first.destroy();
    await closeAll([listener]);
  }
});
