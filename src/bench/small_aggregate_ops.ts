/**
 * `node dist/bench/small_aggregate_ops.js [elements...]`: the time of sorted-set and hash
 * commands on aggregates of a given size, applied to an in-process Engine the way the
 * write path applies them (commands/testing.ts: entry encoded, decoded, applied; reads
 * straight through their handler). It is how the compact encodings (sorted_set.ts,
 * hash_fields.ts) were checked not to make small aggregates slower in a way that matters:
 * run it on two builds and compare the nanoseconds per command.
 *
 * Each size fills KEYS keys, then times each command over them round-robin, with members
 * and fields drawn in a fixed pseudo-random order (no Math.random, so two builds do the
 * same work). The figures are wall time per command, noisy on a shared machine: compare
 * builds in the same session, several runs.
 */
import { Engine } from "../engine/engine.js";
import { read, run } from "../commands/testing.js";

const KEYS = 50;
const OPERATIONS = 40_000;

function member(index: number): string {
  return `m${String(index).padStart(7, "0")}`;
}

function fill(engine: Engine, elements: number): void {
  for (let key = 0; key < KEYS; key++) {
    const zadd: string[] = [];
    const hset: string[] = [];
    for (let index = 0; index < elements; index++) {
      zadd.push(String(index), member(index));
      hset.push(member(index), `v${index}`);
    }
    run(engine, `ZADD z${key} ${zadd.join(" ")}`);
    run(engine, `HSET h${key} ${hset.join(" ")}`);
  }
}

/** Nanoseconds per call of `line(step)`, over OPERATIONS calls. */
function time(line: (step: number) => string, apply: (engine: Engine, line: string) => unknown, engine: Engine): number {
  for (let step = 0; step < 1000; step++) apply(engine, line(step)); // warm-up
  const started = process.hrtime.bigint();
  for (let step = 0; step < OPERATIONS; step++) apply(engine, line(step));
  return Number(process.hrtime.bigint() - started) / OPERATIONS;
}

function measure(elements: number): Array<[string, number]> {
  const engine = new Engine();
  fill(engine, elements);
  const pick = (step: number): number => (step * 7919) % elements;
  const key = (step: number): number => step % KEYS;
  const write = (target: Engine, line: string): unknown => run(target, line);
  const query = (target: Engine, line: string): unknown => read(target, line);
  return [
    ["ZADD (moves a member)", time((step) => `ZADD z${key(step)} ${step % 1000} ${member(pick(step))}`, write, engine)],
    ["ZSCORE", time((step) => `ZSCORE z${key(step)} ${member(pick(step))}`, query, engine)],
    ["ZRANK", time((step) => `ZRANK z${key(step)} ${member(pick(step))}`, query, engine)],
    ["ZRANGEBYSCORE 10 elements", time((step) => `ZRANGEBYSCORE z${key(step)} ${pick(step)} +inf LIMIT 0 10`, query, engine)],
    ["HSET (existing field)", time((step) => `HSET h${key(step)} ${member(pick(step))} x${step}`, write, engine)],
    ["HGET", time((step) => `HGET h${key(step)} ${member(pick(step))}`, query, engine)],
    ["HGET (missing field)", time((step) => `HGET h${key(step)} absent${step}`, query, engine)],
  ];
}

const sizes = process.argv.slice(2).map(Number);
for (const elements of sizes.length > 0 ? sizes : [16, 100, 128]) {
  for (const [name, nanoseconds] of measure(elements)) {
    process.stdout.write(`${elements} elements: ${name}: ${(nanoseconds / 1000).toFixed(2)} µs\n`);
  }
}
