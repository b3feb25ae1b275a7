/**
 * Test support for the transport tests (not part of the package): transports on
 * loopback with port 0, wired to each other; message builders; polling until a
 * condition holds (tests wait for outcomes, never assert on timing); raw sockets for
 * speaking bad bytes to a peer port.
 */
import * as net from "node:net";
import { createMessage } from "../raft/message.js";
import type { Message, NodeId, SnapshotMetadata } from "../raft/types.js";
import { FrameReader, type Frame } from "./frames.js";
import { PeerTransport, type PeerTransportOptions } from "./transport.js";

/** Longest a test waits for something that should happen promptly, before it fails. */
export const PATIENCE_MS = 20_000;

export interface TestNode {
  id: NodeId;
  port: number;
  transport: PeerTransport;
  received: Message[];
  unreachable: NodeId[];
  snapshots: { from: NodeId; metadata: SnapshotMetadata; bytes: Buffer }[];
}

export type NodeOverrides = Partial<Omit<PeerTransportOptions, "nodeId" | "listen" | "peers" | "onMessage">>;

/** One transport on 127.0.0.1, port 0, collecting what it receives. Peers are added later. */
export async function startNode(id: NodeId, overrides: NodeOverrides = {}, port = 0): Promise<TestNode> {
  const received: Message[] = [];
  const unreachable: NodeId[] = [];
  const snapshots: TestNode["snapshots"] = [];
  const transport = new PeerTransport({
    nodeId: id,
    clusterId: "walnut-test",
    secret: "test-secret",
    listen: { host: "127.0.0.1", port },
    peers: new Map(),
    onMessage: (message) => received.push(message),
    onSnapshot: async (from, metadata, chunks) => {
      const parts: Buffer[] = [];
      for await (const chunk of chunks) parts.push(Buffer.from(chunk));
      snapshots.push({ from, metadata, bytes: Buffer.concat(parts) });
    },
    onUnreachable: (peerId) => unreachable.push(peerId),
    reconnectBackoff: { initialMs: 1, maxMs: 20 },
    ...overrides,
  });
  const started = await transport.start();
  return { id, port: started.port, transport, received, unreachable, snapshots };
}

/** Starts `count` nodes with ids 1..count and makes each a peer of every other. */
export async function startCluster(count: number, overrides: NodeOverrides = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let id = 1; id <= count; id += 1) nodes.push(await startNode(id, overrides));
  connectAll(nodes);
  return nodes;
}

/** Makes every node a peer of every other (by their current ports). */
export function connectAll(nodes: TestNode[]): void {
  for (const node of nodes) {
    for (const other of nodes) if (other !== node) node.transport.addPeer(other.id, { host: "127.0.0.1", port: other.port });
  }
}

export async function closeAll(nodes: TestNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.transport.close()));
}

/** A heartbeat carrying `commit` as a marker, so tests can tell messages apart. */
export function heartbeat(from: NodeId, to: NodeId, commit: number): Message {
  return createMessage({ type: "heartbeat", from, to, term: 1, commit });
}

/** Resolves once `condition` holds; fails the test after PATIENCE_MS. */
export async function waitFor(description: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Sends a fresh heartbeat from `from` to `to` every few milliseconds until `to` has
 * received one (the way Raft's own heartbeats get through after a reconnect).
 */
export async function sendUntilReceived(from: TestNode, to: TestNode, marker: number): Promise<void> {
  const arrived = (): boolean => to.received.some((message) => message.from === from.id && message.commit === marker);
  const deadline = Date.now() + PATIENCE_MS;
  while (!arrived()) {
    if (Date.now() > deadline) throw new Error(`Timed out sending marker ${marker} from node ${from.id} to node ${to.id}`);
    from.transport.send([heartbeat(from.id, to.id, marker)]);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface RawExchange {
  frames: Frame[];
  closed: boolean;
}

/**
 * Connects to `port` with a plain socket, writes `bytes` (each element one write), and
 * collects the frames the peer answers until it closes the connection.
 */
export async function rawExchange(port: number, bytes: Buffer[], options: { end?: boolean } = {}): Promise<RawExchange> {
  const socket = net.connect({ host: "127.0.0.1", port });
  const reader = new FrameReader(1024 * 1024);
  const exchange: RawExchange = { frames: [], closed: false };
  socket.on("data", (chunk: Buffer) => exchange.frames.push(...reader.push(chunk)));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  for (const piece of bytes) socket.write(piece);
  if (options.end === true) socket.end();
  const timer = setTimeout(() => socket.destroy(), PATIENCE_MS);
  await closed;
  clearTimeout(timer);
  exchange.closed = true;
  return exchange;
}
