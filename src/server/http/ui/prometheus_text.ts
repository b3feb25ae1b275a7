/**
 * The Prometheus text exposition format (version 0.0.4, what GET /metrics answers),
 * parsed into samples and the metrics' declared types. Runs in the browser (the status page's charts) and in Node (its
 * tests); it imports nothing.
 *
 *   # HELP walnut_commands_total Commands executed.
 *   # TYPE walnut_commands_total counter
 *   walnut_commands_total{command="set",outcome="ok",protocol="resp"} 1027
 *   walnut_command_duration_seconds_bucket{command="set",le="0.005"} 1020
 *   walnut_command_duration_seconds_bucket{command="set",le="+Inf"} 1027
 *
 * parses to
 *
 *   types:   walnut_commands_total → counter
 *   samples: {name: "walnut_commands_total", labels: {command: "set", outcome: "ok", protocol: "resp"}, value: 1027}
 *            {name: "walnut_command_duration_seconds_bucket", labels: {command: "set", le: "0.005"}, value: 1020}
 *            {name: "walnut_command_duration_seconds_bucket", labels: {command: "set", le: "+Inf"}, value: 1027}
 *
 * A metric can be declared (# TYPE) without samples: a labelled counter before its first
 * increment. Other comments (# HELP) and blank lines carry nothing. Label values may escape
 * \\, \" and \n. Values are floats, "+Inf", "-Inf" or "NaN"; a trailing timestamp is
 * ignored. A line that does not parse is skipped, so one odd line cannot blank the page.
 */

export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Each metric's declared type ("counter", "gauge", "histogram", …), by name. */
  types: ReadonlyMap<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPE_LINE = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)\s*$/;

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    const declared = TYPE_LINE.exec(line);
    if (declared !== null) types.set(declared[1] as string, declared[2] as string);
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseSampleLine(line);
    if (sample !== null) samples.push(sample);
  }
  return { samples, types };
}

/** One sample line, or null when it does not parse. */
export function parseSampleLine(line: string): Sample | null {
  const name = METRIC_NAME.exec(line)?.[0];
  if (name === undefined) return null;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    const parsed = parseLabels(rest);
    if (parsed === null) return null;
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  const [valueText, timestamp, ...extra] = rest.trim().split(/\s+/);
  if (valueText === undefined || valueText === "" || extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) return null;
  const value = parseValue(valueText);
  return value === null ? null : { name, labels, value };
}

/** `{a="x",b="y"}` at the start of `text`: the labels and how many characters they took. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | null {
  const labels: Record<string, string> = {};
  let position = 1;
  for (;;) {
    while (text[position] === " ") position++;
    if (text[position] === "}") return { labels, length: position + 1 };
    const labelName = LABEL_NAME.exec(text.slice(position))?.[0];
    if (labelName === undefined) return null;
    position += labelName.length;
    if (text[position] !== "=" || text[position + 1] !== '"') return null;
    const quoted = readQuoted(text, position + 2);
    if (quoted === null) return null;
    labels[labelName] = quoted.value;
    position = quoted.end;
    while (text[position] === " ") position++;
    if (text[position] === ",") position++;
    else if (text[position] !== "}") return null;
  }
}

/** The label value that starts at `start` (after its opening quote), unescaped, and the position after its closing quote. */
function readQuoted(text: string, start: number): { value: string; end: number } | null {
  let value = "";
  for (let position = start; position < text.length; position++) {
    const char = text[position];
    if (char === '"') return { value, end: position + 1 };
    if (char !== "\\") {
      value += char;
      continue;
    }
    const escaped = text[++position];
    if (escaped === "n") value += "\n";
    else if (escaped === "\\" || escaped === '"') value += escaped;
    else return null;
  }
  return null;
}

function parseValue(text: string): number | null {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}
