import { test } from "node:test";
import * as assert from "node:assert/strict";
import { FrameReader, FRAME_KIND, type Frame } from "./frames.js";
import { DialerHandshake, isRemovedRefusal, ListenerHandshake, type HandshakeIdentity, type HandshakeOutcome } from "./handshake.js";

const members = new Set([1, 2, 3]);
const isMember = (id: number): boolean => members.has(id);
/** Node 4 was a member until a change the listener applied removed it. */
const wasRemoved = (id: number): boolean => id === 4;

function frameOf(bytes: Buffer): Frame {
  const frames = new FrameReader(4096).push(bytes);
  assert.equal(frames.length, 1);
  return frames[0]!;
}

interface Run {
  dialer: HandshakeOutcome;
  listener: HandshakeOutcome;
  /** Error frames the listener sent, as text. */
  errors: string[];
}

/** Plays the handshake between two in-memory ends until both stop. */
function run(dialerIdentity: HandshakeIdentity, listenerIdentity: HandshakeIdentity, peerId = listenerIdentity.nodeId): Run {
  const dialer = new DialerHandshake(dialerIdentity, { peerId, purpose: "messages" });
  const listener = new ListenerHandshake(listenerIdentity, isMember, wasRemoved);
  const errors: string[] = [];
  let toListener = [dialer.hello()];
  let dialerOutcome: HandshakeOutcome = { state: "pending" };
  let listenerOutcome: HandshakeOutcome = { state: "pending" };
  while (toListener.length > 0) {
    const toDialer: Buffer[] = [];
    for (const bytes of toListener) {
      const step = listener.receive(frameOf(bytes));
      listenerOutcome = step.outcome;
      toDialer.push(...step.send);
    }
    toListener = [];
    for (const bytes of toDialer) {
      const frame = frameOf(bytes);
      if (frame.kind === FRAME_KIND.error) errors.push(frame.payload.toString("utf8"));
      const step = dialer.receive(frame);
      dialerOutcome = step.outcome;
      toListener.push(...step.send);
    }
  }
  return { dialer: dialerOutcome, listener: listenerOutcome, errors };
}

const node = (nodeId: number, secret: string | null = "s3cret", clusterId = "walnut-test"): HandshakeIdentity => ({ nodeId, clusterId, secret });

test("two members with the same secret accept each other", () => {
  const result = run(node(1), node(2));
  assert.deepEqual(result.dialer, { state: "accepted", peerId: 2, purpose: "messages" });
  assert.deepEqual(result.listener, { state: "accepted", peerId: 1, purpose: "messages" });
  assert.deepEqual(result.errors, []);
});

test("two members without a secret accept each other", () => {
  const result = run(node(1, null), node(2, null));
  assert.equal(result.dialer.state, "accepted");
  assert.equal(result.listener.state, "accepted");
});

test("a dialer with the wrong secret finds the listener's proof wrong, gives up, and tells the listener why", () => {
  const result = run(node(1, "wrong"), node(2));
  assert.equal(result.dialer.state, "refused");
  assert.match((result.dialer as { reason: string }).reason, /the listener proved a different cluster secret/);
  assert.deepEqual(result.listener, {
    state: "refused",
    reason: "Cannot accept peer connection: the dialer gave up: the listener proved a different cluster secret",
  });
  assert.deepEqual(result.errors, [], "the listener does not answer the dialer's error frame");
});

test("a listener refuses a dialer that cannot prove the secret", () => {
  // The dialer has no secret: it cannot check the listener's proof, so it refuses first.
  const noSecret = run(node(1, null), node(2));
  assert.equal(noSecret.dialer.state, "refused");
  // A dialer that skips checking (a forged client) is caught by the listener.
  const listener = new ListenerHandshake(node(2), isMember);
  const dialer = new DialerHandshake(node(1, "wrong"), { peerId: 2, purpose: "messages" });
  listener.receive(frameOf(dialer.hello()));
  const forgedProof = Buffer.from([0x20, ...new Uint8Array(32)]);
  const step = listener.receive({ kind: FRAME_KIND.proof, payload: forgedProof });
  assert.deepEqual(step.outcome, { state: "refused", reason: "Cannot accept peer connection: the dialer proved a different cluster secret" });
  assert.equal(frameOf(step.send[0]!).kind, FRAME_KIND.error);
});

test("a listener with no secret refuses a dialer that has one", () => {
  const listener = new ListenerHandshake(node(2, null), isMember);
  const dialer = new DialerHandshake(node(1), { peerId: 2, purpose: "messages" });
  listener.receive(frameOf(dialer.hello()));
  const step = listener.receive({ kind: FRAME_KIND.proof, payload: Buffer.from([0x20, ...new Uint8Array(32)]) });
  assert.equal(step.outcome.state, "refused");
  assert.match((step.outcome as { reason: string }).reason, /the dialer uses a cluster secret and this node has none/);
});

test("a wrong cluster id is refused with one error line", () => {
  const result = run(node(1, "s3cret", "other-cluster"), node(2));
  assert.equal(result.listener.state, "refused");
  assert.deepEqual(result.errors, ['Cannot accept peer connection: cluster id "other-cluster" is not this cluster\'s']);
  assert.match((result.dialer as { reason: string }).reason, /^peer refused: Cannot accept peer connection: cluster id/);
});

test("a sender that is not a member is refused", () => {
  const result = run(node(9), node(2));
  assert.deepEqual(result.errors, ["Cannot accept peer connection: node 9 is not a member of the cluster"]);
  assert.equal(result.dialer.state, "refused");
});

test("a sender the listener removed is told so, and the dialer recognises it; any other non-member is not", () => {
  const removed = run(node(4), node(2));
  assert.deepEqual(removed.errors, ["Cannot accept peer connection: node 4 was removed from the cluster"]);
  assert.equal(removed.dialer.state, "refused");
  assert.ok(isRemovedRefusal((removed.dialer as { reason: string }).reason, 4));
  const stranger = run(node(9), node(2));
  assert.ok(!isRemovedRefusal((stranger.dialer as { reason: string }).reason, 9));
});

test("a hello addressed to another node is refused", () => {
  const result = run(node(1), node(2), 3);
  assert.deepEqual(result.errors, ["Cannot accept peer connection: hello is addressed to node 3, this is node 2"]);
});

test("frames out of order and malformed hellos are refused", () => {
  const listener = new ListenerHandshake(node(2), isMember);
  const step = listener.receive({ kind: FRAME_KIND.message, payload: Buffer.from("hi") });
  assert.deepEqual(step.outcome, { state: "refused", reason: "Cannot decode handshake: expected a hello frame, got a message frame" });
  const truncated = new ListenerHandshake(node(2), isMember).receive({ kind: FRAME_KIND.hello, payload: Buffer.from([1, 5, 0x61]) });
  assert.equal(truncated.outcome.state, "refused");
  assert.match((truncated.outcome as { reason: string }).reason, /^Cannot decode handshake hello: cluster id needs 5 bytes but 1 remain/);
});

test("the documented hello payload is what the dialer sends", () => {
  const hello = frameOf(new DialerHandshake(node(1, null, "c"), { peerId: 2, purpose: "messages" }).hello());
  assert.equal(hello.kind, FRAME_KIND.hello);
  assert.equal(hello.payload.length, 38);
  assert.equal(hello.payload.subarray(0, 6).toString("hex"), "010163010201");
});
