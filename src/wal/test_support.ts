/**
 * Helpers shared by the WAL's tests: temporary data dirs, opening a WAL that collects
 * what recovery replays and logs, and building entries.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Wal, type LogEntry, type WalOptions, type WalRecovery } from "./wal.js";

export interface TemporaryDataDir {
  dataDir: string;
  walDir: string;
}

/** Runs `body` with a fresh data dir under os.tmpdir(), removed afterwards. */
export async function withDataDir<T>(body: (dirs: TemporaryDataDir) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "walnut-wal-test-"));
  try {
    return await body({ dataDir, walDir: path.join(dataDir, "wal") });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface OpenedWal {
  wal: Wal;
  recovery: WalRecovery;
  replayed: LogEntry[];
  messages: string[];
}

export async function openWal(walDir: string, overrides: Partial<WalOptions> = {}): Promise<OpenedWal> {
  const replayed: LogEntry[] = [];
  const messages: string[] = [];
  const { wal, recovery } = await Wal.open({
    dir: walDir,
    fsync: "always",
    segmentSizeBytes: 64 * 1024 * 1024,
    clusterId: "test-cluster",
    nodeId: 1,
    replayAfterIndex: 0,
    onEntry: (entry) => replayed.push({ ...entry, data: Buffer.from(entry.data) }),
    log: (message) => messages.push(message),
    ...overrides,
  });
  return { wal, recovery, replayed, messages };
}

export function entry(index: number, term: number, text = `value-${index}`): LogEntry {
  return { index, term, data: Buffer.from(text) };
}

/** Entries first..last (inclusive) of one term. */
export function entries(first: number, last: number, term: number): LogEntry[] {
  const made: LogEntry[] = [];
  for (let index = first; index <= last; index += 1) made.push(entry(index, term));
  return made;
}

/** What tests compare: index, term and data as text. */
export function summary(list: readonly LogEntry[]): string[] {
  return list.map((item) => `${item.index}/${item.term}/${item.data.toString()}`);
}

export function segmentNames(walDir: string): string[] {
  return fs.readdirSync(walDir).filter((name) => name.endsWith(".wal")).sort();
}
