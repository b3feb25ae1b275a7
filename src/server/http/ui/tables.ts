/**
 * The status page's tables: the members (the cluster picture's figures, in rows), the WAL
 * segments (GET /segments) and the checkpoints (GET /checkpoints).
 */
import { html, type Child, type PageElement } from "./dom.js";
import { formatBytes, formatCount } from "./format.js";
import type { ClusterView } from "./cluster_view.js";

/** GET /segments. */
export interface SegmentsReport {
  segments: Array<{ path: string; size: number; first_index: number; last_index: number; is_active: boolean }>;
}

/** GET /checkpoints. */
export interface CheckpointsReport {
  directory: string;
  last: { index: number; term: number; id: number };
  checkpoints: Array<{ name: string; index: number; term: number; size: number; modified: string }>;
}

const number = (value: number | null): PageElement => html("td", { class: "number" }, value === null ? "?" : formatCount(value));
const cell = (...children: Child[]): PageElement => html("td", {}, ...children);

export function fillMembers(body: PageElement, view: ClusterView): void {
  body.replaceChildren(
    ...view.members.map((member) =>
      html(
        "tr",
        { class: member.unreachable === null ? null : "unreachable", "data-id": member.id },
        cell(`node ${member.id}`, member.self ? " (this node)" : ""),
        cell(member.role),
        cell(member.peerAddress ?? "?"),
        number(member.term),
        number(member.commitIndex),
        number(member.appliedIndex),
        number(member.lastIndex),
        number(member.match),
        number(member.lag),
        html("td", { class: "reason" }, member.unreachable === null ? "yes" : `no: ${member.unreachable}`),
      ),
    ),
  );
}

export function fillSegments(body: PageElement, report: SegmentsReport): void {
  body.replaceChildren(
    ...report.segments.map((segment) =>
      html(
        "tr",
        {},
        cell(baseName(segment.path)),
        html("td", { class: "number" }, formatBytes(segment.size)),
        number(segment.first_index),
        number(segment.last_index),
        cell(segment.is_active ? "active" : ""),
      ),
    ),
  );
}

export function fillCheckpoints(summary: PageElement, body: PageElement, report: CheckpointsReport): void {
  const { last } = report;
  summary.textContent =
    last.id === 0 ? `No checkpoint yet (directory ${report.directory}).` : `Last checkpoint #${last.id}: index ${formatCount(last.index)}, term ${last.term} (directory ${report.directory}).`;
  body.replaceChildren(
    ...report.checkpoints.map((checkpoint) =>
      html(
        "tr",
        {},
        cell(checkpoint.name),
        number(checkpoint.index),
        number(checkpoint.term),
        html("td", { class: "number" }, formatBytes(checkpoint.size)),
        cell(new Date(checkpoint.modified).toLocaleString()),
      ),
    ),
  );
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
