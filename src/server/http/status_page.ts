/**
 * GET /: the status page, an HTML shell that the browser fills in and keeps current
 * (ui/app.ts): the cluster as a picture, charts of operations per second, command and
 * fsync latency, WAL segments and checkpoints. Its script and stylesheet are served under
 * /ui/ by status_page_assets.ts; the page names no external URL, and its
 * Content-Security-Policy lets it load and fetch only from walnut itself.
 *
 * URLs in the page are relative ("ui/app.js", "cluster/status"), so it also works behind
 * a proxy that serves walnut under a path prefix. The page and its assets go through the
 * same authentication as every HTTP route (server.ts): GET needs the read category.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServerContext } from "../server_context.js";
import { STYLESHEET_NAME, UI_MODULES, sendAsset } from "./status_page_assets.js";

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** What a GET route is handed (routes.ts). */
export interface GetCall {
  context: ServerContext;
  request: IncomingMessage;
  response: ServerResponse;
}

/** GET / and GET /ui/<asset>, for the HTTP routes table (routes.ts). */
export function statusPageRoutes(): Record<string, (call: GetCall) => Promise<void> | void> {
  const routes: Record<string, (call: GetCall) => Promise<void> | void> = {
    "/": ({ context, response }) => sendStatusPage(context, response),
  };
  for (const name of [...UI_MODULES, STYLESHEET_NAME]) routes[`/ui/${name}`] = ({ request, response }) => sendAsset(request, response, name);
  return routes;
}

function sendStatusPage(context: ServerContext, response: ServerResponse): void {
  const html = statusPage(context.executor.node.id);
  response.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-cache",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
  });
  response.end(html);
}

/** The page's HTML; `nodeId` is the node serving it. */
export function statusPage(nodeId: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>walnut node ${nodeId}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="ui/${STYLESHEET_NAME}">
<script type="module" src="ui/app.js"></script>
</head>
<body>
<header>
  <h1>walnut <span class="muted">node ${nodeId}</span></h1>
  <p id="summary" role="status">Loading…</p>
  <p id="problem" class="problem" hidden></p>
</header>
<main>
  <section aria-labelledby="cluster-title">
    <h2 id="cluster-title">Cluster</h2>
    <div id="cluster-picture" class="picture"></div>
    <div class="wide-table"><table id="members">
      <thead><tr><th>node</th><th>role</th><th>raft address</th><th>term</th><th>commit</th><th>applied</th><th>last index</th><th>match</th><th>lag</th><th>reachable</th></tr></thead>
      <tbody id="members-body"></tbody>
    </table></div>
  </section>
  <section aria-labelledby="activity-title">
    <h2 id="activity-title">Activity <span class="muted">on this node, last 3 minutes</span></h2>
    <div class="charts">
      <figure id="chart-operations"></figure>
      <figure id="chart-latency"></figure>
      <figure id="chart-fsync"></figure>
    </div>
  </section>
  <section aria-labelledby="segments-title">
    <h2 id="segments-title">WAL segments</h2>
    <table id="segments">
      <thead><tr><th>file</th><th>size</th><th>first index</th><th>last index</th><th>active</th></tr></thead>
      <tbody id="segments-body"></tbody>
    </table>
  </section>
  <section aria-labelledby="checkpoints-title">
    <h2 id="checkpoints-title">Checkpoints</h2>
    <p id="checkpoints-summary"></p>
    <table id="checkpoints">
      <thead><tr><th>file</th><th>index</th><th>term</th><th>size</th><th>written</th></tr></thead>
      <tbody id="checkpoints-body"></tbody>
    </table>
  </section>
</main>
<noscript>This page draws with JavaScript. The same figures are at status, cluster/status, segments, checkpoints and metrics.</noscript>
</body>
</html>
`;
}
