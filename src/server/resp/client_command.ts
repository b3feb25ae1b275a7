/**
 * CLIENT ID | SETNAME | GETNAME | LIST | INFO | KILL | SETINFO | NO-EVICT | NO-TOUCH:
 * what a connection can learn and change about itself and other clients.
 */
import type { ByteString } from "../../engine/bytes.js";
import { error, OK, bulk, integer, NIL, type Reply } from "../../engine/reply.js";
import type { ClientHandle, ServerContext } from "../server_context.js";

function describeClient(client: ClientHandle, nowMs: number): string {
  const ageSeconds = Math.floor((nowMs - client.connectedAtMs) / 1000);
  const idleSeconds = Math.floor((nowMs - client.lastCommandAtMs) / 1000);
  return (
    `id=${client.id} addr=${client.address} name=${client.name} age=${ageSeconds} idle=${idleSeconds} ` +
    `db=0 collection=${client.collection} resp=${client.protocol} cmd=${client.lastCommand.toLowerCase()}`
  );
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

export function clientCommand(context: ServerContext, self: ClientHandle, args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
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
      return bulk([...context.clients.values()].map((client) => `${describeClient(client, nowMs)}\n`).join(""));
    case "INFO":
      return bulk(`${describeClient(self, nowMs)}\n`);
    case "KILL":
      return kill(context, args.slice(1));
    case "SETINFO":
    case "NO-EVICT":
    case "NO-TOUCH":
      return OK;
    default:
      return error("ERR", `unknown subcommand '${args[0] ?? ""}'. Try CLIENT HELP.`);
  }
}
