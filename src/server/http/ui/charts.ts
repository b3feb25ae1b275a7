/**
 * Line charts drawn by hand as SVG (no chart library). Each says what it covers: its
 * caption holds the title, a sentence on what is measured and over which window ("last 3
 * minutes"), and a legend naming each series with its latest value; the plot's y axis
 * is labelled with its unit. Time runs over the last `windowMs`
 * up to the newest point, values from 0 to a round maximum (1, 2 or 5 × 10^n), one path
 * per series broken wherever a point has no value, a dot on each series' latest value
 * (so a first lone point shows), and "no data" with the reason when no series has any. The figure's `data-points` attribute counts the values drawn and
 * `data-highest` holds the highest (for tests, and for a person with the inspector).
 */
import { html, svg, type PageElement } from "./dom.js";

const WIDTH = 360;
const HEIGHT = 170;
const PLOT = { left: 72, right: 10, top: 12, bottom: 24 };
const PLOT_WIDTH = WIDTH - PLOT.left - PLOT.right;
const PLOT_HEIGHT = HEIGHT - PLOT.top - PLOT.bottom;
/** Time labels along the bottom, as fractions of the window. */
const TIME_TICKS = [0, 1 / 3, 2 / 3, 1];

export interface ChartSeries {
  /** Short name shown in the legend, e.g. "p99". */
  label: string;
  /** What the series is, after its label in the legend, e.g. "99th percentile". */
  meaning: string;
  /** The CSS class that colours its line and legend swatch (status_page_style.ts). */
  className: string;
  /** One value (or none) per entry of Chart.timesMs. */
  values: ReadonlyArray<number | null>;
}

export interface Chart {
  title: string;
  /** What is measured, shown under the title; the window ("last 3 minutes") is added to it. */
  covers: string;
  /** The y axis' label, naming its unit, e.g. "latency" or "commands per second". */
  yAxis: string;
  timesMs: readonly number[];
  windowMs: number;
  series: ChartSeries[];
  formatValue(value: number): string;
  /** Shown under "no data" when no series has a value. */
  noDataReason: string;
}

export function drawChart(figure: PageElement, chart: Chart): void {
  const values = chart.series.flatMap((each) => each.values.filter((value): value is number => value !== null));
  figure.setAttribute("data-points", String(values.length));
  figure.setAttribute("data-highest", String(Math.max(0, ...values)));
  figure.replaceChildren(caption(chart), values.length === 0 ? emptyPlot(chart) : plot(chart, Math.max(0, ...values)));
}

/** Title; what it covers and over which window; each series' swatch, label, meaning and latest value. */
function caption(chart: Chart): PageElement {
  const legend = chart.series.map((each) => {
    const latest = each.values[each.values.length - 1];
    const now = latest === null || latest === undefined ? "–" : chart.formatValue(latest);
    return html("span", { class: "series" }, html("span", { class: `swatch ${each.className}` }), html("b", {}, each.label), ` ${each.meaning}: ${now}`);
  });
  return html(
    "figcaption",
    {},
    html("span", { class: "chart-title" }, chart.title),
    html("span", { class: "covers" }, `${chart.covers}, last ${describeWindow(chart.windowMs)}`),
    html("span", { class: "legend" }, ...legend),
  );
}

/** "3 minutes", "90 seconds". */
function describeWindow(windowMs: number): string {
  const seconds = Math.round(windowMs / 1000);
  if (seconds % 60 !== 0) return `${seconds} seconds`;
  return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
}

function frame(chart: Chart, ...children: PageElement[]): PageElement {
  return svg("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${chart.title}: ${chart.yAxis} over the last ${describeWindow(chart.windowMs)}` }, ...children);
}

function emptyPlot(chart: Chart): PageElement {
  const middle = PLOT.top + PLOT_HEIGHT / 2;
  return frame(
    chart,
    svg("text", { class: "no-data", x: WIDTH / 2, y: middle - 8, "text-anchor": "middle" }, "no data"),
    svg("text", { class: "tick", x: WIDTH / 2, y: middle + 12, "text-anchor": "middle" }, chart.noDataReason),
  );
}

function plot(chart: Chart, highest: number): PageElement {
  const endMs = chart.timesMs[chart.timesMs.length - 1] ?? 0;
  const startMs = endMs - chart.windowMs;
  const top = roundCeiling(highest);
  const x = (timeMs: number): number => PLOT.left + ((timeMs - startMs) / chart.windowMs) * PLOT_WIDTH;
  const y = (value: number): number => PLOT.top + PLOT_HEIGHT * (1 - value / top);
  const grid = [0, top / 2, top].flatMap((value) => [
    svg("line", { class: "axis", x1: PLOT.left, x2: WIDTH - PLOT.right, y1: y(value), y2: y(value) }),
    svg("text", { class: "tick", x: PLOT.left - 6, y: y(value) + 3, "text-anchor": "end" }, chart.formatValue(value)),
  ]);
  const times = TIME_TICKS.map((fraction) => {
    const secondsAgo = Math.round(((1 - fraction) * chart.windowMs) / 1000);
    const label = secondsAgo === 0 ? "now" : secondsAgo % 60 === 0 ? `-${secondsAgo / 60} min` : `-${secondsAgo} s`;
    return svg("text", { class: "tick", x: PLOT.left + fraction * PLOT_WIDTH, y: HEIGHT - 8, "text-anchor": "middle" }, label);
  });
  const lines = chart.series.map((each) => svg("path", { class: `line ${each.className}`, d: linePath(chart.timesMs, each.values, { x, y }) }));
  const latest = chart.series.flatMap((each) => {
    for (let index = each.values.length - 1; index >= 0; index--) {
      const value = each.values[index];
      if (value !== null && value !== undefined) return [svg("circle", { class: `dot ${each.className}`, cx: x(chart.timesMs[index] ?? endMs), cy: y(value), r: 2.5 })];
    }
    return [];
  });
  const yAxis = svg("text", { class: "axis-label", transform: `translate(12 ${PLOT.top + PLOT_HEIGHT / 2}) rotate(-90)`, "text-anchor": "middle" }, chart.yAxis);
  return frame(chart, yAxis, ...grid, ...times, ...lines, ...latest);
}

/** "M x y L x y …", starting afresh after every missing value. */
function linePath(timesMs: readonly number[], values: ReadonlyArray<number | null>, scale: { x(timeMs: number): number; y(value: number): number }): string {
  const parts: string[] = [];
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    const point = `${scale.x(timesMs[index] ?? 0).toFixed(1)} ${scale.y(value).toFixed(1)}`;
    parts.push(`${drawing ? "L" : "M"} ${point}`);
    drawing = true;
  });
  return parts.join(" ");
}

/** The smallest 1, 2 or 5 × 10^n at least `value` (1 for 0, so a flat zero line still has a scale). */
function roundCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}
