/**
 * Messages published by applied entries (PUBLISH, SPUBLISH and keyspace notifications),
 * handed to whoever listens on this node: the RESP server's channel registry
 * (server/resp/pubsub.ts). Like written_keys.ts it is a hint, not state: nothing
 * replicated depends on it, and every replica's listeners hear the messages of the
 * entries that replica applies (docs/pubsub.md). Delivery is synchronous, inside apply():
 * a listener only queues bytes on connections, it never proposes or reads.
 *
 * `keyspaceEventFlags` is this node's `notify-keyspace-events` (keyspace_events.ts), a
 * setting of the node and not replicated state, as in Redis where each server has its own.
 */
import type { ByteString } from "./bytes.js";
import { KEYSPACE_EVENT, notifies, type EventClass } from "./keyspace_events.js";

export interface PublishedMessage {
  channel: ByteString;
  message: ByteString;
  /** SPUBLISH: delivered to SSUBSCRIBE subscribers only. */
  shard: boolean;
  /** The log index of the entry that published it: a connection orders it among its replies by it. */
  index: number;
}

/** Delivers a message; answers how many clients received it. */
export type MessageListener = (message: PublishedMessage) => number;

export class PublishedMessages {
  /** Bits of keyspace_events.ts; 0: no keyspace notifications (the default, as in Redis). */
  keyspaceEventFlags = 0;
  private readonly listeners = new Set<MessageListener>();

  /** Calls `listener` for every message published from now on; returns the function that stops it. */
  listen(listener: MessageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers to every listener: the number of clients that received the message. */
  publish(message: PublishedMessage): number {
    let receivers = 0;
    for (const listener of this.listeners) receivers += listener(message);
    return receivers;
  }

  /** Whether events of `eventClass` are published at all (someone listens and the class is on). */
  notifies(eventClass: EventClass): boolean {
    return this.listeners.size > 0 && notifies(this.keyspaceEventFlags, eventClass);
  }

  /**
   * Publishes `event` on `key` of database `database` as Redis does: to
   * `__keyspace@<db>__:<key>` (message: the event) under K, to `__keyevent@<db>__:<event>`
   * (message: the key) under E, when `eventClass` is enabled.
   */
  notifyKeyspaceEvent(eventClass: EventClass, event: string, at: { database: string; index: number }, key: ByteString): void {
    if (!this.notifies(eventClass)) return;
    const flags = this.keyspaceEventFlags;
    if ((flags & KEYSPACE_EVENT.keyspace) !== 0) {
      this.publish({ channel: `__keyspace@${at.database}__:${key}`, message: event, shard: false, index: at.index });
    }
    if ((flags & KEYSPACE_EVENT.keyevent) !== 0) {
      this.publish({ channel: `__keyevent@${at.database}__:${event}`, message: key, shard: false, index: at.index });
    }
  }
}
