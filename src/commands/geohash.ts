/**
 * Redis' geohash, the arithmetic behind the GEO commands (geo.ts): a longitude and a
 * latitude become a 52-bit integer score of a sorted set, and back.
 *
 * - Encoding at `step` bits per axis: each coordinate's offset in its range, scaled to
 *   2^step and truncated to an integer, then the two interleaved: latitude bits in the
 *   even positions, longitude bits in the odd ones. Scores use step 26 (52 bits) over
 *   longitude [-180, 180] and latitude [-85.05112878, 85.05112878] (the Web Mercator
 *   limits); GEOHASH re-encodes over [-90, 90] for the standard base-32 text.
 * - Decoding gives the cell's bounds; a point is the middle of its cell.
 * - A search covers its shape with the cell holding the centre and its 8 neighbours, at
 *   a step chosen from the radius (cells near the shape's size), dropping neighbours the
 *   shape cannot reach. Members are read box by box in that order (centre, N, S, E, W,
 *   NE, NW, SE, SW), which is the order of an unsorted GEOSEARCH reply.
 * - Distances are haversine on a sphere of radius 6372797.560856 m.
 *
 * Bit operations on 52-bit hashes use bigints (JavaScript's bitwise operators stop at 32).
 */

export const LONGITUDE_MIN = -180;
export const LONGITUDE_MAX = 180;
export const LATITUDE_MIN = -85.05112878;
export const LATITUDE_MAX = 85.05112878;
/** Bits per axis in a score. */
export const STEP_MAX = 26;

const EARTH_RADIUS_METERS = 6372797.560856;
/** Half the equator in Web Mercator metres: where the step estimate starts. */
const MERCATOR_MAX = 20037726.37;
const DEGREES_TO_RADIANS = Math.PI / 180.0;

export interface Range {
  min: number;
  max: number;
}

const WGS84_LONGITUDE: Range = { min: LONGITUDE_MIN, max: LONGITUDE_MAX };
const WGS84_LATITUDE: Range = { min: LATITUDE_MIN, max: LATITUDE_MAX };

/** A cell: its interleaved bits and its step (bits per axis). step 0 marks a dropped neighbour. */
export interface Cell {
  bits: bigint;
  step: number;
}

interface Area {
  longitude: Range;
  latitude: Range;
}

const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;
const UINT64 = (1n << 64n) - 1n;

/** Spreads the 32 bits of `value` to the even positions of a 64-bit integer. */
function spread(value: number): bigint {
  let result = 0n;
  for (let bit = 0; bit < 32; bit++) if ((value >>> bit) & 1) result |= 1n << BigInt(2 * bit);
  return result;
}

/** Gathers the even-position bits of a 64-bit integer into 32 bits. */
function gather(value: bigint): number {
  let result = 0;
  for (let bit = 0; bit < 32; bit++) if ((value >> BigInt(2 * bit)) & 1n) result += 2 ** bit;
  return result;
}

/** The cell of (longitude, latitude) at `step`, or null outside the ranges. */
export function encode(longitude: number, latitude: number, step: number, ranges = { longitude: WGS84_LONGITUDE, latitude: WGS84_LATITUDE }): Cell | null {
  if (longitude > LONGITUDE_MAX || longitude < LONGITUDE_MIN || latitude > LATITUDE_MAX || latitude < LATITUDE_MIN) return null;
  const { longitude: longitudeRange, latitude: latitudeRange } = ranges;
  if (latitude < latitudeRange.min || latitude > latitudeRange.max || longitude < longitudeRange.min || longitude > longitudeRange.max) return null;
  const scale = 2 ** step;
  // C truncates the scaled offsets to uint32.
  const latitudeOffset = Math.trunc(((latitude - latitudeRange.min) / (latitudeRange.max - latitudeRange.min)) * scale) >>> 0;
  const longitudeOffset = Math.trunc(((longitude - longitudeRange.min) / (longitudeRange.max - longitudeRange.min)) * scale) >>> 0;
  return { bits: spread(latitudeOffset) | (spread(longitudeOffset) << 1n), step };
}

/** A cell's bits left-aligned to 52 bits: a sorted set score. */
export function alignTo52Bits(cell: Cell): bigint {
  return (cell.bits << BigInt(52 - cell.step * 2)) & UINT64;
}

/** The score of a point (GEOADD). */
export function scoreOf(longitude: number, latitude: number): number | null {
  const cell = encode(longitude, latitude, STEP_MAX);
  return cell === null ? null : Number(alignTo52Bits(cell));
}

function decodeArea(cell: Cell, ranges = { longitude: WGS84_LONGITUDE, latitude: WGS84_LATITUDE }): Area {
  const latitudeIndex = gather(cell.bits);
  const longitudeIndex = gather(cell.bits >> 1n);
  const scale = 2 ** cell.step;
  const latitudeSpan = ranges.latitude.max - ranges.latitude.min;
  const longitudeSpan = ranges.longitude.max - ranges.longitude.min;
  return {
    latitude: {
      min: ranges.latitude.min + (latitudeIndex * 1.0 / scale) * latitudeSpan,
      max: ranges.latitude.min + ((latitudeIndex + 1) * 1.0 / scale) * latitudeSpan,
    },
    longitude: {
      min: ranges.longitude.min + (longitudeIndex * 1.0 / scale) * longitudeSpan,
      max: ranges.longitude.min + ((longitudeIndex + 1) * 1.0 / scale) * longitudeSpan,
    },
  };
}

const TWO_TO_63 = 2 ** 63;
/** x86-64's answer when a double does not fit a signed 64-bit integer (cvttsd2si's "integer indefinite"). */
const INTEGER_INDEFINITE = 1n << 63n;

/** C's signed conversion on x86-64: truncation, or the indefinite value outside the range. */
function truncateToInt64(value: number): bigint {
  return Number.isFinite(value) && value > -TWO_TO_63 - 1 && value < TWO_TO_63 ? BigInt(Math.trunc(value)) : INTEGER_INDEFINITE;
}

/**
 * The integer a score holds as Redis reads it: C's (uint64_t) cast of the double as gcc
 * compiles it on x86-64 (a negative score wraps around, -3 reads as 2^64 - 3; from 2^63 up
 * the conversion subtracts 2^63 first and sets the top bit again), so that GEOPOS of a
 * member whose score is no geohash answers what redis-server answers.
 */
function scoreBits(score: number): bigint {
  if (score < TWO_TO_63) return BigInt.asUintN(64, truncateToInt64(score));
  return BigInt.asUintN(64, truncateToInt64(score - TWO_TO_63) ^ INTEGER_INDEFINITE);
}

/** The point a score stands for: the middle of its cell, clamped to the ranges. [longitude, latitude]. */
export function decodeScore(score: number): [number, number] {
  const area = decodeArea({ bits: scoreBits(score), step: STEP_MAX });
  const longitude = Math.min(Math.max((area.longitude.min + area.longitude.max) / 2, LONGITUDE_MIN), LONGITUDE_MAX);
  const latitude = Math.min(Math.max((area.latitude.min + area.latitude.max) / 2, LATITUDE_MIN), LATITUDE_MAX);
  return [longitude, latitude];
}

const BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz";

/** GEOHASH's 11-character standard geohash of a score (the last character is always 0: there are only 52 bits). */
export function geohashText(score: number): string | null {
  const [longitude, latitude] = decodeScore(score);
  const cell = encode(longitude, latitude, STEP_MAX, { longitude: { min: -180, max: 180 }, latitude: { min: -90, max: 90 } });
  if (cell === null) return null;
  let text = "";
  for (let index = 0; index < 11; index++) {
    const digit = index === 10 ? 0 : Number((cell.bits >> BigInt(52 - (index + 1) * 5)) & 0x1fn);
    text += BASE32[digit];
  }
  return text;
}

function toRadians(degrees: number): number {
  return degrees * DEGREES_TO_RADIANS;
}

function toDegrees(radians: number): number {
  return radians / DEGREES_TO_RADIANS;
}

/** Haversine distance in metres. */
export function distance(longitude1: number, latitude1: number, longitude2: number, latitude2: number): number {
  const latitude1Radians = toRadians(latitude1);
  const longitude1Radians = toRadians(longitude1);
  const latitude2Radians = toRadians(latitude2);
  const longitude2Radians = toRadians(longitude2);
  const u = Math.sin((latitude2Radians - latitude1Radians) / 2);
  const v = Math.sin((longitude2Radians - longitude1Radians) / 2);
  return 2.0 * EARTH_RADIUS_METERS * Math.asin(Math.sqrt(u * u + Math.cos(latitude1Radians) * Math.cos(latitude2Radians) * v * v));
}

/** A search shape, sizes in its unit; `toMeters` converts them. */
export type Shape =
  | { type: "radius"; longitude: number; latitude: number; radius: number; toMeters: number }
  | { type: "box"; longitude: number; latitude: number; width: number; height: number; toMeters: number };

/** The distance in metres from the shape's centre when the point is inside the shape, else null. */
export function distanceIfInside(shape: Shape, longitude: number, latitude: number): number | null {
  if (shape.type === "radius") {
    const meters = distance(shape.longitude, shape.latitude, longitude, latitude);
    return meters > shape.radius * shape.toMeters ? null : meters;
  }
  const widthMeters = shape.width * shape.toMeters;
  const heightMeters = shape.height * shape.toMeters;
  const longitudeDistance = distance(longitude, latitude, shape.longitude, latitude);
  const latitudeDistance = distance(longitude, latitude, longitude, shape.latitude);
  if (longitudeDistance > widthMeters / 2 || latitudeDistance > heightMeters / 2) return null;
  return distance(shape.longitude, shape.latitude, longitude, latitude);
}

function estimateStep(rangeMeters: number, latitude: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  let range = rangeMeters;
  while (range < MERCATOR_MAX) {
    range *= 2;
    step += 1;
  }
  step -= 2;
  // Meridians converge towards the poles: cells are narrower there.
  if (latitude > 66 || latitude < -66) {
    step -= 1;
    if (latitude > 80 || latitude < -80) step -= 1;
  }
  return Math.min(Math.max(step, 1), 26);
}

/** [min longitude, min latitude, max longitude, max latitude] of the shape. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const height = shape.toMeters * (shape.type === "radius" ? shape.radius : shape.height / 2);
  const width = shape.toMeters * (shape.type === "radius" ? shape.radius : shape.width / 2);
  const latitudeDelta = toDegrees(height / EARTH_RADIUS_METERS);
  const longitudeDeltaTop = toDegrees(width / EARTH_RADIUS_METERS / Math.cos(toRadians(shape.latitude + latitudeDelta)));
  const longitudeDeltaBottom = toDegrees(width / EARTH_RADIUS_METERS / Math.cos(toRadians(shape.latitude - latitudeDelta)));
  const southern = shape.latitude < 0;
  const longitudeDelta = southern ? longitudeDeltaBottom : longitudeDeltaTop;
  return [shape.longitude - longitudeDelta, shape.latitude - latitudeDelta, shape.longitude + longitudeDelta, shape.latitude + latitudeDelta];
}

function moveX(cell: Cell, direction: 1 | -1): Cell {
  const shift = BigInt(64 - cell.step * 2);
  let x = cell.bits & ODD_BITS;
  const y = cell.bits & EVEN_BITS;
  const carry = EVEN_BITS >> shift;
  if (direction > 0) x = (x + (carry + 1n)) & UINT64;
  else x = ((x | carry) - (carry + 1n)) & UINT64;
  x &= ODD_BITS >> shift;
  return { bits: x | y, step: cell.step };
}

function moveY(cell: Cell, direction: 1 | -1): Cell {
  const shift = BigInt(64 - cell.step * 2);
  const x = cell.bits & ODD_BITS;
  let y = cell.bits & EVEN_BITS;
  const carry = ODD_BITS >> shift;
  if (direction > 0) y = (y + (carry + 1n)) & UINT64;
  else y = ((y | carry) - (carry + 1n)) & UINT64;
  y &= EVEN_BITS >> shift;
  return { bits: x | y, step: cell.step };
}

interface Neighbours {
  north: Cell;
  south: Cell;
  east: Cell;
  west: Cell;
  northEast: Cell;
  northWest: Cell;
  southEast: Cell;
  southWest: Cell;
}

function neighboursOf(cell: Cell): Neighbours {
  return {
    east: moveX(cell, 1),
    west: moveX(cell, -1),
    south: moveY(cell, -1),
    north: moveY(cell, 1),
    northWest: moveY(moveX(cell, -1), 1),
    southWest: moveY(moveX(cell, -1), -1),
    northEast: moveY(moveX(cell, 1), 1),
    southEast: moveY(moveX(cell, 1), -1),
  };
}

const DROPPED: Cell = { bits: 0n, step: 0 };

/** The cells to search for `shape`, in Redis' order; dropped neighbours are left out. */
export function searchCells(shape: Shape): Cell[] {
  const [minLongitude, minLatitude, maxLongitude, maxLatitude] = boundingBox(shape);
  const radiusMeters =
    (shape.type === "radius" ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) *
    shape.toMeters;
  let step = estimateStep(radiusMeters, shape.latitude);
  let centre = encode(shape.longitude, shape.latitude, step) ?? DROPPED;
  let neighbours = neighboursOf(centre);
  let area = decodeArea(centre);
  // The estimated step may leave part of the shape outside the 9 cells: then one step coarser.
  const tooFine =
    decodeArea(neighbours.north).latitude.max < maxLatitude ||
    decodeArea(neighbours.south).latitude.min > minLatitude ||
    decodeArea(neighbours.east).longitude.max < maxLongitude ||
    decodeArea(neighbours.west).longitude.min > minLongitude;
  if (step > 1 && tooFine) {
    step -= 1;
    centre = encode(shape.longitude, shape.latitude, step) ?? DROPPED;
    neighbours = neighboursOf(centre);
    area = decodeArea(centre);
  }
  if (step >= 2) {
    if (area.latitude.min < minLatitude) neighbours = { ...neighbours, south: DROPPED, southWest: DROPPED, southEast: DROPPED };
    if (area.latitude.max > maxLatitude) neighbours = { ...neighbours, north: DROPPED, northEast: DROPPED, northWest: DROPPED };
    if (area.longitude.min < minLongitude) neighbours = { ...neighbours, west: DROPPED, southWest: DROPPED, northWest: DROPPED };
    if (area.longitude.max > maxLongitude) neighbours = { ...neighbours, east: DROPPED, southEast: DROPPED, northEast: DROPPED };
  }
  const ordered = [
    centre,
    neighbours.north,
    neighbours.south,
    neighbours.east,
    neighbours.west,
    neighbours.northEast,
    neighbours.northWest,
    neighbours.southEast,
    neighbours.southWest,
  ];
  // Huge radii make neighbours coincide: a cell equal to the last one searched is skipped,
  // except right after the centre (Redis tests its "last processed" index for non-zero).
  const cells: Cell[] = [];
  let lastIndex = 0;
  ordered.forEach((cell, index) => {
    if (cell.bits === 0n && cell.step === 0) return;
    const last = ordered[lastIndex]!;
    if (lastIndex > 0 && cell.bits === last.bits && cell.step === last.step) return;
    cells.push(cell);
    lastIndex = index;
  });
  return cells;
}

/** The scores [min, max) a cell's points have. */
export function scoreRangeOf(cell: Cell): [number, number] {
  return [Number(alignTo52Bits(cell)), Number(alignTo52Bits({ bits: cell.bits + 1n, step: cell.step }))];
}
