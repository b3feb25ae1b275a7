import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { serveOptions } from "./options.js";
import { resolveSettings } from "./resolve.js";

test("flags beat environment, which beats the config file, which beats defaults", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-config-"));
  try {
    const file = join(dir, "walnut.toml");
    await writeFile(file, 'fsync = "no"\nport = 7000\nsegment-size = "1MiB"\ncheckpoint-interval = "5s"\n');
    const settings = resolveSettings(serveOptions, {
      argv: ["--config", file, "--port", "7001"],
      env: { WALNUT_FSYNC: "everysec", WALNUT_PORT: "7002" },
      command: "serve",
    });
    assert.equal(settings.values.get("port"), 7001);
    assert.equal(settings.values.get("fsync"), "everysec");
    assert.equal(settings.values.get("segment-size"), 1024 * 1024);
    assert.equal(settings.values.get("checkpoint-interval"), 5000);
    assert.equal(settings.values.get("http-port"), 8380);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("durations and sizes accept units; bad values name their source", () => {
  const settings = resolveSettings(serveOptions, { argv: ["--checkpoint-interval=250ms", "--segment-size", "64MiB"], env: {}, command: "serve" });
  assert.equal(settings.values.get("checkpoint-interval"), 250);
  assert.equal(settings.values.get("segment-size"), 64 * 1024 * 1024);
  assert.throws(() => resolveSettings(serveOptions, { argv: [], env: { WALNUT_PORT: "99999" }, command: "serve" }), /WALNUT_PORT must be a port number from 0 to 65535 \(got "99999"\)/);
  assert.throws(() => resolveSettings(serveOptions, { argv: ["--port"], env: {}, command: "serve" }), /--port needs a value/);
});

test("an unknown key in the config file is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-config-"));
  try {
    const file = join(dir, "walnut.toml");
    await writeFile(file, "fsynk = \"always\"\n");
    assert.throws(() => resolveSettings(serveOptions, { argv: ["--config", file], env: {}, command: "serve" }), /unknown setting "fsynk"/);
    await writeFile(file, "fsync = \n");
    assert.throws(() => resolveSettings(serveOptions, { argv: ["--config", file], env: {}, command: "serve" }), /Cannot parse config file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("--maxmemory takes sizes as redis.conf reads them (k = 1000, kb = 1024, gb = 1024^3) and MiB; 0 is the default", async () => {
  const bytes = (argv: string[], env: NodeJS.ProcessEnv = {}): unknown => resolveSettings(serveOptions, { argv, env, command: "serve" }).values.get("maxmemory");
  assert.equal(bytes([]), 0);
  assert.equal(bytes(["--maxmemory", "2gb"]), 2 * 1024 ** 3);
  assert.equal(bytes(["--maxmemory=2GB"]), 2 * 1024 ** 3);
  assert.equal(bytes(["--maxmemory", "2g"]), 2_000_000_000);
  assert.equal(bytes(["--maxmemory", "512MiB"]), 512 * 1024 ** 2);
  assert.equal(bytes(["--maxmemory", "100mb"]), 100 * 1024 ** 2);
  assert.equal(bytes(["--maxmemory", "1k"]), 1000);
  assert.equal(bytes(["--maxmemory", "1kb"]), 1024);
  assert.equal(bytes(["--maxmemory", "4096"]), 4096);
  assert.equal(bytes([], { WALNUT_MAXMEMORY: "1gb" }), 1024 ** 3);
  for (const bad of ["lots", "-1", "1 parsec", ""]) {
    assert.throws(() => bytes(["--maxmemory", bad]), /--maxmemory must be a size such as/, bad);
  }
  assert.throws(() => bytes([], { WALNUT_MAXMEMORY: "huge" }), /WALNUT_MAXMEMORY must be a size such as .* \(got "huge"\)/);
  const dir = await mkdtemp(join(tmpdir(), "walnut-config-"));
  try {
    const file = join(dir, "walnut.toml");
    await writeFile(file, 'maxmemory = "256mb"\n');
    assert.equal(bytes(["--config", file]), 256 * 1024 ** 2);
    await writeFile(file, "maxmemory = 1000000\n");
    assert.equal(bytes(["--config", file]), 1_000_000);
    await writeFile(file, 'maxmemory = "a lot"\n');
    assert.throws(() => bytes(["--config", file]), /walnut\.toml: maxmemory must be a size/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
