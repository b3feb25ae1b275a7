/**
 * A small sorted set's representation (sorted_set.ts): every element packed into one byte
 * string in ascending order, each its member framed by its length as a list's elements are
 * (list_packed.ts) followed by its score's 8 bytes (the double as the platform stores it:
 * the string never leaves memory; checkpoints write members and scores themselves).
 * An 8-byte member with its score takes 18 bytes instead of a 24-byte string, a pointer and
 * a score slot. Every operation is a walk from the lowest element, at most 128 of them
 * (Redis' zset-max-listpack-entries), as Redis walks its listpack.
 *
 * Example: ["a" 1] packs as 01 61 01 | 00 00 00 00 00 00 f0 3f (1.0 little-endian).
 */
import type { ByteString } from "./bytes.js";
import { frame, frameEndMatching, spanAt, type PackedSpan } from "./list_packed.js";

export const SCORE_BYTES = 8;

const scratchScore = new Float64Array(1);
const scratchBytes = new Uint8Array(scratchScore.buffer);

/** A score as 8 one-byte characters. */
export function scoreText(score: number): string {
  scratchScore[0] = score;
  const b = scratchBytes;
  return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
}

/** The score whose 8 bytes start at `at`. */
export function scoreAt(packed: string, at: number): number {
  for (let offset = 0; offset < SCORE_BYTES; offset++) scratchBytes[offset] = packed.charCodeAt(at + offset);
  return scratchScore[0]!;
}

/** One element packed: its member's frame, then its score. */
export function packedElement(member: ByteString, score: number): string {
  return frame(member) + scoreText(score);
}

/** Where one element sits: its member's span; its score follows the member's frame; `end` is where the next begins. */
export interface ElementSpan {
  readonly member: PackedSpan;
  readonly score: number;
  readonly end: number;
}

export function elementAt(packed: string, at: number): ElementSpan {
  const member = spanAt(packed, at);
  return { member, score: scoreAt(packed, member.frameEnd), end: member.frameEnd + SCORE_BYTES };
}

/** True when the element's member is `member`, compared in place. */
export function isMember(packed: string, element: ElementSpan, member: ByteString): boolean {
  return element.member.end - element.member.start === member.length && packed.startsWith(member, element.member.start);
}

/** The element holding `member` and its rank, or undefined (the walk allocates nothing until it finds it). */
export function findMember(packed: string, member: ByteString): { element: ElementSpan; rank: number } | undefined {
  let rank = 0;
  for (let at = 0; at < packed.length; rank++) {
    const frameEnd = frameEndMatching(packed, at, member);
    if (frameEnd < 0) return { element: elementAt(packed, at), rank };
    at = frameEnd + SCORE_BYTES;
  }
  return undefined;
}

export function memberOf(packed: string, element: ElementSpan): ByteString {
  return packed.slice(element.member.start, element.member.end);
}
