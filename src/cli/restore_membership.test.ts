/** restore_membership.ts: the membership a restored checkpoint records. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePeers } from "../config/peers.js";
import { open } from "../db.js";
import { readCheckpoint } from "../snapshot/reader.js";
import { membershipFor, recordsMembership, writeWithMembership } from "./restore_membership.js";

test("a node alone is its own only voter; with --peers every peer is a voter at its address", () => {
  assert.deepEqual(membershipFor(2, null), { confState: { voters: [2], learners: [] }, members: {} });
  const peers = parsePeers("3=10.0.0.3:7380,1=10.0.0.1:7380,2=10.0.0.2:7380");
  assert.deepEqual(membershipFor(1, peers), {
    confState: { voters: [1, 2, 3], learners: [] },
    members: { "1": "10.0.0.1:7380", "2": "10.0.0.2:7380", "3": "10.0.0.3:7380" },
  });
});

test("a checkpoint written with a new membership keeps its data, index, term and other metadata", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-membership-"));
  try {
    const db = await open({ dir: join(dir, "source"), checkpointInterval: 0 });
    await db.set("k", "v");
    const info = await db.checkpoint();
    await db.close();
    const source = await readCheckpoint(info.path);
    assert.ok(recordsMembership(source.metadata, membershipFor(1, null)), "a single node's checkpoint records it alone");
    const membership = membershipFor(2, parsePeers("1=127.0.0.1:7381,2=127.0.0.1:7382"));
    assert.ok(!recordsMembership(source.metadata, membership));
    await writeWithMembership(source, { dir: join(dir, "target"), membership, clusterId: "c0ffee", nodeId: 2 });
    const rewritten = await readCheckpoint(join(dir, "target", basename(info.path)));
    assert.equal(rewritten.index, source.index);
    assert.equal(rewritten.term, source.term);
    assert.equal(rewritten.keys, source.keys);
    assert.ok(recordsMembership(rewritten.metadata, membership));
    assert.equal(rewritten.metadata.clusterId, "c0ffee");
    assert.deepEqual(rewritten.metadata.sessions, source.metadata.sessions);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
