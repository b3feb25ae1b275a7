/**
 * A test-controlled network between walnut peers: one TCP proxy in front of each node's
 * peer port, and a partition map saying which nodes can reach which.
 *
 * Every member's --peers entry names its proxy, and the node itself listens on its real
 * port (--peer-port), so all members share one --peers string (the cluster id is derived
 * from it). A proxy knows which node it fronts; it learns which node is dialing from
 * the first frame of the peer handshake (hello: u8 version, bytes clusterId, varint
 * dialer id; see src/transport/handshake.ts).
 *
 * The partition is a set of cut directed links "from → to". Raft messages from A to B
 * travel only on connections A dials to B (each node sends on its own outbound
 * connection per peer), so cutting A → B drops exactly what A sends to B: a one-way
 * partition. A cut link's connections already open are destroyed, and new ones are
 * accepted and then black-holed (bytes read and dropped, nothing answered), so the
 * dialer sees what a real partition looks like: a handshake that never completes.
 * Healing destroys the black-holed connections, so the dialers reconnect.
 *
 * Shapes (see PeerNetwork): isolate(node), partition(groups) (cut between groups, both
 * ways; a node in no group is a bridge that reaches every group), and cutOneWay(from, to).
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { FRAME_HEADER_BYTES, FRAME_KIND } from "../transport/frames.js";
import { HANDSHAKE_FRAME_BYTES_MAX } from "../transport/handshake.js";
import { ByteReader } from "../transport/wire_bytes.js";

interface ProxiedConnection {
  dialer: number;
  client: Socket;
  /** Null while black-holed. */
  upstream: Socket | null;
}

/** The dialer's node id from a complete hello frame at the start of `bytes`; null if not there yet. */
export function helloDialer(bytes: Buffer): number | null {
  if (bytes.length < FRAME_HEADER_BYTES) return null;
  const length = bytes.readUInt32LE(0);
  if (bytes[4] !== FRAME_KIND.hello || length > HANDSHAKE_FRAME_BYTES_MAX) throw new Error(`Not a peer hello: kind ${bytes[4]}, length ${length}`);
  if (bytes.length < FRAME_HEADER_BYTES + length) return null;
  const reader = new ByteReader(bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length), "hello");
  reader.u8("version");
  reader.bytes("clusterId", HANDSHAKE_FRAME_BYTES_MAX);
  return reader.varint("dialer id");
}

/** The proxy in front of one node's peer port. */
class PeerProxy {
  private readonly server: Server;
  private readonly connections = new Set<ProxiedConnection>();
  /** Every accepted socket, hello read or not, so that close() leaves none open. */
  private readonly clients = new Set<Socket>();

  constructor(
    readonly nodeId: number,
    private readonly targetPort: number,
    private readonly linkIsCut: (from: number, to: number) => boolean,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  /** Listens on a port the system picks (no race with other users of free ports); returns it. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        const address = this.server.address();
        resolve(typeof address === "object" && address !== null ? address.port : 0);
      });
    });
  }

  /** Destroys connections across cut links, and black-holed ones whose link is whole again. */
  enforce(): void {
    for (const connection of this.connections) {
      const blackHoled = connection.upstream === null;
      if (this.linkIsCut(connection.dialer, this.nodeId) !== blackHoled) this.drop(connection);
    }
  }

  close(): Promise<void> {
    for (const connection of this.connections) this.drop(connection);
    for (const client of this.clients) client.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.clients.add(client);
    client.once("close", () => this.clients.delete(client));
    client.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      let dialer: number | null;
      try {
        dialer = helloDialer(buffered);
      } catch {
        client.destroy();
        return;
      }
      if (dialer === null) return;
      client.off("data", onData);
      this.route(client, dialer, buffered);
    };
    client.on("data", onData);
  }

  private route(client: Socket, dialer: number, firstBytes: Buffer): void {
    const connection: ProxiedConnection = { dialer, client, upstream: null };
    this.connections.add(connection);
    client.once("close", () => this.drop(connection));
    if (this.linkIsCut(dialer, this.nodeId)) {
      client.on("data", () => undefined); // black hole: read and drop
      return;
    }
    const upstream = connect(this.targetPort, "127.0.0.1");
    connection.upstream = upstream;
    upstream.on("error", () => undefined);
    upstream.once("close", () => this.drop(connection));
    upstream.write(firstBytes);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private drop(connection: ProxiedConnection): void {
    if (!this.connections.delete(connection)) return;
    connection.client.destroy();
    connection.upstream?.destroy();
  }
}

/** Proxies for every member and the partition between them. */
export class PeerNetwork {
  private readonly proxies = new Map<number, PeerProxy>();
  /** Where each node's proxy listens: the address the others dial it at. */
  readonly proxyPorts = new Map<number, number>();
  /** Cut directed links, as "from>to". */
  private readonly cutLinks = new Set<string>();

  /** Starts a proxy for each node, forwarding to its `realPort`; see proxyPorts. */
  static async start(members: Array<{ id: number; realPort: number }>): Promise<PeerNetwork> {
    const network = new PeerNetwork();
    for (const member of members) await network.addProxy(member);
    return network;
  }

  /** The nodes that have a proxy. */
  get nodeIds(): number[] {
    return [...this.proxies.keys()];
  }

  isCut(from: number, to: number): boolean {
    return this.cutLinks.has(`${from}>${to}`);
  }

  /** Cuts every link of `nodeId`, both ways. */
  isolate(nodeId: number): void {
    this.partition([[nodeId], this.nodeIds.filter((id) => id !== nodeId)]);
  }

  /** Cuts every link between nodes of different groups, both ways; nodes in no group reach everyone. */
  partition(groups: number[][]): void {
    this.cutLinks.clear();
    for (const [index, group] of groups.entries()) {
      for (const other of groups.slice(index + 1)) for (const a of group) for (const b of other) this.addCut(a, b, true);
    }
    this.enforce();
  }

  /** Drops what `from` sends to each of `to`; their messages to `from` still arrive. */
  cutOneWay(from: number, to: number[]): void {
    this.cutLinks.clear();
    for (const target of to) this.addCut(from, target, false);
    this.enforce();
  }

  /** Every link whole again. */
  heal(): void {
    this.cutLinks.clear();
    this.enforce();
  }

  /** A human-readable list of the cut links, e.g. "1>2 2>1". */
  describe(): string {
    return [...this.cutLinks].sort().join(" ") || "none";
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }

  private async addProxy(member: { id: number; realPort: number }): Promise<void> {
    const proxy = new PeerProxy(member.id, member.realPort, (from, to) => this.isCut(from, to));
    this.proxies.set(member.id, proxy);
    this.proxyPorts.set(member.id, await proxy.listen());
  }

  private addCut(from: number, to: number, bothWays: boolean): void {
    this.cutLinks.add(`${from}>${to}`);
    if (bothWays) this.cutLinks.add(`${to}>${from}`);
  }

  private enforce(): void {
    for (const proxy of this.proxies.values()) proxy.enforce();
  }
}
