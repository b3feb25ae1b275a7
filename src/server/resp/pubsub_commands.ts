/**
 * The subscribing commands of a RESP connection, as Redis 7.0 answers them: SUBSCRIBE,
 * UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE (one confirmation frame
 * per name: a push in RESP3, an array in RESP2), PUBSUB's introspection, and the rules of
 * RESP2 subscriber mode (only the subscribing commands, PING, QUIT and RESET run; PING
 * answers ["pong", message]). In RESP3 a subscribed connection runs every command.
 *
 * The count in a confirmation is the connection's channels plus patterns, or its shard
 * channels for the S commands, after the change, as in Redis. An UNSUBSCRIBE without
 * names drops every subscription of its kind (in the order they were made: Redis' order
 * is its hash table's), and with none answers one frame with a nil name.
 */
import type { ByteString } from "../../engine/bytes.js";
import { array, bulk, error, integer, NIL, type Reply } from "../../engine/reply.js";
import type { ChannelRegistry, Subscriber, SubscriptionKind } from "./pubsub.js";

/** One connection's subscriptions, by kind, in the order they were made. */
export class Subscriptions {
  private readonly names: Record<SubscriptionKind, Set<ByteString>> = { channel: new Set(), pattern: new Set(), shard: new Set() };

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly subscriber: Subscriber,
  ) {}

  count(kind: SubscriptionKind): number {
    return this.names[kind].size;
  }

  /** Whether RESP2 subscriber mode applies: any subscription at all. */
  get active(): boolean {
    return this.names.channel.size + this.names.pattern.size + this.names.shard.size > 0;
  }

  /** The count a confirmation frame shows after a change of `kind`. */
  private shownCount(kind: SubscriptionKind): number {
    return kind === "shard" ? this.names.shard.size : this.names.channel.size + this.names.pattern.size;
  }

  subscribe(kind: SubscriptionKind, names: ByteString[]): Reply[][] {
    return names.map((name) => {
      if (this.registry.add(kind, name, this.subscriber)) this.names[kind].add(name);
      return [bulk(SUBSCRIBED[kind]), bulk(name), integer(this.shownCount(kind))];
    });
  }

  unsubscribe(kind: SubscriptionKind, names: ByteString[]): Reply[][] {
    const targets = names.length > 0 ? names : [...this.names[kind]];
    if (targets.length === 0) return [[bulk(UNSUBSCRIBED[kind]), NIL, integer(this.shownCount(kind))]];
    return targets.map((name) => {
      if (this.registry.remove(kind, name, this.subscriber)) this.names[kind].delete(name);
      return [bulk(UNSUBSCRIBED[kind]), bulk(name), integer(this.shownCount(kind))];
    });
  }

  /** Drops every subscription, silently (the connection closed, or RESET). */
  clear(): void {
    for (const kind of ["channel", "pattern", "shard"] as const) {
      for (const name of this.names[kind]) this.registry.remove(kind, name, this.subscriber);
      this.names[kind].clear();
    }
  }
}

const SUBSCRIBED: Record<SubscriptionKind, string> = { channel: "subscribe", pattern: "psubscribe", shard: "ssubscribe" };
const UNSUBSCRIBED: Record<SubscriptionKind, string> = { channel: "unsubscribe", pattern: "punsubscribe", shard: "sunsubscribe" };

/** The subscribing commands, by name: what each subscribes to, and whether it adds or removes. */
export const SUBSCRIBING_COMMANDS: ReadonlyMap<string, { kind: SubscriptionKind; adds: boolean }> = new Map([
  ["SUBSCRIBE", { kind: "channel", adds: true }],
  ["UNSUBSCRIBE", { kind: "channel", adds: false }],
  ["PSUBSCRIBE", { kind: "pattern", adds: true }],
  ["PUNSUBSCRIBE", { kind: "pattern", adds: false }],
  ["SSUBSCRIBE", { kind: "shard", adds: true }],
  ["SUNSUBSCRIBE", { kind: "shard", adds: false }],
] as const);

/** Commands a RESP2 connection in subscriber mode may run. */
const ALLOWED_WHEN_SUBSCRIBED = new Set([...SUBSCRIBING_COMMANDS.keys(), "PING", "QUIT", "RESET"]);

/**
 * The error a RESP2 connection in subscriber mode gets for `fullName` ("get",
 * "pubsub|numsub"), or null when the command may run.
 */
export function subscriberModeRefusal(name: string, fullName: string): Reply | null {
  if (ALLOWED_WHEN_SUBSCRIBED.has(name)) return null;
  return error("ERR", `Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
}

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

/**
 * What a PUBSUB subcommand asks about the subscriptions: the part one node answers for
 * its own clients, and that pubsub_cluster.ts asks every member of a cluster.
 */
export type PubsubQuestion =
  | { ask: "channels"; shard: boolean; pattern: ByteString | null } // CHANNELS, SHARDCHANNELS: active channel names
  | { ask: "numsub"; shard: boolean; channels: ByteString[] } // NUMSUB, SHARDNUMSUB: subscribers per channel
  | { ask: "patterns" }; // NUMPAT: the patterns subscribed to (counted once merged)

/** What one node answers: names for "channels" and "patterns", a count per channel for "numsub". */
export type PubsubAnswer = ByteString[] | number[];

/** Reads PUBSUB's arguments: the question they ask, or the reply they get at once (HELP, an error). */
export function parsePubsub(args: ByteString[]): { question: PubsubQuestion } | { reply: Reply } {
  const sub = (args[0] ?? "").toUpperCase();
  const rest = args.slice(1);
  if ((sub === "HELP" || sub === "NUMPAT") && rest.length > 0) return { reply: error("ERR", `wrong number of arguments for 'pubsub|${sub.toLowerCase()}' command`) };
  if (sub === "HELP") return { reply: array(PUBSUB_HELP.map((line) => ({ type: "status", text: line }))) };
  if ((sub === "CHANNELS" || sub === "SHARDCHANNELS") && rest.length <= 1) {
    return { question: { ask: "channels", shard: sub === "SHARDCHANNELS", pattern: rest[0] ?? null } };
  }
  if (sub === "NUMSUB" || sub === "SHARDNUMSUB") return { question: { ask: "numsub", shard: sub === "SHARDNUMSUB", channels: rest } };
  if (sub === "NUMPAT") return { question: { ask: "patterns" } };
  if (sub === "CHANNELS" || sub === "SHARDCHANNELS") {
    return { reply: error("ERR", `unknown subcommand or wrong number of arguments for '${args[0] ?? ""}'. Try PUBSUB HELP.`) };
  }
  return { reply: error("ERR", `unknown subcommand '${args[0] ?? ""}'. Try PUBSUB HELP.`) };
}

/** This node's answer to `question`, from its own subscribers. */
export function localPubsubAnswer(registry: ChannelRegistry, question: PubsubQuestion): PubsubAnswer {
  if (question.ask === "channels") return registry.activeChannels(question.shard, question.pattern);
  if (question.ask === "numsub") return question.channels.map((channel) => registry.subscriberCount(question.shard, channel));
  return registry.patternNames();
}

/** The reply to `question` given its (possibly merged) answer. */
export function pubsubReply(question: PubsubQuestion, answer: PubsubAnswer): Reply {
  if (question.ask === "channels") return array((answer as ByteString[]).map((name) => bulk(name)));
  if (question.ask === "numsub") return array(question.channels.flatMap((channel, i) => [bulk(channel), integer((answer as number[])[i] ?? 0)]));
  return integer(answer.length);
}

/** PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP for this node's subscribers alone (a node running alone). */
export function pubsubCommand(registry: ChannelRegistry, args: ByteString[]): Reply {
  const parsed = parsePubsub(args);
  if ("reply" in parsed) return parsed.reply;
  return pubsubReply(parsed.question, localPubsubAnswer(registry, parsed.question));
}
