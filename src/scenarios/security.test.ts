/**
 * Security end to end: users from an --aclfile (hashed by `walnut acl hash-password`)
 * over RESP (ioredis, redis-cli, raw pipelines) and HTTP; and TLS with a throwaway CA,
 * server and client certificates made by the openssl binary: TLS for ioredis, redis-cli
 * and HTTPS, and with --tls-ca a client without a certificate refused.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { hashPassword } from "../server/password_hash.js";
import { startTestNode, type TestNode } from "./harness.js";
import { exchange } from "./server_fixtures.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
const OPENSSL = "/usr/bin/openssl";

let workDir = "";

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), "walnut-security-"));
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- users and categories

/** `walnut acl hash-password`, fed the password on stdin as a user would. */
async function hashWithCli(password: string): Promise<string> {
  const pending = run(process.execPath, [walnut, "acl", "hash-password"]);
  pending.child.stdin?.end(`${password}\n`);
  const { stdout } = await pending;
  assert.match(stdout, /^password_scrypt = "scrypt\$[^"]+"\n$/);
  return stdout.trim();
}

async function writeAclFile(): Promise<string> {
  const path = join(workDir, "acl.toml");
  const table = (name: string, passwordLine: string, categories: string, extra = ""): string =>
    `[users.${name}]\n${passwordLine}\ncategories = ${categories}\n${extra}`;
  const hashed = async (password: string): Promise<string> => `password_scrypt = "${await hashPassword(password)}"`;
  await writeFile(
    path,
    [
      "# users of the security scenario; the default user's password is --requirepass",
      table("alice", await hashWithCli("alice-pw"), '["read", "write"]'),
      table("reader", await hashed("reader-pw"), '["read"]'),
      table("ops", await hashed("ops-pw"), '["all"]'),
      table("eve", await hashed("eve-pw"), '["all"]', "enabled = false\n"),
    ].join("\n"),
  );
  return path;
}

async function withAclNode(run: (node: TestNode) => Promise<void>): Promise<void> {
  const node = await startTestNode({ servers: { requirePass: "s3cret", aclFile: await writeAclFile() } });
  try {
    await run(node);
  } finally {
    await node.stop();
  }
}

function client(node: TestNode, username: string, password: string): Redis {
  return new Redis({ port: node.respPort, host: "127.0.0.1", username, password, lazyConnect: true, maxRetriesPerRequest: 0 });
}

async function withClient(redis: Redis, use: (redis: Redis) => Promise<void>): Promise<void> {
  await redis.connect();
  try {
    await use(redis);
  } finally {
    redis.disconnect();
  }
}

test("RESP: NOAUTH before signing in, WRONGPASS for a bad pair or a disabled user, and a user's categories enforced", () =>
  withAclNode(async (node) => {
    await exchange(node.respPort, "GET k\r\n", "-NOAUTH Authentication required.\r\n");
    const wrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n".repeat(3);
    const refused = await exchange(node.respPort, "AUTH alice nope\r\nAUTH eve eve-pw\r\nAUTH nobody x\r\n", wrongPass);
    assert.equal(refused.text(), wrongPass);
    refused.destroy();

    await withClient(client(node, "alice", "alice-pw"), async (alice) => {
      assert.equal(await alice.set("k", "v"), "OK");
      assert.equal(await alice.get("k"), "v");
      assert.equal(await alice.call("ACL", "WHOAMI"), "alice");
      await assert.rejects(alice.call("CONFIG", "GET", "maxclients"), /^ReplyError: NOPERM User alice has no permissions to run the 'config\|get' command$/);
      await assert.rejects(alice.call("FLUSHALL"), /NOPERM User alice has no permissions to run the 'flushall' command/);
    });
    await withClient(client(node, "reader", "reader-pw"), async (reader) => {
      assert.equal(await reader.get("k"), "v");
      await assert.rejects(reader.set("k", "w"), /NOPERM User reader has no permissions to run the 'set' command/);
      await assert.rejects(reader.del("k"), /NOPERM User reader has no permissions to run the 'del' command/);
      const transaction = reader.multi().get("k").set("k", "w");
      await assert.rejects(transaction.exec(), /EXECABORT/);
      assert.equal(await reader.get("k"), "v");
    });
    await withClient(client(node, "ops", "ops-pw"), async (ops) => {
      assert.equal(await ops.call("CONFIG", "GET", "maxclients").then((reply) => (reply as string[])[0]), "maxclients");
      assert.deepEqual(await ops.call("ACL", "LIST"), [
        "user default on requirepass +@all",
        "user alice on scrypt +@read +@write",
        "user reader on scrypt +@read",
        "user ops on scrypt +@all",
        "user eve off scrypt +@all",
      ]);
    });
  }));

test("RESP: commands pipelined behind AUTH wait for its scrypt check and run as the new user", () =>
  withAclNode(async (node) => {
    const expected = "+OK\r\n+OK\r\n$2\r\nv1\r\n$5\r\nalice\r\n-NOPERM User alice has no permissions to run the 'save' command\r\n";
    const first = await exchange(node.respPort, "AUTH alice alice-pw\r\nSET k v1\r\nGET k\r\nACL WHOAMI\r\nSAVE\r\n", expected);
    assert.equal(first.text(), expected);
    first.destroy();
    const failed = "-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n";
    const second = await exchange(node.respPort, "AUTH alice wrong\r\nGET k\r\n", failed);
    assert.equal(second.text(), failed);
    second.destroy();
  }));

test("RESP: HELLO AUTH signs in, and the default user keeps --requirepass", () =>
  withAclNode(async (node) => {
    const hello = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
    await withClient(hello, async (redis) => {
      const reply = (await redis.call("HELLO", "2", "AUTH", "reader", "reader-pw")) as unknown[];
      assert.equal(reply[reply.indexOf("proto") + 1], 2);
      assert.equal(await redis.call("ACL", "WHOAMI"), "reader");
      await assert.rejects(redis.call("HELLO", "2", "AUTH", "reader", "bad"), /WRONGPASS/);
      assert.equal(await redis.call("ACL", "WHOAMI"), "reader", "a failed sign-in keeps the user");
    });
    await withClient(new Redis({ port: node.respPort, host: "127.0.0.1", password: "s3cret", lazyConnect: true }), async (admin) => {
      assert.equal(await admin.call("ACL", "WHOAMI"), "default");
      assert.equal(await admin.call("SAVE"), "OK");
    });
  }));

test("redis-cli signs in with --user and --pass", () =>
  withAclNode(async (node) => {
    const cli = (...args: string[]): Promise<string> =>
      run("redis-cli", ["-p", String(node.respPort), "--no-auth-warning", ...args]).then((out) => out.stdout.trim());
    assert.equal(await cli("--user", "alice", "--pass", "alice-pw", "SET", "from-cli", "1"), "OK");
    assert.equal(await cli("--user", "reader", "--pass", "reader-pw", "GET", "from-cli"), "1");
    assert.match(await cli("--user", "reader", "--pass", "reader-pw", "SET", "from-cli", "2"), /NOPERM/);
  }));

test("HTTP: 401 without credentials, 403 for a bad pair or a category the user lacks", () =>
  withAclNode(async (node) => {
    const base = `http://127.0.0.1:${node.httpPort}`;
    const basic = (user: string, password: string): Record<string, string> => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
    });
    const put = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${base}/key/h`, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body: '{"value":"x"}' });

    const anonymous = await fetch(`${base}/status`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="walnut"/);
    assert.equal((await put(basic("alice", "wrong"))).status, 403);
    assert.equal((await put(basic("eve", "eve-pw"))).status, 403);
    assert.equal((await put(basic("alice", "alice-pw"))).status, 200);
    const forbidden = await put(basic("reader", "reader-pw"));
    assert.equal(forbidden.status, 403);
    assert.match(((await forbidden.json()) as { detail: string }).detail, /^User reader has no permissions to write/);
    for (const path of ["/key/h", "/keys", "/status", "/segments", "/metrics", "/"]) {
      assert.equal((await fetch(`${base}${path}`, { headers: basic("reader", "reader-pw") })).status, 200, path);
    }
    assert.equal((await fetch(`${base}/key/h`, { method: "DELETE", headers: { authorization: "Bearer s3cret" } })).status, 200);
    assert.equal((await fetch(`${base}/status`, { headers: { authorization: "Bearer alice-pw" } })).status, 403);
  }));

test("walnut serve refuses a bad ACL file with one line naming the file, the user and the problem", async () => {
  const path = join(workDir, "bad-acl.toml");
  await writeFile(path, '[users.alice]\nnopass = true\ncategories = ["read", "root"]\n');
  const dataDir = join(workDir, "bad-acl-data");
  const result = await run(process.execPath, [walnut, "serve", "--aclfile", path, "--data-dir", dataDir, "--port", "0", "--http-port", "0"]).then(
    () => assert.fail("walnut serve started with a bad ACL file"),
    (failure: { code: number; stderr: string }) => failure,
  );
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr.trim().split("\n").at(-1),
    `walnut serve: Cannot load ACL file ${path}: line 1, user alice: categories: unknown category "root"; expected a non-empty list of "read", "write", "admin", "all"`,
  );
});

// ---------------------------------------------------------------- TLS

interface Certificates {
  dir: string;
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  paths: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all signed by the CA. */
async function makeCertificates(): Promise<Certificates> {
  assert.ok(existsSync(OPENSSL), `the TLS tests need ${OPENSSL}: install openssl (apt-get install openssl; .ci/run does)`);
  const dir = join(workDir, "tls");
  await run("mkdir", ["-p", dir]);
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run(OPENSSL, args, { cwd: dir });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl("req", "-x509", ...newKey, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=walnut test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  const sign = async (name: string, subject: string, extensions: string): Promise<void> => {
    await writeFile(file(`${name}.ext`), extensions);
    await openssl("req", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    await openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
  };
  await sign("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await sign("client", "/CN=walnut test client", "extendedKeyUsage=clientAuth\n");
  const paths = { ca: file("ca.crt"), serverCert: file("server.crt"), serverKey: file("server.key"), clientCert: file("client.crt"), clientKey: file("client.key") };
  return { dir, paths, ca: await readFile(paths.ca), clientCert: await readFile(paths.clientCert), clientKey: await readFile(paths.clientKey) };
}

let certificates: Promise<Certificates> | null = null;
const sharedCertificates = (): Promise<Certificates> => (certificates ??= makeCertificates());

async function withTlsNode(options: { requireClientCertificate: boolean }, run: (node: TestNode, certs: Certificates) => Promise<void>): Promise<void> {
  const certs = await sharedCertificates();
  const tls = { certPath: certs.paths.serverCert, keyPath: certs.paths.serverKey, ...(options.requireClientCertificate ? { caPath: certs.paths.ca } : {}) };
  const node = await startTestNode({ servers: { tls } });
  try {
    await run(node, certs);
  } finally {
    await node.stop();
  }
}

/** A GET over HTTPS: the status code and body. */
function httpsGet(port: number, path: string, tls: ConnectionOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest({ host: "127.0.0.1", port, path, method: "GET", ...tls }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

/** Sends PING over a raw TLS connection: what came back, or the error that ended it. */
function tlsPing(port: number, tls: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = tlsConnect({ host: "127.0.0.1", port, ...tls }, () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.endsWith("\r\n")) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => (received === "" ? reject(new Error("closed without a reply")) : resolve(received)));
  });
}

test("TLS: ioredis, redis-cli --tls --cacert and HTTPS reach a node serving --tls-cert and --tls-key", () =>
  withTlsNode({ requireClientCertificate: false }, async (node, certs) => {
    const redis = new Redis({ port: node.respPort, host: "127.0.0.1", tls: { ca: certs.ca }, lazyConnect: true, maxRetriesPerRequest: 0 });
    await withClient(redis, async (tlsClient) => {
      assert.equal(await tlsClient.set("over-tls", "yes"), "OK");
      assert.equal(await tlsClient.get("over-tls"), "yes");
    });
    const cli = await run("redis-cli", ["--tls", "--cacert", certs.paths.ca, "-h", "127.0.0.1", "-p", String(node.respPort), "GET", "over-tls"]);
    assert.equal(cli.stdout.trim(), "yes");
    const response = await httpsGet(node.httpPort, "/key/over-tls", { ca: certs.ca });
    assert.equal(response.status, 200);
    assert.equal((JSON.parse(response.body) as { value: string }).value, "yes");
    await assert.rejects(tlsPing(node.respPort, {}), /self[- ]signed|unable to (get|verify)/i, "a client that does not trust the CA refuses the server");
  }));

test("TLS with --tls-ca: a client without a certificate is refused, one with a certificate signed by the CA is served", () =>
  withTlsNode({ requireClientCertificate: true }, async (node, certs) => {
    await assert.rejects(tlsPing(node.respPort, { ca: certs.ca }), /certificate required/);
    await assert.rejects(httpsGet(node.httpPort, "/status", { ca: certs.ca }), /certificate required/);
    const withCertificate = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    assert.equal(await tlsPing(node.respPort, withCertificate), "+PONG\r\n");
    assert.equal((await httpsGet(node.httpPort, "/status", withCertificate)).status, 200);
    const redis = new Redis({ port: node.respPort, host: "127.0.0.1", tls: withCertificate, lazyConnect: true, maxRetriesPerRequest: 0 });
    await withClient(redis, async (tlsClient) => assert.equal(await tlsClient.ping(), "PONG"));
    const cli = await run("redis-cli", ["--tls", "--cacert", certs.paths.ca, "--cert", certs.paths.clientCert, "--key", certs.paths.clientKey,
      "-h", "127.0.0.1", "-p", String(node.respPort), "PING"]);
    assert.equal(cli.stdout.trim(), "PONG");
  }));
