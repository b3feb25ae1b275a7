/**
 * The connection handshake between two walnut nodes: who is calling, for which cluster,
 * and proof on both sides that they know the shared cluster secret. Both ends are pure
 * state machines over frames (no sockets here): the dialer's and the listener's.
 *
 *   dialer                                        listener
 *     hello      version, clusterId, dialer id,  →  refuses a wrong version, cluster id,
 *                listener id, purpose, nonceD        receiver id, or a dialer that is not
 *                                                    a member (one it removed is told so:
 *                                                    removedRefusal)
 *                                             ←  challenge  version, listener id, nonceL,
 *                                                           proofL
 *     checks proofL, then
 *     proof      proofD                        →  checks proofD
 *                                             ←  welcome
 *
 * Payloads (wire_bytes.ts primitives; a nonce is 32 raw bytes; a proof is `bytes`, empty
 * when the cluster has no secret, else 32 bytes):
 *
 *   hello      u8 version, bytes clusterId (UTF-8), varint dialer id, varint listener id,
 *              u8 purpose (1 messages, 2 snapshot, 3 question), nonce
 *   challenge  u8 version, varint listener id, nonce, proof
 *   proof      proof
 *   error      one line of UTF-8
 *
 * A proof is HMAC-SHA256 keyed with the secret over a transcript that binds everything
 * the handshake agreed: bytes label, bytes clusterId, varint dialer id, varint listener
 * id, u8 purpose, nonceD, nonceL. The labels differ per side ("walnut peer v1 listener",
 * "walnut peer v1 dialer"), so a proof cannot be reflected back, and each side's proof
 * covers the other side's fresh nonce, so a recorded proof cannot be replayed.
 *
 * Worked example: node 1 dialing node 2 of cluster "c" for messages with the nonce
 * 00 01 .. 1f sends the 38-byte hello payload
 *
 *   01  01 63  01  02  01  00 01 02 .. 1f
 *   version 1, clusterId "c", dialer 1, listener 2, purpose messages, nonce
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { assert } from "../lib/assert.js";
import { describeError, isWalnutError, WalnutError } from "../lib/errors.js";
import type { NodeId } from "../raft/types.js";
import { encodeFrame, FRAME_KIND, frameKindName, type Frame } from "./frames.js";
import { ByteReader, ByteWriter } from "./wire_bytes.js";

export const PROTOCOL_VERSION = 1;
export const NONCE_BYTES = 32;
/** HMAC-SHA256 output. */
export const PROOF_BYTES = 32;
/** Longest cluster id a hello may carry, in bytes. */
export const CLUSTER_ID_BYTES_MAX = 1024;
/** Largest frame accepted before the handshake succeeds: a stranger cannot make a node buffer more. */
export const HANDSHAKE_FRAME_BYTES_MAX = 4096;
/** Longest reason an error frame carries, in characters. */
export const ERROR_REASON_CHARS_MAX = 512;

export type ConnectionPurpose = "messages" | "snapshot" | "question";
const PURPOSES: readonly ConnectionPurpose[] = ["messages", "snapshot", "question"];

/** What a handshake step produces: frames to send, and where the handshake stands. */
export interface HandshakeStep {
  send: Buffer[];
  outcome: HandshakeOutcome;
}

export type HandshakeOutcome =
  | { state: "pending" }
  | { state: "accepted"; peerId: NodeId; purpose: ConnectionPurpose }
  | { state: "refused"; reason: string };

export interface HandshakeIdentity {
  nodeId: NodeId;
  clusterId: string;
  /** The shared cluster secret; null when the cluster runs without one. */
  secret: string | null;
}

/**
 * The refusal a listener gives a dialer that an applied membership change removed. The
 * dialer recognises it (isRemovedRefusal) and stops taking part, instead of campaigning
 * against members that will never answer it.
 */
export function removedRefusal(id: NodeId): string {
  return `node ${id} was removed from the cluster`;
}

export function isRemovedRefusal(reason: string, id: NodeId): boolean {
  return reason.includes(removedRefusal(id));
}

/** The listening side: answers a hello, checks the dialer's proof. */
export class ListenerHandshake {
  private stage: "hello" | "proof" | "done" = "hello";
  private transcript: Transcript | null = null;

  constructor(
    private readonly identity: HandshakeIdentity,
    private readonly isMember: (id: NodeId) => boolean,
    /** Whether a non-member was removed by a change this node applied (it is told so). */
    private readonly wasRemoved: (id: NodeId) => boolean = () => false,
  ) {}

  receive(frame: Frame): HandshakeStep {
    if (frame.kind === FRAME_KIND.error) {
      // The dialer gave up (it found our proof wrong, say): nothing to answer, but its reason is the one to log.
      this.stage = "done";
      const reason = `Cannot accept peer connection: the dialer gave up: ${decodeErrorFrame(frame.payload)}`;
      return { send: [], outcome: { state: "refused", reason } };
    }
    try {
      if (this.stage === "hello") return this.receiveHello(frame);
      if (this.stage === "proof") return this.receiveProof(frame);
      return refuse(`handshake already finished, got a ${frameKindName(frame.kind)} frame`);
    } catch (error) {
      if (!isWalnutError(error)) throw error;
      this.stage = "done";
      return refuse(describeError(error), { prefixed: true });
    }
  }

  private receiveHello(frame: Frame): HandshakeStep {
    expectKind(frame, "hello");
    const hello = decodeHello(frame.payload);
    const { nodeId, clusterId } = this.identity;
    this.stage = "done";
    if (hello.version !== PROTOCOL_VERSION) return refuse(`protocol version ${hello.version} is not ${PROTOCOL_VERSION}`);
    if (hello.clusterId !== clusterId) return refuse(`cluster id ${JSON.stringify(hello.clusterId)} is not this cluster's`);
    if (hello.listenerId !== nodeId) return refuse(`hello is addressed to node ${hello.listenerId}, this is node ${nodeId}`);
    if (!this.isMember(hello.dialerId)) {
      return refuse(this.wasRemoved(hello.dialerId) ? removedRefusal(hello.dialerId) : `node ${hello.dialerId} is not a member of the cluster`);
    }
    this.transcript = {
      clusterId,
      dialerId: hello.dialerId,
      listenerId: nodeId,
      purpose: hello.purpose,
      dialerNonce: hello.nonce,
      listenerNonce: randomBytes(NONCE_BYTES),
    };
    this.stage = "proof";
    const challenge = new ByteWriter().u8(PROTOCOL_VERSION).varint(nodeId).raw(this.transcript.listenerNonce);
    challenge.bytes(prove(this.identity.secret, "listener", this.transcript));
    return { send: [encodeFrame(FRAME_KIND.challenge, challenge.finish())], outcome: { state: "pending" } };
  }

  private receiveProof(frame: Frame): HandshakeStep {
    expectKind(frame, "proof");
    this.stage = "done";
    const reader = new ByteReader(frame.payload, "handshake proof");
    const proof = reader.bytes("proof", PROOF_BYTES);
    reader.end();
    const transcript = this.transcript!;
    const mismatch = checkProof(this.identity.secret, "dialer", transcript, proof);
    if (mismatch !== null) return refuse(mismatch);
    const outcome: HandshakeOutcome = { state: "accepted", peerId: transcript.dialerId, purpose: transcript.purpose };
    return { send: [encodeFrame(FRAME_KIND.welcome)], outcome };
  }
}

/** The dialing side: sends the hello, checks the listener's proof, proves itself. */
export class DialerHandshake {
  private stage: "challenge" | "welcome" | "done" = "challenge";
  private readonly transcript: Transcript;

  constructor(
    private readonly identity: HandshakeIdentity,
    options: { peerId: NodeId; purpose: ConnectionPurpose },
  ) {
    const { clusterId, nodeId } = identity;
    assert(Buffer.byteLength(clusterId) <= CLUSTER_ID_BYTES_MAX, "cluster id too long");
    this.transcript = {
      clusterId,
      dialerId: nodeId,
      listenerId: options.peerId,
      purpose: options.purpose,
      dialerNonce: randomBytes(NONCE_BYTES),
      listenerNonce: Buffer.alloc(0), // known once the challenge arrives
    };
  }

  /** The hello frame that opens the connection. */
  hello(): Buffer {
    const { clusterId, dialerId, listenerId, purpose, dialerNonce } = this.transcript;
    const hello = new ByteWriter().u8(PROTOCOL_VERSION).bytes(Buffer.from(clusterId, "utf8"));
    hello.varint(dialerId).varint(listenerId).u8(PURPOSES.indexOf(purpose) + 1).raw(dialerNonce);
    return encodeFrame(FRAME_KIND.hello, hello.finish());
  }

  /**
   * Handles the listener's answer. A refusal here answers with one error frame giving the
   * reason (so the listener can log why the dialer hung up), unless the listener refused
   * first: its error frame gets no answer.
   */
  receive(frame: Frame): HandshakeStep {
    if (frame.kind === FRAME_KIND.error) {
      this.stage = "done";
      return { send: [], outcome: { state: "refused", reason: `peer refused: ${decodeErrorFrame(frame.payload)}` } };
    }
    try {
      if (this.stage === "challenge") return this.receiveChallenge(frame);
      if (this.stage === "welcome") {
        expectKind(frame, "welcome");
        this.stage = "done";
        return { send: [], outcome: { state: "accepted", peerId: this.transcript.listenerId, purpose: this.transcript.purpose } };
      }
      return this.giveUp(`handshake already finished, got a ${frameKindName(frame.kind)} frame`);
    } catch (error) {
      if (!isWalnutError(error)) throw error;
      this.stage = "done";
      return this.giveUp(describeError(error));
    }
  }

  /** This side refuses the listener: say why in an error frame, then close. */
  private giveUp(reason: string): HandshakeStep {
    return { send: [encodeErrorFrame(reason)], outcome: { state: "refused", reason } };
  }

  private receiveChallenge(frame: Frame): HandshakeStep {
    expectKind(frame, "challenge");
    this.stage = "done";
    const reader = new ByteReader(frame.payload, "handshake challenge");
    const version = reader.u8("version");
    const listenerId = reader.varint("listener id");
    const listenerNonce = reader.raw("nonce", NONCE_BYTES);
    const proof = reader.bytes("proof", PROOF_BYTES);
    reader.end();
    const refused = (reason: string): HandshakeStep => this.giveUp(reason);
    if (version !== PROTOCOL_VERSION) return refused(`peer speaks protocol version ${version}, not ${PROTOCOL_VERSION}`);
    const expectedId = this.transcript.listenerId;
    if (listenerId !== expectedId) return refused(`expected node ${expectedId} but node ${listenerId} answered`);
    this.transcript.listenerNonce = listenerNonce;
    const mismatch = checkProof(this.identity.secret, "listener", this.transcript, proof);
    if (mismatch !== null) return refused(mismatch);
    this.stage = "welcome";
    const ownProof = new ByteWriter().bytes(prove(this.identity.secret, "dialer", this.transcript)).finish();
    return { send: [encodeFrame(FRAME_KIND.proof, ownProof)], outcome: { state: "pending" } };
  }
}

/** An error frame carrying `reason` on one line, shortened to ERROR_REASON_CHARS_MAX. */
export function encodeErrorFrame(reason: string): Buffer {
  const line = reason.replace(/[\r\n]+/g, " ").slice(0, ERROR_REASON_CHARS_MAX);
  return encodeFrame(FRAME_KIND.error, Buffer.from(line, "utf8"));
}

export function decodeErrorFrame(payload: Buffer): string {
  return payload.toString("utf8", 0, Math.min(payload.length, ERROR_REASON_CHARS_MAX * 4)).replace(/[\r\n]+/g, " ");
}

interface Transcript {
  clusterId: string;
  dialerId: NodeId;
  listenerId: NodeId;
  purpose: ConnectionPurpose;
  dialerNonce: Uint8Array;
  listenerNonce: Uint8Array;
}

interface Hello {
  version: number;
  clusterId: string;
  dialerId: NodeId;
  listenerId: NodeId;
  purpose: ConnectionPurpose;
  nonce: Uint8Array;
}

function decodeHello(payload: Buffer): Hello {
  const reader = new ByteReader(payload, "handshake hello");
  const version = reader.u8("version");
  const clusterId = Buffer.from(reader.bytes("cluster id", CLUSTER_ID_BYTES_MAX)).toString("utf8");
  const dialerId = reader.varint("dialer id");
  const listenerId = reader.varint("listener id");
  const purposeCode = reader.u8("purpose");
  const purpose = PURPOSES[purposeCode - 1];
  if (purpose === undefined) reader.fail(`purpose ${purposeCode} is unknown`);
  const nonce = reader.raw("nonce", NONCE_BYTES);
  reader.end();
  return { version, clusterId, dialerId, listenerId, purpose, nonce };
}

function expectKind(frame: Frame, expected: "hello" | "challenge" | "proof" | "welcome"): void {
  if (frame.kind !== FRAME_KIND[expected]) {
    const state = `expected a ${expected} frame, got a ${frameKindName(frame.kind)} frame`;
    throw new WalnutError("BAD_ARGUMENT", `Cannot decode handshake: ${state}`);
  }
}

/** A refusal: the error frame to send, then the connection closes. */
function refuse(reason: string, options = { prefixed: false }): HandshakeStep {
  const line = options.prefixed ? reason : `Cannot accept peer connection: ${reason}`;
  return { send: [encodeErrorFrame(line)], outcome: { state: "refused", reason: line } };
}

/** This side's proof: HMAC-SHA256 of the transcript, or empty without a secret. */
function prove(secret: string | null, side: "listener" | "dialer", transcript: Transcript): Buffer {
  if (secret === null) return Buffer.alloc(0);
  const message = new ByteWriter().bytes(Buffer.from(`walnut peer v1 ${side}`, "utf8")).bytes(Buffer.from(transcript.clusterId, "utf8"));
  message.varint(transcript.dialerId).varint(transcript.listenerId).u8(PURPOSES.indexOf(transcript.purpose) + 1);
  message.raw(transcript.dialerNonce).raw(transcript.listenerNonce);
  return createHmac("sha256", secret).update(message.finish()).digest();
}

/** Null when `proof` is what `side` must have sent; else why not. */
function checkProof(secret: string | null, side: "listener" | "dialer", transcript: Transcript, proof: Uint8Array): string | null {
  if (secret === null) return proof.length === 0 ? null : `the ${side} uses a cluster secret and this node has none`;
  if (proof.length === 0) return `the ${side} did not prove the cluster secret (it has none configured)`;
  const expected = prove(secret, side, transcript);
  if (proof.length !== expected.length || !timingSafeEqual(proof, expected)) return `the ${side} proved a different cluster secret`;
  return null;
}
