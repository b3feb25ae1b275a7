/**
 * Redis glob patterns, as KEYS and SCAN MATCH use them, over byte strings:
 *   *        any run of bytes, including none
 *   ?        exactly one byte
 *   [abc]    one of a, b, c;  [^abc] any byte but those;  [a-z] a range (z-a works too)
 *   \x       the byte x itself, outside or inside brackets
 * and Redis' edge cases: a trailing lone backslash matches a backslash, `[]` matches
 * nothing, `[^]` any one byte, and an unclosed `[` runs to the end of the pattern
 * (`[ab` is the class {a, b}).
 *
 * A pattern is compiled once into tokens, then matched with the classic greedy
 * algorithm that remembers only the last `*`: time O(pattern × text), no recursion.
 *
 * Example: compileGlob("user:[0-9]*").matches("user:42") === true.
 */
import type { ByteString } from "../engine/bytes.js";

type Token =
  | { type: "any-run" } // *
  | { type: "any-byte" } // ?
  | { type: "byte"; byte: string }
  | { type: "class"; negated: boolean; bytes: string; ranges: Array<[string, string]> };

export interface Glob {
  readonly pattern: ByteString;
  matches(text: ByteString): boolean;
}

export function compileGlob(pattern: ByteString): Glob {
  const tokens = tokenize(pattern);
  if (tokens.length === 1 && tokens[0].type === "any-run") return { pattern, matches: () => true };
  return { pattern, matches: (text) => matchTokens(tokens, text) };
}

export function globMatches(pattern: ByteString, text: ByteString): boolean {
  return compileGlob(pattern).matches(text);
}

function tokenize(pattern: ByteString): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < pattern.length) {
    const char = pattern[at];
    if (char === "*") {
      if (tokens.at(-1)?.type !== "any-run") tokens.push({ type: "any-run" });
      at++;
    } else if (char === "?") {
      tokens.push({ type: "any-byte" });
      at++;
    } else if (char === "[") {
      at = readClass(pattern, at + 1, tokens);
    } else if (char === "\\" && at + 1 < pattern.length) {
      tokens.push({ type: "byte", byte: pattern[at + 1] });
      at += 2;
    } else {
      tokens.push({ type: "byte", byte: char });
      at++;
    }
  }
  return tokens;
}

/** Reads a class starting after its `[`; pushes it and returns the position after it. */
function readClass(pattern: ByteString, start: number, tokens: Token[]): number {
  let at = start;
  const negated = pattern[at] === "^";
  if (negated) at++;
  let bytes = "";
  const ranges: Array<[string, string]> = [];
  while (at < pattern.length && pattern[at] !== "]") {
    const char = pattern[at];
    if (char === "\\" && at + 1 < pattern.length) {
      bytes += pattern[at + 1];
      at += 2;
    } else if (at + 2 < pattern.length && pattern[at + 1] === "-") {
      const [low, high] = char <= pattern[at + 2] ? [char, pattern[at + 2]] : [pattern[at + 2], char];
      ranges.push([low, high]);
      at += 3;
    } else {
      bytes += char;
      at++;
    }
  }
  tokens.push({ type: "class", negated, bytes, ranges });
  return at + 1; // past the `]`, or past the end when the class was not closed
}

function matchesOne(token: Token, char: string): boolean {
  switch (token.type) {
    case "any-byte":
      return true;
    case "byte":
      return token.byte === char;
    case "class": {
      const member = token.bytes.includes(char) || token.ranges.some(([low, high]) => char >= low && char <= high);
      return member !== token.negated;
    }
    case "any-run":
      return false;
  }
}

function matchTokens(tokens: Token[], text: ByteString): boolean {
  let token = 0;
  let at = 0;
  // Where to resume after the last `*`: the token after it, and the text it has taken so far.
  let starToken = -1;
  let starTextEnd = 0;
  while (at < text.length) {
    const current = tokens[token];
    if (current !== undefined && current.type === "any-run") {
      starToken = token++;
      starTextEnd = at;
    } else if (current !== undefined && matchesOne(current, text[at])) {
      token++;
      at++;
    } else if (starToken >= 0) {
      // Let the last `*` take one more byte and retry what follows it.
      token = starToken + 1;
      at = ++starTextEnd;
    } else return false;
  }
  while (token < tokens.length && tokens[token].type === "any-run") token++;
  return token === tokens.length;
}
