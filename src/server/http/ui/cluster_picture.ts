/**
 * The cluster as a picture (SVG): one box per member with its role, term, commit,
 * applied and last index and its Raft address. Every box is as wide as the widest line
 * any member needs, measured in the browser, so 5-digit terms, long indexes and long
 * addresses stay inside. The leader is on top, highlighted, with a line down to each
 * other member labelled with that member's lag, or, when that row would be wider than the
 * page, on the left with the others in a column beside it; unreachable members red and
 * dashed, with the reason on hover. Without a known leader every member stands in one row, unlinked.
 *
 * Each box is a <g class="member …"> with data-id, data-role and data-unreachable, so a
 * test (or a person with the inspector) can read the picture without parsing drawing.
 */
import { measureTextWidths, svg, type PageElement } from "./dom.js";
import { formatCount } from "./format.js";
import type { ClusterView, MemberView } from "./cluster_view.js";

/** The narrowest a box gets; wider when its longest line needs it (measured in the browser). */
const BOX_WIDTH_MIN = 200;
const BOX_PADDING_X = 12;
const LINE_HEIGHT = 19;
const FIRST_BASELINE = 24;
const BOX_PADDING_BOTTOM = 12;
const GAP = 28;
const ROW_GAP = 70;
/** Between the leader and the column of the others, side by side: room for the lag labels. */
const COLUMN_GAP = 160;
const STACK_GAP = 16;
/** The picture's room when the page cannot say (the body's 1200 px less its padding). */
const AVAILABLE_WIDTH_DEFAULT = 1136;
const MARGIN = 16;

interface Line {
  className: "title" | "detail" | "warning";
  text: string;
}

interface Placed {
  member: MemberView;
  lines: Line[];
  x: number;
  y: number;
}

/** Every box has the same size: as wide as the widest line of any member, as tall as the most lines. */
interface BoxSize {
  width: number;
  height: number;
}

export function drawClusterPicture(container: PageElement, view: ClusterView): void {
  const withLines = view.members.map((member) => ({ member, lines: boxLines(member) }));
  const allLines = withLines.flatMap((each) => each.lines);
  const widest = Math.max(0, ...measureTextWidths(container, allLines));
  const size: BoxSize = {
    width: Math.max(BOX_WIDTH_MIN, Math.ceil(widest) + 2 * BOX_PADDING_X),
    height: FIRST_BASELINE + (Math.max(1, ...withLines.map((each) => each.lines.length)) - 1) * LINE_HEIGHT + BOX_PADDING_BOTTOM,
  };
  const leader = withLines.find((each) => each.member.id === view.leaderId) ?? null;
  const others = withLines.filter((each) => each !== leader);
  const available = container.clientWidth > 0 ? container.clientWidth : AVAILABLE_WIDTH_DEFAULT;
  const wide = topDown(leader, others, size);
  const { width, height, boxes, links } = wide.width <= available ? wide : sideBySide(leader, others, size);
  const title = leader === null ? "No leader known" : `Node ${leader.member.id} leads term ${formatCount(view.term)}`;
  container.replaceChildren(svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title }, svg("title", {}, title), ...links, ...boxes.map((each) => box(each, size))));
}

interface Layout {
  width: number;
  height: number;
  boxes: Placed[];
  links: PageElement[];
}

/** The leader centred on top, the others in one row below it, a line down to each. */
function topDown(leader: Omit<Placed, "x" | "y"> | null, others: Array<Omit<Placed, "x" | "y">>, size: BoxSize): Layout {
  const rowWidth = Math.max(1, others.length) * (size.width + GAP) - GAP;
  const width = Math.max(rowWidth, size.width) + 2 * MARGIN;
  const twoRows = leader !== null && others.length > 0;
  const placed: Placed[] = others.map((each, index) => ({ ...each, x: MARGIN + index * (size.width + GAP), y: MARGIN + (twoRows ? size.height + ROW_GAP : 0) }));
  const top = leader === null ? null : { ...leader, x: (width - size.width) / 2, y: MARGIN };
  const links = top === null ? [] : placed.map((each) => link(each.member, { x: top.x + size.width / 2, y: top.y + size.height }, { x: each.x + size.width / 2, y: each.y }));
  return { width, height: 2 * MARGIN + size.height + (twoRows ? size.height + ROW_GAP : 0), boxes: top === null ? placed : [top, ...placed], links };
}

/**
 * When one row would not fit the page (many members, or long lines): the leader on the
 * left, the others in a column on the right, a line across to each. Lines never cross a
 * box, and the picture keeps its full size, so its text stays readable.
 */
function sideBySide(leader: Omit<Placed, "x" | "y"> | null, others: Array<Omit<Placed, "x" | "y">>, size: BoxSize): Layout {
  const columnX = MARGIN + (leader === null ? 0 : size.width + COLUMN_GAP);
  const placed: Placed[] = others.map((each, index) => ({ ...each, x: columnX, y: MARGIN + index * (size.height + STACK_GAP) }));
  const columnHeight = Math.max(1, others.length) * (size.height + STACK_GAP) - STACK_GAP;
  const height = Math.max(columnHeight, size.height) + 2 * MARGIN;
  const left = leader === null ? null : { ...leader, x: MARGIN, y: (height - size.height) / 2 };
  const links = left === null ? [] : placed.map((each) => link(each.member, { x: left.x + size.width, y: left.y + size.height / 2 }, { x: each.x, y: each.y + size.height / 2 }, "end"));
  return { width: columnX + size.width + MARGIN, height, boxes: left === null ? placed : [left, ...placed], links };
}

/** What a member's box says, line by line. */
function boxLines(member: MemberView): Line[] {
  const known = (value: number | null): string => (value === null ? "?" : formatCount(value));
  return [
    { className: "title", text: `node ${member.id}${member.self ? " (this node)" : ""}` },
    { className: "detail", text: `${member.role} · term ${known(member.term)}` },
    { className: "detail", text: `commit ${known(member.commitIndex)} · applied ${known(member.appliedIndex)}` },
    member.unreachable === null ? { className: "detail", text: `last index ${known(member.lastIndex)}` } : { className: "warning", text: "unreachable" },
    { className: "detail", text: `raft ${member.peerAddress ?? "?"}` },
  ];
}

/**
 * The line from the leader to a member, labelled with the member's lag: at the middle
 * of a line going down, just before the member's box on a line going across.
 */
function link(member: MemberView, from: { x: number; y: number }, to: { x: number; y: number }, labelAt: "middle" | "end" = "middle"): PageElement {
  const lag = member.lag === null ? "lag ?" : `lag ${formatCount(member.lag)}`;
  const label =
    labelAt === "middle"
      ? svg("text", { class: "lag", x: (from.x + to.x) / 2 + 6, y: (from.y + to.y) / 2 + 4 }, lag)
      : svg("text", { class: "lag", x: to.x - 8, y: to.y - 6, "text-anchor": "end" }, lag);
  return svg("g", {}, svg("line", { class: `link${member.unreachable === null ? "" : " unreachable"}`, x1: from.x, y1: from.y, x2: to.x, y2: to.y }), label);
}

function box({ member, lines, x, y }: Placed, size: BoxSize): PageElement {
  const classes = ["member", member.role, member.unreachable === null ? "" : "unreachable"].filter((each) => each !== "").join(" ");
  return svg(
    "g",
    { class: classes, "data-id": member.id, "data-role": member.role, "data-unreachable": String(member.unreachable !== null) },
    svg("title", {}, member.unreachable ?? `node ${member.id}: ${member.role}`),
    svg("rect", { x, y, width: size.width, height: size.height, rx: 8 }),
    ...lines.map((line, row) => svg("text", { class: line.className, x: x + BOX_PADDING_X, y: y + FIRST_BASELINE + row * LINE_HEIGHT }, line.text)),
  );
}
