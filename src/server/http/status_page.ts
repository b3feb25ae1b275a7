/**
 * GET /: a small status page a person can read without tools. It reloads its figures
 * from /status and /segments every second.
 */
import type { ServerContext } from "../server_context.js";

export function statusPage(context: ServerContext): string {
  const id = context.executor.node.id;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>walnut node ${id}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}h1{font-size:20px}</style>
</head><body>
<h1>walnut node ${id}</h1>
<table id="status"><tbody></tbody></table>
<h2>WAL segments</h2>
<table id="segments"><thead><tr><th>path</th><th>size</th><th>first index</th><th>last index</th><th>active</th></tr></thead><tbody></tbody></table>
<script>
async function refresh() {
  const status = await (await fetch("/status")).json();
  document.querySelector("#status tbody").innerHTML = Object.entries(status)
    .map(([k, v]) => "<tr><th>" + k + "</th><td>" + (typeof v === "object" ? JSON.stringify(v) : v) + "</td></tr>").join("");
  const segments = await (await fetch("/segments")).json();
  document.querySelector("#segments tbody").innerHTML = segments.segments
    .map((s) => "<tr><td>" + s.path + "</td><td>" + s.size + "</td><td>" + s.first_index + "</td><td>" + s.last_index + "</td><td>" + s.is_active + "</td></tr>").join("");
}
refresh(); setInterval(refresh, 1000);
</script>
</body></html>
`;
}
