import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterWatch, UNHEARD_REPORTS_MAX, type ClusterReport, type MemberReport, type PeerProgress, type StatusReport } from "./cluster_view.js";

function status(id: number, role: StatusReport["role"], fields: Partial<StatusReport> = {}): StatusReport {
  return { role, id, term: 4, leader: 1, commitIndex: 100, appliedIndex: 100, lastIndex: 100, voters: [1, 2, 3], learners: [], peers: [], ...fields };
}

function peer(id: number, match: number, active = true): PeerProgress {
  return { id, match, next: match + 1, state: "replicate", active, learner: false };
}

function member(id: number, report: StatusReport | null, fields: Partial<MemberReport> = {}): MemberReport {
  return { id, voter: true, self: false, peerAddress: `127.0.0.1:${7380 + id}`, httpUrl: `http://127.0.0.1:${8380 + id}`, status: report, error: report === null ? "connect ECONNREFUSED" : null, ...fields };
}

function report(members: MemberReport[], selfId = 2): ClusterReport {
  return { id: selfId, clusterId: "c", members: members.map((each) => ({ ...each, self: each.id === selfId })) };
}

const leaderReport = (peers: PeerProgress[]): StatusReport => status(1, "leader", { lastIndex: 120, peers: [peer(1, 120), ...peers] });

test("lag is the leader's last index minus each member's match; the leader's own is 0", () => {
  const view = new ClusterWatch().update(report([member(1, leaderReport([peer(2, 118), peer(3, 90)])), member(2, status(2, "follower")), member(3, status(3, "follower"))]));
  assert.equal(view.leaderId, 1);
  assert.equal(view.selfId, 2);
  assert.equal(view.term, 4);
  assert.deepEqual(
    view.members.map((each) => [each.id, each.role, each.match, each.lag, each.unreachable]),
    [
      [1, "leader", 120, 0, null],
      [2, "follower", 118, 2, null],
      [3, "follower", 90, 30, null],
    ],
  );
  assert.equal(view.members.find((each) => each.id === 2)?.self, true);
});

test("a member that does not answer is unreachable with the reason, and its figures unknown", () => {
  const view = new ClusterWatch().update(report([member(1, leaderReport([peer(2, 120), peer(3, 80, false)])), member(2, status(2, "follower")), member(3, null)]));
  const third = view.members.find((each) => each.id === 3);
  assert.equal(third?.role, "unknown");
  assert.equal(third?.term, null);
  assert.equal(third?.commitIndex, null);
  assert.equal(third?.lag, 40, "the leader still knows its match");
  assert.match(third?.unreachable ?? "", /does not answer: connect ECONNREFUSED/);
});

test("a member that does not answer while the leader hears from it is unreachable with that said", () => {
  const view = new ClusterWatch().update(report([member(1, leaderReport([peer(2, 120), peer(3, 120, true)])), member(2, status(2, "follower")), member(3, null)]));
  assert.match(view.members.find((each) => each.id === 3)?.unreachable ?? "", /does not answer over HTTP \(connect ECONNREFUSED\), though the leader hears from it/);
});

test("a peer the leader has not heard from counts as unreachable only after several reports in a row", () => {
  const watch = new ClusterWatch();
  const unheard = (): MemberReport[] => [member(1, leaderReport([peer(2, 120), peer(3, 120, false)])), member(2, status(2, "follower")), member(3, status(3, "follower"))];
  const heard = (): MemberReport[] => [member(1, leaderReport([peer(2, 120), peer(3, 120, true)])), member(2, status(2, "follower")), member(3, status(3, "follower"))];
  const third = (members: MemberReport[]): string | null => watch.update(report(members)).members.find((each) => each.id === 3)?.unreachable ?? null;
  for (let reports = 1; reports < UNHEARD_REPORTS_MAX; reports++) assert.equal(third(unheard()), null, `after ${reports} report(s)`);
  assert.equal(third(heard()), null, "heard again: the count starts over");
  for (let reports = 1; reports < UNHEARD_REPORTS_MAX; reports++) assert.equal(third(unheard()), null);
  assert.match(third(unheard()) ?? "", /has not heard from it/);
});

test("without the leader's report the leader is the one the serving node believes in, and lag is unknown", () => {
  const view = new ClusterWatch().update(report([member(1, null), member(2, status(2, "follower")), member(3, status(3, "follower"))]));
  assert.equal(view.leaderId, 1);
  assert.deepEqual(
    view.members.map((each) => [each.id, each.role, each.lag, each.unreachable !== null]),
    [
      [1, "leader", null, true],
      [2, "follower", null, false],
      [3, "follower", null, false],
    ],
  );
});

test("of two members that say they lead, the one with the higher term does", () => {
  const stale = status(1, "leader", { term: 3, peers: [peer(2, 10), peer(3, 10)] });
  const current = status(3, "leader", { term: 5, lastIndex: 200, peers: [peer(1, 50), peer(2, 199), peer(3, 200)] });
  const view = new ClusterWatch().update(report([member(1, stale), member(2, status(2, "follower", { term: 5, leader: 3 })), member(3, current)]));
  assert.equal(view.leaderId, 3);
  assert.equal(view.term, 5);
  assert.deepEqual(
    view.members.map((each) => each.lag),
    [150, 1, 0],
  );
});

test("with no leader known, no member leads and lag is unknown", () => {
  const view = new ClusterWatch().update(report([member(1, status(1, "candidate", { leader: 0 })), member(2, status(2, "follower", { leader: 0 }))]));
  assert.equal(view.leaderId, 0);
  assert.deepEqual(
    view.members.map((each) => [each.role, each.lag]),
    [
      ["candidate", null],
      ["follower", null],
    ],
  );
});

test("a learner that does not answer is still drawn as a learner", () => {
  const view = new ClusterWatch().update(report([member(1, leaderReport([peer(2, 120), { ...peer(4, 100), learner: true }])), member(2, status(2, "follower")), member(4, null, { voter: false })]));
  const learner = view.members.find((each) => each.id === 4);
  assert.equal(learner?.role, "learner");
  assert.equal(learner?.lag, 20);
});
