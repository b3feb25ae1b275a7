/**
 * COMMAND DOCS of walnut's own commands (Redis has no facts about them), hand-written in
 * the encoding of facts.ts: everything after the summary, which the table gives. Group
 * "walnut", since walnut's first version.
 */
import type { Fact } from "./facts.js";

/** An argument: name, type, then optional token, key spec index and flags. */
function argument(name: string, type: string, extra: { token?: string; keySpecIndex?: number; flags?: string[]; arguments?: Fact[] } = {}): Fact {
  const fact: Fact[] = ["%", "$name", `$${name}`, "$type", `$${type}`];
  if (extra.keySpecIndex !== undefined) fact.push("$key_spec_index", extra.keySpecIndex);
  if (extra.token !== undefined) fact.push("$token", `$${extra.token}`);
  if (extra.flags !== undefined) fact.push("$flags", ["~", ...extra.flags.map((flag) => `+${flag}`)]);
  if (extra.arguments !== undefined) fact.push("$arguments", ["*", ...extra.arguments]);
  return fact;
}

function docs(args: Fact[]): Fact {
  return ["%", "$since", "$0.1.0", "$group", "$walnut", "$arguments", ["*", ...args]];
}

const token = (name: string): Fact => argument(name.toLowerCase(), "pure-token", { token: name });

export const WALNUT_ONLY_DOCS: Readonly<Record<string, Fact>> = {
  "WALNUT.TYPE": docs([argument("key", "key", { keySpecIndex: 0 })]),
  VERSION: docs([argument("key", "key", { keySpecIndex: 0 })]),
  EXPIRESWEEP: docs([argument("key", "key", { keySpecIndex: 0, flags: ["multiple"] })]),
  COLLECTION: docs([
    argument("operation", "oneof", {
      arguments: [
        argument("create", "block", { token: "CREATE", arguments: [argument("name", "string"), argument("kind", "oneof", { arguments: [token("HASH"), token("ORDERED")] })] }),
        argument("drop", "string", { token: "DROP" }),
        token("LIST"),
        token("HELP"),
        argument("export", "block", { token: "EXPORT", arguments: [argument("name", "string"), argument("path", "string")] }),
        argument("import", "block", {
          token: "IMPORT",
          arguments: [argument("path", "string"), argument("name", "string"), argument("kind", "oneof", { arguments: [token("HASH"), token("ORDERED")] })],
        }),
      ],
    }),
  ]),
  RANGE: docs([argument("start", "string"), argument("end", "string"), argument("limit", "integer", { token: "LIMIT", flags: ["optional"] })]),
  USE: docs([argument("collection", "string")]),
  "WALNUT.WATCH": docs([
    argument("what", "oneof", { arguments: [argument("key", "string", { token: "KEY" }), argument("prefix", "string", { token: "PREFIX" })] }),
    argument("index", "integer", { token: "FROM", flags: ["optional"] }),
    argument("where", "oneof", { flags: ["optional"], arguments: [argument("db", "integer", { token: "DB" }), argument("collection", "string", { token: "COLLECTION" })] }),
    argument("milliseconds", "integer", { token: "PROGRESS", flags: ["optional"] }),
  ]),
  "WALNUT.UNWATCH": docs([]),
  RAFT: docs([
    argument("operation", "oneof", {
      arguments: [
        token("STATUS"),
        argument("add", "block", { token: "ADD", arguments: [argument("id", "integer"), argument("address", "string"), argument("learner", "pure-token", { token: "LEARNER", flags: ["optional"] })] }),
        argument("remove", "integer", { token: "REMOVE" }),
        argument("transfer", "integer", { token: "TRANSFER" }),
      ],
    }),
  ]),
};
