/** The partition shapes of processes/tcp_proxy.ts, as the cut links they make (no traffic). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PeerNetwork } from "../processes/tcp_proxy.js";

async function withNetwork(size: number, body: (network: PeerNetwork) => void): Promise<void> {
  const network = await PeerNetwork.start(Array.from({ length: size }, (_, index) => ({ id: index + 1, realPort: 1 })));
  try {
    body(network);
  } finally {
    await network.close();
  }
}

test("isolating a node cuts its links both ways and no others", async () => {
  await withNetwork(3, (network) => {
    network.isolate(2);
    assert.equal(network.describe(), "1>2 2>1 2>3 3>2");
  });
});

test("a node in no group bridges two groups that cannot reach each other", async () => {
  await withNetwork(5, (network) => {
    network.partition([[1, 2], [4, 5]]);
    assert.ok(network.isCut(1, 4) && network.isCut(5, 2));
    assert.ok(!network.isCut(3, 1) && !network.isCut(4, 3) && !network.isCut(1, 2));
  });
});

test("a one-way cut drops what the node sends and keeps what it receives; heal mends all", async () => {
  await withNetwork(3, (network) => {
    network.cutOneWay(1, [2, 3]);
    assert.ok(network.isCut(1, 2) && network.isCut(1, 3));
    assert.ok(!network.isCut(2, 1) && !network.isCut(3, 1));
    network.heal();
    assert.equal(network.describe(), "none");
  });
});
