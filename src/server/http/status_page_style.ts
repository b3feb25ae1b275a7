/**
 * The status page's stylesheet (GET /ui/style.css). It is CSS kept as text in a module
 * because the build compiles only .ts files into dist/: this way it ships with dist/ like
 * the page's compiled scripts (status_page_assets.ts).
 *
 * Colours carry meaning in the cluster picture and charts (ui/cluster_picture.ts,
 * ui/charts.ts): the leader is amber, unreachable members red and dashed, the p50 line
 * blue and the p99 line orange.
 */
export const STATUS_PAGE_STYLESHEET = `
:root {
  --ink: #1f2328; --muted: #6a737d; --rule: #d8dee4; --panel: #f6f8fa;
  --leader: #bf8700; --follower: #0969da; --other: #8250df; --down: #cf222e;
  --p50: #0969da; --p99: #d4661b; --rate: #1a7f37;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
}
body { margin: 0 auto; padding: 1.5em 2em 3em; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 .2em; }
h2 { font-size: 16px; margin: 1.6em 0 .6em; border-bottom: 1px solid var(--rule); padding-bottom: .3em; }
.muted { color: var(--muted); font-weight: normal; font-size: 13px; }
#summary { margin: 0; color: var(--muted); }
.problem { color: var(--down); font-weight: 600; }

table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-top: .6em; }
th, td { padding: 3px 12px 3px 0; text-align: left; border-bottom: 1px solid var(--rule); }
td.number { text-align: right; }
#members td { white-space: nowrap; }
#members td.reason { white-space: normal; min-width: 14em; }
.wide-table { overflow-x: auto; }
tr.unreachable td { color: var(--down); }

.picture svg { max-width: 100%; height: auto; background: var(--panel); border-radius: 6px; }
.member rect { fill: #fff; stroke: var(--follower); stroke-width: 2; }
.member.leader rect { stroke: var(--leader); stroke-width: 4; fill: #fff8e5; }
.member.learner rect, .member.candidate rect, .member.precandidate rect, .member.unknown rect { stroke: var(--other); }
.member.unreachable rect { stroke: var(--down); stroke-dasharray: 6 4; fill: #fff5f5; }
.member .title { font-weight: 600; font-size: 15px; }
.member .detail { font-size: 12px; fill: var(--muted); }
.member .warning { font-size: 12px; fill: var(--down); }
.link { stroke: var(--muted); stroke-width: 1.5; }
.link.unreachable { stroke: var(--down); stroke-dasharray: 4 4; }
.lag { font-size: 12px; fill: var(--ink); }

.charts { display: flex; flex-wrap: wrap; gap: 1.2em; }
figure { margin: 0; width: 360px; }
figcaption { margin-bottom: .3em; }
figcaption > span { display: block; }
.chart-title { font-weight: 600; }
.covers { font-size: 12px; color: var(--muted); min-height: 2.8em; }
.chart .axis-label { font-size: 11px; fill: var(--muted); }
.chart { width: 360px; height: 170px; background: var(--panel); border-radius: 6px; }
.chart .axis { stroke: var(--rule); }
.chart .tick { font-size: 10px; fill: var(--muted); }
.chart .line { fill: none; stroke-width: 1.8; }
.chart .line.rate { stroke: var(--rate); }
.chart .line.p50 { stroke: var(--p50); }
.chart .line.p99 { stroke: var(--p99); }
.chart .dot.rate { fill: var(--rate); }
.chart .dot.p50 { fill: var(--p50); }
.chart .dot.p99 { fill: var(--p99); }
.chart .no-data { font-size: 13px; fill: var(--muted); }
.legend { font-size: 12px; color: var(--muted); }
.legend .series { display: inline-block; margin-right: 10px; }
.legend b { color: var(--ink); font-weight: 600; }
.legend .swatch { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin: 0 4px 0 0; }
.legend .swatch.rate { background: var(--rate); }
.legend .swatch.p50 { background: var(--p50); }
.legend .swatch.p99 { background: var(--p99); }
`;
