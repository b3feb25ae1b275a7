/**
 * CLIENT ID | SETNAME | GETNAME | LIST | INFO | KILL | UNBLOCK | SETINFO | NO-EVICT | NO-TOUCH | HELP,
 * and client-side caching's TRACKING | CACHING | GETREDIR | TRACKINGINFO (client_tracking.ts):
 * what a connection can learn and change about itself and other clients. UNBLOCK ends
 * another client's blocking command (server/resp/blocked_clients.ts, docs/blocking.md).
 *
 * CLIENT LIST and INFO give Redis 7.0's fields in its order. db is the connection's
 * database (commands/databases.ts), -1 while it USEs a collection that is no database.
 * Fields of features walnut has not (Redis' buffer accounting) show
 * what Redis shows for a client that uses none of them.
 */
import type { ByteString } from "../../engine/bytes.js";
import { databaseIndex } from "../../commands/databases.js";
import { SYNTAX_ERROR } from "../../commands/access.js";
import { array, error, OK, bulk, integer, NIL, status, type Reply } from "../../engine/reply.js";
import type { ClientHandle, ServerContext } from "../server_context.js";

function describeClient(context: ServerContext, client: ClientHandle, nowMs: number): string {
  const ageSeconds = Math.floor((nowMs - client.connectedAtMs) / 1000);
  const idleSeconds = Math.floor((nowMs - client.lastCommandAtMs) / 1000);
  const state = client.describeState();
  const tracking = context.tracking.describe(client.id);
  const flags = `${state.flags === "N" ? "" : state.flags}${tracking.flags}` || "N";
  const fields: Array<[string, string | number]> = [
    ["id", client.id],
    ["addr", client.address],
    ["laddr", client.localAddress],
    ["fd", state.fd],
    ["name", client.name],
    ["age", ageSeconds],
    ["idle", idleSeconds],
    ["flags", flags],
    ["db", databaseIndex(client.collection) ?? -1],
    ["sub", state.subscriptions.channels],
    ["psub", state.subscriptions.patterns],
    ["ssub", state.subscriptions.shardChannels],
    ["multi", state.multi],
    ["qbuf", state.queryBufferBytes],
    ["qbuf-free", 0],
    ["argv-mem", 0],
    ["multi-mem", 0],
    ["rbs", 0],
    ["rbp", 0],
    ["obl", 0],
    ["oll", state.pendingReplies],
    ["omem", state.unsentBytes],
    ["tot-mem", state.queryBufferBytes + state.unsentBytes],
    ["events", state.events],
    ["cmd", client.lastCommand],
    ["user", state.user],
    ["redir", tracking.redirect],
    ["resp", client.protocol],
  ];
  return fields.map(([name, value]) => `${name}=${value}`).join(" ");
}

const HELP_LINES = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * ID <client-id>",
  "      Kill connections by client id.",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "    * ID <client-id> [<client-id> ...]",
  "      Return clients of specified IDs only.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "HELP",
  "    Prints this help.",
];

/** CLIENT LIST [TYPE type] [ID id ...]: a client is of type pubsub while it subscribes, else normal. */
function list(context: ServerContext, args: ByteString[], nowMs: number): Reply {
  let clients = [...context.clients.values()];
  const option = (args[0] ?? "").toUpperCase();
  if (option === "TYPE" && args.length === 2) {
    const type = (args[1] as string).toLowerCase();
    if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) return error("ERR", `Unknown client type '${args[1]}'`);
    // A subscribed client is of type pubsub, as in Redis; every other one is normal.
    const subscribed = (client: ClientHandle): boolean => client.describeState().flags.includes("P");
    if (type === "pubsub") clients = clients.filter(subscribed);
    else if (type === "normal") clients = clients.filter((client) => !subscribed(client));
    else clients = [];
  } else if (option === "ID" && args.length >= 2) {
    const ids = new Set<number>();
    for (const text of args.slice(1)) {
      if (!/^-?(0|[1-9][0-9]{0,18})$/.test(text)) return error("ERR", "Invalid client ID");
      ids.add(Number(text));
    }
    clients = clients.filter((client) => ids.has(client.id));
  } else if (args.length > 0) {
    return SYNTAX_ERROR;
  }
  return bulk(clients.map((client) => `${describeClient(context, client, nowMs)}\n`).join(""));
}

function kill(context: ServerContext, args: ByteString[]): Reply {
  if (args.length === 1) {
    for (const client of context.clients.values()) {
      if (client.address === args[0]) {
        client.close("CLIENT KILL");
        return OK;
      }
    }
    return error("ERR", "No such client");
  }
  let killed = 0;
  for (let index = 0; index + 1 < args.length; index += 2) {
    const filter = (args[index] as string).toUpperCase();
    const value = args[index + 1] as string;
    for (const client of [...context.clients.values()]) {
      const matches = (filter === "ID" && String(client.id) === value) || (filter === "ADDR" && client.address === value);
      if (filter !== "ID" && filter !== "ADDR") return error("ERR", `syntax error: unsupported CLIENT KILL filter '${filter}'`);
      if (matches) {
        client.close("CLIENT KILL");
        killed++;
      }
    }
  }
  return integer(killed);
}

/** Each subcommand's arity, counting CLIENT and the subcommand, as Redis 7.0 checks it (-N: at least N). */
const ARITY = new Map<string, number>([
  ["ID", 2], ["GETNAME", 2], ["INFO", 2], ["HELP", 2], ["SETNAME", 3], ["LIST", -2], ["KILL", -3],
  ["NO-EVICT", 3], ["NO-TOUCH", 3], ["SETINFO", 4], ["UNBLOCK", -3],
  ["TRACKING", -3], ["CACHING", 3], ["GETREDIR", 2], ["TRACKINGINFO", 2],
]);

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when the client was blocked and is answered (blocked_clients.ts). */
function unblock(context: ServerContext, args: ByteString[], subcommand: ByteString): Reply {
  if (args.length > 2) return error("ERR", `unknown subcommand or wrong number of arguments for '${subcommand}'. Try CLIENT HELP.`);
  const id = /^-?(0|[1-9][0-9]{0,18})$/.test(args[0] as string) ? Number(args[0]) : null;
  if (id === null || !Number.isSafeInteger(id)) return error("ERR", "value is not an integer or out of range");
  const how = (args[1] ?? "TIMEOUT").toUpperCase();
  if (how !== "TIMEOUT" && how !== "ERROR") return error("ERR", "CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  const client = context.clients.get(id);
  return integer(client?.unblock?.(how === "TIMEOUT" ? "timeout" : "error") === true ? 1 : 0);
}

export function clientCommand(context: ServerContext, self: ClientHandle, args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
  const arity = ARITY.get(sub);
  const count = args.length + 1;
  if (arity !== undefined && (arity > 0 ? count !== arity : count < -arity)) {
    return error("ERR", `wrong number of arguments for 'client|${sub.toLowerCase()}' command`);
  }
  const nowMs = Date.now();
  switch (sub) {
    case "ID":
      return integer(self.id);
    case "SETNAME":
      if (args.length !== 2) return error("ERR", "wrong number of arguments for 'client|setname' command");
      if (/[\s]/.test(args[1] as string)) return error("ERR", "Client names cannot contain spaces, newlines or special characters.");
      self.name = args[1] as string;
      return OK;
    case "GETNAME":
      return self.name === "" ? NIL : bulk(self.name);
    case "LIST":
      return list(context, args.slice(1), nowMs);
    case "INFO":
      if (args.length > 1) return error("ERR", "wrong number of arguments for 'client|info' command");
      return bulk(`${describeClient(context, self, nowMs)}\n`);
    case "HELP":
      if (args.length > 1) return error("ERR", "wrong number of arguments for 'client|help' command");
      return array(HELP_LINES.map((line) => status(line)));
    case "KILL":
      return kill(context, args.slice(1));
    case "TRACKING":
      return context.tracking.trackingCommand(self.id, args.slice(1));
    case "CACHING":
      return context.tracking.cachingCommand(self.id, args.slice(1));
    case "GETREDIR":
      return integer(context.tracking.redirectOf(self.id));
    case "TRACKINGINFO":
      return context.tracking.trackingInfo(self.id);
    case "UNBLOCK":
      return unblock(context, args.slice(1), args[0] as ByteString);
    case "SETINFO":
    case "NO-EVICT":
    case "NO-TOUCH":
      return OK;
    default:
      return error("ERR", `unknown subcommand '${args[0] ?? ""}'. Try CLIENT HELP.`);
  }
}
