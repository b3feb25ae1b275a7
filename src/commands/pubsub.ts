/**
 * PUBLISH and SPUBLISH: a message is a log entry that changes no data. Every replica
 * applies it and hands it to the subscribers connected to it (engine/published.ts), so a
 * message published on any node of a cluster reaches the subscribers of every node, in
 * the log's order, and survives a change of leader like any committed entry. The reply is
 * what the node that applied it counted: on the node whose client published, the number
 * of its own clients that received it, as Redis Cluster counts. See docs/pubsub.md.
 *
 * The subscribing commands (SUBSCRIBE, PSUBSCRIBE, ...) and PUBSUB act on connections:
 * they are connection commands (connection.ts), run by server/resp/pubsub_commands.ts.
 */
import type { ByteString } from "../engine/bytes.js";
import { integer, type Reply } from "../engine/reply.js";
import { defineCommand } from "./define.js";
import type { CommandContext, CommandSpec } from "./spec.js";

function publish(ctx: CommandContext, [channel, message]: ByteString[], shard: boolean): Reply {
  return integer(ctx.engine.published.publish({ channel: channel as ByteString, message: message as ByteString, shard, index: ctx.index }));
}

export const pubsubCommands: CommandSpec[] = [
  defineCommand({
    name: "PUBLISH",
    arity: 3,
    // Redis' flags; "pubsub" makes the executor log it (executor.ts isWriteCall).
    flags: ["pubsub", "loading", "stale", "fast"],
    firstKey: 0,
    summary: "Posts a message to a channel, on every node of the cluster; answers how many clients of this node received it",
    run: (ctx, args) => publish(ctx, args, false),
  }),
  defineCommand({
    name: "SPUBLISH",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast"],
    summary: "Posts a message to a shard channel (SSUBSCRIBE subscribers), on every node; answers how many clients of this node received it",
    run: (ctx, args) => publish(ctx, args, true),
  }),
];
