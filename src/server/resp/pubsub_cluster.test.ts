import { test } from "node:test";
import assert from "node:assert/strict";
import { PublishedMessages } from "../../engine/published.js";
import type { Reply } from "../../engine/reply.js";
import { PeerQuestions, type MemberAnswer } from "../../node/peer_questions.js";
import { ChannelRegistry, type Subscriber } from "./pubsub.js";
import { ClusterPubsub, type PubsubMembers } from "./pubsub_cluster.js";

/**
 * Members of an in-process cluster: each has its own registry and PeerQuestions, and
 * asking a member runs that member's real answerer on the real encoded question (what the
 * transport carries between processes, tested in transport/peer_question.test.ts).
 * A member in `silent` does not answer; `garbled` answers bytes of the wrong shape.
 */
class Members {
  readonly questions = new Map<number, PeerQuestions>();
  readonly silent = new Set<number>();
  readonly garbled = new Set<number>();

  of(self: number): PubsubMembers {
    const questions = new PeerQuestions();
    this.questions.set(self, questions);
    return {
      otherMembers: () => [...this.questions.keys()].filter((id) => id !== self),
      answerQuestions: (topic, answerer) => questions.answer(topic, answerer),
      askOtherMembers: (topic, question, timeoutMs): Promise<MemberAnswer[]> =>
        questions.askAll({
          members: [...this.questions.keys()].filter((id) => id !== self),
          topic,
          question,
          timeoutMs,
          ask: async (member, payload) => {
            if (this.silent.has(member)) throw new Error(`node ${member}: no answer within ${timeoutMs} ms`);
            if (this.garbled.has(member)) return Buffer.from('{"not":"an answer"}');
            return await this.questions.get(member)!.receive(self, Buffer.from(payload));
          },
        }),
    };
  }
}

function subscriber(id: number): Subscriber {
  return { id, deliver: (_frame: Reply[]) => undefined };
}

function node(members: Members, id: number): { registry: ChannelRegistry; pubsub: ClusterPubsub } {
  const registry = new ChannelRegistry(new PublishedMessages());
  return { registry, pubsub: new ClusterPubsub(registry, members.of(id)) };
}

const ask = (pubsub: ClusterPubsub, ...args: string[]): Promise<Reply> => pubsub.command(args);
const bulks = (...names: string[]): Reply[] => names.map((value) => ({ type: "bulk", value }));
const integer = (value: number): Reply => ({ type: "integer", value });

test("PUBSUB merges every member's subscriptions: names once, counts summed, patterns distinct", async () => {
  const members = new Members();
  const [one, two, three] = [node(members, 1), node(members, 2), node(members, 3)];
  one.registry.add("channel", "news", subscriber(1));
  one.registry.add("channel", "sport", subscriber(1));
  one.registry.add("pattern", "n*", subscriber(1));
  two.registry.add("channel", "news", subscriber(2));
  two.registry.add("channel", "news", subscriber(3));
  two.registry.add("pattern", "n*", subscriber(2));
  two.registry.add("pattern", "s\xe9*", subscriber(2)); // a byte above 127 survives the JSON trip
  two.registry.add("shard", "orders", subscriber(3));
  for (const asked of [one, two, three]) {
    assert.equal(asked.pubsub.spansCluster, true);
    assert.deepEqual(await ask(asked.pubsub, "NUMSUB", "news", "sport", "none"), { type: "array", items: [...bulks("news"), integer(3), ...bulks("sport"), integer(1), ...bulks("none"), integer(0)] });
    const channels = (await ask(asked.pubsub, "CHANNELS")) as { items: { value: string }[] };
    assert.deepEqual(channels.items.map((item) => item.value).sort(), ["news", "sport"]);
    assert.deepEqual(await ask(asked.pubsub, "CHANNELS", "s*"), { type: "array", items: bulks("sport") });
    assert.deepEqual(await ask(asked.pubsub, "NUMPAT"), integer(2));
    assert.deepEqual(await ask(asked.pubsub, "SHARDCHANNELS"), { type: "array", items: bulks("orders") });
    assert.deepEqual(await ask(asked.pubsub, "SHARDNUMSUB", "orders", "news"), { type: "array", items: [...bulks("orders"), integer(1), ...bulks("news"), integer(0)] });
  }
});

test("a member that does not answer, or answers nonsense, adds nothing; errors are answered without asking", async () => {
  const members = new Members();
  const [one, two, three] = [node(members, 1), node(members, 2), node(members, 3)];
  one.registry.add("channel", "news", subscriber(1));
  two.registry.add("channel", "news", subscriber(2));
  three.registry.add("channel", "news", subscriber(3));
  members.silent.add(2);
  members.garbled.add(3);
  assert.deepEqual(await ask(one.pubsub, "NUMSUB", "news"), { type: "array", items: [...bulks("news"), integer(1)] });
  members.silent.clear();
  assert.deepEqual(await ask(one.pubsub, "NUMSUB", "news"), { type: "array", items: [...bulks("news"), integer(2)] });
  members.garbled.clear();
  assert.deepEqual(await ask(one.pubsub, "NUMSUB", "news"), { type: "array", items: [...bulks("news"), integer(3)] });
  assert.deepEqual(await ask(one.pubsub, "NUMPAT", "x"), { type: "error", text: "ERR wrong number of arguments for 'pubsub|numpat' command" });
});

test("a malformed question is refused by the member asked, and a closed registry stops answering", async () => {
  const members = new Members();
  const [one] = [node(members, 1), node(members, 2)];
  const questions = members.questions.get(1)!;
  const payload = (body: string): Buffer => Buffer.concat([Buffer.of(6), Buffer.from("pubsub"), Buffer.from(body)]);
  await assert.rejects(questions.receive(2, payload('{"ask":"numsub","shard":true}')), /malformed/);
  await assert.rejects(questions.receive(2, payload("not json")));
  assert.deepEqual(JSON.parse(Buffer.from(await questions.receive(2, payload('{"ask":"patterns"}'))).toString()), []);
  one.registry.close();
  await assert.rejects(questions.receive(2, payload('{"ask":"patterns"}')), /Cannot answer a question of "pubsub": this node answers no questions of it/);
});

test("a node alone asks nobody", () => {
  const members = new Members();
  const alone = node(members, 1);
  assert.equal(alone.pubsub.spansCluster, false);
});
