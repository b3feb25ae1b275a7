import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createMessage } from "../raft/message.js";
import { encodeFrame, FRAME_KIND, FrameReader } from "./frames.js";
import { DialerHandshake } from "./handshake.js";
import { encodeMessage } from "./message_codec.js";
import { closeAll, rawExchange, sendUntilReceived, startCluster, startNode, waitFor, type RawExchange, type TestNode } from "./testing.js";

function errorLines(exchange: RawExchange): string[] {
  return exchange.frames.filter((frame) => frame.kind === FRAME_KIND.error).map((frame) => frame.payload.toString("utf8"));
}

/** Runs `attack` against node 2 while nodes 1 and 2 keep talking; checks nothing leaked through. */
async function underAttack(attack: (target: TestNode, nodes: TestNode[]) => Promise<void>): Promise<TestNode[]> {
  const nodes = await startCluster(2);
  const [one, two] = nodes;
  await sendUntilReceived(one!, two!, 1);
  const receivedBefore = two!.received.length;
  await attack(two!, nodes);
  await sendUntilReceived(one!, two!, 2);
  await sendUntilReceived(two!, one!, 3);
  assert.ok(two!.received.every((message) => message.from === 1), "only node 1's messages arrive");
  assert.ok(two!.received.length > receivedBefore);
  return nodes;
}

test("random bytes on the peer port are refused with an error frame and the connection closed", async () => {
  const nodes = await underAttack(async (target) => {
    const garbage = Buffer.from(Array.from({ length: 200 }, (_, position) => (position * 73 + 11) % 256));
    const exchange = await rawExchange(target.port, [garbage]);
    assert.equal(exchange.closed, true);
    assert.equal(errorLines(exchange).length, 1);
    assert.match(errorLines(exchange)[0]!, /^Cannot read peer frame: /);
    assert.equal(target.transport.stats().refusedHandshakes, 1);
  });
  await closeAll(nodes);
});

test("an oversized length before the handshake is refused without buffering it", async () => {
  const nodes = await underAttack(async (target) => {
    const header = Buffer.from([0x00, 0x00, 0x00, 0x40, FRAME_KIND.hello]); // 1 GiB hello
    const exchange = await rawExchange(target.port, [header]);
    assert.match(errorLines(exchange)[0]!, /^Cannot read peer frame: length 1073741824 exceeds the maximum of 4096 bytes$/);
    assert.equal(target.transport.stats().refusedHandshakes, 1);
  });
  await closeAll(nodes);
});

test("a truncated frame followed by a close is refused", async () => {
  const nodes = await underAttack(async (target) => {
    const hello = new DialerHandshake({ nodeId: 1, clusterId: "walnut-test", secret: "test-secret" }, { peerId: 2, purpose: "messages" }).hello();
    const exchange = await rawExchange(target.port, [hello.subarray(0, 10)], { end: true });
    assert.equal(exchange.closed, true);
    await waitFor("the refusal", () => target.transport.stats().refusedHandshakes === 1);
  });
  await closeAll(nodes);
});

test("a valid message frame from a connection that never said hello is refused", async () => {
  const nodes = await underAttack(async (target) => {
    const message = encodeFrame(FRAME_KIND.message, encodeMessage(createMessage({ type: "heartbeat", from: 1, to: 2, term: 99 })));
    const exchange = await rawExchange(target.port, [message]);
    assert.deepEqual(errorLines(exchange), ["Cannot decode handshake: expected a hello frame, got a message frame"]);
  });
  await closeAll(nodes);
});

test("a dialer that forges its proof is refused after the challenge", async () => {
  const nodes = await underAttack(async (target) => {
    const dialer = new DialerHandshake({ nodeId: 1, clusterId: "walnut-test", secret: "guess" }, { peerId: 2, purpose: "messages" });
    const forgedProof = encodeFrame(FRAME_KIND.proof, Buffer.from([32, ...new Uint8Array(32)]));
    const exchange = await rawExchange(target.port, [dialer.hello(), forgedProof]);
    assert.equal(exchange.frames[0]!.kind, FRAME_KIND.challenge);
    assert.deepEqual(errorLines(exchange), ["Cannot accept peer connection: the dialer proved a different cluster secret"]);
    assert.equal(target.transport.stats().refusedHandshakes, 1);
  });
  await closeAll(nodes);
});

test("a member with the wrong secret cannot deliver anything", async () => {
  let impostor: TestNode | null = null;
  const nodes = await underAttack(async (target, cluster) => {
    impostor = await startNode(1, { secret: "wrong-secret" });
    impostor.transport.addPeer(2, { host: "127.0.0.1", port: target.port });
    const refusedBefore = target.transport.stats().refusedHandshakes;
    await waitFor("the impostor to give up", () => {
      impostor!.transport.send([createMessage({ type: "heartbeat", from: 1, to: 2, term: 99, commit: 666 })]);
      return impostor!.unreachable.length >= 2 && target.transport.stats().refusedHandshakes > refusedBefore;
    });
    assert.ok(!target.received.some((message) => message.commit === 666));
    assert.equal(cluster.length, 2);
  });
  await closeAll([...nodes, impostor!]);
});

for (const [name, overrides, id, expected] of [
  ["a wrong cluster id", { clusterId: "another-cluster" }, 1, /cluster id "another-cluster" is not this cluster's/],
  ["a sender that is not a member", {}, 9, /node 9 is not a member of the cluster/],
] as const) {
  test(`${name} is refused with one error line while real traffic continues`, async () => {
    let stranger: TestNode | null = null;
    const logged: string[] = [];
    const nodes = await underAttack(async (target) => {
      stranger = await startNode(id, { ...overrides, log: (line) => logged.push(line) });
      stranger.transport.addPeer(2, { host: "127.0.0.1", port: target.port });
      stranger.transport.send([createMessage({ type: "heartbeat", from: id, to: 2, term: 99, commit: 666 })]);
      await waitFor("the refusal", () => stranger!.unreachable.length === 1);
      assert.equal(target.transport.stats().refusedHandshakes, 1);
      assert.ok(logged.some((line) => expected.test(line) && /peer refused: Cannot accept peer connection/.test(line)), logged.join("\n"));
      assert.ok(!target.received.some((message) => message.commit === 666));
    });
    await closeAll([...nodes, stranger!]);
  });
}

test("an oversized frame from an authenticated peer closes that connection, and the peer reconnects", async () => {
  const nodes = await startCluster(2, { maxFrameBytes: 8192 });
  const [one, two] = nodes;
  try {
    await sendUntilReceived(one!, two!, 1);
    const big = createMessage({ type: "append", from: 1, to: 2, term: 1, entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array(20_000) }] });
    one!.transport.send([big]);
    await waitFor("the protocol error", () => two!.transport.stats().protocolErrors === 1);
    await sendUntilReceived(one!, two!, 2);
    assert.ok(!two!.received.some((message) => message.type === "append"));
  } finally {
    await closeAll(nodes);
  }
});

test("a peer cannot send messages in another node's name", async () => {
  const nodes = await underAttack(async (target) => {
    // Authenticate as node 1, then send a message claiming to come from node 3.
    const identity = { nodeId: 1, clusterId: "walnut-test", secret: "test-secret" };
    const dialer = new DialerHandshake(identity, { peerId: 2, purpose: "messages" });
    const { Socket } = await import("node:net");
    const socket = new Socket();
    const reader = new FrameReader(4096);
    const errors: string[] = [];
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (frame.kind === FRAME_KIND.error) errors.push(frame.payload.toString("utf8"));
        const step = dialer.receive(frame);
        for (const reply of step.send) socket.write(reply);
        if (step.outcome.state === "accepted") {
          socket.write(encodeFrame(FRAME_KIND.message, encodeMessage(createMessage({ type: "heartbeat", from: 3, to: 2, term: 99 }))));
        }
      }
    });
    socket.connect({ host: "127.0.0.1", port: target.port }, () => socket.write(dialer.hello()));
    await closed;
    assert.deepEqual(errors, ["Cannot receive from node 1: a heartbeat message from 3 to 2"]);
    assert.equal(target.transport.stats().protocolErrors, 1);
  });
  await closeAll(nodes);
});
