/**
 * GET /metrics: the node's metrics in Prometheus text (metrics/node_metrics.ts), and how
 * the HTTP server's own traffic is counted: each request under its route pattern, and key
 * operations as the commands they are (PUT /key/k is a "set") in walnut_commands_total.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { commandName } from "../../commands/table.js";
import { METRICS_CONTENT_TYPE } from "../../metrics/node_metrics.js";
import type { ServerContext } from "../server_context.js";

/** Routes counted under their own path; any other path counts as "other". */
const ROUTES: ReadonlySet<string> = new Set(["/", "/keys", "/segments", "/backup", "/status", "/cluster", "/cluster/status", "/checkpoints", "/metrics"]);
/** Route patterns that stand for many paths. */
const ROUTE_PREFIXES: ReadonlyArray<[prefix: string, pattern: string]> = [
  ["/key/", "/key/:key"],
  ["/ui/", "/ui/:file"],
];
/** Key operations and the commands they count as. */
const KEY_COMMANDS: Readonly<Record<string, string>> = { GET: "get", PUT: "set", POST: "set", DELETE: "del" };

export async function sendMetrics(context: ServerContext, response: ServerResponse): Promise<void> {
  const text = await context.metrics.text();
  response.writeHead(200, { "content-type": METRICS_CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** The label a request's path counts under: a bounded set whatever clients ask for. */
export function routeLabel(pathname: string): string {
  if (ROUTES.has(pathname)) return pathname;
  for (const [prefix, pattern] of ROUTE_PREFIXES) if (pathname.startsWith(prefix)) return pattern;
  return "other";
}

/** Counts an answered request, `startedMs` (performance.now()) after it arrived. */
export function countRequest(context: ServerContext, request: IncomingMessage, response: ServerResponse, startedMs: number): void {
  const route = routeLabel(pathOf(request));
  const status = response.statusCode;
  context.metrics.servers.httpRequestAnswered(route, status);
  const method = request.method ?? "GET";
  const command = route === "/key/:key" ? KEY_COMMANDS[method] : route === "/keys" && method === "GET" ? "keys" : undefined;
  if (command === undefined) return;
  // A missing key (404) is an answer, as a nil reply is over RESP; other 4xx and 5xx are errors.
  const failed = status >= 400 && status !== 404;
  context.metrics.commands.instruments("http", command, commandName).record(performance.now() - startedMs, failed);
}

function pathOf(request: IncomingMessage): string {
  const target = request.url ?? "/";
  const query = target.indexOf("?");
  return query < 0 ? target : target.slice(0, query);
}
