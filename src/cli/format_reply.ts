/**
 * How `walnut cli` prints replies: like redis-cli on a terminal ("hello", (integer) 1,
 * (nil), numbered array items, (error) ...), and raw values one per line otherwise.
 */
import type { Reply } from "../engine/reply.js";
import { toText } from "../engine/bytes.js";

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}"`;
}

export function formatPretty(reply: Reply, indent = ""): string {
  switch (reply.type) {
    case "status":
      return reply.text;
    case "error":
      return `(error) ${reply.text}`;
    case "integer":
      return `(integer) ${reply.value}`;
    case "bulk":
      return quote(toText(reply.value));
    case "nil":
      return "(nil)";
    case "double":
      return `(double) ${reply.value}`;
    case "boolean":
      return `(boolean) ${reply.value}`;
    case "set":
      if (reply.items.length === 0) return "(empty set)";
      return formatPretty({ type: "array", items: reply.items }, indent);
    case "array":
      if (reply.items.length === 0) return "(empty array)";
      return reply.items
        .map((item, index) => {
          const label = `${index + 1}) `;
          const inner = formatPretty(item, indent + " ".repeat(label.length));
          return `${index === 0 ? "" : indent}${label}${inner}`;
        })
        .join("\n");
    case "map":
      if (reply.entries.length === 0) return "(empty hash)";
      return reply.entries
        .map(([key, value], index) => {
          const label = `${index + 1}# `;
          const inner = `${formatPretty(key)} => ${formatPretty(value, indent + " ".repeat(label.length))}`;
          return `${index === 0 ? "" : indent}${label}${inner}`;
        })
        .join("\n");
  }
}

export function formatRaw(reply: Reply): string {
  switch (reply.type) {
    case "status":
    case "error":
      return reply.text;
    case "integer":
    case "double":
      return String(reply.value);
    case "boolean":
      return reply.value ? "1" : "0";
    case "bulk":
      return toText(reply.value);
    case "nil":
      return "";
    case "array":
    case "set":
      return reply.items.map(formatRaw).join("\n");
    case "map":
      return reply.entries.map(([key, value]) => `${formatRaw(key)}\n${formatRaw(value)}`).join("\n");
  }
}
