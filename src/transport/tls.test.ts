import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import type { MutualTlsOptions } from "./dial.js";
import { closeAll, heartbeat, rawExchange, sendUntilReceived, startCluster, startNode, waitFor, type TestNode } from "./testing.js";

/** Throwaway certificates made with the openssl binary, in a temp dir removed afterwards. */
let directory = "";
let trusted: MutualTlsOptions;
/** A certificate from a different CA: well-formed, but not the cluster's. */
let rogue: MutualTlsOptions;

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { cwd: directory, stdio: "pipe" });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new Error("The mutual TLS tests need the `openssl` binary on PATH; install OpenSSL to run them.");
    throw new Error(`openssl ${args.join(" ")} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}

function makeCertificateAuthority(name: string): void {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}-ca.key`, "-out", `${name}-ca.crt`, "-subj", `/CN=${name} test CA`, "-days", "2"]);
}

function makeNodeCertificate(name: string, authority: string): MutualTlsOptions {
  fs.writeFileSync(path.join(directory, "node.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${authority}-ca.crt`, "-CAkey", `${authority}-ca.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", "node.ext"]);
  const read = (file: string): string => fs.readFileSync(path.join(directory, file), "utf8");
  return { cert: read(`${name}.crt`), key: read(`${name}.key`), ca: read(`${authority}-ca.crt`) };
}

before(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "walnut-transport-tls-"));
  makeCertificateAuthority("cluster");
  makeCertificateAuthority("rogue");
  trusted = makeNodeCertificate("walnut-node", "cluster");
  rogue = makeNodeCertificate("rogue-node", "rogue");
});

after(() => {
  if (directory !== "") fs.rmSync(directory, { recursive: true, force: true });
});

test("two transports with mutual TLS exchange messages and a snapshot", async () => {
  const nodes = await startCluster(2, { tls: trusted });
  try {
    await sendUntilReceived(nodes[0]!, nodes[1]!, 1);
    await sendUntilReceived(nodes[1]!, nodes[0]!, 2);
    const metadata = { index: 3, term: 1, confState: { voters: [1, 2], learners: [] } };
    async function* pieces(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(2 * 1024 * 1024 + 5, 9);
    }
    await nodes[0]!.transport.sendSnapshot(2, metadata, pieces());
    assert.equal(nodes[1]!.snapshots[0]!.bytes.length, 2 * 1024 * 1024 + 5);
  } finally {
    await closeAll(nodes);
  }
});

test("a TLS client without a certificate is refused while peers keep talking", async () => {
  const nodes = await startCluster(2, { tls: trusted });
  try {
    const target = nodes[1]!;
    const refusedBefore = target.transport.stats().refusedHandshakes;
    const socket = tls.connect({ host: "127.0.0.1", port: target.port, ca: trusted.ca });
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await waitFor("the TLS refusal", () => target.transport.stats().refusedHandshakes > refusedBefore);
    await sendUntilReceived(nodes[0]!, target, 1);
  } finally {
    await closeAll(nodes);
  }
});

test("a member whose certificate is signed by another CA is refused", async () => {
  const nodes = await startCluster(2, { tls: trusted });
  let impostor: TestNode | null = null;
  try {
    const target = nodes[1]!;
    impostor = await startNode(1, { tls: rogue });
    impostor.transport.addPeer(2, { host: "127.0.0.1", port: target.port });
    await waitFor("the impostor to be refused", () => {
      impostor!.transport.send([heartbeat(1, 2, 666)]);
      return impostor!.unreachable.length >= 1 && target.transport.stats().refusedHandshakes >= 1;
    });
    assert.ok(!target.received.some((message) => message.commit === 666));
    await sendUntilReceived(nodes[0]!, target, 1);
  } finally {
    await closeAll(impostor === null ? nodes : [...nodes, impostor]);
  }
});

test("plain TCP on a TLS peer port is refused", async () => {
  const nodes = await startCluster(2, { tls: trusted });
  try {
    const target = nodes[1]!;
    const exchange = await rawExchange(target.port, [Buffer.from("hello, anyone there?\r\n")]);
    assert.equal(exchange.closed, true);
    assert.deepEqual(exchange.frames, []);
    await waitFor("the refusal", () => target.transport.stats().refusedHandshakes >= 1);
    await sendUntilReceived(nodes[0]!, target, 1);
  } finally {
    await closeAll(nodes);
  }
});

test("a question and its answer travel over mutual TLS", async () => {
  const nodes = await startCluster(2, { tls: trusted, onQuestion: async (from, question) => Buffer.from(`${from} asked ${question.toString()}`) });
  try {
    assert.equal((await nodes[0]!.transport.ask(2, Buffer.from("who?"), 5000)).toString(), "1 asked who?");
  } finally {
    await closeAll(nodes);
  }
});
