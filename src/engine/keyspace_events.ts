/**
 * The classes of keyspace notifications, as Redis 7.0's `notify-keyspace-events` spells
 * them: one letter per class, parsed into bits and printed back as CONFIG GET shows them.
 *
 *   K  __keyspace@<db>__:<key> messages     E  __keyevent@<db>__:<event> messages
 *   g  generic (del, expire, rename...)     $  strings      l  lists     s  sets
 *   h  hashes     z  sorted sets     x  expired     e  evicted     t  streams
 *   m  key misses     d  module     n  new keys     A  alias of g$lshzxetd
 *
 * Example: parseKeyspaceEvents("KEA") is KEYSPACE | KEYEVENT | ALL, printed "AKE".
 */

export const KEYSPACE_EVENT = {
  keyspace: 1 << 0,
  keyevent: 1 << 1,
  generic: 1 << 2,
  string: 1 << 3,
  list: 1 << 4,
  set: 1 << 5,
  hash: 1 << 6,
  zset: 1 << 7,
  expired: 1 << 8,
  evicted: 1 << 9,
  stream: 1 << 10,
  keyMiss: 1 << 11,
  module: 1 << 12,
  newKey: 1 << 13,
} as const;

/** The class of one event, e.g. "hash" for hset. */
export type EventClass = Exclude<keyof typeof KEYSPACE_EVENT, "keyspace" | "keyevent">;

const E = KEYSPACE_EVENT;
/** Redis' NOTIFY_ALL: every class but key misses and new keys. */
const ALL = E.generic | E.string | E.list | E.set | E.hash | E.zset | E.expired | E.evicted | E.stream | E.module;

const LETTERS: ReadonlyMap<string, number> = new Map([
  ["A", ALL], ["g", E.generic], ["$", E.string], ["l", E.list], ["s", E.set], ["h", E.hash], ["z", E.zset],
  ["x", E.expired], ["e", E.evicted], ["K", E.keyspace], ["E", E.keyevent], ["t", E.stream], ["m", E.keyMiss],
  ["d", E.module], ["n", E.newKey],
]);

/** The bits of `text`, or null when a character is no class letter (Redis refuses the whole value). */
export function parseKeyspaceEvents(text: string): number | null {
  let flags = 0;
  for (const letter of text) {
    const bits = LETTERS.get(letter);
    if (bits === undefined) return null;
    flags |= bits;
  }
  return flags;
}

/** `flags` as CONFIG GET prints them: "A" for all classes (then no n, as in Redis 7.0), K, E, m last. */
export function formatKeyspaceEvents(flags: number): string {
  let text = "";
  if ((flags & ALL) === ALL) {
    text += "A";
  } else {
    const classes: Array<[string, number]> = [
      ["g", E.generic], ["$", E.string], ["l", E.list], ["s", E.set], ["h", E.hash], ["z", E.zset],
      ["x", E.expired], ["e", E.evicted], ["t", E.stream], ["d", E.module], ["n", E.newKey],
    ];
    for (const [letter, bit] of classes) if ((flags & bit) !== 0) text += letter;
  }
  if ((flags & E.keyspace) !== 0) text += "K";
  if ((flags & E.keyevent) !== 0) text += "E";
  if ((flags & E.keyMiss) !== 0) text += "m";
  return text;
}

/** True when an event of `eventClass` is published at all under `flags`. */
export function notifies(flags: number, eventClass: EventClass): boolean {
  return (flags & (E.keyspace | E.keyevent)) !== 0 && (flags & KEYSPACE_EVENT[eventClass]) !== 0;
}
