/**
 * `walnut <command>`: the entry point of the installed binary (bin/walnut.js).
 * Each command lives in its own file; this one only dispatches and prints usage.
 */
import { readFileSync } from "node:fs";
import { isWalnutError } from "../lib/errors.js";
import { runAcl } from "./acl_command.js";
import { runBackup } from "./backup_command.js";
import { runCheckpoint } from "./checkpoint_command.js";
import { runCluster } from "./cluster_command.js";
import { runImport } from "./import_command.js";
import { runCli } from "./repl.js";
import { runRestore } from "./restore_command.js";
import { runServe } from "./serve.js";
import { guardStdout } from "./stdout.js";
import { runWal } from "./wal_command.js";

const USAGE = `walnut: a durable, replicated key-value store

usage:
  walnut serve      [--data-dir ./walnut-data] [--fsync always|everysec|no] ...   run a node
  walnut cluster up [--nodes 3] [--data-dir ./walnut-cluster]                    local cluster on loopback
  walnut cli        [-h host] [-p port] [-a secret] [--tls] [COMMAND ...]           REPL, or one command
  walnut wal        inspect|verify|repair --data-dir D                          offline WAL tools
  walnut checkpoint --data-dir D                                                offline checkpoint
  walnut backup     [-h host] [-p http-port] [-a secret] --out FILE             consistent copy of a live node (over HTTP)
  walnut restore    --from FILE --data-dir D | --checkpoint INDEX --data-dir D  seed a node, or go back in time
  walnut import     --from redis://host:port [--to host:port | --to DATA_DIR]    copy a live Redis into walnut
  walnut acl        hash-password < password                                    a password hash for --aclfile
  walnut version

Run "walnut <command> --help" for a command's flags.`;

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return packageJson.version;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  guardStdout();
  try {
    switch (command) {
      case "serve":
        return await runServe(rest);
      case "cli":
        return await runCli(rest);
      case "cluster":
        return await runCluster(rest);
      case "wal":
        return await runWal(rest);
      case "checkpoint":
        return await runCheckpoint(rest);
      case "backup":
        return await runBackup(rest);
      case "restore":
        return await runRestore(rest);
      case "import":
        return await runImport(rest);
      case "acl":
        return await runAcl(rest);
      case "version":
      case "--version":
      case "-v":
        process.stdout.write(`walnut ${version()}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`walnut: unknown command "${command}"\n\n${USAGE}\n`);
        return 1;
    }
  } catch (error) {
    // Operating errors get their one clear line; anything else is a bug and keeps its stack.
    if (isWalnutError(error)) {
      process.stderr.write(`walnut ${command}: ${error.message}\n`);
      return error.code === "BAD_CONFIG" || error.code === "BAD_ARGUMENT" ? 2 : 1;
    }
    throw error;
  }
}
