import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createMessage } from "../raft/message.js";
import type { Message } from "../raft/types.js";
import { isPeerTransportError } from "./errors.js";
import { closeAll, connectAll, heartbeat, sendUntilReceived, startCluster, startNode, waitFor } from "./testing.js";

test("two transports exchange messages both ways, every field intact", async () => {
  const [one, two] = await startCluster(2);
  try {
    const append: Message = createMessage({
      type: "append",
      from: 1,
      to: 2,
      term: 4,
      logIndex: 10,
      logTerm: 3,
      commit: 9,
      entries: [{ index: 11, term: 4, type: "normal", data: new Uint8Array(Buffer.from("SET k v")) }],
      context: new Uint8Array([1, 2, 3]),
    });
    one!.transport.send([append]);
    two!.transport.send([createMessage({ type: "appendResponse", from: 2, to: 1, term: 4, index: 11 })]);
    await waitFor("both messages", () => one!.received.length === 1 && two!.received.length === 1);
    assert.deepEqual(two!.received[0], append);
    assert.equal(one!.received[0]!.type, "appendResponse");
    assert.equal(one!.received[0]!.index, 11);
    assert.equal(one!.transport.stats().messagesSent, 1);
    assert.equal(two!.transport.stats().messagesReceived, 1);
    assert.ok(one!.transport.stats().bytesSent > 0);
  } finally {
    await closeAll([one!, two!]);
  }
});

test("three transports deliver many messages to every peer in order", async () => {
  const nodes = await startCluster(3);
  try {
    const perPair = 200;
    for (let marker = 1; marker <= perPair; marker += 1) {
      for (const from of nodes) {
        from.transport.send(nodes.filter((to) => to !== from).map((to) => heartbeat(from.id, to.id, marker)));
      }
    }
    await waitFor("every message", () => nodes.every((node) => node.received.length === 2 * perPair));
    for (const node of nodes) {
      for (const from of nodes.filter((other) => other !== node)) {
        const markers = node.received.filter((message) => message.from === from.id).map((message) => message.commit);
        assert.deepEqual(markers, Array.from({ length: perPair }, (_, position) => position + 1));
      }
      assert.equal(node.transport.stats().messagesDropped, 0);
    }
  } finally {
    await closeAll(nodes);
  }
});

test("a transport reconnects after the remote restarts on the same port", async () => {
  const [one, two] = await startCluster(2);
  let restarted = two!;
  try {
    await sendUntilReceived(one!, two!, 1);
    await two!.transport.close();
    restarted = await startNode(2, {}, two!.port);
    restarted.transport.addPeer(1, { host: "127.0.0.1", port: one!.port });
    await sendUntilReceived(one!, restarted, 2);
    assert.ok(one!.transport.stats().reconnects >= 1);
    await sendUntilReceived(restarted, one!, 3);
  } finally {
    await closeAll([one!, restarted]);
  }
});

test("a full queue drops messages and reports the peer unreachable", async () => {
  const [one, two] = await startCluster(2, { maxQueuedMessagesPerPeer: 3 });
  try {
    // One synchronous send: the connection is still being dialed, so only 3 fit the queue.
    one!.transport.send(Array.from({ length: 10 }, (_, position) => heartbeat(1, 2, position + 1)));
    assert.equal(one!.transport.stats().messagesDropped, 7);
    assert.deepEqual(one!.unreachable, [2, 2, 2, 2, 2, 2, 2]);
    await waitFor("the queued three", () => two!.received.length === 3);
    assert.deepEqual(two!.received.map((message) => message.commit), [1, 2, 3]);
  } finally {
    await closeAll([one!, two!]);
  }
});

test("a peer that is down is reported unreachable and redialed only after the backoff", async () => {
  let nowMs = 1_000_000;
  const one = await startNode(1, { now: () => nowMs, random: () => 0, reconnectBackoff: { initialMs: 1000, maxMs: 8000 } });
  const down = await startNode(2);
  const downPort = down.port;
  await down.transport.close();
  try {
    one.transport.addPeer(2, { host: "127.0.0.1", port: downPort });
    one.transport.send([heartbeat(1, 2, 1)]);
    await waitFor("the failed dial", () => one.unreachable.length === 1);
    // Within the backoff (1000 ms · jitter 0.5 = 500 ms): dropped at once, no dial.
    nowMs += 499;
    one.transport.send([heartbeat(1, 2, 2)]);
    assert.equal(one.unreachable.length, 2);
    assert.equal(one.transport.stats().reconnects, 0);
    nowMs += 2;
    one.transport.send([heartbeat(1, 2, 3)]);
    assert.equal(one.transport.stats().reconnects, 1);
    await waitFor("the second failed dial", () => one.unreachable.length === 3);
    assert.equal(one.transport.stats().messagesDropped, 3);
  } finally {
    await one.transport.close();
  }
});

test("messages to an unknown node are dropped and reported", async () => {
  const one = await startNode(1);
  try {
    one.transport.send([heartbeat(1, 7, 1)]);
    assert.deepEqual(one.unreachable, [7]);
    assert.equal(one.transport.stats().messagesDropped, 1);
  } finally {
    await one.transport.close();
  }
});

function* snapshotPieces(totalBytes: number): Generator<Buffer> {
  // Uneven pieces, some larger than a chunk frame, to exercise re-chunking.
  const sizes = [1, 300_000, 2_500_000, 7, 65_536];
  let produced = 0;
  for (let turn = 0; produced < totalBytes; turn += 1) {
    const size = Math.min(sizes[turn % sizes.length]!, totalBytes - produced);
    const piece = Buffer.alloc(size);
    for (let position = 0; position < size; position += 1) piece[position] = (produced + position) % 251;
    produced += size;
    yield piece;
  }
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

test("a multi-MiB snapshot streams in chunks and resolves once the receiver installed it", async () => {
  const [one, two] = await startCluster(2);
  try {
    const totalBytes = 6 * 1024 * 1024 + 123;
    const expected = createHash("sha256");
    for (const piece of snapshotPieces(totalBytes)) expected.update(piece);
    const metadata = { index: 42, term: 3, confState: { voters: [1, 2], learners: [] } };
    await one!.transport.sendSnapshot(2, metadata, asAsync(snapshotPieces(totalBytes)));
    assert.equal(two!.snapshots.length, 1);
    const received = two!.snapshots[0]!;
    assert.equal(received.from, 1);
    assert.deepEqual(received.metadata, metadata);
    assert.equal(received.bytes.length, totalBytes);
    assert.equal(createHash("sha256").update(received.bytes).digest("hex"), expected.digest("hex"));
    assert.equal(one!.transport.stats().snapshotsSent, 1);
    assert.equal(two!.transport.stats().snapshotsReceived, 1);
    await sendUntilReceived(one!, two!, 1);
  } finally {
    await closeAll([one!, two!]);
  }
});

test("a snapshot the receiver fails to install rejects the sender with its reason", async () => {
  const nodes = await startCluster(2, {
    onSnapshot: async (_from, _metadata, chunks) => {
      for await (const _chunk of chunks) throw new Error("disk full while installing");
    },
  });
  try {
    const metadata = { index: 5, term: 1, confState: { voters: [1, 2], learners: [] } };
    await assert.rejects(
      nodes[0]!.transport.sendSnapshot(2, metadata, asAsync(snapshotPieces(3 * 1024 * 1024))),
      (error: unknown) => isPeerTransportError(error, "SNAPSHOT_FAILED") && /disk full while installing/.test(error.message),
    );
    await sendUntilReceived(nodes[0]!, nodes[1]!, 1);
  } finally {
    await closeAll(nodes);
  }
});

test("a snapshot to a peer that is down rejects as unreachable", async () => {
  const one = await startNode(1);
  const down = await startNode(2);
  await down.transport.close();
  try {
    one.transport.addPeer(2, { host: "127.0.0.1", port: down.port });
    const metadata = { index: 5, term: 1, confState: { voters: [1, 2], learners: [] } };
    await assert.rejects(one.transport.sendSnapshot(2, metadata, asAsync([Buffer.from("x")])), (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE"));
  } finally {
    await one.transport.close();
  }
});

test("a removed peer can no longer connect, and an added one can", async () => {
  const nodes = await startCluster(2);
  const [one, two] = nodes;
  const three = await startNode(3);
  try {
    await sendUntilReceived(two!, one!, 1);
    one!.transport.removePeer(2);
    const refusedBefore = one!.transport.stats().refusedHandshakes;
    await waitFor("the refusal of the removed peer", () => {
      two!.transport.send([heartbeat(2, 1, 2)]);
      return one!.transport.stats().refusedHandshakes > refusedBefore;
    });
    connectAll([one!, three]);
    await sendUntilReceived(three, one!, 3);
    await sendUntilReceived(one!, three, 4);
    assert.ok(!one!.received.some((message) => message.from === 2 && message.commit === 2));
  } finally {
    await closeAll([...nodes, three]);
  }
});

test("a slow snapshot consumer pauses the stream without losing or reordering bytes", async () => {
  let receivedHash = "";
  let receivedBytes = 0;
  const nodes = await startCluster(2, {
    onSnapshot: async (_from, _metadata, chunks) => {
      const hash = createHash("sha256");
      for await (const chunk of chunks) {
        hash.update(chunk);
        receivedBytes += chunk.length;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      receivedHash = hash.digest("hex");
    },
  });
  try {
    const totalBytes = 24 * 1024 * 1024;
    const expected = createHash("sha256");
    for (const piece of snapshotPieces(totalBytes)) expected.update(piece);
    const metadata = { index: 7, term: 2, confState: { voters: [1, 2], learners: [] } };
    await nodes[0]!.transport.sendSnapshot(2, metadata, asAsync(snapshotPieces(totalBytes)));
    assert.equal(receivedBytes, totalBytes);
    assert.equal(receivedHash, expected.digest("hex"));
  } finally {
    await closeAll(nodes);
  }
});

test("removing a peer mid-snapshot rejects the send as unreachable and fails the receiver's stream", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let firstChunkSeen = false;
  let receiverError = "";
  const nodes = await startCluster(2, {
    onSnapshot: async (_from, _metadata, chunks) => {
      try {
        for await (const _chunk of chunks) {
          firstChunkSeen = true;
          await gate;
        }
      } catch (error) {
        receiverError = String(error);
      }
    },
  });
  try {
    const metadata = { index: 9, term: 2, confState: { voters: [1, 2], learners: [] } };
    const sending = nodes[0]!.transport.sendSnapshot(2, metadata, asAsync(snapshotPieces(32 * 1024 * 1024)));
    const outcome = assert.rejects(sending, (error: unknown) => isPeerTransportError(error, "PEER_UNREACHABLE"));
    await waitFor("the first chunk", () => firstChunkSeen);
    nodes[0]!.transport.removePeer(2);
    await outcome;
    release();
    await waitFor("the receiver's stream to fail", () => receiverError !== "");
    assert.match(receiverError, /Cannot receive snapshot from node 1/);
  } finally {
    release();
    await closeAll(nodes);
  }
});
