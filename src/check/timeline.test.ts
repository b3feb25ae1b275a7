import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedFault } from "./history.js";
import { FINAL_READ_CLIENT } from "./set_check.js";
import { cas, failed, incr, ok, read, unknown, write } from "./test_histories.js";
import { MAX_TIMELINE_OPERATIONS, operationLabel, renderTimeline } from "./timeline.js";

/**
 * A strict well-formedness check of the XML subset an SVG uses: one root, every tag closed
 * in order, attributes quoted, no stray "<" or "&" in text. Returns the element names.
 */
function parseXml(document: string): string[] {
  const body = document.replace(/^<\?xml[^?]*\?>\s*/, "");
  const open: string[] = [];
  const names: string[] = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  while (token.lastIndex < body.length) {
    const start = token.lastIndex;
    const match = token.exec(body);
    assert.ok(match !== null, `malformed XML at ${start}: ${body.slice(start, start + 60)}`);
    const [, closing, name, , selfClosing, text] = match;
    if (text !== undefined) {
      assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|apos|#\d+);)/, "a bare & in text");
      assert.ok(open.length > 0 || text.trim() === "", "text outside the root");
      continue;
    }
    if (closing === "/") {
      assert.equal(open.pop(), name, `</${name}> closes the wrong element`);
      continue;
    }
    if (open.length === 0) roots++;
    names.push(name as string);
    if (selfClosing !== "/") open.push(name as string);
  }
  assert.deepEqual(open, [], "every element is closed");
  assert.equal(roots, 1, "one root element");
  return names;
}

const faults: RecordedFault[] = [
  { kind: "partition", description: "{1} | {2, 3}", startedAtMs: 3, endedAtMs: 12 },
  { kind: "kill", description: "node 2 <SIGKILL> & restart", startedAtMs: 5, endedAtMs: 7 },
];
const operations = [
  ok(1, write("a&b<c>"), 0, 2),
  ok(2, read(), 1, 4, "a&b<c>"),
  unknown(3, cas("a", "b\u0001"), 3, 9),
  failed(1, incr(), 4, 6),
  ok(FINAL_READ_CLIENT, read(), 20, 21, null),
];

test("the timeline is well-formed XML with one lane per client", () => {
  const svg = renderTimeline({ title: "Key \"x\" & friends", operations, faults, highlighted: new Set([1]) });
  const names = parseXml(svg);
  assert.equal(names[0], "svg");
  assert.equal((svg.match(/<g class="lane"/g) ?? []).length, 4);
  assert.match(svg, /data-client="-1"/);
  assert.match(svg, />final reads</);
  assert.equal((svg.match(/<g class="operation"/g) ?? []).length, operations.length);
});

test("the timeline draws faults as bands with their descriptions", () => {
  const svg = renderTimeline({ title: "t", operations, faults });
  assert.equal((svg.match(/<g class="fault"/g) ?? []).length, 2);
  assert.match(svg, /kill: node 2 &lt;SIGKILL&gt; &amp; restart/);
});

test("the timeline colours operations by outcome and outlines the highlighted ones", () => {
  const svg = renderTimeline({ title: "t", operations, faults: [], highlighted: new Set([2]) });
  for (const outcome of ["ok", "failed", "unknown"]) assert.match(svg, new RegExp(`data-outcome="${outcome}"`));
  assert.equal((svg.match(/data-highlighted="true"/g) ?? []).length, 1);
  assert.match(svg, /<g class="operation" data-outcome="unknown" data-highlighted="true">/);
  assert.match(svg, /stroke-dasharray/, "an unknown operation has a dashed tail");
});

test("labels name the command and the answer", () => {
  assert.equal(operationLabel(ok(1, cas("a", "b"), 0, 1, "true")), 'cas("a"→"b") → "true"');
  assert.equal(operationLabel(ok(1, read(), 0, 1, null)), "read → nil");
  assert.equal(operationLabel(ok(1, write("v"), 0, 1)), 'write("v") ok');
  assert.equal(operationLabel(unknown(1, incr(), 0, 1)), "incr ?");
  assert.equal(operationLabel(failed(1, write("v"), 0, 1)), 'write("v") failed');
  assert.equal(operationLabel(ok(1, write("x".repeat(40)), 0, 1)), `write("${"x".repeat(16)}…") ok`);
});

test("an empty history still draws a valid picture", () => {
  parseXml(renderTimeline({ title: "nothing", operations: [], faults: [] }));
});

test("a history beyond the bound is cut and says so", () => {
  const many = Array.from({ length: MAX_TIMELINE_OPERATIONS + 5 }, (_, index) => ok(index % 3, read(), index, index + 0.5, null));
  const svg = renderTimeline({ title: "many", operations: many, faults: [] });
  assert.equal((svg.match(/<g class="operation"/g) ?? []).length, MAX_TIMELINE_OPERATIONS);
  assert.match(svg, /Only the first 1000 of 1005 operations are drawn/);
});
