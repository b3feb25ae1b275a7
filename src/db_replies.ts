/**
 * Replies as the embedded API hands them out: plain JavaScript values, not the wire's
 * Reply objects. The mapping follows what `get` returns for stored values, so a value
 * looks the same whichever method read it.
 */
import { toText } from "./engine/bytes.js";
import type { Reply } from "./engine/reply.js";
import { WalnutError } from "./lib/errors.js";
import { integerValue } from "./commands/user_values.js";

/**
 * A command's answer as a plain value: bulk strings and statuses as text ("OK"), integers
 * as numbers (bigints beyond 2^53), doubles as numbers, booleans, nil as null, arrays as
 * arrays, and a RESP3 map as a flat [key, value, key, value...] array (as RESP2 sends it).
 */
export type CommandValue = string | number | bigint | boolean | null | CommandValue[];


/** A reply as a plain value; an error reply is raised as a COMMAND_ERROR. */
export function replyValue(reply: Reply): CommandValue {
  switch (reply.type) {
    case "error":
      throw new WalnutError("COMMAND_ERROR", reply.text);
    case "status":
      return reply.text;
    case "bulk":
      return toText(reply.value);
    case "integer":
      return integerValue(reply.value);
    case "double":
    case "boolean":
      return reply.value;
    case "nil":
      return null;
    case "array":
    case "set":
      return reply.items.map(replyValue);
    case "map":
      return reply.entries.flatMap(([key, value]) => [replyValue(key), replyValue(value)]);
  }
}
