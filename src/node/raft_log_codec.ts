/**
 * Raft entries as the WAL stores them. A normal entry's data is stored as is (a walnut
 * entry payload, or nothing for a new leader's no-op), so the common case costs no copy;
 * a membership change is stored behind one marker byte that no payload starts with
 * (payload type codes are 1-3).
 */
import type { LogEntry } from "../wal/wal.js";
import type { Entry } from "../raft/types.js";

const CONF_CHANGE_MARKER = 0xcc;

export function toLogEntry(entry: Entry): LogEntry {
  const data =
    entry.type === "normal"
      ? Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength)
      : Buffer.concat([Buffer.of(CONF_CHANGE_MARKER), entry.data]);
  return { index: entry.index, term: entry.term, data };
}

/** Whether stored entry data holds a membership change (fromLogEntry's type, without the Entry). */
export function isConfChangeData(data: Buffer): boolean {
  return data.length > 0 && data[0] === CONF_CHANGE_MARKER;
}

export function fromLogEntry(logEntry: LogEntry): Entry {
  const { data } = logEntry;
  if (data.length > 0 && data[0] === CONF_CHANGE_MARKER) {
    return { index: logEntry.index, term: logEntry.term, type: "confChange", data: data.subarray(1) };
  }
  return { index: logEntry.index, term: logEntry.term, type: "normal", data };
}
