/**
 * What the real-library tests (BullMQ, socket.io's redis adapter, rate-limiter-flexible,
 * redlock, ioredis) run against: a three-process `walnut serve` cluster on loopback, the
 * library's clients spread over its nodes so that most of them talk to a follower.
 *
 * WALNUT_LIBRARIES_TARGET=redis runs the same tests against one redis-server instead: the
 * self-check that a test asks only what Redis itself does (a failure there is the test's
 * fault, not walnut's).
 */
import { Redis, type RedisOptions } from "ioredis";
import { ProcessCluster } from "../../processes/cluster_processes.js";

export interface Endpoint {
  host: string;
  port: number;
}

export interface LibraryTarget {
  /** "walnut cluster of 3" or "redis-server", for messages. */
  readonly name: string;
  /** One RESP endpoint per node. */
  readonly endpoints: readonly Endpoint[];
  /** The endpoint the i-th client should use: clients go round the nodes. */
  endpoint(i: number): Endpoint;
  /** A new ioredis client to the i-th endpoint, closed by close(). */
  client(i: number, options?: RedisOptions): Redis;
  /**
   * Kills the cluster's leader with SIGKILL, waits until the others elect a new one, then
   * restarts the killed node on its data; resolves once it answers again. Undefined for a
   * single redis-server, which has no failover to show.
   */
  readonly killLeader?: () => Promise<void>;
  close(): Promise<void>;
}

/**
 * How to start a redis-server, given by the test files (bench/resp_servers.ts's startRedis
 * and isInstalled: a fixture may not import bench/, a test may).
 */
export interface RedisProvider {
  isInstalled(program: string): boolean;
  startRedis(options: { appendFsyncAlways: boolean }): Promise<{ port: number; stop(): Promise<void> }>;
}

export function againstRedis(): boolean {
  return process.env.WALNUT_LIBRARIES_TARGET === "redis";
}

/** Why the library tests cannot run here, or false when they can. */
export function skipReason(redis: RedisProvider): string | false {
  return againstRedis() && !redis.isInstalled("redis-server") ? "redis-server is not installed" : false;
}

export async function startLibraryTarget(redis: RedisProvider): Promise<LibraryTarget> {
  return againstRedis() ? redisTarget(await redis.startRedis({ appendFsyncAlways: false })) : await walnutTarget(await ProcessCluster.start({ size: 3, proxied: false }));
}

function withClients(name: string, endpoints: readonly Endpoint[], stop: () => Promise<void>, killLeader?: () => Promise<void>): LibraryTarget {
  const clients: Redis[] = [];
  const endpoint = (i: number): Endpoint => endpoints[i % endpoints.length] as Endpoint;
  return {
    name,
    endpoints,
    endpoint,
    client(i, options = {}) {
      const client = new Redis({ ...endpoint(i), ...options });
      clients.push(client);
      return client;
    },
    ...(killLeader === undefined ? {} : { killLeader }),
    async close() {
      for (const client of clients) client.disconnect();
      await stop();
    },
  };
}

function redisTarget(server: { port: number; stop(): Promise<void> }): LibraryTarget {
  return withClients("redis-server", [{ host: "127.0.0.1", port: server.port }], () => server.stop());
}

async function walnutTarget(cluster: ProcessCluster): Promise<LibraryTarget> {
  // Libraries treat "no leader is known yet" as a failed command: start them on a cluster that has one.
  await cluster.waitForLeader();
  const endpoints = cluster.ids.map((id) => ({ host: "127.0.0.1", port: cluster.respPort(id) }));
  const killLeader = async (): Promise<void> => {
    const leader = await cluster.waitForLeader();
    await cluster.stop(leader, "SIGKILL");
    await cluster.waitForLeader(cluster.ids.filter((id) => id !== leader));
    await cluster.restart(leader);
  };
  return withClients("walnut cluster of 3", endpoints, () => cluster.close(), killLeader);
}
