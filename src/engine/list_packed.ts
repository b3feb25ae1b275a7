/**
 * A small list's representation (list_deque.ts): every element packed into one byte
 * string, head first, each framed by its length before and after it, as Redis frames a
 * listpack entry with its encoding and its backlen. One string per list instead of one per
 * element: an 8-byte element costs 10 bytes instead of a 24-byte string and an 8-byte slot.
 *
 * Frame of an element of n bytes (n < 2^15):
 *   n < 128:  [n] element bytes [n]                                   (2 bytes of framing)
 *   else:     [0x80 | n >> 8][n & 0xff] element bytes [n & 0xff][0x80 | n >> 8]   (4 bytes)
 * The length before an element is read left to right, the one after it right to left, so
 * both ends (and an index, from the nearer end) are found by hopping over frames without
 * reading element bytes. Example: ["ab", ""] packs as 02 61 62 02 00 00.
 *
 * The functions here are pure: a packed list is an immutable string, a change builds a new
 * one (O(bytes), bounded by list_deque.ts's PACKED_BYTES_MAX, as a listpack insert moves
 * its bytes). Every string they build is flattened before it is returned (V8 keeps a
 * concatenation as a tree of pieces until something reads its characters: a tree of 100
 * pushes costs six times the bytes).
 */
import type { ByteString } from "./bytes.js";

/** Longest element a frame can describe (the two-byte length keeps 15 bits). */
export const PACKED_ELEMENT_BYTES_MAX = 0x7fff;

/** Where one element sits in a packed string: its bytes are [start, end); its frame spans [frameStart, frameEnd). */
export interface PackedSpan {
  readonly frameStart: number;
  readonly start: number;
  readonly end: number;
  readonly frameEnd: number;
}

/** The string itself, flattened (charCodeAt makes V8 flatten a concatenation in place). */
export function flattened(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** Bytes one element takes in a packed list, framing included. */
export function packedSize(element: ByteString): number {
  return element.length + (element.length < 128 ? 2 : 4);
}

/** One element with its frame. */
export function frame(element: ByteString): string {
  const length = element.length;
  if (length < 128) {
    const mark = String.fromCharCode(length);
    return mark + element + mark;
  }
  const high = String.fromCharCode(0x80 | (length >> 8));
  const low = String.fromCharCode(length & 0xff);
  return high + low + element + low + high;
}

/** The packed string of `elements`, head first. */
export function pack(elements: readonly ByteString[]): string {
  let packed = "";
  for (let at = 0; at < elements.length; at++) packed += frame(elements[at]!);
  return flattened(packed);
}

/** The element whose frame begins at `frameStart`. */
export function spanAt(packed: string, frameStart: number): PackedSpan {
  const mark = packed.charCodeAt(frameStart);
  if (mark < 128) return { frameStart, start: frameStart + 1, end: frameStart + 1 + mark, frameEnd: frameStart + 2 + mark };
  const length = ((mark & 0x7f) << 8) | packed.charCodeAt(frameStart + 1);
  return { frameStart, start: frameStart + 2, end: frameStart + 2 + length, frameEnd: frameStart + 4 + length };
}

/**
 * The allocation-free step of a walk looking for `wanted`: where the frame that begins at
 * `frameStart` ends, or, when its element is `wanted` (compared in place), -(that end + 1).
 */
export function frameEndMatching(packed: string, frameStart: number, wanted: ByteString): number {
  const mark = packed.charCodeAt(frameStart);
  let start: number;
  let length: number;
  if (mark < 128) {
    start = frameStart + 1;
    length = mark;
  } else {
    start = frameStart + 2;
    length = ((mark & 0x7f) << 8) | packed.charCodeAt(frameStart + 1);
  }
  const frameEnd = start + length + (start - frameStart);
  // The last byte first: fields and members often share a prefix (user:1, user:2).
  const matches = length === wanted.length && (length === 0 || packed.charCodeAt(start + length - 1) === wanted.charCodeAt(length - 1)) && packed.startsWith(wanted, start);
  return matches ? -(frameEnd + 1) : frameEnd;
}

/** Where the frame that begins at `frameStart` ends (allocation-free). */
export function frameEndAt(packed: string, frameStart: number): number {
  const mark = packed.charCodeAt(frameStart);
  return mark < 128 ? frameStart + 2 + mark : frameStart + 4 + (((mark & 0x7f) << 8) | packed.charCodeAt(frameStart + 1));
}

/** The element whose frame ends at `frameEnd` (exclusive). */
export function spanBefore(packed: string, frameEnd: number): PackedSpan {
  const mark = packed.charCodeAt(frameEnd - 1);
  if (mark < 128) return { frameStart: frameEnd - 2 - mark, start: frameEnd - 1 - mark, end: frameEnd - 1, frameEnd };
  const length = ((mark & 0x7f) << 8) | packed.charCodeAt(frameEnd - 2);
  return { frameStart: frameEnd - 4 - length, start: frameEnd - 2 - length, end: frameEnd - 2, frameEnd };
}

/** The span of element `index` (0 <= index < count), hopping from the nearer end. */
export function spanOf(packed: string, count: number, index: number): PackedSpan {
  if (index < count / 2) {
    let span = spanAt(packed, 0);
    for (let at = 0; at < index; at++) span = spanAt(packed, span.frameEnd);
    return span;
  }
  let span = spanBefore(packed, packed.length);
  for (let at = count - 1; at > index; at--) span = spanBefore(packed, span.frameStart);
  return span;
}

/**
 * The bytes of a span as a string of their own. A substring of 13 bytes or more is a view
 * that keeps the whole packed string alive (V8's sliced strings); an element leaving the
 * list (a pop that LMOVE stores elsewhere) must not pin every version of its old list.
 */
export function detachedElement(packed: string, span: PackedSpan): ByteString {
  const length = span.end - span.start;
  if (length < 13) return packed.slice(span.start, span.end);
  return Buffer.from(packed.slice(span.start, span.end), "latin1").toString("latin1");
}

/**
 * The elements with indexes [first, end) (0 <= first <= end <= count), head first;
 * `detached` when they are to be kept apart from the packed string (see detachedElement).
 */
export function unpack(packed: string, count: number, range: { first: number; end: number; detached: boolean }): ByteString[] {
  const out: ByteString[] = [];
  if (range.first >= range.end) return out;
  let span = spanOf(packed, count, range.first);
  for (let at = range.first; at < range.end; at++) {
    if (at > range.first) span = spanAt(packed, span.frameEnd);
    out.push(range.detached ? detachedElement(packed, span) : packed.slice(span.start, span.end));
  }
  return out;
}
