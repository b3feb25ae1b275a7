import { test } from "node:test";
import assert from "node:assert/strict";
import { routeLabel } from "./metrics.js";

test("requests count under route patterns, and paths no route serves under one label", () => {
  assert.equal(routeLabel("/key/user:1"), "/key/:key");
  assert.equal(routeLabel("/key/%2Fweird%20key"), "/key/:key");
  assert.equal(routeLabel("/keys"), "/keys");
  assert.equal(routeLabel("/metrics"), "/metrics");
  assert.equal(routeLabel("/cluster/status"), "/cluster/status");
  assert.equal(routeLabel("/ui/app.js"), "/ui/:file");
  assert.equal(routeLabel("/"), "/");
  for (const path of ["/wp-admin", "/keys/", "/key", "/../etc/passwd", `/${"x".repeat(1000)}`]) assert.equal(routeLabel(path), "other", path);
});
