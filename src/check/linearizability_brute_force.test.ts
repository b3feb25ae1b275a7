/**
 * The search against brute force on small random histories: every order of the operations
 * that respects real time, with each unknown operation either placed anywhere after its
 * invocation or never, run through the register model. Results are drawn at random from
 * a tiny set of values so that both verdicts come up often; this is what checks that the
 * search's prunings (memoization, reads placed for good, twins in order) lose no order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../lib/seeded_random.js";
import type { RecordedOperation } from "./history.js";
import { toModelOperation } from "./key_histories.js";
import { searchLinearization } from "./linearizability.js";
import { registerModel, type RegisterState } from "./register_model.js";
import { randomSmallHistory } from "./test_histories.js";

const model = registerModel();

/** True when some real-time-respecting order of some subset containing every ok operation runs. */
function bruteForceLinearizable(history: RecordedOperation[]): boolean {
  const placed: number[] = [];
  const used = new Array<boolean>(history.length).fill(false);
  const explore = (state: RegisterState): boolean => {
    const pendingOk = history.some((operation, index) => !used[index] && operation.outcome === "ok");
    if (!pendingOk) return true; // the unknown ones left never happen
    for (let index = 0; index < history.length; index++) {
      if (used[index]) continue;
      const operation = history[index] as RecordedOperation;
      // Every operation that completed before this one was invoked must already be placed.
      const blocked = history.some((other, otherIndex) => !used[otherIndex] && other.outcome === "ok" && otherIndex !== index && other.completedAtMs < operation.invokedAtMs);
      if (blocked) continue;
      const next = model.step(state, operation.command, operation.outcome === "ok" ? operation.result : undefined);
      if (next.length === 0) continue;
      used[index] = true;
      placed.push(index);
      const found = explore(next[0] as RegisterState);
      placed.pop();
      used[index] = false;
      if (found) return true;
    }
    return false;
  };
  return explore(model.initialState);
}

test("the search agrees with brute force on 3,000 small random histories", () => {
  const random = seededRandom(424242);
  const verdicts = { linearizable: 0, "not-linearizable": 0 };
  for (let round = 0; round < 3_000; round++) {
    const history = randomSmallHistory(random, 2 + Math.floor(random() * 5));
    const expected = bruteForceLinearizable(history) ? "linearizable" : "not-linearizable";
    const outcome = searchLinearization(model, history.map(toModelOperation));
    assert.equal(outcome.verdict, expected, JSON.stringify(history));
    verdicts[expected]++;
  }
  assert.ok(verdicts.linearizable > 300 && verdicts["not-linearizable"] > 300, JSON.stringify(verdicts));
});
