/**
 * The shrinker's reductions are sound: whenever a reduced history is not linearizable,
 * neither is the history it came from. Checked on small random histories, with chains of
 * up to three reductions (so reduction 4 also runs from an unknown initial value), using
 * the search (itself checked against brute force in linearizability_brute_force.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../lib/seeded_random.js";
import { toModelOperation } from "./key_histories.js";
import { searchLinearization } from "./linearizability.js";
import { endingAt, isDroppableReader, isDroppableWriter, startingAt, type SubHistory } from "./minimal_failing.js";
import { ANY_VALUE, registerModel } from "./register_model.js";
import { randomSmallHistory } from "./test_histories.js";

function fails(subHistory: SubHistory): boolean {
  const model = registerModel(subHistory.initialValueUnknown ? ANY_VALUE : null);
  return searchLinearization(model, subHistory.operations.map(toModelOperation)).verdict === "not-linearizable";
}

/** Every history one reduction can make from `subHistory`. */
function reductions(subHistory: SubHistory): SubHistory[] {
  const operations = subHistory.operations;
  const times = [...new Set(operations.flatMap((operation) => [operation.invokedAtMs, operation.completedAtMs]))];
  const dropped = (index: number): SubHistory => ({ ...subHistory, operations: operations.filter((_, other) => other !== index) });
  return [
    ...times.map((time) => endingAt(subHistory, time)),
    ...times.map((time) => startingAt(subHistory, time)),
    ...operations.flatMap((_, index) => (isDroppableReader(operations, index) || isDroppableWriter(operations, index) ? [dropped(index)] : [])),
  ];
}

test("no chain of reductions makes a linearizable history fail", () => {
  const random = seededRandom(777);
  let reduced = 0;
  for (let linearizable = 0; linearizable < 1_500; ) {
    const original: SubHistory = { operations: randomSmallHistory(random, 2 + Math.floor(random() * 6)), initialValueUnknown: false };
    if (fails(original)) continue;
    linearizable++;
    let current = original;
    for (let depth = 0; depth < 3; depth++) {
      const options = reductions(current);
      if (options.length === 0) break;
      current = options[Math.floor(random() * options.length)] as SubHistory;
      reduced++;
      assert.ok(!fails(current), `a reduction made a linearizable history fail: ${JSON.stringify({ original, reduced: current })}`);
    }
  }
  assert.ok(reduced > 2_000, `${reduced} reductions tried`);
});

test("the test has teeth: dropping any write at all does make linearizable histories fail", () => {
  const random = seededRandom(778);
  let madeFailing = 0;
  for (let round = 0; round < 1_500; round++) {
    const original: SubHistory = { operations: randomSmallHistory(random, 2 + Math.floor(random() * 6)), initialValueUnknown: false };
    if (fails(original)) continue;
    const writer = original.operations.findIndex((operation) => operation.command.kind === "write");
    if (writer === -1) continue;
    if (fails({ ...original, operations: original.operations.filter((_, index) => index !== writer) })) madeFailing++;
  }
  assert.ok(madeFailing > 20, `${madeFailing} histories made failing`);
});
