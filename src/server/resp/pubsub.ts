/**
 * The channel registry of one RESP server: which connections subscribe to which
 * channels (SUBSCRIBE), patterns (PSUBSCRIBE, Redis globs: commands/glob.ts) and shard
 * channels (SSUBSCRIBE), and the delivery of published messages to them.
 *
 * Messages arrive from the engine (engine/published.ts) as this node applies PUBLISH and
 * SPUBLISH entries and keyspace notifications: in log order, so every subscriber of every
 * node sees one channel's messages in the same order. Delivery follows Redis: first the
 * channel's subscribers in the order they subscribed, then each matching pattern's, a
 * client subscribed both ways receiving the message once per subscription; the count of
 * deliveries is what PUBLISH answers. A message frame is queued on the connection, which
 * writes it after the replies it owes (connection.ts) and bounds what a slow subscriber
 * may hold (Redis' client-output-buffer-limit pubsub).
 *
 * Cost: a channel lookup per message, plus one glob match per subscribed pattern.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { PublishedMessage, PublishedMessages } from "../../engine/published.js";
import { bulk, type Reply } from "../../engine/reply.js";
import { compileGlob, type Glob } from "../../commands/glob.js";

/** A connection that receives messages. */
export interface Subscriber {
  readonly id: number;
  /** Queues one push frame (message, pmessage, smessage) for the client, published by log entry `index`. */
  deliver(frame: Reply[], index: number): void;
}

/** The three kinds of subscription, each with its own namespace. */
export type SubscriptionKind = "channel" | "pattern" | "shard";

interface PatternSubscribers {
  glob: Glob;
  subscribers: Set<Subscriber>;
}

export class ChannelRegistry {
  private readonly channels = new Map<ByteString, Set<Subscriber>>();
  private readonly shardChannels = new Map<ByteString, Set<Subscriber>>();
  private readonly patterns = new Map<ByteString, PatternSubscribers>();
  /** What close() stops: listening to the engine, and whatever else was tied to the registry (whenClosed). */
  private readonly stops: (() => void)[] = [];

  constructor(published: PublishedMessages) {
    this.stops.push(published.listen((message) => this.deliver(message)));
  }

  /** Stops receiving the engine's messages (the server is closing), and runs what whenClosed was given. */
  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Runs `stop` when the registry closes (pubsub_cluster.ts stops answering the other members). */
  whenClosed(stop: () => void): void {
    this.stops.push(stop);
  }

  /** How many channels, patterns and shard channels have at least one subscriber (INFO pubsub_*). */
  get counts(): { channels: number; patterns: number; shardChannels: number } {
    return { channels: this.channels.size, patterns: this.patterns.size, shardChannels: this.shardChannels.size };
  }

  /** Adds `subscriber` to `name`; false when it was already subscribed. */
  add(kind: SubscriptionKind, name: ByteString, subscriber: Subscriber): boolean {
    if (kind === "pattern") {
      let entry = this.patterns.get(name);
      if (entry === undefined) {
        entry = { glob: compileGlob(name), subscribers: new Set() };
        this.patterns.set(name, entry);
      }
      return addTo(entry.subscribers, subscriber);
    }
    const map = kind === "channel" ? this.channels : this.shardChannels;
    let subscribers = map.get(name);
    if (subscribers === undefined) {
      subscribers = new Set();
      map.set(name, subscribers);
    }
    return addTo(subscribers, subscriber);
  }

  /** Removes `subscriber` from `name`; false when it was not subscribed. */
  remove(kind: SubscriptionKind, name: ByteString, subscriber: Subscriber): boolean {
    if (kind === "pattern") {
      const entry = this.patterns.get(name);
      if (entry === undefined || !entry.subscribers.delete(subscriber)) return false;
      if (entry.subscribers.size === 0) this.patterns.delete(name);
      return true;
    }
    const map = kind === "channel" ? this.channels : this.shardChannels;
    const subscribers = map.get(name);
    if (subscribers === undefined || !subscribers.delete(subscriber)) return false;
    if (subscribers.size === 0) map.delete(name);
    return true;
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS: the active channels matching `pattern` (every one when null). */
  activeChannels(shard: boolean, pattern: ByteString | null): ByteString[] {
    const names = [...(shard ? this.shardChannels : this.channels).keys()];
    if (pattern === null) return names;
    const glob = compileGlob(pattern);
    return names.filter((name) => glob.matches(name));
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB: subscribers of `channel`, patterns not counted. */
  subscriberCount(shard: boolean, channel: ByteString): number {
    return (shard ? this.shardChannels : this.channels).get(channel)?.size ?? 0;
  }

  /** PUBSUB NUMPAT: the patterns with at least one subscriber (a cluster counts the union of its members'). */
  patternNames(): ByteString[] {
    return [...this.patterns.keys()];
  }

  /** Delivers a published message: the number of deliveries made. */
  deliver(message: PublishedMessage): number {
    const { channel, message: payload, index } = message;
    if (message.shard) return deliverTo(this.shardChannels.get(channel), [bulk("smessage"), bulk(channel), bulk(payload)], index);
    let receivers = deliverTo(this.channels.get(channel), [bulk("message"), bulk(channel), bulk(payload)], index);
    for (const [pattern, entry] of this.patterns) {
      if (!entry.glob.matches(channel)) continue;
      receivers += deliverTo(entry.subscribers, [bulk("pmessage"), bulk(pattern), bulk(channel), bulk(payload)], index);
    }
    return receivers;
  }
}

function addTo(subscribers: Set<Subscriber>, subscriber: Subscriber): boolean {
  if (subscribers.has(subscriber)) return false;
  subscribers.add(subscriber);
  return true;
}

function deliverTo(subscribers: Set<Subscriber> | undefined, frame: Reply[], index: number): number {
  if (subscribers === undefined) return 0;
  // A copy: a subscriber whose buffer overflows is disconnected, and leaves the set, while we deliver.
  const targets = [...subscribers];
  for (const subscriber of targets) subscriber.deliver(frame, index);
  return targets.length;
}
