import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { bulk, integer, NIL_ARRAY, type Reply } from "../engine/reply.js";
import { formatFixed } from "./geo.js";
import { decodeScore, geohashText, scoreOf, searchCells } from "./geohash.js";
import { read, run } from "./testing.js";

test("a point's score is Redis' 52-bit geohash, and decodes to the middle of its cell", () => {
  // redis-server 7.0: GEOADD g 13.361389 38.115556 Palermo; ZSCORE g Palermo
  assert.equal(scoreOf(13.361389, 38.115556), 3479099956230698);
  const [longitude, latitude] = decodeScore(3479099956230698);
  assert.ok(Math.abs(longitude - 13.361389) < 1e-5 && Math.abs(latitude - 38.115556) < 1e-5);
  assert.equal(geohashText(3479099956230698), "sqc8b49rny0");
  assert.equal(scoreOf(181, 0), null);
  assert.equal(scoreOf(0, 85.06), null);
});

test("every point survives encode and decode within its cell (about 0.6 m at step 26)", () => {
  for (let longitude = -180; longitude <= 180; longitude += 7.3) {
    for (let latitude = -85; latitude <= 85; latitude += 4.1) {
      const [decodedLongitude, decodedLatitude] = decodeScore(scoreOf(longitude, latitude)!);
      assert.ok(Math.abs(decodedLongitude - longitude) < 360 / 2 ** 26, `longitude ${longitude}`);
      assert.ok(Math.abs(decodedLatitude - latitude) < 171 / 2 ** 26, `latitude ${latitude}`);
    }
  }
});

test("%.4f rounds the exact binary value half to even, as C does", () => {
  assert.equal(formatFixed(1.03125, 4), "1.0312", "an exact tie goes to the even digit");
  assert.equal(formatFixed(1.03135, 4), "1.0313", "1.03135 is slightly below the tie in binary");
  assert.equal(formatFixed(0, 4), "0.0000");
  assert.equal(formatFixed(166274.15156960033, 4), "166274.1516");
  assert.equal(formatFixed(-2.5, 0), "-2");
});

test("a search covers its shape with the centre cell and the neighbours it reaches", () => {
  const small = searchCells({ type: "radius", longitude: 15, latitude: 37, radius: 1, toMeters: 1000 });
  assert.ok(small.length >= 1 && small.length <= 9);
  assert.ok(small.every((cell) => cell.step >= 1 && cell.step <= 26));
  const whole = searchCells({ type: "radius", longitude: 15, latitude: 37, radius: 20000, toMeters: 1000 });
  assert.ok(whole.every((cell) => cell.step === 1), "a radius of half the earth searches the coarsest cells");
});

test("GEOADD writes through ZADD (NX XX CH), and GEOPOS/GEODIST read the places back", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"), integer(2));
  assert.deepEqual(run(engine, "GEOADD g XX CH 13.4 38.1 Palermo 1 1 new"), integer(1));
  assert.deepEqual(read(engine, "ZCARD g"), integer(2));
  assert.deepEqual(read(engine, "TYPE g"), { type: "status", text: "zset" });
  const positions = read(engine, "GEOPOS g Catania nosuch") as { items: Reply[] };
  assert.deepEqual(positions.items[1], NIL_ARRAY);
  const catania = (positions.items[0] as { items: Array<{ text?: string }> }).items;
  assert.deepEqual(catania.map((coordinate) => coordinate.text), ["15.08726745843887329", "37.50266842333162032"]);
  run(engine, "GEOADD g 13.361389 38.115556 Palermo");
  assert.deepEqual(read(engine, "GEODIST g Palermo Catania km"), bulk("166.2742"));
});

test("GEOSEARCHSTORE stores members with their geohash or, with STOREDIST, their distance", () => {
  const engine = new Engine();
  run(engine, "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 2.3522 48.8566 Paris");
  assert.deepEqual(run(engine, "GEOSEARCHSTORE near g FROMLONLAT 15 37 BYRADIUS 200 km ASC"), integer(2));
  assert.deepEqual(read(engine, "ZSCORE near Palermo"), { type: "double", value: 3479099956230698 });
  assert.deepEqual(run(engine, "GEOSEARCHSTORE near g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST"), integer(2));
  const score = read(engine, "ZSCORE near Catania") as { value: number };
  assert.ok(Math.abs(score.value - 56.4413) < 1e-3);
  assert.deepEqual(run(engine, "GEOSEARCHSTORE near g FROMLONLAT 0 0 BYRADIUS 1 m"), integer(0));
  assert.deepEqual(read(engine, "EXISTS near"), integer(0));
});
