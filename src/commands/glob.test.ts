import { test } from "node:test";
import assert from "node:assert/strict";
import { compileGlob, globMatches } from "./glob.js";

const cases: Array<[pattern: string, text: string, expected: boolean]> = [
  ["*", "", true],
  ["*", "anything", true],
  ["h?llo", "hello", true],
  ["h?llo", "hllo", false],
  ["h*llo", "hllo", true],
  ["h*llo", "heeeello", true],
  ["h*llo", "hello world", false],
  ["h[ae]llo", "hallo", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hallo", true],
  ["h[^e]llo", "hello", false],
  ["h[a-b]llo", "hbllo", true],
  ["h[a-b]llo", "hcllo", false],
  ["h[b-a]llo", "hallo", true], // a reversed range works
  ["h\\*llo", "h*llo", true],
  ["h\\*llo", "hello", false],
  ["[\\]]", "]", true],
  ["a\\", "a\\", true], // a trailing lone backslash matches a backslash
  ["[]", "a", false], // an empty class matches nothing
  ["[^]", "a", true], // its negation matches any byte
  ["[ab", "b", true], // an unclosed class runs to the end of the pattern
  ["user:*:name", "user:42:name", true],
  ["user:*:name", "user:42:email", false],
  ["*a*b*c*", "xxaxxbxxcxx", true],
  ["*a*b*c*", "xxaxxcxxbxx", false],
  ["a**b", "ab", true],
  ["?", "", false],
  ["", "", true],
  ["", "a", false],
  ["\xff*", "\xff\x00", true], // byte strings, not text
];

test("glob patterns follow Redis' matching rules", () => {
  for (const [pattern, text, expected] of cases) {
    assert.equal(globMatches(pattern, text), expected, `${JSON.stringify(pattern)} against ${JSON.stringify(text)}`);
  }
});

test("a compiled glob can be reused for many keys", () => {
  const glob = compileGlob("k[0-9]");
  assert.deepEqual(["k1", "kx", "k9", "k10"].filter((key) => glob.matches(key)), ["k1", "k9"]);
});

test("matching many stars against a long text stays fast (no exponential backtracking)", () => {
  const pattern = "*a".repeat(30) + "*b";
  assert.equal(globMatches(pattern, "a".repeat(5000)), false);
});
