/**
 * A listener that cannot bind (a port taken between serve's check and its listen) names
 * what listens, the address and the flag that sets the port.
 */
import { createServer } from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { listen } from "./listen.js";

test("listen names the listener, port and flag on EADDRINUSE", async () => {
  const holder = createServer();
  const port = await listen(holder, "127.0.0.1", 0, { name: "HTTP", flag: "--http-port" });
  const second = createServer();
  try {
    await assert.rejects(listen(second, "127.0.0.1", port, { name: "RESP", flag: "--port" }), {
      message: `Cannot listen for RESP on 127.0.0.1:${port} (--port): port ${port} is already in use by another process (EADDRINUSE); stop it or choose another --port`,
    });
  } finally {
    holder.close();
    second.close();
  }
});
