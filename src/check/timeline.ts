/**
 * A timeline picture of a (sub-)history, as a standalone SVG document that any browser
 * opens without a network: one lane per client; each operation a bar from its invocation
 * to its completion, labelled with the node it went to ("n2"), the command and its
 * answer, coloured by outcome; the faults as shaded bands across every lane with their
 * description above; the operations the checker points at outlined in red. Hovering a
 * bar or a band shows its details (times, node, protocol, error).
 *
 * Time runs left to right on an ordinal scale: every distinct instant (an invocation, a
 * completion, a fault's start or end) gets one column, in order. Real gaps of seconds
 * next to bars of a millisecond would leave nothing readable; the order of events is what
 * linearizability is about, and the tick labels give the real times (ms since the first
 * instant). An unknown operation's bar ends with a dashed tail to the right edge: it may
 * take effect at any time after its invocation.
 */
import type { OperationCommand, RecordedFault, RecordedOperation } from "./history.js";
import { FINAL_READ_CLIENT } from "./set_check.js";

/** Operations drawn at most; the rest are left out (and the picture says so). */
export const MAX_TIMELINE_OPERATIONS = 1_000;
/** Characters of a value shown in a bar's label before it is cut with an ellipsis. */
const MAX_VALUE_CHARS = 16;

const COLUMN_WIDTH = 64;
/** Wide enough for the legend and the notes. */
const MIN_WIDTH = 960;
const LANE_HEIGHT = 44;
const LANE_LABEL_WIDTH = 110;
const FAULT_ROW_HEIGHT = 16;
const HEADER_HEIGHT = 64;
const AXIS_HEIGHT = 70;
const BAR_HEIGHT = 12;

const OUTCOME_COLOURS: Record<RecordedOperation["outcome"], string> = { ok: "#5aa469", failed: "#a9a9a9", unknown: "#e3a33b" };
const FAULT_COLOUR = "#7b68ee";
const HIGHLIGHT_COLOUR = "#d62728";

export interface TimelineInput {
  title: string;
  operations: readonly RecordedOperation[];
  faults: readonly RecordedFault[];
  /** Indexes into `operations` to outline. */
  highlighted?: ReadonlySet<number>;
  /** Lines printed under the title. */
  notes?: readonly string[];
}

/** The SVG document (UTF-8 text) for `input`. */
export function renderTimeline(input: TimelineInput): string {
  const operations = input.operations.slice(0, MAX_TIMELINE_OPERATIONS);
  const notes = [...(input.notes ?? [])];
  if (input.operations.length > operations.length) notes.push(`Only the first ${operations.length} of ${input.operations.length} operations are drawn.`);
  const scale = ordinalScale(operations, input.faults);
  const clients = [...new Set(operations.map((operation) => operation.client))].sort((x, y) => laneOrder(x) - laneOrder(y));
  const faultRows = assignFaultRows(input.faults, scale);
  const lanesTop = HEADER_HEIGHT + notes.length * 14 + Math.max(1, faultRows.rowCount) * FAULT_ROW_HEIGHT + 8;
  const lanesBottom = lanesTop + clients.length * LANE_HEIGHT;
  const rightEdge = LANE_LABEL_WIDTH + (scale.columns + 1) * COLUMN_WIDTH;
  const width = Math.max(rightEdge + 40, MIN_WIDTH);
  const height = lanesBottom + AXIS_HEIGHT;
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(input.title)}</text>`,
    legend(),
    ...notes.map((note, index) => `<text x="10" y="${HEADER_HEIGHT + index * 14}">${escapeXml(note)}</text>`),
  ];
  clients.forEach((client, lane) => parts.push(laneBackground(client, lanesTop + lane * LANE_HEIGHT, rightEdge)));
  input.faults.forEach((fault, index) => {
    const rowTop = lanesTop - (faultRows.rowCount - (faultRows.rows[index] as number)) * FAULT_ROW_HEIGHT - 4;
    parts.push(faultBand(fault, scale, { rowTop, lanesTop, lanesBottom }));
  });
  operations.forEach((operation, index) => {
    const laneTop = lanesTop + clients.indexOf(operation.client) * LANE_HEIGHT;
    const labelRow = operations.slice(0, index).filter((other) => other.client === operation.client).length % 2;
    parts.push(operationBar(operation, scale, { laneTop, labelRow, rightEdge, highlighted: input.highlighted?.has(index) ?? false }));
  });
  parts.push(axis(scale, lanesBottom), `</svg>`, ``);
  return parts.join("\n");
}

interface OrdinalScale {
  columns: number;
  firstMs: number;
  times: number[];
  x(timeMs: number): number;
}

function ordinalScale(operations: readonly RecordedOperation[], faults: readonly RecordedFault[]): OrdinalScale {
  const instants = new Set<number>();
  for (const operation of operations) instants.add(operation.invokedAtMs).add(operation.completedAtMs);
  for (const fault of faults) instants.add(fault.startedAtMs).add(fault.endedAtMs);
  const times = [...instants].filter(Number.isFinite).sort((x, y) => x - y);
  const column = new Map(times.map((time, index) => [time, index]));
  return {
    columns: times.length,
    firstMs: times[0] ?? 0,
    times,
    x: (timeMs) => LANE_LABEL_WIDTH + COLUMN_WIDTH / 2 + (column.get(timeMs) ?? (timeMs < (times[0] ?? 0) ? 0 : times.length)) * COLUMN_WIDTH,
  };
}

/** Clients in number order, the final reads last. */
function laneOrder(client: number): number {
  return client === FINAL_READ_CLIENT ? Number.MAX_SAFE_INTEGER : client;
}

/** Puts overlapping fault labels on different rows, greedily. */
function assignFaultRows(faults: readonly RecordedFault[], scale: OrdinalScale): { rows: number[]; rowCount: number } {
  const rowEnds: number[] = [];
  const rows = faults.map((fault) => {
    const start = scale.x(fault.startedAtMs);
    const labelEnd = Math.max(scale.x(fault.endedAtMs), start + faultLabel(fault).length * 6);
    let row = rowEnds.findIndex((end) => end < start);
    if (row === -1) row = rowEnds.push(0) - 1;
    rowEnds[row] = labelEnd;
    return row;
  });
  return { rows, rowCount: rowEnds.length };
}

function faultLabel(fault: RecordedFault): string {
  return `${fault.kind}: ${fault.description}`;
}

function legend(): string {
  const entries: [string, string][] = [
    ["ok", OUTCOME_COLOURS.ok],
    ["failed (did not happen)", OUTCOME_COLOURS.failed],
    ["unknown (may happen later, or never)", OUTCOME_COLOURS.unknown],
    ["fault", FAULT_COLOUR],
  ];
  let x = 10;
  const items = entries.map(([label, colour]) => {
    const item = `<rect x="${x}" y="32" width="14" height="10" fill="${colour}"${label === "fault" ? ` fill-opacity="0.3"` : ""}/><text x="${x + 18}" y="41">${escapeXml(label)}</text>`;
    x += 28 + label.length * 6;
    return item;
  });
  items.push(`<rect x="${x}" y="32" width="14" height="10" fill="none" stroke="${HIGHLIGHT_COLOUR}" stroke-width="2"/><text x="${x + 18}" y="41">cannot be placed in any order</text>`);
  return `<g class="legend">${items.join("")}</g>`;
}

function laneBackground(client: number, top: number, rightEdge: number): string {
  const name = client === FINAL_READ_CLIENT ? "final reads" : `client ${client}`;
  return (
    `<g class="lane" data-client="${client}"><rect x="0" y="${top}" width="${rightEdge}" height="${LANE_HEIGHT}" fill="${client % 2 === 0 ? "#f7f7f7" : "#ffffff"}"/>` +
    `<text x="10" y="${top + LANE_HEIGHT / 2 + 4}" font-weight="bold">${escapeXml(name)}</text></g>`
  );
}

function faultBand(fault: RecordedFault, scale: OrdinalScale, at: { rowTop: number; lanesTop: number; lanesBottom: number }): string {
  const left = scale.x(fault.startedAtMs);
  const right = Math.max(scale.x(fault.endedAtMs), left + 4);
  const details = `${faultLabel(fault)} (${formatMs(fault.startedAtMs - scale.firstMs)} to ${formatMs(fault.endedAtMs - scale.firstMs)})`;
  return (
    `<g class="fault"><title>${escapeXml(details)}</title>` +
    `<rect x="${left}" y="${at.lanesTop}" width="${right - left}" height="${at.lanesBottom - at.lanesTop}" fill="${FAULT_COLOUR}" fill-opacity="0.12"/>` +
    `<line x1="${left}" y1="${at.rowTop}" x2="${right}" y2="${at.rowTop}" stroke="${FAULT_COLOUR}" stroke-width="3"/>` +
    `<text x="${left}" y="${at.rowTop - 3}" fill="${FAULT_COLOUR}">${escapeXml(faultLabel(fault))}</text></g>`
  );
}

function operationBar(
  operation: RecordedOperation,
  scale: OrdinalScale,
  at: { laneTop: number; labelRow: number; rightEdge: number; highlighted: boolean },
): string {
  const left = scale.x(operation.invokedAtMs);
  const right = Math.max(scale.x(operation.completedAtMs), left + 6);
  const barTop = at.laneTop + LANE_HEIGHT - BAR_HEIGHT - 6;
  const outline = at.highlighted ? ` stroke="${HIGHLIGHT_COLOUR}" stroke-width="3"` : "";
  const middle = barTop + BAR_HEIGHT / 2;
  const tail =
    operation.outcome === "unknown"
      ? `<line x1="${right}" y1="${middle}" x2="${at.rightEdge}" y2="${middle}" stroke="${OUTCOME_COLOURS.unknown}" stroke-width="2" stroke-dasharray="4 3"/>`
      : "";
  const labelY = at.laneTop + 12 + at.labelRow * 11;
  return (
    `<g class="operation" data-outcome="${operation.outcome}"${at.highlighted ? ` data-highlighted="true"` : ""}><title>${escapeXml(operationDetails(operation, scale.firstMs))}</title>` +
    `<rect x="${left}" y="${barTop}" width="${right - left}" height="${BAR_HEIGHT}" rx="2" fill="${OUTCOME_COLOURS[operation.outcome]}"${outline}/>${tail}` +
    `<text x="${left}" y="${labelY}"${at.highlighted ? ` fill="${HIGHLIGHT_COLOUR}" font-weight="bold"` : ""}>${escapeXml(`n${operation.node} ${operationLabel(operation)}`)}</text></g>`
  );
}

/** 'cas("a"→"b") → "true"', 'read → "3"', 'incr ?', 'write("x") ok', 'write("x") failed'. */
export function operationLabel(operation: RecordedOperation): string {
  const answer = operation.outcome === "unknown" ? " ?" : operation.outcome === "failed" ? " failed" : operation.command.kind === "write" ? " ok" : ` → ${showValue(operation.result)}`;
  return `${describeCommand(operation.command)}${answer}`;
}

function describeCommand(command: OperationCommand): string {
  switch (command.kind) {
    case "read":
      return "read";
    case "write":
      return `write(${showValue(command.value)})`;
    case "cas":
      return `cas(${showValue(command.expected)}→${showValue(command.value)})`;
    case "incr":
      return "incr";
  }
}

function operationDetails(operation: RecordedOperation, firstMs: number): string {
  const lines = [
    `${describeCommand(operation.command)} on key ${showValue(operation.command.key)}`,
    `client ${operation.client}, node ${operation.node}, ${operation.protocol}`,
    `invoked ${formatMs(operation.invokedAtMs - firstMs)}, ${operation.outcome === "unknown" ? "gave up" : "completed"} ${formatMs(operation.completedAtMs - firstMs)}`,
    `outcome ${operation.outcome}${operation.outcome === "ok" ? `, result ${showValue(operation.result)}` : ""}`,
  ];
  if (operation.error !== undefined) lines.push(operation.error);
  return lines.join("\n");
}

function axis(scale: OrdinalScale, top: number): string {
  const ticks = scale.times.map((time) => {
    const x = scale.x(time);
    const label = `<text x="${x}" y="${top + 16}" font-size="9" transform="rotate(40 ${x} ${top + 16})">${escapeXml(formatMs(time - scale.firstMs))}</text>`;
    return `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + 5}" stroke="#555"/>${label}`;
  });
  return `<g class="axis"><line x1="${LANE_LABEL_WIDTH}" y1="${top}" x2="${scale.x(Infinity)}" y2="${top}" stroke="#555"/>${ticks.join("")}</g>`;
}

function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms * 10) / 10} ms` : "never";
}

/** A byte string as readable text: quoted, control bytes escaped, long values cut. */
function showValue(value: string | null): string {
  if (value === null) return "nil";
  const shown = value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
  return JSON.stringify(shown).replace(/[\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Escapes text for XML; characters XML 1.0 forbids become U+FFFD. */
function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
