/**
 * Everything a node takes from the world outside it: the clock, timers, randomness, the
 * file system (the WAL's callback view and the promise view for checkpoints and the
 * control file) and the peer transport. A node uses only these, so the deterministic
 * simulator (src/sim/) runs the real node by handing in virtual time, a seeded random, an
 * in-memory disk and its simulated network. `realEnvironment` is the world as it is.
 */
import { realClock, realProcesses, realTimers, type Clock, type Processes, type Timers } from "../lib/environment.js";
import { realFiles, type Files } from "../lib/files.js";
import { realCheckpointIo, type CheckpointIo } from "../snapshot/io.js";
import { peerTransportFactory, type TransportFactory } from "../transport/contract.js";
import { nodeFileSystem, type WalFileSystem } from "../wal/file_system.js";

export interface NodeEnvironment {
  clock: Clock;
  timers: Timers;
  /** Floats in [0, 1): election timeouts, proposal numbering, new cluster ids. */
  random: () => number;
  /** Control file, data directory lock, received snapshots. */
  files: Files;
  /** The WAL's file system. */
  walFileSystem: WalFileSystem;
  /** Checkpoints: files, compression, slice timing. */
  checkpointIo: CheckpointIo;
  /** Builds the peer transport of a cluster member. */
  transport: TransportFactory;
  /** This process's id and whether another lives (the data directory's lock). */
  processes: Processes;
}

export const realEnvironment: NodeEnvironment = {
  clock: realClock,
  timers: realTimers,
  random: Math.random,
  files: realFiles,
  walFileSystem: nodeFileSystem,
  checkpointIo: realCheckpointIo,
  transport: peerTransportFactory,
  processes: realProcesses,
};
