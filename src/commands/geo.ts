/**
 * The GEO commands on sorted sets, as Redis 7.0 has them: GEOADD GEODIST GEOHASH GEOPOS
 * GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER and the _RO variants. A place is
 * a member whose score is its 52-bit geohash (geohash.ts), so every sorted-set command
 * works on a geo set too.
 *
 * Replies are Redis': distances "%.4f" (bulk strings in RESP2 and RESP3), coordinates
 * "%.17Lf" with trailing zeros dropped (RESP3 doubles), hashes as integers. A search
 * reads the 9 cells around the centre in Redis' order, so an unsorted reply lists members
 * in the same order as redis-server; ASC/DESC sort by distance (members at the very same
 * distance may come in another order than Redis', whose qsort is not stable).
 *
 * GEORADIUS and GEORADIUSBYMEMBER are writes (their STORE option writes), as in Redis.
 */
import type { ByteString } from "../engine/bytes.js";
import { SortedSet } from "../engine/sorted_set.js";
import { isWord, NOT_A_FLOAT, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { formatLongDouble } from "./long_double.js";
import { array, bulk, error, integer, NIL, NIL_ARRAY, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";
import { parseScore } from "./scores.js";
import { isReply, readSortedSet, replaceWithSortedSet } from "./sorted_set_access.js";
import { scoreWindow } from "./sorted_set_ranges.js";
import { zaddGeneric } from "./sorted_sets.js";
import {
  decodeScore,
  distance,
  distanceIfInside,
  geohashText,
  LATITUDE_MAX,
  LATITUDE_MIN,
  LONGITUDE_MAX,
  LONGITUDE_MIN,
  scoreOf,
  scoreRangeOf,
  searchCells,
  type Shape,
} from "./geohash.js";

const UNITS: ReadonlyMap<string, number> = new Map([
  ["m", 1],
  ["km", 1000],
  ["ft", 0.3048],
  ["mi", 1609.34],
]);

const BAD_UNIT: Reply = Object.freeze(error("ERR", "unsupported unit provided. please use M, KM, FT, MI"));
const BAD_MEMBER: Reply = Object.freeze(error("ERR", "could not decode requested zset member"));

// ---- number formats ----

/** C's "%.<decimals>f" of a double: the exact binary value rounded half to even. */
export function formatFixed(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
  const { significand, exponent } = exactParts(Math.abs(value));
  const magnitude = significand * 10n ** BigInt(decimals);
  let scaled: bigint;
  if (exponent >= 0) scaled = magnitude << BigInt(exponent);
  else {
    const divisor = 1n << BigInt(-exponent);
    scaled = magnitude / divisor;
    const twice = (magnitude - scaled * divisor) * 2n;
    if (twice > divisor || (twice === divisor && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const digits = scaled.toString().padStart(decimals + 1, "0");
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return value < 0 || Object.is(value, -0) ? `-${text}` : text;
}

/** |value| = significand × 2^exponent, exactly. */
function exactParts(value: number): { significand: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  let significand = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) significand |= 1n << 52n;
  return { significand, exponent: (biased === 0 ? 1 : biased) - 1075 };
}

/** A coordinate as GEOPOS and WITHCOORD send it: "%.17Lf", trailing zeros dropped. */
function coordinateReply(value: number): Reply {
  const { significand, exponent } = exactParts(Math.abs(value));
  return { type: "double", value, text: formatLongDouble({ negative: value < 0, significand, exponent }) };
}

/** A distance: "%.4f", a bulk string in both protocols. */
function distanceReply(meters: number): Reply {
  return bulk(formatFixed(meters, 4));
}

// ---- argument helpers ----

/** GEO's longitude, latitude pair, or the error Redis answers. */
function parseLongitudeLatitude(longitudeText: ByteString, latitudeText: ByteString): [number, number] | Reply {
  const longitude = parseScore(longitudeText);
  if (longitude === null) return NOT_A_FLOAT;
  const latitude = parseScore(latitudeText);
  if (latitude === null) return NOT_A_FLOAT;
  if (longitude < LONGITUDE_MIN || longitude > LONGITUDE_MAX || latitude < LATITUDE_MIN || latitude > LATITUDE_MAX) {
    return error("ERR", `invalid longitude,latitude pair ${formatFixed(longitude, 6)},${formatFixed(latitude, 6)}`);
  }
  return [longitude, latitude];
}

function parseUnit(text: ByteString): number | Reply {
  return UNITS.get(text.toLowerCase()) ?? BAD_UNIT;
}

function parseRadius(radiusText: ByteString, unitText: ByteString): { radius: number; toMeters: number } | Reply {
  const radius = parseScore(radiusText);
  if (radius === null) return error("ERR", "need numeric radius");
  if (radius < 0) return error("ERR", "radius cannot be negative");
  const toMeters = parseUnit(unitText);
  return typeof toMeters === "number" ? { radius, toMeters } : toMeters;
}

function parseBox(widthText: ByteString, heightText: ByteString, unitText: ByteString): { width: number; height: number; toMeters: number } | Reply {
  const width = parseScore(widthText);
  if (width === null) return error("ERR", "need numeric width");
  const height = parseScore(heightText);
  if (height === null) return error("ERR", "need numeric height");
  if (height < 0 || width < 0) return error("ERR", "height or width cannot be negative");
  const toMeters = parseUnit(unitText);
  return typeof toMeters === "number" ? { width, height, toMeters } : toMeters;
}

// ---- GEOADD, GEODIST, GEOHASH, GEOPOS ----

function geoadd(ctx: CommandContext, args: ByteString[]): Reply {
  let first = 1;
  let nx = false;
  let xx = false;
  for (; first < args.length; first++) {
    const word = args[first]!;
    if (isWord(word, "NX")) nx = true;
    else if (isWord(word, "XX")) xx = true;
    else if (!isWord(word, "CH")) break;
  }
  if ((args.length - first) % 3 !== 0 || (nx && xx)) return SYNTAX_ERROR;
  const zaddArgs = args.slice(0, first);
  for (let at = first; at < args.length; at += 3) {
    const point = parseLongitudeLatitude(args[at]!, args[at + 1]!);
    if (isReply(point)) return point;
    const score = scoreOf(point[0], point[1]);
    if (score === null) return error("ERR", `invalid longitude,latitude pair ${formatFixed(point[0], 6)},${formatFixed(point[1], 6)}`);
    zaddArgs.push(String(score), args[at + 2]!);
  }
  return zaddGeneric(ctx, zaddArgs, { incr: false, flags: true });
}

function geodist(ctx: CommandContext, args: ByteString[]): Reply {
  let toMeters = 1;
  if (args.length === 4) {
    const unit = parseUnit(args[3]!);
    if (typeof unit !== "number") return unit;
    toMeters = unit;
  } else if (args.length > 4) return SYNTAX_ERROR;
  const sorted = readSortedSet(ctx, args[0]!);
  if (isReply(sorted)) return sorted;
  const first = sorted?.score(args[1]!);
  const second = sorted?.score(args[2]!);
  if (first === undefined || second === undefined) return NIL;
  const [longitude1, latitude1] = decodeScore(first);
  const [longitude2, latitude2] = decodeScore(second);
  return distanceReply(distance(longitude1, latitude1, longitude2, latitude2) / toMeters);
}

function geohash(ctx: CommandContext, args: ByteString[]): Reply {
  const sorted = readSortedSet(ctx, args[0]!);
  if (isReply(sorted)) return sorted;
  return array(
    args.slice(1).map((member) => {
      const score = sorted?.score(member);
      const text = score === undefined ? null : geohashText(score);
      return text === null ? NIL : bulk(text);
    }),
  );
}

function geopos(ctx: CommandContext, args: ByteString[]): Reply {
  const sorted = readSortedSet(ctx, args[0]!);
  if (isReply(sorted)) return sorted;
  return array(
    args.slice(1).map((member) => {
      const score = sorted?.score(member);
      if (score === undefined) return NIL_ARRAY;
      const [longitude, latitude] = decodeScore(score);
      return array([coordinateReply(longitude), coordinateReply(latitude)]);
    }),
  );
}

// ---- GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER ----

type SearchForm = "radius" | "radius-member" | "search";

interface SearchVariant {
  form: SearchForm;
  /** The _RO variants: no STORE / STOREDIST. */
  readOnly: boolean;
  /** GEOSEARCHSTORE: the destination is args[0], the source args[1]. */
  store: boolean;
  name: string;
}

interface Found {
  member: ByteString;
  score: number;
  meters: number;
  longitude: number;
  latitude: number;
}

interface SearchOptions {
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  any: boolean;
  count: number;
  sort: "none" | "asc" | "desc";
  storeKey: ByteString | null;
  storeDist: boolean;
}

/** The members inside `shape`, cell by cell in Redis' order; with `limit` > 0 it stops there (ANY). */
function membersInside(sorted: SortedSet, shape: Shape, limit: number): Found[] {
  const found: Found[] = [];
  for (const cell of searchCells(shape)) {
    if (found.length > 0 && limit > 0 && found.length >= limit) break;
    const [min, max] = scoreRangeOf(cell);
    const window = scoreWindow(sorted, { min: { value: min, exclusive: false }, max: { value: max, exclusive: true } });
    for (const [member, score] of sorted.slice(window.first, window.end - window.first)) {
      const [longitude, latitude] = decodeScore(score);
      const meters = distanceIfInside(shape, longitude, latitude);
      if (meters === null) continue;
      found.push({ member, score, meters, longitude, latitude });
      if (limit > 0 && found.length >= limit) break;
    }
  }
  return found;
}

function search(ctx: CommandContext, args: ByteString[], variant: SearchVariant): Reply {
  const sourceKey = variant.store ? args[1]! : args[0]!;
  const sorted = readSortedSet(ctx, sourceKey);
  if (isReply(sorted)) return sorted;
  let centre: [number, number] | null = null;
  let size: { radius: number; toMeters: number } | { width: number; height: number; toMeters: number } | null = null;
  let optionsAt: number;
  if (variant.form === "radius") {
    optionsAt = 5;
    const point = parseLongitudeLatitude(args[1]!, args[2]!);
    if (isReply(point)) return point;
    centre = point;
    const radius = parseRadius(args[3]!, args[4]!);
    if (isReply(radius)) return radius;
    size = radius;
  } else if (variant.form === "radius-member") {
    optionsAt = 4;
    if (sorted !== undefined) {
      const score = sorted.score(args[1]!);
      if (score === undefined) return BAD_MEMBER;
      centre = decodeScore(score);
      const radius = parseRadius(args[2]!, args[3]!);
      if (isReply(radius)) return radius;
      size = radius;
    }
  } else optionsAt = variant.store ? 2 : 1;

  const options: SearchOptions = { withDist: false, withHash: false, withCoord: false, any: false, count: 0, sort: "none", storeKey: variant.store ? args[0]! : null, storeDist: false };
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  const isSearch = variant.form === "search";
  for (let at = optionsAt; at < args.length; at++) {
    const word = args[at]!;
    const left = args.length - at - 1;
    if (isWord(word, "WITHDIST")) options.withDist = true;
    else if (isWord(word, "WITHHASH")) options.withHash = true;
    else if (isWord(word, "WITHCOORD")) options.withCoord = true;
    else if (isWord(word, "ANY")) options.any = true;
    else if (isWord(word, "ASC")) options.sort = "asc";
    else if (isWord(word, "DESC")) options.sort = "desc";
    else if (isWord(word, "COUNT") && left >= 1) {
      const count = parseLong(args[at + 1]!);
      if (count === null) return NOT_AN_INTEGER;
      if (count <= 0) return error("ERR", "COUNT must be > 0");
      options.count = count;
      at += 1;
    } else if ((isWord(word, "STORE") || isWord(word, "STOREDIST")) && left >= 1 && !variant.readOnly && !isSearch) {
      options.storeKey = args[at + 1]!;
      options.storeDist = isWord(word, "STOREDIST");
      at += 1;
    } else if (isWord(word, "STOREDIST") && isSearch && variant.store) options.storeDist = true;
    else if (isWord(word, "FROMMEMBER") && left >= 1 && isSearch && !fromLonLat) {
      if (sorted !== undefined) {
        const score = sorted.score(args[at + 1]!);
        if (score === undefined) return BAD_MEMBER;
        centre = decodeScore(score);
      }
      fromMember = true;
      at += 1;
    } else if (isWord(word, "FROMLONLAT") && left >= 2 && isSearch && !fromMember) {
      const point = parseLongitudeLatitude(args[at + 1]!, args[at + 2]!);
      if (isReply(point)) return point;
      centre = point;
      fromLonLat = true;
      at += 2;
    } else if (isWord(word, "BYRADIUS") && left >= 2 && isSearch && !byBox) {
      const radius = parseRadius(args[at + 1]!, args[at + 2]!);
      if (isReply(radius)) return radius;
      size = radius;
      byRadius = true;
      at += 2;
    } else if (isWord(word, "BYBOX") && left >= 3 && isSearch && !byRadius) {
      const box = parseBox(args[at + 1]!, args[at + 2]!, args[at + 3]!);
      if (isReply(box)) return box;
      size = box;
      byBox = true;
      at += 3;
    } else return SYNTAX_ERROR;
  }
  if (options.storeKey !== null && (options.withDist || options.withHash || options.withCoord)) {
    const what = variant.store ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    return error("ERR", `${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (isSearch && !(fromMember || fromLonLat)) return error("ERR", `exactly one of FROMMEMBER or FROMLONLAT can be specified for ${variant.name.toLowerCase()}`);
  if (isSearch && !(byRadius || byBox)) return error("ERR", `exactly one of BYRADIUS and BYBOX can be specified for ${variant.name.toLowerCase()}`);
  if (options.any && options.count === 0) return error("ERR", "the ANY argument requires COUNT argument");
  if (sorted === undefined) {
    if (options.storeKey === null) return array([]);
    return integer(replaceWithSortedSet(ctx, options.storeKey, new SortedSet()));
  }
  if (options.count !== 0 && options.sort === "none" && !options.any) options.sort = "asc";
  const shape = shapeOf(centre!, size!);
  const found = membersInside(sorted, shape, options.any ? options.count : 0);
  if (found.length === 0 && options.storeKey === null) return array([]);
  if (options.sort !== "none") {
    const direction = options.sort === "asc" ? 1 : -1;
    found.sort((a, b) => direction * (a.meters - b.meters));
  }
  const returned = found.slice(0, options.count === 0 ? found.length : options.count);
  if (options.storeKey === null) return array(returned.map((point) => searchResultReply(point, shape.toMeters, options)));
  const stored = new SortedSet();
  for (const point of returned) stored.add(point.member, options.storeDist ? point.meters / shape.toMeters : point.score);
  return integer(replaceWithSortedSet(ctx, options.storeKey, stored));
}

function shapeOf(centre: [number, number], size: { radius: number; toMeters: number } | { width: number; height: number; toMeters: number }): Shape {
  const [longitude, latitude] = centre;
  if ("radius" in size) return { type: "radius", longitude, latitude, radius: size.radius, toMeters: size.toMeters };
  return { type: "box", longitude, latitude, width: size.width, height: size.height, toMeters: size.toMeters };
}

function searchResultReply(point: Found, toMeters: number, options: SearchOptions): Reply {
  if (!options.withDist && !options.withHash && !options.withCoord) return bulk(point.member);
  const items: Reply[] = [bulk(point.member)];
  if (options.withDist) items.push(distanceReply(point.meters / toMeters));
  if (options.withHash) items.push(integer(point.score));
  if (options.withCoord) items.push(array([coordinateReply(point.longitude), coordinateReply(point.latitude)]));
  return array(items);
}

function parseLong(text: ByteString): number | null {
  return /^(0|-?[1-9][0-9]{0,18})$/.test(text) && BigInt(text) <= 2n ** 63n - 1n && BigInt(text) >= -(2n ** 63n) ? Number(text) : null;
}

// ---- the table ----

function searchCommand(name: string, arity: number, variant: Omit<SearchVariant, "name">, summary: string): CommandSpec {
  // GEOSEARCHSTORE, GEORADIUS and GEORADIUSBYMEMBER may store: writes, as in Redis.
  const writes = variant.store || (!variant.readOnly && variant.form !== "search");
  return defineCommand({
    name,
    arity,
    // GEORADIUS and GEORADIUSBYMEMBER take a STORE key anywhere in their options: movablekeys, as in Redis.
    flags: writes ? (variant.store ? ["write", "denyoom"] : ["write", "denyoom", "movablekeys"]) : ["readonly"],
    lastKey: variant.store ? 2 : 1,
    summary,
    run: (ctx, args) => search(ctx, args, { ...variant, name }),
  });
}

export const geoCommands: CommandSpec[] = [
  defineCommand({ name: "GEOADD", arity: -5, flags: ["write", "denyoom"], summary: "Adds places (longitude, latitude, member) to a geo sorted set (NX XX CH).", run: geoadd }),
  defineCommand({ name: "GEODIST", arity: -4, flags: ["readonly"], summary: "Returns the distance between two places (M KM FT MI).", run: geodist }),
  defineCommand({ name: "GEOHASH", arity: -2, flags: ["readonly"], summary: "Returns places as standard 11-character geohashes.", run: geohash }),
  defineCommand({ name: "GEOPOS", arity: -2, flags: ["readonly"], summary: "Returns the longitude and latitude of places.", run: geopos }),
  searchCommand("GEOSEARCH", -7, { form: "search", readOnly: true, store: false }, "Returns places within a radius or box of a member or a point."),
  searchCommand("GEOSEARCHSTORE", -8, { form: "search", readOnly: false, store: true }, "Stores the places within a radius or box as a sorted set; how many."),
  searchCommand("GEORADIUS", -6, { form: "radius", readOnly: false, store: false }, "Returns places within a radius of a point (STORE writes them)."),
  searchCommand("GEORADIUS_RO", -6, { form: "radius", readOnly: true, store: false }, "Returns places within a radius of a point."),
  searchCommand("GEORADIUSBYMEMBER", -5, { form: "radius-member", readOnly: false, store: false }, "Returns places within a radius of a member (STORE writes them)."),
  searchCommand("GEORADIUSBYMEMBER_RO", -5, { form: "radius-member", readOnly: true, store: false }, "Returns places within a radius of a member."),
];
