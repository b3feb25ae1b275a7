/**
 * The status page in a real browser: headless Chromium (Debian's chromium package, which
 * .ci/run installs) driven by playwright-core, against a three-node cluster in this
 * process. The page, opened on a follower and on the leader, must draw three members with
 * the right leader and roles, chart the operations the test writes (and say "no data"
 * where a chart has none), show the new leader after a RAFT TRANSFER and the old one as
 * unreachable once it stops, all without a reload. It must load nothing but walnut's
 * own URLs and log no error. Screenshots of the
 * follower's page (test-artifacts/status-page.png) and of the leader's with its charts
 * (test-artifacts/status-page-leader.png) are kept at the root of the tree the test runs
 * from. Every node box must hold its text, also with 5-digit terms, 12-digit indexes,
 * every role and long addresses (test-artifacts/status-page-long-values.png), and every
 * chart must say what it shows (title, what it measures over which window, each series,
 * its y axis unit).
 *
 * Members listen for HTTP at their peer port + HTTP_PORT_OFFSET, the layout the page
 * assumes to reach the other members (server/http/cluster_status_route.ts). Every wait
 * polls the page; nothing sleeps for a fixed time. Set WALNUT_SKIP_BROWSER=1 to skip; without
 * /usr/bin/chromium they skip by themselves (unless WALNUT_REQUIRE_BROWSER=1, as in CI).
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestNode, type TestNode } from "./harness.js";
import { freePort, waitUntil } from "./server_fixtures.js";

const CHROMIUM_PATH = "/usr/bin/chromium";
/**
 * Why the browser tests do not run here, or false. Without Chromium they skip saying how to
 * get it, so `npm test` passes on a machine with only Node; CI (.ci/run) installs Chromium
 * and sets WALNUT_REQUIRE_BROWSER=1, so there a missing browser fails instead.
 */
const SKIP_BROWSER: string | false =
  process.env.WALNUT_SKIP_BROWSER === "1"
    ? "WALNUT_SKIP_BROWSER=1"
    : !existsSync(CHROMIUM_PATH) && process.env.WALNUT_REQUIRE_BROWSER !== "1"
      ? `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium, as .ci/run does) to run the status page's browser tests`
      : false;
const ARTIFACTS_DIRECTORY = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
/** The follower's page at the end: new leader, old one unreachable. */
const SCREENSHOT_PATH = `${ARTIFACTS_DIRECTORY}status-page.png`;
/** The leader's page once its ops/s chart has data. */
const LEADER_SCREENSHOT_PATH = `${ARTIFACTS_DIRECTORY}status-page-leader.png`;
/** A page drawing five members with long values (test "…hold 5-digit terms…"). */
const LONG_VALUES_SCREENSHOT_PATH = `${ARTIFACTS_DIRECTORY}status-page-long-values.png`;
/** HTTP port − peer port on every member, as `walnut cluster up` lays them out (8380 − 7380). */
const HTTP_PORT_OFFSET = 1000;
const CLUSTER_SIZE = 3;
/** Tries at finding a peer port whose HTTP partner port is free too. */
const PORT_ATTEMPTS_MAX = 100;
/** Tries at starting the cluster when a chosen port was taken before it was bound. */
const START_ATTEMPTS = 3;
/** Generous: the machine has two cores shared with other tests. */
const PAGE_WAIT_MS = 60_000;
const TEST_TIMEOUT_MS = 240_000;

interface Member {
  id: number;
  peerPort: number;
  httpPort: number;
  node: TestNode;
  stopped: boolean;
}

/** Whether nothing listens on 127.0.0.1:`port` right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function memberPorts(count: number): Promise<Array<{ peerPort: number; httpPort: number }>> {
  const chosen: Array<{ peerPort: number; httpPort: number }> = [];
  for (let attempt = 0; chosen.length < count; attempt++) {
    assert.ok(attempt < PORT_ATTEMPTS_MAX, `found no ${count} free port pairs ${HTTP_PORT_OFFSET} apart`);
    const peerPort = await freePort();
    const httpPort = peerPort + HTTP_PORT_OFFSET;
    const taken = chosen.flatMap((each) => [each.peerPort, each.httpPort]);
    if (httpPort > 65535 || taken.includes(peerPort) || taken.includes(httpPort)) continue;
    if (await portIsFree(httpPort)) chosen.push({ peerPort, httpPort });
  }
  return chosen;
}

/**
 * Ports are chosen free and bound a moment later, so a test running beside this one may
 * take one in between: start again on fresh ports when that happens.
 */
async function startCluster(): Promise<Member[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce();
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startClusterOnce(): Promise<Member[]> {
  const ports = await memberPorts(CLUSTER_SIZE);
  const peers = new Map(ports.map(({ peerPort }, index) => [index + 1, { host: "127.0.0.1", port: peerPort }]));
  const members: Member[] = [];
  try {
    for (const [index, { peerPort, httpPort }] of ports.entries()) {
      const id = index + 1;
      const node = await startTestNode({
        db: { nodeId: id, cluster: { listen: { host: "127.0.0.1", port: peerPort }, peers, secret: "status-page-test" }, checkpointWalBytes: 0 },
        servers: { httpPort },
      });
      members.push({ id, peerPort, httpPort, node, stopped: false });
    }
  } catch (error) {
    await stopCluster(members);
    throw error;
  }
  return members;
}

async function stopMember(member: Member): Promise<void> {
  if (member.stopped) return;
  member.stopped = true;
  await member.node.stop();
}

async function stopCluster(members: Member[]): Promise<void> {
  await Promise.all(members.map(stopMember));
}

/** The one leader every member agrees on. */
async function agreedLeader(members: Member[]): Promise<number> {
  let leader = 0;
  await waitUntil("every member knows the same leader", () => {
    const statuses = members.map((member) => member.node.db.node.status());
    const leaders = statuses.filter((status) => status.role === "leader");
    leader = leaders.length === 1 && statuses.every((status) => status.leader === leaders[0]?.id) ? (leaders[0]?.id ?? 0) : 0;
    return leader !== 0;
  });
  return leader;
}

/** Opens the page of `member`; every request it makes and every error it logs is recorded. */
async function openPage(browser: Browser, member: Member, seen: { requests: string[]; errors: string[] }): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("request", (request) => seen.requests.push(request.url()));
  page.on("pageerror", (error) => seen.errors.push(`node ${member.id}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") seen.errors.push(`node ${member.id}: ${message.text()}`);
  });
  await page.goto(`http://127.0.0.1:${member.httpPort}/`);
  return page;
}

/** The members the page's cluster picture draws (ui/cluster_picture.ts), as "id:role", "id:role unreachable". */
function pictureMembers(page: Page): Promise<string[]> {
  return page
    .locator("#cluster-picture g.member")
    .evaluateAll((boxes) => boxes.map((box) => `${box.getAttribute("data-id")}:${box.getAttribute("data-role")}${box.getAttribute("data-unreachable") === "true" ? " unreachable" : ""}`));
}

/**
 * Waits until the page's cluster picture shows `size` members, `leader` leading, every
 * other member following, and `unreachable` (if given) drawn as unreachable.
 */
async function waitForPicture(page: Page, expected: { size: number; leader: number; unreachable?: number }): Promise<void> {
  const roleOf = (id: number): string => (id === expected.unreachable ? "unknown unreachable" : id === expected.leader ? "leader" : "follower");
  const wanted = Array.from({ length: expected.size }, (_, index) => `${index + 1}:${roleOf(index + 1)}`);
  let drawn: string[] = [];
  const drawsWanted = async (): Promise<boolean> => {
    drawn = (await pictureMembers(page)).sort();
    return drawn.join() === wanted.join();
  };
  await waitUntil(`the page at ${page.url()} draws ${wanted.join(", ")}`, drawsWanted, PAGE_WAIT_MS).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; it draws ${drawn.join(", ") || "nothing"}`);
  });
}

/**
 * Every text of every node box in the cluster picture lies inside its box, as the browser
 * lays it out (bounding boxes in page pixels, with the box's padding), the box is not
 * clipped by the picture, and the picture is not shrunk to fit the page.
 */
async function assertBoxesFit(page: Page, where: string): Promise<void> {
  // One evaluation measures the boxes and the picture together: the page redraws its
  // picture on every poll, and a second look could catch a picture not yet laid out.
  const { overflows, scales } = await page.locator("#cluster-picture g.member").evaluateAll((boxes) => ({
    overflows: boxes.flatMap((box) => {
      const rect = box.querySelector("rect")?.getBoundingClientRect();
      const picture = box.closest("svg")?.getBoundingClientRect();
      if (rect === undefined || picture === undefined) return [`node ${box.getAttribute("data-id")}: no box drawn`];
      const problems = [...box.querySelectorAll("text")].flatMap((text) => {
        const bounds = text.getBoundingClientRect();
        const inside = bounds.left >= rect.left + 2 && bounds.right <= rect.right - 2 && bounds.top >= rect.top && bounds.bottom <= rect.bottom;
        return inside || bounds.width === 0 ? [] : [`"${text.textContent}" (${Math.round(bounds.left)}–${Math.round(bounds.right)} × ${Math.round(bounds.top)}–${Math.round(bounds.bottom)}) outside its box (${Math.round(rect.left)}–${Math.round(rect.right)} × ${Math.round(rect.top)}–${Math.round(rect.bottom)})`];
      });
      const clipped = rect.left < picture.left || rect.right > picture.right + 0.5 || rect.bottom > picture.bottom + 0.5 ? ["the box sticks out of the picture"] : [];
      return [...problems, ...clipped].map((problem) => `node ${box.getAttribute("data-id")}: ${problem}`);
    }),
    scales: boxes.map((box) => {
      const svg = box.closest("svg");
      return svg === null ? 0 : svg.getBoundingClientRect().width / Number(svg.getAttribute("width"));
    }),
  }));
  assert.deepEqual(overflows, [], `${where}: every node box holds its text`);
  for (const scale of scales) assert.ok(scale > 0.99, `${where}: the picture is drawn at full size, not shrunk to fit (scale ${scale}), so its text stays readable`);
  const texts = await page.locator("#cluster-picture g.member text").count();
  assert.ok(texts > 0, `${where}: the boxes have text`);
}

/** The captions the page's charts carry: title, what they cover, legend and y axis label. */
interface ChartCaption {
  id: string;
  title: string;
  covers: string;
  legend: string[];
  yAxis: string | null;
}

function chartCaptions(page: Page): Promise<ChartCaption[]> {
  return page.locator(".charts figure").evaluateAll((figures) =>
    figures.map((figure) => ({
      id: figure.id,
      title: figure.querySelector("figcaption .chart-title")?.textContent ?? "",
      covers: figure.querySelector("figcaption .covers")?.textContent ?? "",
      legend: [...figure.querySelectorAll("figcaption .legend .series")].map((series) => series.textContent ?? ""),
      yAxis: figure.querySelector("svg .axis-label")?.textContent ?? null,
    })),
  );
}

/** Each chart says what it shows: its title, what it measures over which window, each series, and (once it has data) its y axis unit. */
async function assertChartsSayWhatTheyShow(page: Page, where: string): Promise<void> {
  const captions = await chartCaptions(page);
  const wanted: Record<string, { title: string; covers: RegExp; legend: RegExp[]; yAxis: string }> = {
    "chart-operations": { title: "Operations per second", covers: /^Commands this node answered each second.*, last 3 minutes$/, legend: [/^ops\/s all commands: /], yAxis: "commands per second" },
    "chart-latency": { title: "Command latency", covers: /^Time from a command's arrival on this node to its reply.*, last 3 minutes$/, legend: [/^p50 median: /, /^p99 99th percentile: /], yAxis: "latency" },
    "chart-fsync": { title: "WAL fsync latency", covers: /^Time each fsync of this node's write-ahead log took.*, last 3 minutes$/, legend: [/^p50 median: /, /^p99 99th percentile: /], yAxis: "latency" },
  };
  assert.deepEqual(captions.map((caption) => caption.id).sort(), Object.keys(wanted).sort(), `${where}: the charts`);
  for (const caption of captions) {
    const expected = wanted[caption.id] as (typeof wanted)[string];
    assert.equal(caption.title, expected.title, `${where}: ${caption.id}'s title`);
    assert.match(caption.covers, expected.covers, `${where}: ${caption.id} says what it covers and over which window`);
    assert.equal(caption.legend.length, expected.legend.length, `${where}: ${caption.id}'s legend names each series`);
    caption.legend.forEach((series, index) => assert.match(series, expected.legend[index] as RegExp, `${where}: ${caption.id}'s series ${index + 1}`));
    const hasData = Number(await page.locator(`#${caption.id}`).getAttribute("data-points")) > 0;
    if (hasData) assert.equal(caption.yAxis, expected.yAxis, `${where}: ${caption.id}'s y axis names its unit`);
  }
}

/** Writes a batch of keys through the leader's HTTP API. */
async function writeBatch(member: Member, batch: number): Promise<void> {
  const writes = Array.from({ length: 20 }, (_, index) =>
    fetch(`http://127.0.0.1:${member.httpPort}/key/k-${batch}-${index}`, { method: "PUT", body: JSON.stringify({ value: `v${batch}` }), headers: { "content-type": "application/json" } }),
  );
  for (const response of await Promise.all(writes)) assert.equal(response.status, 200, await response.text());
}

/** Asks the leader to hand over to `target` (RAFT TRANSFER over RESP) until `target` leads. */
async function transferLeadership(members: Member[], from: Member, target: number): Promise<void> {
  const client = new Redis({ port: from.node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    await waitUntil(`node ${target} leads`, async () => {
      if (members.every((member) => member.node.db.node.status().leader === target)) return true;
      await client.call("RAFT", "TRANSFER", String(target)).catch(() => undefined); // not caught up yet: ask again
      return false;
    });
  } finally {
    client.disconnect();
  }
}

/**
 * Writes keys through the leader until its page charts a rate above zero and latencies of
 * commands and fsyncs. The follower serves no command, so its command latency chart shows
 * "no data" and says why.
 */
async function checkCharts(leader: Member, pages: { leader: Page; follower: Page }): Promise<void> {
  const chart = (page: Page, id: string) => page.locator(`#${id}`);
  const points = async (id: string): Promise<number> => Number(await chart(pages.leader, id).getAttribute("data-points"));
  let batch = 0;
  const charted = async (): Promise<boolean> => {
    const highest = Number(await chart(pages.leader, "chart-operations").getAttribute("data-highest"));
    if (highest > 0 && (await points("chart-latency")) > 0 && (await points("chart-fsync")) > 0) return true;
    await writeBatch(leader, batch++);
    return false;
  };
  await waitUntil("the leader's charts show the writes", charted, PAGE_WAIT_MS);
  const followerLatency = async (): Promise<string> => (await chart(pages.follower, "chart-latency").textContent()) ?? "";
  await waitUntil("the follower's command latency chart says it has no data", async () => /no data.*nothing observed/.test(await followerLatency()), PAGE_WAIT_MS);
}

test("the status page draws the cluster, charts writes, follows a leadership transfer and shows a stopped member, without reload", { skip: SKIP_BROWSER, timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(existsSync(CHROMIUM_PATH), `Chromium is not at ${CHROMIUM_PATH} and WALNUT_REQUIRE_BROWSER=1: install Debian's chromium package (apt-get install chromium, as .ci/run does)`);
  const members = await startCluster();
  let browser: Browser | null = null;
  try {
    const leaderId = await agreedLeader(members);
    const leader = members.find((member) => member.id === leaderId) as Member;
    const [follower, other] = members.filter((member) => member !== leader) as [Member, Member];
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox"] });
    const seen = { requests: [] as string[], errors: [] as string[] };
    const followerPage = await openPage(browser, follower, seen);
    const leaderPage = await openPage(browser, leader, seen);
    await waitForPicture(followerPage, { size: CLUSTER_SIZE, leader: leader.id });
    await waitForPicture(leaderPage, { size: CLUSTER_SIZE, leader: leader.id });

    await assertBoxesFit(followerPage, "the follower's page");
    await assertBoxesFit(leaderPage, "the leader's page");

    await checkCharts(leader, { leader: leaderPage, follower: followerPage });
    await assertChartsSayWhatTheyShow(leaderPage, "the leader's page");
    await assertChartsSayWhatTheyShow(followerPage, "the follower's page");
    await mkdir(ARTIFACTS_DIRECTORY, { recursive: true });
    await leaderPage.screenshot({ path: LEADER_SCREENSHOT_PATH, fullPage: true });

    await transferLeadership(members, leader, other.id);
    await waitForPicture(followerPage, { size: CLUSTER_SIZE, leader: other.id });
    await waitForPicture(leaderPage, { size: CLUSTER_SIZE, leader: other.id });
    assert.match((await followerPage.locator("#summary").textContent()) ?? "", new RegExp(`node ${other.id} leads`));

    // The old leader goes away: the follower's page marks it unreachable.
    await leaderPage.close();
    await stopMember(leader);
    await waitForPicture(followerPage, { size: CLUSTER_SIZE, leader: other.id, unreachable: leader.id });

    await assertBoxesFit(followerPage, "the follower's page with a member unreachable");
    await followerPage.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    t.diagnostic(`screenshots: ${SCREENSHOT_PATH}, ${LEADER_SCREENSHOT_PATH}`);
    const own = new Set(members.map((member) => `http://127.0.0.1:${member.httpPort}/`));
    assert.deepEqual(seen.requests.filter((url) => ![...own].some((origin) => url.startsWith(origin))), [], "the page loads only walnut's own URLs");
    assert.deepEqual(seen.errors, [], "the page logs no error");
  } finally {
    await browser?.close();
    await stopCluster(members);
  }
});

test("GET /cluster/status on a follower gathers every member's status, the leader's progress, and why a stopped member does not answer", { timeout: TEST_TIMEOUT_MS }, async () => {
  const members = await startCluster();
  try {
    const leaderId = await agreedLeader(members);
    const [follower, stopped] = members.filter((member) => member.id !== leaderId) as [Member, Member];
    type Report = { id: number; members: Array<{ id: number; self: boolean; httpUrl: string | null; status: { role: string; peers: unknown[] } | null; error: string | null }> };
    const report = async (): Promise<Report> => (await (await fetch(`http://127.0.0.1:${follower.httpPort}/cluster/status`)).json()) as Report;
    const everyone = await report();
    assert.equal(everyone.id, follower.id);
    assert.deepEqual(
      everyone.members.map((member) => [member.id, member.self, member.httpUrl, member.status?.role, member.error]),
      members.map((member) => [member.id, member === follower, member === follower ? null : `http://127.0.0.1:${member.httpPort}`, member.id === leaderId ? "leader" : "follower", null]),
    );
    assert.equal(everyone.members.find((member) => member.id === leaderId)?.status?.peers.length, CLUSTER_SIZE, "the leader's report has every member's progress");
    await stopMember(stopped);
    const without = (await report()).members.find((member) => member.id === stopped.id);
    assert.equal(without?.status, null);
    assert.match(without?.error ?? "", /ECONNREFUSED/);
  } finally {
    await stopCluster(members);
  }
});

test("behind a password the page, its modules and its polls work with the browser's Basic credentials", { skip: SKIP_BROWSER, timeout: TEST_TIMEOUT_MS }, async () => {
  assert.ok(existsSync(CHROMIUM_PATH), `Chromium is not at ${CHROMIUM_PATH} and WALNUT_REQUIRE_BROWSER=1: install Debian's chromium package`);
  const node = await startTestNode({ servers: { requirePass: "page-secret" } });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox"] });
  try {
    const url = `http://127.0.0.1:${node.httpPort}/`;
    assert.equal((await fetch(url)).status, 401, "without credentials");
    const signedIn = await (await browser.newContext({ httpCredentials: { username: "default", password: "page-secret" } })).newPage();
    assert.equal((await signedIn.goto(url))?.status(), 200);
    await waitForPicture(signedIn, { size: 1, leader: 1 });
    await waitUntil("the charts drew", async () => (await signedIn.locator("#chart-fsync").getAttribute("data-points")) !== null, PAGE_WAIT_MS);
  } finally {
    await browser.close();
    await node.stop();
  }
});

/**
 * A cluster report with the longest values an operator meets: 5-digit terms, 12-digit
 * indexes, every role (precandidate and learner among them), long host names, a member
 * that does not answer. The page gets it in place of its node's /cluster/status (the
 * browser's request is answered by the test), so the drawing is checked with values a
 * test cluster does not reach.
 */
function longValuesReport(selfId: number): unknown {
  const term = 54_321;
  const last = 123_456_789_012;
  const address = (id: number): string => `walnut-node-${id}.eu-west-1.compute.internal.example.com:17380`;
  const roles = ["leader", "precandidate", "learner", "candidate", "follower"];
  const members = roles.map((role, index) => {
    const id = index + 1;
    const answers = id !== 5;
    return {
      id,
      voter: role !== "learner",
      self: id === selfId,
      peerAddress: address(id),
      httpUrl: id === selfId ? null : `http://${address(id).replace(/:\d+$/, ":18380")}`,
      status: answers
        ? {
            role,
            id,
            term: term + (role === "leader" ? 0 : 1),
            leader: role === "leader" || role === "follower" || role === "learner" ? 1 : 0,
            commitIndex: last - id * 1_000,
            appliedIndex: last - id * 1_000 - 7,
            lastIndex: last - id * 10,
            voters: [1, 2, 4, 5],
            learners: [3],
            peers: role === "leader" ? roles.map((_, other) => ({ id: other + 1, match: last - (other + 1) * 98_765, next: last, state: "replicate", active: other + 1 !== 5, learner: other + 1 === 3 })) : [],
            fsync: "always",
            readMode: "index",
            writeError: null,
            lastCheckpoint: null,
          }
        : null,
      error: answers ? null : `connect ECONNREFUSED ${address(id).replace(/:\d+$/, ":18380")}`,
    };
  });
  return { id: selfId, clusterId: "c".repeat(32), members };
}

test("the status page's node boxes hold 5-digit terms, 12-digit indexes, every role and long addresses; its charts say what they show", { skip: SKIP_BROWSER, timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(existsSync(CHROMIUM_PATH), `Chromium is not at ${CHROMIUM_PATH} and WALNUT_REQUIRE_BROWSER=1: install Debian's chromium package`);
  const node = await startTestNode({});
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.route("**/cluster/status", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(longValuesReport(1)) }));
    await page.goto(`http://127.0.0.1:${node.httpPort}/`);
    const wanted = ["1:leader", "2:precandidate", "3:learner", "4:candidate", "5:unknown unreachable"];
    await waitUntil("the page draws the five members", async () => (await pictureMembers(page)).sort().join() === wanted.join(), PAGE_WAIT_MS);
    const text = (await page.locator("#cluster-picture").textContent()) ?? "";
    for (const shown of ["term 54,321", "commit 123,456,788,012", "walnut-node-4.eu-west-1.compute.internal.example.com:17380", "precandidate · term 54,322"]) {
      assert.ok(text.includes(shown), `the picture shows ${shown}`);
    }
    await assertBoxesFit(page, "the page with long values");
    await waitUntil("the charts drew", async () => Number(await page.locator("#chart-fsync").getAttribute("data-points")) > 0 || Number(await page.locator("#chart-operations").getAttribute("data-points")) > 0, PAGE_WAIT_MS);
    await assertChartsSayWhatTheyShow(page, "the page with long values");
    await mkdir(ARTIFACTS_DIRECTORY, { recursive: true });
    await page.screenshot({ path: LONG_VALUES_SCREENSHOT_PATH, fullPage: true });
    t.diagnostic(`screenshot: ${LONG_VALUES_SCREENSHOT_PATH}`);
    assert.deepEqual(errors, [], "the page logs no error");
  } finally {
    await browser.close();
    await node.stop();
  }
});
