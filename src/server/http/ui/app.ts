/**
 * The status page's script (GET /ui/app.js, loaded by the shell in status_page.ts): polls
 * the node serving the page and redraws without reloading.
 *
 *   every second     GET cluster/status → the cluster picture and the members table
 *   every second     GET metrics        → one chart point (ops/s, command and fsync latency)
 *   every 2 seconds  GET segments, GET checkpoints → their tables
 *
 * Each poll starts only after the previous one of its kind ended, so a slow node never
 * piles up requests. A failed poll shows its reason at the top of the page and keeps
 * what was drawn before; the next success clears it.
 */
import { drawChart } from "./charts.js";
import { drawClusterPicture } from "./cluster_picture.js";
import { ClusterWatch, type ClusterReport } from "./cluster_view.js";
import { byId } from "./dom.js";
import { formatCount, formatRate, formatSeconds } from "./format.js";
import { COMMAND_DURATION_METRIC, COMMANDS_METRIC, FSYNC_DURATION_METRIC, exportsMetric, pointBetween, type ChartPoint, type Scrape } from "./metric_points.js";
import { parsePrometheusText } from "./prometheus_text.js";
import { fillCheckpoints, fillMembers, fillSegments, type CheckpointsReport, type SegmentsReport } from "./tables.js";

const CLUSTER_POLL_MS = 1000;
const METRICS_POLL_MS = 1000;
const FILES_POLL_MS = 2000;
/** How long one request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 5000;
/** How far back the charts reach. */
const CHART_WINDOW_MS = 3 * 60 * 1000;

const problems = new Map<string, string>();
const watch = new ClusterWatch();
const points: ChartPoint[] = [];
let previousScrape: Scrape | null = null;

async function request(path: string): Promise<string> {
  const response = await fetch(path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return text;
}

/** Our own node's JSON: the shapes are those its routes write (see each report type). */
async function requestJson<T>(path: string): Promise<T> {
  return JSON.parse(await request(path)) as T;
}

async function refreshCluster(): Promise<void> {
  const view = watch.update(await requestJson<ClusterReport>("cluster/status"));
  const leader = view.leaderId === 0 ? "no leader known" : `node ${view.leaderId} leads`;
  const unreachable = view.members.filter((member) => member.unreachable !== null).map((member) => `node ${member.id}`);
  byId("summary").textContent =
    `${view.members.length} member${view.members.length === 1 ? "" : "s"}, ${leader}, term ${formatCount(view.term)}` + (unreachable.length === 0 ? "" : `; unreachable: ${unreachable.join(", ")}`);
  drawClusterPicture(byId("cluster-picture"), view);
  fillMembers(byId("members-body"), view);
}

async function refreshMetrics(): Promise<void> {
  const scrape: Scrape = { timeMs: Date.now(), metrics: parsePrometheusText(await request("metrics")) };
  if (previousScrape !== null) points.push(pointBetween(previousScrape, scrape));
  previousScrape = scrape;
  while (points.length > 0 && (points[0] as ChartPoint).timeMs < scrape.timeMs - CHART_WINDOW_MS) points.shift();
  drawCharts();
}

function drawCharts(): void {
  const timesMs = points.map((point) => point.timeMs);
  const series = (label: string, meaning: string, className: string, pick: (point: ChartPoint) => number | null) => ({ label, meaning, className, values: points.map(pick) });
  const missing = (name: string): string =>
    previousScrape === null || points.length === 0
      ? "waiting for a second scrape of /metrics"
      : exportsMetric(previousScrape.metrics, name)
        ? `nothing observed in the last ${CHART_WINDOW_MS / 60_000} minutes`
        : `/metrics has no ${name}`;
  drawChart(byId("chart-operations"), {
    title: "Operations per second",
    covers: "Commands this node answered each second, over RESP and HTTP, reads and writes",
    yAxis: "commands per second",
    timesMs,
    windowMs: CHART_WINDOW_MS,
    series: [series("ops/s", "all commands", "rate", (point) => point.operationsPerSecond)],
    formatValue: formatRate,
    noDataReason: missing(COMMANDS_METRIC),
  });
  drawChart(byId("chart-latency"), {
    title: "Command latency",
    covers: "Time from a command's arrival on this node to its reply (a write: until committed), per second",
    yAxis: "latency",
    timesMs,
    windowMs: CHART_WINDOW_MS,
    series: [series("p50", "median", "p50", (point) => point.commandP50Seconds), series("p99", "99th percentile", "p99", (point) => point.commandP99Seconds)],
    formatValue: formatSeconds,
    noDataReason: missing(COMMAND_DURATION_METRIC),
  });
  drawChart(byId("chart-fsync"), {
    title: "WAL fsync latency",
    covers: "Time each fsync of this node's write-ahead log took, per second",
    yAxis: "latency",
    timesMs,
    windowMs: CHART_WINDOW_MS,
    series: [series("p50", "median", "p50", (point) => point.fsyncP50Seconds), series("p99", "99th percentile", "p99", (point) => point.fsyncP99Seconds)],
    formatValue: formatSeconds,
    noDataReason: missing(FSYNC_DURATION_METRIC),
  });
}

async function refreshFiles(): Promise<void> {
  const [segments, checkpoints] = await Promise.all([requestJson<SegmentsReport>("segments"), requestJson<CheckpointsReport>("checkpoints")]);
  fillSegments(byId("segments-body"), segments);
  fillCheckpoints(byId("checkpoints-summary"), byId("checkpoints-body"), checkpoints);
}

function showProblems(): void {
  const element = byId("problem");
  element.hidden = problems.size === 0;
  element.textContent = [...problems.values()].join(" · ");
}

/** Runs `task` now and again `intervalMs` after each run ends; its failure shows as a problem named `name`. */
function every(name: string, intervalMs: number, task: () => Promise<void>): void {
  const run = (): void => {
    task()
      .then(() => problems.delete(name))
      .catch((error: unknown) => problems.set(name, `Cannot refresh the ${name}: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        showProblems();
        setTimeout(run, intervalMs);
      });
  };
  run();
}

every("cluster", CLUSTER_POLL_MS, refreshCluster);
every("charts", METRICS_POLL_MS, refreshMetrics);
every("files", FILES_POLL_MS, refreshFiles);
drawCharts();
