/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests:
 * every line must be a comment, blank, or a sample; anything else throws, naming the line.
 *
 *   # HELP walnut_keys Keys across collections.
 *   # TYPE walnut_keys gauge
 *   walnut_keys 3
 *   walnut_commands_total{command="get",outcome="ok",protocol="resp"} 2
 *
 * reads as a family "walnut_keys" (type gauge, one sample) and the samples of
 * "walnut_commands_total". Histogram samples (_bucket, _sum, _count) belong to the family
 * their # TYPE line named.
 */

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExpositionFamily {
  name: string;
  type: string;
  help: string;
  samples: ExpositionSample[];
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const HISTOGRAM_SUFFIXES = ["_bucket", "_sum", "_count"];

export function parseExposition(text: string): Map<string, ExpositionFamily> {
  const families = new Map<string, ExpositionFamily>();
  const familyOf = (name: string): ExpositionFamily => {
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: "untyped", help: "", samples: [] };
      families.set(name, family);
    }
    return family;
  };
  text.split("\n").forEach((line, lineIndex) => {
    const where = `line ${lineIndex + 1} (${JSON.stringify(line)})`;
    if (line.trim() === "") return;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment !== null) {
      const family = familyOf(comment[2] as string);
      if (comment[1] === "HELP") family.help = comment[3] as string;
      else family.type = comment[3] as string;
      return;
    }
    if (line.startsWith("#")) return;
    const sample = SAMPLE_LINE.exec(line);
    if (sample === null) throw new Error(`Cannot parse ${where}: not a sample`);
    const name = sample[1] as string;
    const value = parseValue(sample[3] as string, where);
    familyOf(familyName(families, name)).samples.push({ name, labels: parseLabels(sample[2] ?? "", where), value });
  });
  return families;
}

function familyName(families: Map<string, ExpositionFamily>, sampleName: string): string {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === "histogram" || type === "summary") return base;
  }
  return sampleName;
}

/** As Prometheus reads values (Go's ParseFloat): Inf and NaN in any case (prom-client writes "Nan"). */
function parseValue(text: string, where: string): number {
  const lower = text.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan") return NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`Cannot parse ${where}: the value ${text} is not a number`);
  return value;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (match === null) throw new Error(`Cannot parse ${where}: bad labels`);
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, escaped: string) => (escaped === "n" ? "\n" : escaped));
  }
  return labels;
}
