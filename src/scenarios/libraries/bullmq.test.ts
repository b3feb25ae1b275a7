/**
 * BullMQ, unchanged, over a walnut cluster: a queue on one node and two workers on the
 * others run hundreds of jobs, some delayed and some failing once and retried, each
 * completed exactly once. BullMQ is Lua scripts over hashes, lists, sorted sets and
 * streams (its events), with blocking pops: the whole data model at work. With the
 * leader killed (kill -9) in the middle, the workers carry on and every job completes:
 * no command is answered an error because the leader change left its outcome unknown
 * (server/resp/write_session.ts proposes such a write again until its outcome is known).
 *
 * Neither test may hang: each has a node:test timeout, and closing BullMQ's objects (which
 * wait for their connections) is itself bounded, the clients then disconnected by force.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import { isInstalled, startRedis } from "../../bench/resp_servers.js";
import { skipReason, startLibraryTarget, type LibraryTarget } from "./library_target.js";
import { waitUntil } from "../server_fixtures.js";

const JOBS = 200;
const DELAYED_EVERY = 10;
const FAILING_EVERY = 7;
/** Each test's overall bound: a hang fails the test instead of the CI run. */
const TEST_TIMEOUT_MS = 240_000;
/** How long closing the workers, queue and listener may take before their clients are dropped. */
const CLOSE_GUARD_MS = 15_000;

const redis = { isInstalled, startRedis };

interface Work {
  n: number;
  failFirst: boolean;
}

let target: LibraryTarget;
before(async () => {
  if (skipReason(redis) === false) target = await startLibraryTarget(redis);
});
after(async () => {
  await target?.close();
});

/** Closes BullMQ's objects, giving up after CLOSE_GUARD_MS (target.close() then drops their clients). */
async function closeWithin(closers: Array<{ close(): Promise<unknown> }>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GUARD_MS);
  });
  await Promise.race([Promise.allSettled(closers.map((closer) => closer.close())), guard]);
  clearTimeout(timer);
}

/** A BullMQ connection to the i-th node: workers must not give up on a command (BullMQ requires maxRetriesPerRequest null). */
function connection(i: number) {
  return target.client(i, { maxRetriesPerRequest: null });
}

function startWorkers(queueName: string, done: Map<number, number>, attempts: Map<number, number>): Worker[] {
  const processor = async (job: Job<Work>): Promise<number> => {
    attempts.set(job.data.n, (attempts.get(job.data.n) ?? 0) + 1);
    if (job.data.failFirst && job.attemptsMade === 0) throw new Error(`job ${job.data.n} fails its first attempt`);
    done.set(job.data.n, (done.get(job.data.n) ?? 0) + 1);
    return job.data.n * 2;
  };
  return [1, 2].map((node) => new Worker<Work, number>(queueName, processor, { connection: connection(node), concurrency: 4 }));
}

async function addJobs(queue: Queue<Work>, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await queue.add(
      "work",
      { n, failFirst: n % FAILING_EVERY === 3 },
      { attempts: 2, backoff: { type: "fixed", delay: 50 }, ...(n % DELAYED_EVERY === 0 ? { delay: 300 } : {}), removeOnComplete: false },
    );
  }
}

test("two workers on followers complete every job once, delayed and retried ones included", { skip: skipReason(redis), timeout: TEST_TIMEOUT_MS }, async () => {
  const queue = new Queue<Work>("orders", { connection: connection(0) });
  const events = new QueueEvents("orders", { connection: connection(0) });
  const done = new Map<number, number>();
  const attempts = new Map<number, number>();
  let completedEvents = 0;
  events.on("completed", () => {
    completedEvents++;
  });
  await events.waitUntilReady();
  const workers = startWorkers("orders", done, attempts);
  try {
    await addJobs(queue, JOBS);
    await waitUntil(`${JOBS} jobs completed`, async () => (await queue.getJobCounts("completed")).completed === JOBS);
    for (let n = 0; n < JOBS; n++) {
      assert.equal(done.get(n), 1, `job ${n} completed exactly once`);
      assert.equal(attempts.get(n), n % FAILING_EVERY === 3 ? 2 : 1, `job ${n}'s attempts`);
    }
    const counts = await queue.getJobCounts("failed", "delayed", "waiting", "active");
    assert.deepEqual(counts, { failed: 0, delayed: 0, waiting: 0, active: 0 });
    const results = await queue.getCompleted(0, JOBS);
    assert.equal(results.length, JOBS);
    for (const job of results) assert.equal(job.returnvalue, job.data.n * 2);
    // The queue's event stream (XREAD BLOCK on a stream) told the listener of every completion.
    await waitUntil("every completion was an event", () => completedEvents === JOBS);
  } finally {
    await closeWithin([...workers, events, queue]);
  }
});

test("the workers carry on through a kill -9 of the leader, and every job completes", { skip: skipReason(redis) || (process.env.WALNUT_LIBRARIES_TARGET === "redis" && "redis-server has no leader to kill"), timeout: TEST_TIMEOUT_MS }, async () => {
  const queue = new Queue<Work>("failover", { connection: connection(0) });
  const done = new Map<number, number>();
  const attempts = new Map<number, number>();
  const workers = startWorkers("failover", done, attempts);
  try {
    const adding = addJobs(queue, JOBS);
    adding.catch(() => undefined); // a failed add is reported where it is awaited below, not as an unhandled rejection
    await waitUntil("some jobs completed", () => done.size >= JOBS / 4);
    await target.killLeader?.();
    await adding;
    // An add whose answer the kill lost is sent again by ioredis, so a job may be queued twice.
    await waitUntil(`${JOBS} jobs completed`, async () => (await queue.getJobCounts("completed")).completed >= JOBS && done.size === JOBS);
    // BullMQ runs a job at least once: one in flight when its node died may run again.
    for (let n = 0; n < JOBS; n++) assert.ok((done.get(n) ?? 0) >= 1, `job ${n} completed`);
    assert.equal((await queue.getJobCounts("failed")).failed, 0);
  } finally {
    await closeWithin([...workers, queue]);
  }
});
