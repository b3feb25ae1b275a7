import { test } from "node:test";
import assert from "node:assert/strict";
import { isWalnutError } from "../lib/errors.js";
import { AccessControl, noPermissionText, requiredCategory, type AclUser } from "./acl.js";
import { parseAclFile } from "./acl_file.js";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password_hash.js";

const command = (...argv: string[]) => requiredCategory({ protocol: "resp", argv });

test("a password hash verifies its password and no other", async () => {
  const text = await hashPassword("correct horse");
  assert.match(text, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const hash = parsePasswordHash(text);
  assert.equal(await verifyPassword("correct horse", hash), true);
  assert.equal(await verifyPassword("correct horsf", hash), false);
  assert.notEqual(await hashPassword("correct horse"), text, "each hash has its own salt");
});

test("a malformed password hash is refused with what is wrong", () => {
  const refused = (text: string, pattern: RegExp): void =>
    assert.throws(() => parsePasswordHash(text), (error) => isWalnutError(error, "BAD_CONFIG") && pattern.test(error.message));
  refused("plain-password", /1 fields/);
  refused("scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5", /power of two/);
  refused("scrypt$16384$8$1$not base64$a2V5", /base64/);
  refused("scrypt$16384$8$1$c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5", /salt must be at least 8 bytes/);
});

test("commands fall into read, write and admin, and connection commands into none", () => {
  assert.equal(command("GET", "k"), "read");
  assert.equal(command("set", "k", "v"), "write");
  assert.equal(command("DEL", "k"), "write");
  assert.equal(command("COLLECTION", "LIST"), "read");
  assert.equal(command("COLLECTION", "CREATE", "c", "hash"), "write");
  assert.equal(command("COLLECTION", "EXPORT", "c", "/tmp/x"), "admin");
  for (const admin of [["CONFIG", "GET", "maxclients"], ["SAVE"], ["BGSAVE"], ["FLUSHALL"], ["CLIENT", "KILL", "ID", "3"], ["ACL", "LIST"]]) {
    assert.equal(command(...admin), "admin", admin.join(" "));
  }
  for (const free of [["PING"], ["AUTH", "p"], ["HELLO", "3"], ["QUIT"], ["MULTI"], ["EXEC"], ["CLIENT", "SETNAME", "x"], ["ACL", "WHOAMI"], ["NOSUCHCOMMAND"]]) {
    assert.equal(command(...free), null, free.join(" "));
  }
  assert.equal(requiredCategory({ protocol: "http", method: "GET", path: "/metrics" }), "read");
  assert.equal(requiredCategory({ protocol: "http", method: "PUT", path: "/key/k" }), "write");
  assert.equal(requiredCategory({ protocol: "http", method: "DELETE", path: "/key/k" }), "write");
});

test("GET /backup needs admin: it hands out every key at once", () => {
  assert.equal(requiredCategory({ protocol: "http", method: "GET", path: "/backup" }), "admin");
  assert.equal(requiredCategory({ protocol: "http", method: "HEAD", path: "/backup" }), "admin");
  assert.equal(requiredCategory({ protocol: "http", method: "GET", path: "/key/backup" }), "read");
});

test("NOPERM names the user and the command as Redis 7 does", () => {
  const alice: AclUser = { name: "alice", enabled: true, categories: new Set(["read"]), passwordHash: null };
  assert.equal(noPermissionText(alice, ["SET", "k", "v"]), "User alice has no permissions to run the 'set' command");
  assert.equal(noPermissionText(alice, ["CLIENT", "KILL", "ID", "1"]), "User alice has no permissions to run the 'client|kill' command");
});

test("an ACL file gives each user its password and categories", async () => {
  const hash = await hashPassword("alice-secret");
  const users = parseAclFile(
    [
      "[users.alice]",
      `password_scrypt = "${hash}"`,
      'categories = ["read", "write"]',
      "[users.ops]",
      "nopass = true",
      'categories = ["all"]',
      "enabled = false",
    ].join("\n"),
    "acl.toml",
  );
  assert.deepEqual([...(users.get("alice")?.categories ?? [])], ["read", "write"]);
  assert.deepEqual([...(users.get("ops")?.categories ?? [])], ["read", "write", "admin"]);
  assert.equal(users.get("ops")?.enabled, false);
  assert.equal(users.get("ops")?.passwordHash, null);
});

test("a bad ACL file is refused naming the file, the line and user, and the problem", () => {
  const refused = (text: string, pattern: RegExp): void =>
    assert.throws(() => parseAclFile(text, "/etc/walnut/acl.toml"), (error) => {
      assert.ok(isWalnutError(error, "BAD_CONFIG"));
      assert.match(error.message, /^Cannot load ACL file \/etc\/walnut\/acl\.toml: /);
      assert.match(error.message, pattern);
      return true;
    });
  refused('[users.alice\ncategories = ["read"]', /line 1, column \d+: not valid TOML/);
  refused('\n[users.alice]\nnopass = true\ncategories = ["read", "sudo"]', /line 2, user alice: categories: unknown category "sudo"/);
  refused('[users.bob]\ncategories = ["read"]', /line 1, user bob: no password: give password_scrypt .* or nopass = true/);
  refused('[users.bob]\nnopass = true\ncategories = ["read"]\npassword = "x"', /user bob: unknown key "password"/);
  refused('[users.bob]\npassword_scrypt = "hunter2"\ncategories = ["read"]', /user bob: password_scrypt: it has 1 fields/);
  refused('[users.bob]\nnopass = true\ncategories = []', /user bob: categories must be a non-empty list/);
  refused('requirepass = "x"', /unknown top-level key "requirepass"/);
  refused('[users."a b"]\nnopass = true\ncategories = ["read"]', /user a b: the name must be/);
});

test("the default user's password is --requirepass unless the file defines it", async () => {
  let requirePass: string | null = null;
  const builtIn = new AccessControl(new Map(), () => requirePass);
  assert.equal(builtIn.initialUser()?.name, "default");
  requirePass = "s3cret";
  assert.equal(builtIn.initialUser(), null);
  assert.equal((builtIn.authenticate("default", "s3cret") as AclUser | null)?.name, "default");
  assert.equal(builtIn.authenticate("default", "wrong"), null);
  assert.equal(builtIn.authenticate("alice", "s3cret"), null);

  const users = parseAclFile('[users.default]\nnopass = true\ncategories = ["read"]', "acl.toml");
  const fromFile = new AccessControl(users, () => null);
  assert.deepEqual([...(fromFile.initialUser()?.categories ?? [])], ["read"]);
  assert.deepEqual(fromFile.describeUsers(), ["user default on nopass +@read"]);
});

test("a file user signs in with scrypt once, then from memory; a disabled user never", async () => {
  const hash = await hashPassword("pw");
  const users = parseAclFile(
    `[users.alice]\npassword_scrypt = "${hash}"\ncategories = ["read"]\n[users.eve]\npassword_scrypt = "${hash}"\ncategories = ["all"]\nenabled = false`,
    "acl.toml",
  );
  const access = new AccessControl(users, () => "default-secret");
  const first = access.authenticate("alice", "pw");
  assert.ok(first instanceof Promise, "the first check runs scrypt");
  assert.equal((await first)?.name, "alice");
  assert.equal((access.authenticate("alice", "pw") as AclUser | null)?.name, "alice", "the second is remembered");
  assert.equal(await access.authenticate("alice", "nope"), null);
  assert.equal(access.authenticate("eve", "pw"), null);
  assert.deepEqual(access.describeUsers(), [
    "user default on requirepass +@all",
    "user alice on scrypt +@read",
    "user eve off scrypt +@all",
  ]);
});
