/**
 * Client-side caching as Redis 7.0 has it (CLIENT TRACKING): which clients may hold which
 * keys in a local cache, and the invalidation messages that tell them a key changed.
 * docs/client-side-caching.md has the behaviour and the differences.
 *
 * Two modes, as in Redis:
 * - default: the keys a tracking client read (the keys of every read-only command it ran,
 *   or only of those after CLIENT CACHING YES under OPTIN, or all but those after CLIENT
 *   CACHING NO under OPTOUT) are remembered per key; when a key changes, each client
 *   remembered for it gets one message naming it and is forgotten for it (it must read the
 *   key again to hear of it again). Keys are names, whatever the database, as in Redis.
 * - BCAST: a client names prefixes ("" for every key) and hears of every changed key under
 *   them, whoever read it: the keys changed by the entries applied together, per prefix, in
 *   one message, sorted, sent once those entries are applied.
 *
 * Where changes come from: every node applies every committed entry, and the engine tells
 * this table what each entry changed (Engine.changeListeners, fed by change_capture.ts: puts,
 * deletions, expirations, flushes), so a client of any node hears of writes made through any
 * node, by scripts, by the expiry sweep, by FLUSHALL (a flush: a null "every key" message to
 * every tracking client) and of a checkpoint installed from the leader (the same null).
 *
 * Messages: a RESP3 client gets a push `invalidate [keys]`; with REDIRECT id they go to that
 * connection instead: a push if it speaks RESP3, else, if it is in RESP2 subscriber mode, a
 * pub/sub message on `__redis__:invalidate` whose payload is the array of keys. A redirect
 * whose connection is gone marks the client (TRACKINGINFO's broken_redirect, CLIENT LIST's
 * R) and, for a RESP3 client, pushes `tracking-redir-broken id`. A message is ordered among
 * the receiver's replies by the log index of the entry that caused it, just after that
 * entry: so a client's own write answers before the invalidation it causes, as in Redis 7.0.
 *
 * NOLOOP ("not my own writes"): a write is a connection's own when its entry carries the
 * very call object the connection proposed (noteOwnCall), which is how a node recognises
 * its own proposals when it applies them; so this holds on any node of a cluster.
 *
 * Cost: nothing while no client tracks (the engine calls no listener); with tracking
 * clients, one Map lookup per changed key plus one prefix test per BCAST prefix.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Change } from "../../engine/change_history.js";
import type { ChangeListener, Engine } from "../../engine/engine.js";
import { array, bulk, error, integer, NIL, OK, type Reply } from "../../engine/reply.js";
import { limits } from "../../lib/limits.js";

/** The channel a RESP2 connection subscribes to for redirected invalidations. */
export const INVALIDATION_CHANNEL = "__redis__:invalidate";

/** What the table needs of a connection it sends messages to. */
export interface InvalidationReceiver {
  readonly id: number;
  readonly protocol: 2 | 3;
  /** Queues a push frame caused by the entry at log index `index` (connection.ts orders it). */
  deliver(frame: Reply[], index: number): void;
  /** True while the connection has a subscription (RESP2: subscriber mode). */
  subscribed(): boolean;
}

/** One client's CLIENT TRACKING settings while it tracks. */
interface TrackingClient {
  /** REDIRECT's client id; 0: none. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (under OPTIN) or NO (under OPTOUT) was given for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
  /** BCAST prefixes, sorted as Redis lists them (by bytes). */
  prefixes: ByteString[];
}

/** A BCAST prefix: its clients and the keys changed under it since the last message (key → writer id, 0: none). */
interface Prefix {
  clients: Set<number>;
  pending: Map<ByteString, number>;
}

/** CLIENT TRACKING's options, parsed. */
interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: ByteString[];
}

const SYNTAX_ERROR = error("ERR", "syntax error");

export class ClientTracking {
  private readonly clients = new Map<number, TrackingClient>();
  /** Default mode: key → ids of the clients that may cache it → reads of it still running (see remember). */
  private readonly keys = new Map<ByteString, Map<number, number>>();
  private items = 0;
  private readonly prefixes = new Map<ByteString, Prefix>();
  /** The last entry whose changes wait in a prefix's pending keys; 0: none wait. */
  private pendingThrough = 0;
  /** Calls proposed by NOLOOP clients, by identity: the id of the connection that proposed each. */
  private readonly ownCalls = new WeakMap<object, number>();
  private readonly listener: ChangeListener = (changes, index, origin) => this.onChanges(changes, index, origin);
  private listening = false;

  /**
   * @param engine the engine whose applied changes invalidate (listened to only while a client tracks)
   * @param receiver the connection of a client id, if it is still connected
   * @param keysMax the most keys remembered, 0 for no limit (limits.trackingKeysMax unless a
   *   test says otherwise; CONFIG SET tracking-table-max-keys changes it)
   */
  constructor(
    private readonly engine: Engine,
    private readonly receiver: (id: number) => InvalidationReceiver | undefined,
    private keysMax: number = limits.trackingKeysMax,
  ) {}

  /** INFO tracking_clients. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** INFO tracking_total_keys, tracking_total_items, tracking_total_prefixes. */
  get totals(): { keys: number; items: number; prefixes: number } {
    return { keys: this.keys.size, items: this.items, prefixes: this.prefixes.size };
  }

  /** CONFIG GET tracking-table-max-keys. */
  get maxKeys(): number {
    return this.keysMax;
  }

  /** CONFIG SET tracking-table-max-keys: a lower limit invalidates the oldest keys at once. */
  set maxKeys(keysMax: number) {
    this.keysMax = keysMax;
    this.limitKeys();
  }

  /** Stops listening to the engine (the server is closing). */
  close(): void {
    this.engine.changeListeners.delete(this.listener);
    this.listening = false;
  }

  /** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] for client `id`. */
  trackingCommand(id: number, args: ByteString[]): Reply {
    const parsed = this.parseOptions(args.slice(1));
    if (!("prefixes" in parsed)) return parsed;
    const mode = (args[0] ?? "").toUpperCase();
    if (mode === "OFF") {
      this.disable(id);
      return OK;
    }
    if (mode !== "ON") return SYNTAX_ERROR;
    const refusal = this.refusal(id, parsed);
    if (refusal !== null) return refusal;
    this.enable(id, parsed);
    return OK;
  }

  /** CLIENT CACHING YES|NO. */
  cachingCommand(id: number, args: ByteString[]): Reply {
    const client = this.clients.get(id);
    if (client === undefined) return error("ERR", "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    const answer = (args[0] ?? "").toUpperCase();
    if (answer === "YES") {
      if (!client.optin) return error("ERR", "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    } else if (answer === "NO") {
      if (!client.optout) return error("ERR", "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    } else {
      return SYNTAX_ERROR;
    }
    client.caching = true;
    return OK;
  }

  /** CLIENT GETREDIR: the redirect id, 0 without one, -1 when not tracking. */
  redirectOf(id: number): number {
    return this.clients.get(id)?.redirect ?? -1;
  }

  /** CLIENT TRACKINGINFO: flags (a set), redirect, prefixes. */
  trackingInfo(id: number): Reply {
    const client = this.clients.get(id);
    const flags: string[] = [client === undefined ? "off" : "on"];
    if (client !== undefined) {
      if (client.bcast) flags.push("bcast");
      if (client.optin) flags.push("optin", ...(client.caching ? ["caching-yes"] : []));
      if (client.optout) flags.push("optout", ...(client.caching ? ["caching-no"] : []));
      if (client.noloop) flags.push("noloop");
      if (client.brokenRedirect) flags.push("broken_redirect");
    }
    return {
      type: "map",
      entries: [
        [bulk("flags"), { type: "set", items: flags.map((flag) => bulk(flag)) }],
        [bulk("redirect"), integer(client?.redirect ?? -1)],
        [bulk("prefixes"), array((client?.prefixes ?? []).map((prefix) => bulk(prefix)))],
      ],
    };
  }

  /** CLIENT LIST's tracking flags (t, R, B) and redir field. */
  describe(id: number): { flags: string; redirect: number } {
    const client = this.clients.get(id);
    if (client === undefined) return { flags: "", redirect: -1 };
    return { flags: `t${client.brokenRedirect ? "R" : ""}${client.bcast ? "B" : ""}`, redirect: client.redirect };
  }

  /** Whether client `id` tracks (in any mode). */
  tracks(id: number): boolean {
    return this.clients.has(id);
  }

  /** Whether client `id` tracks with NOLOOP: its writes must be proposed through noteOwnCall. */
  skipsOwnWrites(id: number): boolean {
    return this.clients.get(id)?.noloop === true;
  }

  /** Marks `call` (the object proposed, found again in the applied entry) as client `id`'s own write. */
  noteOwnCall(call: object, id: number): void {
    this.ownCalls.set(call, id);
  }

  /**
   * Whether the read-only command client `id` is starting now has its keys remembered:
   * default mode, and OPTIN with CLIENT CACHING YES or OPTOUT without CLIENT CACHING NO.
   * Asked when the command is dispatched, before commandEnded() forgets CLIENT CACHING.
   */
  remembersNextRead(id: number): boolean {
    const client = this.clients.get(id);
    if (client === undefined || client.bcast) return false;
    return !((client.optin && !client.caching) || (client.optout && client.caching));
  }

  /**
   * Remembers `keys` for client `id` as its read runs. They stay remembered, whatever
   * changes them, until the returned function is called once the read has answered: a
   * read that waits (a read barrier, the connection's own writes) cannot miss a change
   * made between its engine read and its answer. null: nothing was remembered.
   */
  remember(id: number, keys: readonly ByteString[]): (() => void) | null {
    const client = this.clients.get(id);
    if (client === undefined || client.bcast || keys.length === 0) return null;
    for (const key of keys) {
      let holders = this.keys.get(key);
      if (holders === undefined) {
        holders = new Map();
        this.keys.set(key, holders);
      }
      const pins = holders.get(id);
      if (pins === undefined) this.items += 1;
      holders.set(id, (pins ?? 0) + 1);
    }
    this.limitKeys();
    return () => {
      for (const key of keys) {
        const holders = this.keys.get(key);
        const pins = holders?.get(id);
        if (holders !== undefined && pins !== undefined && pins > 0) holders.set(id, pins - 1);
      }
    };
  }

  /** The command of client `id` ended: CLIENT CACHING's answer lasts one command (outside MULTI, CLIENT commands aside). */
  commandEnded(id: number, keepsCaching: boolean): void {
    const client = this.clients.get(id);
    if (client !== undefined && !keepsCaching) client.caching = false;
  }

  /** Client `id` disconnected or RESET: it tracks no more. Its remembered keys go lazily, as in Redis. */
  disable(id: number): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    for (const prefix of client.prefixes) {
      const entry = this.prefixes.get(prefix);
      entry?.clients.delete(id);
      if (entry?.clients.size === 0) this.prefixes.delete(prefix);
    }
    this.clients.delete(id);
    if (this.clients.size > 0) return;
    // Nobody tracks: stop listening (the write path is as cheap as without tracking) and
    // forget every key, as nobody could be told of them.
    this.close();
    this.keys.clear();
    this.items = 0;
  }

  private parseOptions(args: ByteString[]): TrackingOptions | Reply {
    const options: TrackingOptions = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
    for (let index = 0; index < args.length; index++) {
      const option = (args[index] as string).toUpperCase();
      const hasValue = index + 1 < args.length;
      if (option === "REDIRECT" && hasValue) {
        if (options.redirect !== 0) return error("ERR", "A client can only redirect to a single other client");
        const text = args[++index] as string;
        if (!/^-?(0|[1-9][0-9]{0,18})$/.test(text) || !Number.isSafeInteger(Number(text))) return error("ERR", "value is not an integer or out of range");
        options.redirect = Number(text);
        if (this.receiver(options.redirect) === undefined) return error("ERR", "The client ID you want redirect to does not exist");
      } else if (option === "BCAST") options.bcast = true;
      else if (option === "OPTIN") options.optin = true;
      else if (option === "OPTOUT") options.optout = true;
      else if (option === "NOLOOP") options.noloop = true;
      else if (option === "PREFIX" && hasValue) options.prefixes.push(args[++index] as string);
      else return SYNTAX_ERROR;
    }
    return options;
  }

  /** Why ON with `options` is refused for client `id`, in Redis 7.0's order and words; null: it is not. */
  private refusal(id: number, options: TrackingOptions): Reply | null {
    const current = this.clients.get(id);
    if (!options.bcast && options.prefixes.length > 0) return error("ERR", "PREFIX option requires BCAST mode to be enabled");
    if (current !== undefined && current.bcast !== options.bcast) {
      return error("ERR", "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if (options.bcast && (options.optin || options.optout)) return error("ERR", "OPTIN and OPTOUT are not compatible with BCAST");
    if (options.optin && options.optout) return error("ERR", "You can't specify both OPTIN mode and OPTOUT mode");
    if (current !== undefined && ((options.optin && current.optout) || (options.optout && current.optin))) {
      return error("ERR", "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    return options.bcast ? prefixCollision(current?.prefixes ?? [], options.prefixes) : null;
  }

  private enable(id: number, options: TrackingOptions): void {
    const client = this.clients.get(id) ?? { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedirect: false, prefixes: [] };
    this.clients.set(id, client);
    client.redirect = options.redirect;
    client.brokenRedirect = false;
    client.bcast = options.bcast;
    client.optin = options.optin;
    client.optout = options.optout;
    client.noloop = options.noloop;
    if (options.bcast) for (const prefix of options.prefixes.length === 0 ? [""] : options.prefixes) this.addPrefix(id, client, prefix);
    if (!this.listening) {
      this.engine.changeListeners.add(this.listener);
      this.listening = true;
    }
  }

  private addPrefix(id: number, client: TrackingClient, prefix: ByteString): void {
    let entry = this.prefixes.get(prefix);
    if (entry === undefined) {
      entry = { clients: new Set(), pending: new Map() };
      this.prefixes.set(prefix, entry);
    }
    if (entry.clients.has(id)) return;
    entry.clients.add(id);
    client.prefixes.push(prefix);
    client.prefixes.sort(compareBytes);
  }

  /** The engine applied the entry at `index` (changes null: the whole state was replaced). */
  private onChanges(changes: readonly Change[] | null, index: number, origin: object | null): void {
    const writer = this.writerOf(origin);
    if (changes === null || changes.some((change) => change.type === "flush")) this.invalidateEverything(index, writer);
    for (const change of changes ?? []) {
      if (change.type === "flush") continue;
      this.invalidateKey(change.key, index, writer);
      if (this.prefixes.size > 0) this.noteForPrefixes(change.key, index, writer);
    }
  }

  /** The NOLOOP connection whose call the entry carries; 0: none. */
  private writerOf(origin: object | null): number {
    if (origin === null || !("type" in origin)) return 0;
    const payload = origin as { type: string; call?: object; calls?: object[] };
    const call = payload.type === "command" ? payload.call : payload.type === "batch" ? payload.calls?.[0] : undefined;
    return call === undefined ? 0 : (this.ownCalls.get(call) ?? 0);
  }

  /** Default mode: tells the clients remembered for `key` and forgets them for it (but those whose reads still run). */
  private invalidateKey(key: ByteString, index: number, writer: number): void {
    const holders = this.keys.get(key);
    if (holders === undefined) return;
    for (const [id, pins] of [...holders]) {
      const client = this.clients.get(id);
      if (client !== undefined && !client.bcast && !(client.noloop && id === writer)) this.send(id, client, array([bulk(key)]), index);
      if (pins > 0 && client !== undefined) continue;
      holders.delete(id);
      this.items -= 1;
    }
    if (holders.size === 0) this.keys.delete(key);
  }

  /** A flush (FLUSHALL, FLUSHDB, a checkpoint installed): a null message to every tracking client, and the table forgets every key. */
  private invalidateEverything(index: number, writer: number): void {
    void writer; // Redis sends the null to the flushing client too, NOLOOP or not
    for (const [id, client] of [...this.clients]) this.send(id, client, NIL, index);
    for (const [key, holders] of [...this.keys]) {
      for (const [id, pins] of [...holders]) {
        if (pins > 0 && this.clients.has(id)) continue;
        holders.delete(id);
        this.items -= 1;
      }
      if (holders.size === 0) this.keys.delete(key);
    }
  }

  /** BCAST: notes `key` under every prefix it has; the messages go once the entries applied together are. */
  private noteForPrefixes(key: ByteString, index: number, writer: number): void {
    let noted = false;
    for (const [prefix, entry] of this.prefixes) {
      if (!key.startsWith(prefix)) continue;
      entry.pending.set(key, writer);
      noted = true;
    }
    if (!noted) return;
    // Entries applied in one go are applied synchronously: a microtask runs once they all are,
    // and before their proposers hear their replies.
    if (this.pendingThrough === 0) queueMicrotask(() => this.broadcast());
    this.pendingThrough = index;
  }

  private broadcast(): void {
    const index = this.pendingThrough;
    this.pendingThrough = 0;
    const prefixes = [...this.prefixes.entries()].sort(([left], [right]) => compareBytes(left, right));
    for (const [, entry] of prefixes) {
      if (entry.pending.size === 0) continue;
      const pending = [...entry.pending.entries()].sort(([left], [right]) => compareBytes(left, right));
      entry.pending = new Map();
      for (const id of [...entry.clients]) {
        const client = this.clients.get(id);
        if (client === undefined) continue;
        const keys = client.noloop ? pending.filter(([, writer]) => writer !== id) : pending;
        if (keys.length > 0) this.send(id, client, array(keys.map(([key]) => bulk(key))), index);
      }
    }
  }

  /** Sends one invalidation (`payload`: the keys, or NIL for every key) for client `id`, to it or where it redirects. */
  private send(id: number, client: TrackingClient, payload: Reply, index: number): void {
    // Just after the entry: its writer's reply comes first (connection.ts writes a message
    // before the replies of writes at or after its index).
    const at = index + 0.5;
    if (client.redirect !== 0) {
      const target = this.receiver(client.redirect);
      if (target === undefined) {
        client.brokenRedirect = true;
        const self = this.receiver(id);
        if (self?.protocol === 3) self.deliver([bulk("tracking-redir-broken"), integer(client.redirect)], at);
        return;
      }
      if (target.protocol === 3) target.deliver([bulk("invalidate"), payload], at);
      else if (target.subscribed()) target.deliver([bulk("message"), bulk(INVALIDATION_CHANNEL), payload], at);
      return;
    }
    const self = this.receiver(id);
    if (self?.protocol === 3) self.deliver([bulk("invalidate"), payload], at);
  }

  /** Keeps the table within keysMax: the oldest keys are invalidated, as Redis' tracking-table-max-keys does. */
  private limitKeys(): void {
    while (this.keysMax > 0 && this.keys.size > this.keysMax) {
      const oldest = this.keys.keys().next().value as ByteString;
      const holders = this.keys.get(oldest) as Map<number, number>;
      if ([...holders.values()].some((pins) => pins > 0)) return; // a read still runs on it: next time
      this.invalidateKey(oldest, this.engine.appliedIndex, 0);
    }
  }
}

/** Byte order (ByteStrings hold one byte per character), as Redis' radix trees sort. */
function compareBytes(left: ByteString, right: ByteString): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Two prefixes overlap when one starts the other: a key under both would be announced twice. */
function overlaps(left: ByteString, right: ByteString): boolean {
  return left.startsWith(right) || right.startsWith(left);
}

/** Redis' prefix checks: each new prefix against the client's (in order), then against the later new ones. */
function prefixCollision(existing: readonly ByteString[], added: readonly ByteString[]): Reply | null {
  for (let index = 0; index < added.length; index++) {
    const prefix = added[index] as ByteString;
    const taken = existing.find((other) => overlaps(other, prefix));
    if (taken !== undefined) return error("ERR", `Prefix '${prefix}' overlaps with an existing prefix '${taken}'. Prefixes for a single client must not overlap.`);
    for (const later of added.slice(index + 1)) {
      if (overlaps(prefix, later)) return error("ERR", `Prefix '${prefix}' overlaps with another provided prefix '${later}'. Prefixes for a single client must not overlap.`);
    }
  }
  return null;
}
