/**
 * The cluster as a picture (SVG): one box per member with its role, term, commit and
 * applied index; the leader on top, highlighted, with a line down to each other member
 * labelled with that member's lag; unreachable members red and dashed, with the reason
 * on hover. Without a known leader every member stands in one row, unlinked.
 *
 * Each box is a <g class="member …"> with data-id, data-role and data-unreachable, so a
 * test (or a person with the inspector) can read the picture without parsing drawing.
 */
import { svg, type PageElement } from "./dom.js";
import { formatCount } from "./format.js";
import type { ClusterView, MemberView } from "./cluster_view.js";

const BOX_WIDTH = 200;
const BOX_HEIGHT = 96;
const GAP = 28;
const ROW_GAP = 70;
const MARGIN = 16;

interface Placed {
  member: MemberView;
  x: number;
  y: number;
}

export function drawClusterPicture(container: PageElement, view: ClusterView): void {
  const leader = view.members.find((member) => member.id === view.leaderId) ?? null;
  const others = view.members.filter((member) => member !== leader);
  const rowWidth = Math.max(1, others.length) * (BOX_WIDTH + GAP) - GAP;
  const width = Math.max(rowWidth, BOX_WIDTH) + 2 * MARGIN;
  const twoRows = leader !== null && others.length > 0;
  const placed: Placed[] = others.map((member, index) => ({ member, x: MARGIN + index * (BOX_WIDTH + GAP), y: MARGIN + (twoRows ? BOX_HEIGHT + ROW_GAP : 0) }));
  const leaderPlace = leader === null ? null : { member: leader, x: (width - BOX_WIDTH) / 2, y: MARGIN };
  const height = 2 * MARGIN + BOX_HEIGHT + (twoRows ? BOX_HEIGHT + ROW_GAP : 0);
  const links = leaderPlace === null ? [] : placed.map((each) => link(leaderPlace, each));
  const boxes = [...(leaderPlace === null ? [] : [leaderPlace]), ...placed].map(box);
  const title = leader === null ? "No leader known" : `Node ${leader.id} leads term ${view.term}`;
  container.replaceChildren(svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title }, svg("title", {}, title), ...links, ...boxes));
}

function link(from: Placed, to: Placed): PageElement {
  const x1 = from.x + BOX_WIDTH / 2;
  const y1 = from.y + BOX_HEIGHT;
  const x2 = to.x + BOX_WIDTH / 2;
  const y2 = to.y;
  const lag = to.member.lag === null ? "lag ?" : `lag ${formatCount(to.member.lag)}`;
  return svg(
    "g",
    {},
    svg("line", { class: `link${to.member.unreachable === null ? "" : " unreachable"}`, x1, y1, x2, y2 }),
    svg("text", { class: "lag", x: (x1 + x2) / 2 + 6, y: (y1 + y2) / 2 + 4 }, lag),
  );
}

function box({ member, x, y }: Placed): PageElement {
  const classes = ["member", member.role, member.unreachable === null ? "" : "unreachable"].filter((each) => each !== "").join(" ");
  const line = (row: number, className: string, text: string): PageElement => svg("text", { class: className, x: x + 12, y: y + 24 + row * 19 }, text);
  const known = (value: number | null): string => (value === null ? "?" : formatCount(value));
  return svg(
    "g",
    { class: classes, "data-id": member.id, "data-role": member.role, "data-unreachable": String(member.unreachable !== null) },
    svg("title", {}, member.unreachable ?? `node ${member.id}: ${member.role}`),
    svg("rect", { x, y, width: BOX_WIDTH, height: BOX_HEIGHT, rx: 8 }),
    line(0, "title", `node ${member.id}${member.self ? " (this node)" : ""}`),
    line(1, "detail", `${member.role} · term ${known(member.term)}`),
    line(2, "detail", `commit ${known(member.commitIndex)} · applied ${known(member.appliedIndex)}`),
    member.unreachable === null ? line(3, "detail", `last index ${known(member.lastIndex)}`) : line(3, "warning", "unreachable"),
  );
}
