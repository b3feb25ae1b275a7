/**
 * Every setting walnut accepts, defined once. The flag parser, the WALNUT_* environment
 * variables, the config file and the configuration reference (docs/configuration.md,
 * printed by `walnut serve --help`) are all derived from this table.
 */
export type OptionKind = "string" | "path" | "integer" | "port" | "duration" | "size" | "choice" | "boolean";

export interface OptionSpec {
  /** The flag without dashes; also the config-file key and, upper-cased, the env name. */
  name: string;
  kind: OptionKind;
  choices?: readonly string[];
  /** Default as a user would type it; undefined = unset. */
  default?: string;
  description: string;
  /** One-letter alias, e.g. "p" for -p. */
  alias?: string;
}

/** The default of `name` in `options`, as a user would type it; a name without one is a bug. */
export function optionDefault(options: readonly OptionSpec[], name: string): string {
  const value = options.find((option) => option.name === name)?.default;
  if (value === undefined) throw new Error(`no default for option ${name}`);
  return value;
}

export const serveOptions: readonly OptionSpec[] = [
  { name: "config", kind: "path", description: "TOML config file (keys are the flag names)" },
  { name: "data-dir", kind: "path", default: "./walnut-data", description: "Data directory: control.toml, wal/, checkpoints/" },
  { name: "host", kind: "string", default: "127.0.0.1", description: "Address the RESP and HTTP servers listen on" },
  { name: "port", kind: "port", default: "6380", alias: "p", description: "RESP (Redis protocol) port; 0 disables" },
  { name: "http-port", kind: "port", default: "8380", description: "HTTP API port; 0 disables" },
  {
    name: "fsync",
    kind: "choice",
    choices: ["always", "everysec", "no"],
    default: "always",
    description: "When a write is acknowledged: after its fsync (always), its write() with fsync each second (everysec), or at once (no)",
  },
  { name: "checkpoint-interval", kind: "duration", default: "60s", description: "Checkpoint this often (0: never by time)" },
  { name: "checkpoint-wal-bytes", kind: "size", default: "64MiB", description: "Checkpoint after this much WAL (0: never by size)" },
  { name: "segment-size", kind: "size", default: "64MiB", description: "WAL segment size" },
  { name: "archive-wal", kind: "boolean", default: "false", description: "gzip WAL segments into wal/archive instead of deleting them after a checkpoint" },
  { name: "id", kind: "integer", default: "1", description: "This node's id (recorded in control.toml)" },
  {
    name: "peers",
    kind: "string",
    description: "Cluster members and their peer addresses, this node included: 1=127.0.0.1:7380,2=127.0.0.1:7381,3=127.0.0.1:7382",
  },
  { name: "peer-port", kind: "port", description: "Port for Raft traffic (default: this node's port in --peers)" },
  { name: "join", kind: "string", description: "Join a running cluster through a member's RESP address host:port (with --id and --peer-port)" },
  { name: "cluster-secret", kind: "string", description: "Secret every member proves it knows before it may speak for a member" },
  { name: "peer-tls-cert", kind: "path", description: "Certificate (PEM) for mutual TLS between peers" },
  { name: "peer-tls-key", kind: "path", description: "Private key (PEM) for mutual TLS between peers" },
  { name: "peer-tls-ca", kind: "path", description: "CA (PEM) every peer's certificate must chain to" },
  { name: "requirepass", kind: "string", description: "Password of the default user, for RESP AUTH and HTTP Basic/Bearer auth" },
  { name: "aclfile", kind: "path", description: "TOML file of users, scrypt password hashes and allowed categories (docs/security.md)" },
  { name: "tls-cert", kind: "path", description: "TLS certificate (PEM): serve RESP and HTTP over TLS" },
  { name: "tls-key", kind: "path", description: "TLS private key (PEM), with --tls-cert" },
  { name: "tls-ca", kind: "path", description: "CA (PEM) that client certificates must chain to; requires client certificates" },
  {
    name: "databases",
    kind: "integer",
    default: "16",
    description:
      "Redis databases a RESP client may SELECT (0 to N-1, at most 1024): database 0 is the default collection, database N the collection dbN, created by its first write",
  },
  { name: "maxclients", kind: "integer", default: "10000", description: "Most connected RESP clients" },
  { name: "timeout", kind: "duration", default: "0", description: "Close RESP clients idle this long (0: never)" },
  { name: "max-request-bytes", kind: "size", default: "64MiB", description: "Largest single request (a bulk string, an HTTP body)" },
  { name: "output-buffer-limit", kind: "size", default: "256MiB", description: "Disconnect a client whose unread replies exceed this" },
  {
    name: "notify-keyspace-events",
    kind: "string",
    default: "",
    description:
      "Keyspace notifications this node sends its subscribers, in Redis' letters (K E g $ l s h z x e t m d n A, e.g. KEA); empty: none. CONFIG SET changes it at run time (docs/pubsub.md)",
  },
  {
    name: "maxmemory",
    kind: "size",
    default: "0",
    description:
      "Refuse writes that add data (SET, INCR, LPUSH, ...) with Redis' OOM error while used memory (V8 heap in use plus external memory) is above this; reads and deletes go on, nothing is evicted. 0: half of V8's heap limit; at most three quarters of it (a larger heap: NODE_OPTIONS=--max-old-space-size=<MiB>)",
  },
  {
    name: "heap-growth-percent",
    kind: "integer",
    default: "0",
    description:
      "How far V8's heap may grow past the data that survived the last full garbage collection before the next one, in percent (V8's --heap-growing-percent); 0: V8's own choice, up to 300%. Lower keeps resident memory nearer the data at a cost in CPU per write (docs/operations.md, Memory)",
  },
  {
    name: "read-mode",
    kind: "choice",
    choices: ["index", "lease"],
    default: "index",
    description:
      "How a leader proves a linearizable read is current: a heartbeat round per batch of reads (index), or a lease that runs from when the last heartbeat round a majority acknowledged was sent, which assumes bounded clock drift (lease)",
  },
  {
    name: "log-memory",
    kind: "size",
    default: "32MiB",
    description:
      "In a cluster: memory for applied log entries kept for followers that fall behind (data bytes + 190 B per entry); a follower further behind gets a checkpoint. A node alone keeps none",
  },
  {
    name: "watch-history",
    kind: "integer",
    default: "100000",
    description:
      "Changes each node keeps for watchers (WALNUT.WATCH, GET /watch, db.watch) to resume from; older ones are compacted and a watch from before them is refused (docs/watch.md)",
  },
  {
    name: "watch-history-bytes",
    kind: "size",
    default: "64MiB",
    description: "Bytes (keys, values and 96 B per change) the watch history may hold; whichever of the two bounds is reached first evicts the oldest changes",
  },
  {
    name: "watch-value-bytes",
    kind: "size",
    default: "1KiB",
    description: "Longest value a watch event carries; a longer one is sent as nil/null (read the key), so that deleting large values frees their memory at once",
  },
  {
    name: "log-format",
    kind: "choice",
    choices: ["auto", "json", "pretty"],
    default: "auto",
    description: "Log lines as JSON objects (json), readable text (pretty), or pretty on a terminal and JSON otherwise (auto)",
  },
  { name: "log-level", kind: "choice", choices: ["debug", "info", "warn", "error"], default: "info", description: "Least severe log level written" },
];

/** Options of the offline tools (wal, checkpoint). */
export const dataDirOptions: readonly OptionSpec[] = [
  { name: "data-dir", kind: "path", default: "./walnut-data", description: "Data directory" },
];

export function environmentName(option: OptionSpec): string {
  return `WALNUT_${option.name.toUpperCase().replace(/-/g, "_")}`;
}

/** What a value of this option looks like, for errors and help. */
export function describeAccepted(option: OptionSpec): string {
  switch (option.kind) {
    case "choice":
      return (option.choices ?? []).join(", ").replace(/, ([^,]*)$/, " or $1");
    case "duration":
      return "a duration such as 500ms, 5s, 1m or 2h";
    case "size":
      return "a size such as 4096, 512KiB, 64MiB, 1GiB or 2gb";
    case "port":
      return "a port number from 0 to 65535";
    case "integer":
      return "a whole number";
    case "boolean":
      return "true or false";
    case "path":
      return "a path";
    case "string":
      return "a string";
  }
}

/** The options as a Markdown table (docs/configuration.md) or plain text (--help). */
export function formatOptions(options: readonly OptionSpec[], style: "text" | "markdown"): string {
  if (style === "markdown") {
    const rows = options.map(
      (o) => `| \`--${o.name}\` | \`${environmentName(o)}\` | ${o.default === undefined ? "" : `\`${o.default}\``} | ${o.description}; ${describeAccepted(o)} |`,
    );
    return ["| flag | environment | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
  }
  return options
    .map((o) => {
      const flag = `${o.alias === undefined ? "    " : `-${o.alias}, `}--${o.name}`;
      const suffix = o.default === undefined ? "" : ` (default ${o.default})`;
      return `  ${flag.padEnd(26)} ${o.description}${suffix}`;
    })
    .join("\n");
}
