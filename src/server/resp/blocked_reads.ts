/**
 * Blocked reads (XREAD ... BLOCK ms): a RESP client waits on its node until a write applied
 * there gives its read something to answer, or until its timeout. Unlike a blocking pop
 * (blocked_clients.ts), serving it changes nothing, so there is no log entry, no session and
 * no queue: every waiter whose keys were written simply reads again on the read path, and
 * several waiters may all be answered by the same entry, as in Redis.
 *
 * The read that serves it was fixed as the command arrived (CommandSpec.blockingRead), with
 * `$` turned into the stream's last ID then, so an entry added while it waits is answered
 * and one added before is not.
 */
import type { ByteString } from "../../engine/bytes.js";
import { error, NIL_ARRAY, type Reply } from "../../engine/reply.js";
import type { CommandExecutor } from "../../commands/executor.js";
import type { BlockingRead, CommandSpec } from "../../commands/spec.js";
import { describeError } from "../../lib/errors.js";
import { UNBLOCKED_BY_CLIENT, type BlockedClients, type Blocking, type UnblockHow } from "./blocked_clients.js";

/** What a blocking read waits for as it arrives at `collection`, or null when this call does not block. */
export function blockingReadOf(executor: CommandExecutor, collection: string, spec: CommandSpec, argv: ByteString[]): BlockingRead | null {
  const describe = spec.blockingRead;
  if (describe === undefined) return null;
  const nowMs = executor.node.now();
  return executor.node.read((engine) => {
    const items = engine.collection(collection);
    return describe(argv.slice(1), (key) => {
      const item = items?.get(key);
      return item === undefined || item.isExpiredAt(nowMs) ? undefined : item;
    });
  });
}

/** Reads now, and again after every write to the read's keys, until it answers something or times out. */
export function waitForRead(executor: CommandExecutor, blocked: BlockedClients, collection: string, spec: CommandSpec, read: BlockingRead): Blocking {
  let settle: (reply: Reply) => void = () => undefined;
  const reply = new Promise<Reply>((resolve) => {
    settle = resolve;
  });
  let done = false;
  let reading = false;
  let writtenWhileReading = false;
  let stopWatching: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;

  const finish = (answer: Reply | null): void => {
    if (done) return;
    done = true;
    blocked.readsWaiting -= 1;
    stopWatching?.();
    if (timer !== null) clearTimeout(timer);
    if (answer !== null) settle(answer);
  };

  const attempt = async (): Promise<void> => {
    if (done) return;
    if (reading) {
      writtenWhileReading = true; // read again once this read is answered: it may predate the write
      return;
    }
    reading = true;
    try {
      const answer = await executor.read(collection, spec, read.readArgv);
      if (answer.type !== "nil") finish(answer);
    } catch (cause) {
      finish(error("ERR", describeError(cause)));
    } finally {
      reading = false;
    }
    if (writtenWhileReading && !done) {
      writtenWhileReading = false;
      await attempt();
    }
  };

  blocked.readsWaiting += 1;
  // Woken after the entry that wrote a key is applied (not in the middle of applying it).
  stopWatching = executor.node.read((engine) => engine.writtenKeys.watch(collection, read.keys, () => setImmediate(() => void attempt())));
  if (read.timeoutMs > 0) timer = setTimeout(() => finish(NIL_ARRAY), read.timeoutMs);
  void attempt();
  const unblock = (how: UnblockHow): boolean => {
    if (done) return false;
    finish(how === "timeout" ? NIL_ARRAY : UNBLOCKED_BY_CLIENT);
    return true;
  };
  return { reply, cancel: () => finish(null), unblock };
}
