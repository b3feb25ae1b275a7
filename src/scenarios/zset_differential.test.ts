/**
 * Sorted sets, byte for byte against redis-server 7.0: the same command lists go to a real
 * redis-server and to a walnut node, over RESP2 and again after HELLO 3, and every reply
 * must be the same bytes — scores, errors and nesting included. The lists cover every
 * sorted-set command, its options, wrong types, bad arguments and edge scores (inf,
 * -inf, exclusive bounds, NaN refusals, "%.17g" spelling of doubles).
 *
 * Only deterministic answers are compared: ZRANDMEMBER is asked for counts that leave no
 * choice (a one-member set, a count of the whole set is compared as a set).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation, Random, runSeed } from "./server_fixtures.js";

/** Splits `ZADD k 1 "a b"` into words; "double quoted" words may hold spaces or be empty. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

const SCORES_AND_FLAGS = [
  "ZADD z 1 a 2 b 3 c",
  "ZADD z 0.1 d -0 e 1e20 f inf g -inf h 1e-7 i 123456789.123 j 2.5e-320 k 0x10 l",
  "ZRANGE z 0 -1 WITHSCORES",
  "ZSCORE z d",
  "ZSCORE z e",
  "ZSCORE z nosuch",
  "ZSCORE nosuch a",
  "ZMSCORE z a nosuch g h",
  "ZMSCORE nosuch a b",
  "ZCARD z",
  "ZCARD nosuch",
  "ZADD z NX 10 a 10 new",
  "ZADD z XX 10 a 10 new2",
  "ZADD z XX CH 11 a 3 c",
  "ZADD z GT CH 5 a 20 b",
  "ZADD z LT CH 5 a 20 b",
  "ZADD z GT XX CH 100 a 100 zz",
  "ZADD z CH 1 a 2 b 3 c",
  "ZADD z INCR 2.5 a",
  "ZADD z INCR NX 1 a",
  "ZADD z INCR XX 1 nosuch",
  "ZADD z INCR GT -1 a",
  "ZADD z INCR LT -1 a",
  "ZADD nosuch XX 1 a",
  "ZADD nosuch XX INCR 1 a",
  "EXISTS nosuch",
  "ZADD z XX NX 1 a",
  "ZADD z GT LT 1 a",
  "ZADD z NX GT 1 a",
  "ZADD z NX LT 1 a",
  "ZADD z INCR 1 a 2 b",
  "ZADD z 1 a 2",
  "ZADD z FOO 1 a",
  "ZADD z nan a",
  "ZADD z 1e400 a",
  "ZADD z 1e-400 a",
  'ZADD z " 1" a',
  'ZADD z "1 " a',
  'ZADD z "" a',
  "ZADD z abc a",
  "ZADD z 1",
  "ZADD z",
  "ZINCRBY z 1 a",
  "ZINCRBY z 0.1 b",
  "ZINCRBY z -1e308 c",
  "ZINCRBY newz 5 m",
  "ZINCRBY z abc a",
  "ZADD infz inf m",
  "ZINCRBY infz -inf m",
  "ZADD infz INCR -inf m",
  "ZSCORE infz m",
  "ZINCRBY z 1",
  "ZREM z a nosuch b",
  "ZREM z nosuch",
  "ZREM nosuch a",
  "ZADD one 1 only",
  "ZREM one only",
  "EXISTS one",
  "ZRANGE z 0 -1 WITHSCORES",
];

const RANGES = [
  "ZADD r 1 a 2 b 3 c 4 d 5 e 5 f -inf lo inf hi",
  "ZRANGE r 0 -1",
  "ZRANGE r 0 -1 WITHSCORES",
  "ZRANGE r 2 4 withscores",
  "ZRANGE r -3 -1",
  "ZRANGE r -100 100",
  "ZRANGE r 5 2",
  "ZRANGE r 100 200",
  "ZRANGE r 0 -1 REV WITHSCORES",
  "ZRANGE r 1 3 REV",
  "ZRANGE r 2 4 BYSCORE",
  "ZRANGE r (2 4 BYSCORE WITHSCORES",
  "ZRANGE r (2 (4 BYSCORE",
  "ZRANGE r -inf +inf BYSCORE WITHSCORES",
  "ZRANGE r 4 2 BYSCORE REV WITHSCORES",
  "ZRANGE r +inf -inf BYSCORE REV LIMIT 1 3",
  "ZRANGE r -inf +inf BYSCORE LIMIT 2 2",
  "ZRANGE r -inf +inf BYSCORE LIMIT -1 2",
  "ZRANGE r -inf +inf BYSCORE LIMIT 1 -1",
  "ZRANGE r -inf +inf BYSCORE LIMIT 0 0",
  "ZRANGE r -inf +inf BYSCORE LIMIT 100 1",
  "ZRANGE r 0 -1 LIMIT 0 -1",
  "ZRANGE r 0 -1 LIMIT 0 5",
  "ZRANGE r 0 -1 LIMIT 1",
  "ZRANGE r 0 -1 LIMIT x 1",
  "ZRANGE r 0 -1 REV REV",
  "ZRANGE r 0 -1 BYSCORE BYLEX",
  "ZRANGE r a b",
  "ZRANGE r 0 -1 FOO",
  "ZRANGE r x y BYSCORE",
  "ZRANGE r nan 1 BYSCORE",
  "ZRANGE r (nan 1 BYSCORE",
  'ZRANGE r "" "(" BYSCORE',
  'ZRANGE r " 1" "0x3" BYSCORE',
  "ZRANGE r 1e400 -1e400 BYSCORE REV",
  "ZRANGE r 3 3 BYSCORE",
  "ZRANGE r (3 3 BYSCORE",
  "ZRANGE r 0 -1 BYLEX",
  "ZRANGE r - + BYLEX WITHSCORES",
  "ZRANGE nosuch 0 -1",
  "ZRANGE nosuch 0 -1 WITHSCORES",
  "ZRANGEBYSCORE r 2 4",
  "ZRANGEBYSCORE r 2 4 WITHSCORES LIMIT 1 1",
  "ZRANGEBYSCORE r -inf inf",
  "ZRANGEBYSCORE r 2 4 BYSCORE",
  "ZRANGEBYSCORE r 2 4 REV",
  "ZRANGEBYSCORE r a 4",
  "ZREVRANGEBYSCORE r 4 2 WITHSCORES",
  "ZREVRANGEBYSCORE r +inf -inf LIMIT 0 3",
  "ZREVRANGEBYSCORE r 2 4",
  "ZREVRANGE r 0 2 WITHSCORES",
  "ZREVRANGE r -2 -1",
  "ZREVRANGE r 0 -1 LIMIT 0 1",
  "ZREVRANGE r 0 1 BYSCORE",
  "ZCOUNT r 2 4",
  "ZCOUNT r (2 (4",
  "ZCOUNT r -inf +inf",
  "ZCOUNT r 5 5",
  "ZCOUNT r (5 5",
  "ZCOUNT r 4 2",
  "ZCOUNT r a b",
  "ZCOUNT nosuch 0 1",
  "ZCOUNT nosuch x 1",
  "ZRANK r c",
  "ZRANK r hi",
  "ZRANK r nosuch",
  "ZRANK nosuch a",
  "ZREVRANK r c",
  "ZREVRANK r lo",
  "ZRANK r",
];

const LEX = [
  "ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 g 0 ab",
  "ZRANGEBYLEX l - +",
  "ZRANGEBYLEX l [b [d",
  "ZRANGEBYLEX l (b (d",
  "ZRANGEBYLEX l [a (b",
  "ZRANGEBYLEX l - [c LIMIT 1 2",
  "ZRANGEBYLEX l + -",
  "ZRANGEBYLEX l - -",
  "ZRANGEBYLEX l [c [c",
  "ZRANGEBYLEX l (c [c",
  "ZRANGEBYLEX l [ +",
  'ZRANGEBYLEX l "" +',
  "ZRANGEBYLEX l a b",
  "ZRANGEBYLEX l -a +",
  "ZRANGEBYLEX l - + WITHSCORES",
  "ZRANGEBYLEX l - + BYLEX",
  "ZREVRANGEBYLEX l + -",
  "ZREVRANGEBYLEX l [e (b LIMIT 0 2",
  "ZREVRANGEBYLEX l - +",
  "ZRANGE l [b [e BYLEX",
  "ZRANGE l [e [b BYLEX REV LIMIT 1 10",
  "ZLEXCOUNT l - +",
  "ZLEXCOUNT l [b (e",
  "ZLEXCOUNT l b e",
  "ZLEXCOUNT nosuch - +",
  "ZLEXCOUNT nosuch a b",
  "ZREMRANGEBYLEX l [b (d",
  "ZRANGE l 0 -1",
  "ZREMRANGEBYLEX l x y",
  "ZREMRANGEBYLEX nosuch - +",
  "ZREMRANGEBYLEX l - +",
  "EXISTS l",
];

const REMOVALS_AND_POPS = [
  "ZADD d 1 a 2 b 3 c 4 d 5 e 6 f",
  "ZREMRANGEBYRANK d 0 1",
  "ZREMRANGEBYRANK d -1 -1",
  "ZREMRANGEBYRANK d 5 10",
  "ZREMRANGEBYRANK d x 1",
  "ZREMRANGEBYRANK nosuch 0 -1",
  "ZRANGE d 0 -1 WITHSCORES",
  "ZREMRANGEBYSCORE d (3 4",
  "ZREMRANGEBYSCORE d a b",
  "ZREMRANGEBYSCORE nosuch a b",
  "ZREMRANGEBYSCORE nosuch 0 1",
  "ZRANGE d 0 -1 WITHSCORES",
  "ZREMRANGEBYSCORE d -inf +inf",
  "EXISTS d",
  "ZADD p 1 a 2 b 3 c 4 d 5 e",
  "ZPOPMIN p",
  "ZPOPMAX p",
  "ZPOPMIN p 2",
  "ZPOPMAX p 0",
  "ZPOPMIN p -1",
  "ZPOPMIN p abc",
  "ZPOPMIN p 1 2",
  "ZPOPMAX p 10",
  "EXISTS p",
  "ZPOPMIN p",
  "ZPOPMIN p 3",
  "ZPOPMAX nosuch",
  "ZADD m1 1 a 2 b",
  "ZADD m2 10 x 20 y 30 z",
  "ZMPOP 2 nosuch m2 MAX",
  "ZMPOP 2 nosuch m2 MIN COUNT 5",
  "ZMPOP 1 m1 min count 1",
  "ZMPOP 3 nosuch m2 m1 MAX COUNT 10",
  "ZMPOP 2 nosuch m2 MIN",
  "ZMPOP 0 m1 MIN",
  "ZMPOP abc m1 MIN",
  "ZMPOP 1 m1 FOO",
  "ZMPOP 1 m1",
  "ZMPOP 5 m1 MIN",
  "ZMPOP 1 m1 MIN COUNT 0",
  "ZMPOP 1 m1 MIN COUNT abc",
  "ZMPOP 1 m1 MIN COUNT 1 COUNT 1",
  "ZMPOP 1 m1 MIN COUNT",
  "ZADD single 7.5 only",
  "ZRANDMEMBER single",
  "ZRANDMEMBER single 1",
  "ZRANDMEMBER single -3 WITHSCORES",
  "ZRANDMEMBER single 0",
  "ZRANDMEMBER single 1 WITHSCORES",
  "ZRANDMEMBER nosuch",
  "ZRANDMEMBER nosuch 5",
  "ZRANDMEMBER single abc",
  "ZRANDMEMBER single 1 FOO",
  "ZRANDMEMBER single 1 WITHSCORES x",
  "ZRANDMEMBER single 9223372036854775807 WITHSCORES",
];

const ALGEBRA = [
  "ZADD za 1 a 2 b 3 c",
  "ZADD zb 10 b 20 c 30 d",
  "SADD sa b x",
  "SET str v",
  "ZUNION 2 za zb",
  "ZUNION 2 za zb WITHSCORES",
  "ZUNION 3 za zb sa WITHSCORES",
  "ZUNION 2 za zb WEIGHTS 2 0.5 WITHSCORES",
  "ZUNION 2 za zb AGGREGATE MIN WITHSCORES",
  "ZUNION 2 za zb AGGREGATE max WITHSCORES",
  "ZUNION 2 za nosuch WITHSCORES",
  "ZUNION 2 za zb WEIGHTS 0 inf WITHSCORES",
  "ZUNION 2 za za WEIGHTS inf -inf WITHSCORES",
  "ZUNION 2 za zb WEIGHTS 1",
  "ZUNION 2 za zb WEIGHTS 1 x",
  "ZUNION 2 za zb AGGREGATE foo",
  "ZUNION 2 za zb AGGREGATE",
  "ZUNION 2 za str",
  "ZUNION 2 za str AGGREGATE foo",
  "ZUNION 0 za",
  "ZUNION x za",
  "ZUNION 3 za zb",
  "ZINTER 2 za zb WITHSCORES",
  "ZINTER 2 za sa WITHSCORES",
  "ZINTER 2 za zb WEIGHTS 1 2 AGGREGATE MAX WITHSCORES",
  "ZINTER 2 za nosuch",
  "ZINTER 1 za WITHSCORES",
  "ZDIFF 2 za zb WITHSCORES",
  "ZDIFF 2 za sa",
  "ZDIFF 1 nosuch",
  "ZDIFF 2 za zb WEIGHTS 1 1",
  "ZDIFF 2 za zb AGGREGATE SUM",
  "ZINTERCARD 2 za zb",
  "ZINTERCARD 2 za zb LIMIT 1",
  "ZINTERCARD 2 za zb LIMIT 0",
  "ZINTERCARD 2 za zb LIMIT -1",
  "ZINTERCARD 2 za zb LIMIT x",
  "ZINTERCARD 2 za zb WITHSCORES",
  "ZINTERCARD 0 za",
  "ZINTERCARD 2 za str",
  "ZUNIONSTORE dst 2 za zb",
  "ZRANGE dst 0 -1 WITHSCORES",
  "ZINTERSTORE dst 2 za zb WEIGHTS 2 3",
  "ZRANGE dst 0 -1 WITHSCORES",
  "ZDIFFSTORE dst 2 za zb",
  "ZRANGE dst 0 -1 WITHSCORES",
  "ZUNIONSTORE dst 2 za zb WITHSCORES",
  "ZUNIONSTORE dst 0 za",
  "ZINTERSTORE dst 2 za nosuch",
  "EXISTS dst",
  "SET dst2 string",
  "ZUNIONSTORE dst2 1 za",
  "TYPE dst2",
  "ZRANGESTORE rs za 0 1",
  "ZRANGE rs 0 -1 WITHSCORES",
  "ZRANGESTORE rs zb (10 +inf BYSCORE LIMIT 0 1",
  "ZRANGE rs 0 -1 WITHSCORES",
  "ZRANGESTORE rs za 0 -1 WITHSCORES",
  "ZRANGESTORE rs nosuch 0 -1",
  "EXISTS rs",
  "ZRANGESTORE rs str 0 -1",
];

const WRONG_TYPES = [
  "SET s v",
  "LPUSH list a",
  "SADD set m",
  "ZADD s 1 a",
  "ZADD s x a",
  "ZINCRBY list 1 a",
  "ZREM s a",
  "ZSCORE s a",
  "ZMSCORE s a",
  "ZCARD set",
  "ZCOUNT s 0 1",
  "ZCOUNT s x 1",
  "ZLEXCOUNT s - +",
  "ZRANGE s 0 -1",
  "ZRANGE s x 1",
  "ZRANGEBYSCORE s 0 1",
  "ZRANGEBYLEX s - +",
  "ZREVRANGE s 0 1",
  "ZRANK s a",
  "ZREVRANK s a",
  "ZPOPMIN s",
  "ZPOPMIN s 0",
  "ZPOPMAX list 2",
  "ZMPOP 2 nosuch s MIN",
  "ZRANDMEMBER s",
  "ZRANDMEMBER s 2",
  "ZREMRANGEBYRANK s 0 1",
  "ZREMRANGEBYSCORE s 0 1",
  "ZREMRANGEBYLEX s - +",
  "ZSCAN s 0",
  "ZRANGESTORE d s 0 -1",
  "TYPE s",
  "ZADD zt 1 a",
  "TYPE zt",
  "LPUSH zt x",
  "GET zt",
  "SADD zt x",
];

const SCAN = [
  "ZADD sc 1 a 2 b 3 c 0.5 d 1e30 e",
  "ZSCAN sc 0",
  "ZSCAN sc 0 COUNT 1",
  "ZSCAN sc 0 MATCH [ab]*",
  "ZSCAN sc 0 MATCH nothing*",
  "ZSCAN sc 0 COUNT 0",
  "ZSCAN sc 0 COUNT x",
  "ZSCAN sc 0 TYPE zset",
  "ZSCAN sc 0 MATCH",
  "ZSCAN sc abc",
  "ZSCAN sc -1",
  "ZSCAN nosuch 0",
  "ZSCAN nosuch 0 FOO",
  "ZSCAN nosuch x",
];

const ARITY = [
  "ZADD",
  "ZINCRBY z 1",
  "ZREM z",
  "ZSCORE z",
  "ZMSCORE z",
  "ZCARD",
  "ZCOUNT z 1",
  "ZLEXCOUNT z -",
  "ZRANGE z 0",
  "ZRANGESTORE d z 0",
  "ZRANGEBYSCORE z 0",
  "ZREVRANGE z 0",
  "ZREVRANK z",
  "ZPOPMIN",
  "ZMPOP 1 z",
  "ZRANDMEMBER",
  "ZUNION 1",
  "ZUNIONSTORE d 1",
  "ZINTERCARD 1",
  "ZDIFF 1",
  "ZREMRANGEBYRANK z 0",
  "ZSCAN z",
];


const GEO = [
  "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
  "GEOADD g 2.3522 48.8566 Paris -0.1276 51.5072 London 12.4964 41.9028 Rome -74.006 40.7128 NewYork",
  "GEOADD g 139.6917 35.6895 Tokyo -180 -85.05112878 corner 180 85.05112878 othercorner 0 0 origin",
  "GEOADD g NX 13.361389 38.115556 Palermo 1 1 fresh",
  "GEOADD g XX CH 13.4 38.1 Palermo 2 2 never",
  "GEOADD g CH 13.4 38.1 Palermo",
  "GEOADD g 200 100 bad",
  "GEOADD g 13 -86 bad",
  "GEOADD g 1 abc bad",
  "GEOADD g xx nx 1 2 m",
  "GEOADD g 1 2 m 3",
  "GEOADD g gt 1 2 m",
  "ZRANGE g 0 -1 WITHSCORES",
  "GEOPOS g Palermo Catania nosuch corner othercorner origin",
  "GEOPOS nosuch a",
  // Scores that are no geohash read as C's (uint64_t) cast reads them: -3 wraps around, 2^63 and up, infinities.
  "ZADD odd -3 neg -0.5 half -1e300 huge 1e300 big 9223372036854775808 top 4503599627370496 past inf up -inf down 1e17 far",
  "GEOPOS odd neg half huge big top past up down far",
  "GEOHASH odd neg half huge big top past up down far",
  "GEODIST odd neg far",
  "GEOHASH g Palermo Catania nosuch corner othercorner origin Tokyo",
  "GEOHASH nosuch a b",
  "GEODIST g Palermo Catania",
  "GEODIST g Palermo Catania km",
  "GEODIST g Palermo Catania MI",
  "GEODIST g Palermo Catania ft",
  "GEODIST g Palermo nosuch",
  "GEODIST g Palermo Palermo",
  "GEODIST g corner othercorner",
  "GEODIST g Palermo Catania furlongs",
  "GEODIST g Palermo Catania km extra",
  "GEODIST nosuch a b",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHCOORD WITHDIST WITHHASH",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 2000 km",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 20000 km WITHDIST",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 5000 km COUNT 3",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 5000 km COUNT 2 ANY",
  "GEOSEARCH g FROMMEMBER Paris BYRADIUS 1500 km WITHDIST ASC",
  "GEOSEARCH g FROMMEMBER Paris BYBOX 3000 2000 km WITHDIST ASC",
  "GEOSEARCH g FROMMEMBER Paris BYBOX 3000 2000 km",
  "GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 0 m WITHCOORD",
  "GEOSEARCH g FROMMEMBER nosuch BYRADIUS 10 km",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS -1 km",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS x km",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 parsec",
  "GEOSEARCH g FROMLONLAT 15 37 BYBOX -1 1 km",
  "GEOSEARCH g FROMLONLAT 15 37 BYBOX x 1 km",
  "GEOSEARCH g FROMLONLAT 15 37 BYBOX 1 y km",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km",
  "GEOSEARCH g FROMLONLAT 15 37 FROMMEMBER Paris BYRADIUS 1 km",
  "GEOSEARCH g BYRADIUS 1 km WITHDIST",
  "GEOSEARCH g FROMLONLAT 15 37 WITHDIST",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km ANY",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km COUNT x",
  "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km STORE dst",
  "GEOSEARCH g FROMLONLAT 200 37 BYRADIUS 1 km",
  "GEOSEARCH nosuch FROMMEMBER a BYRADIUS 1 km",
  "GEOSEARCH nosuch FROMLONLAT 15 37 BYRADIUS 1 km",
  "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 2000 km ASC COUNT 3",
  "ZRANGE dst 0 -1 WITHSCORES",
  "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 2000 km STOREDIST",
  "ZRANGE dst 0 -1 WITHSCORES",
  "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 2000 km WITHDIST",
  "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 1 m",
  "EXISTS dst",
  "GEOSEARCHSTORE dst nosuch FROMLONLAT 15 37 BYRADIUS 1 m",
  "GEORADIUS g 15 37 200 km WITHDIST WITHCOORD ASC",
  "GEORADIUS g 15 37 3000 km",
  "GEORADIUS g 15 37 3000 km COUNT 2 DESC",
  "GEORADIUS g 15 37 3000 km STORE rad",
  "ZRANGE rad 0 -1 WITHSCORES",
  "GEORADIUS g 15 37 3000 km STOREDIST rad ASC",
  "ZRANGE rad 0 -1 WITHSCORES",
  "GEORADIUS g 15 37 3000 km STORE rad WITHDIST",
  "GEORADIUS g 15 37 x km",
  "GEORADIUS g 200 37 1 km",
  "GEORADIUS g 15 37 1 km FROMMEMBER x",
  "GEORADIUS nosuch 15 37 1 km",
  "GEORADIUS_RO g 15 37 300 km ASC",
  "GEORADIUS_RO g 15 37 300 km STORE rad",
  "GEORADIUSBYMEMBER g Palermo 300 km WITHDIST ASC",
  "GEORADIUSBYMEMBER g Palermo 300 km",
  "GEORADIUSBYMEMBER g nosuch 300 km",
  "GEORADIUSBYMEMBER g Palermo x km",
  "GEORADIUSBYMEMBER nosuch Palermo x km",
  "GEORADIUSBYMEMBER nosuch Palermo 1 km STORE rad2",
  "GEORADIUSBYMEMBER_RO g Rome 1500 km WITHHASH ASC",
  "GEORADIUSBYMEMBER_RO g Rome 1500 km STOREDIST x",
  "SET str v",
  "GEOADD str 1 1 m",
  "GEOPOS str m",
  "GEOHASH str m",
  "GEODIST str a b",
  "GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km",
  "GEORADIUS str 1 1 1 km",
];


/** 200 members: past Redis' 128-member compact encoding, so its skip list answers. */
const BIG_ZADD = `ZADD big ${Array.from({ length: 200 }, (_, i) => `${(i * 37) % 101} m${i}`).join(" ")}`;

const LARGE_SET = [
  BIG_ZADD,
  "ZCARD big",
  "ZRANGE big 0 9 WITHSCORES",
  "ZRANGE big -10 -1 REV WITHSCORES",
  "ZRANGE big 50 100 BYSCORE LIMIT 10 15 WITHSCORES",
  "ZRANGE big (50 (60 BYSCORE REV",
  "ZCOUNT big 10 20",
  "ZRANK big m150",
  "ZREVRANK big m150",
  "ZSCORE big m199",
  "ZINCRBY big 1000 m0",
  "ZRANGE big -2 -1 WITHSCORES",
  "ZPOPMIN big 3",
  "ZPOPMAX big",
  "ZREMRANGEBYRANK big 10 30",
  "ZREMRANGEBYSCORE big 40 (45",
  "ZCARD big",
  "ZRANGESTORE bigcopy big 0 -1",
  "ZINTERCARD 2 big bigcopy LIMIT 100",
  "ZUNIONSTORE both 2 big bigcopy WEIGHTS 1 -1",
  "ZRANGE both 0 4 WITHSCORES",
  "ZDIFF 2 big bigcopy",
  "ZRANGE big 0 -1 WITHSCORES",
];

const GROUPS: Record<string, string[]> = {
  "scores and flags": SCORES_AND_FLAGS,
  ranges: RANGES,
  lex: LEX,
  "removals and pops": REMOVALS_AND_POPS,
  algebra: ALGEBRA,
  "wrong types": WRONG_TYPES,
  scan: SCAN,
  arity: ARITY,
  geo: GEO,
  "a set past 128 members": LARGE_SET,
};

/** Runs every group on fresh data, returning each reply keyed by group and command. */
async function replies(port: number, protocol: 2 | 3): Promise<Array<[string, string]>> {
  const answered: Array<[string, string]> = [];
  for (const [group, lines] of Object.entries(GROUPS)) {
    const commands = [["FLUSHALL"], ...(protocol === 3 ? [["HELLO", "3"]] : []), ...lines.map(words)];
    const got = await conversation(port, commands);
    const skipped = protocol === 3 ? 2 : 1; // FLUSHALL and HELLO answer differently (server name, version)
    lines.forEach((line, index) => answered.push([`${group} (RESP${protocol}): ${line}`, got[index + skipped]!]));
  }
  return answered;
}

test("every sorted-set command answers byte for byte as redis-server 7.0 does, in RESP2 and RESP3", async (t) => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    for (const protocol of [2, 3] as const) {
      const expected = await replies(redis.port, protocol);
      const actual = await replies(node.respPort, protocol);
      const differences = actual
        .map(([what, reply], index) => ({ what, walnut: reply, redis: expected[index]![1] }))
        .filter((row) => row.walnut !== row.redis);
      if (differences.length > 0) t.diagnostic(JSON.stringify(differences.slice(0, 40), null, 1));
      assert.equal(differences.length, 0, `${differences.length} replies differ from redis-server's (RESP${protocol}); the first: ${JSON.stringify(differences[0])}`);
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test("ZRANDMEMBER with a count of the whole set returns the whole set (any order), as redis-server does", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const commands = [["FLUSHALL"], ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZRANDMEMBER", "z", "10"], ["ZRANDMEMBER", "z", "-5"]];
    for (const port of [redis.port, node.respPort]) {
      const [, , whole, repeated] = await conversation(port, commands);
      const members = whole!.split("\r\n").filter((line) => /^[abc]$/.test(line));
      assert.deepEqual(members.sort(), ["a", "b", "c"], `port ${port}: ${whole}`);
      assert.equal(repeated!.split("\r\n")[0], "*5");
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test("redis-benchmark's ZADD and ZPOPMIN run against walnut without an error", async () => {
  const node = await startTestNode();
  try {
    const bench = await promisify(execFile)("redis-benchmark", ["-p", String(node.respPort), "-t", "zadd,zpopmin", "-n", "20000", "-q"]);
    for (const name of ["ZADD", "ZPOPMIN"]) assert.match(bench.stdout, new RegExp(`${name}: [\\d.]+ requests per second`));
    assert.doesNotMatch(bench.stdout + bench.stderr, /ERR|error/i);
    // redis-benchmark's ZADD adds "element:__rand_int__" members to "myzset"; its ZPOPMIN pops them.
    const [card] = await conversation(node.respPort, [["TYPE", "myzset"]]);
    assert.match(card!, /^\+(zset|none)\r\n$/);
  } finally {
    await node.stop();
  }
});

/** A random command on a few keys, members and scores, so that sequences collide often. */
function randomCommand(random: Random): string[] {
  const key = random.pick(["a", "b", "c"]);
  const member = (): string => random.pick(["m1", "m2", "m3", "m4", "m5", "x", "y", ""]);
  const score = (): string => random.pick(["0", "1", "-1", "2.5", "0.1", "inf", "-inf", "1e10", "-0", "3", "nan"]);
  const bound = (): string => random.pick(["-inf", "+inf", "0", "(0", "1", "(1", "2.5", "(3", "x"]);
  const lex = (): string => random.pick(["-", "+", "[m1", "(m2", "[x", "(y", "m"]);
  const rank = (): string => String(random.between(-6, 6));
  const flags = (): string[] => random.shuffle(["NX", "XX", "GT", "LT", "CH", "INCR"]).slice(0, random.below(3));
  switch (random.below(26)) {
    case 22:
      return ["ZREVRANGEBYLEX", key, lex(), lex(), ...(random.chance(0.5) ? ["LIMIT", rank(), rank()] : [])];
    case 23:
      return ["ZREMRANGEBYLEX", key, lex(), lex()];
    case 24:
      return ["ZINTERSTORE", random.pick(["a", "b", "c", "d"]), "2", key, random.pick(["a", "b", "c"]), "WEIGHTS", score(), score()];
    case 25:
      return ["ZRANGE", key, lex(), lex(), "BYLEX", ...(random.chance(0.5) ? ["REV"] : []), ...(random.chance(0.5) ? ["LIMIT", rank(), rank()] : [])];
    case 0:
    case 1:
      return ["ZADD", key, ...flags(), score(), member(), ...(random.chance(0.5) ? [score(), member()] : [])];
    case 2:
      return ["ZINCRBY", key, score(), member()];
    case 3:
      return ["ZREM", key, member(), member()];
    case 4:
      return ["ZRANGE", key, rank(), rank(), ...(random.chance(0.5) ? ["REV"] : []), ...(random.chance(0.5) ? ["WITHSCORES"] : [])];
    case 5:
      return ["ZRANGE", key, bound(), bound(), "BYSCORE", ...(random.chance(0.3) ? ["REV"] : []), ...(random.chance(0.5) ? ["LIMIT", rank(), rank()] : []), "WITHSCORES"];
    case 6:
      return ["ZRANGEBYLEX", key, lex(), lex()];
    case 7:
      return ["ZCOUNT", key, bound(), bound()];
    case 8:
      return ["ZLEXCOUNT", key, lex(), lex()];
    case 9:
      return ["ZRANK", key, member()];
    case 10:
      return ["ZREVRANK", key, member()];
    case 11:
      return ["ZSCORE", key, member()];
    case 12:
      return ["ZMSCORE", key, member(), member()];
    case 13:
      return random.chance(0.5) ? ["ZPOPMIN", key] : ["ZPOPMAX", key, String(random.between(-1, 3))];
    case 14:
      return ["ZMPOP", "2", key, random.pick(["a", "b", "c"]), random.pick(["MIN", "MAX"]), "COUNT", String(random.between(1, 3))];
    case 15:
      return ["ZREMRANGEBYSCORE", key, bound(), bound()];
    case 16:
      return ["ZREMRANGEBYRANK", key, rank(), rank()];
    case 17:
      return ["ZUNIONSTORE", random.pick(["a", "b", "c", "d"]), "2", key, random.pick(["a", "b", "c"]), "AGGREGATE", random.pick(["SUM", "MIN", "MAX"])];
    case 18:
      return ["ZINTER", "2", key, random.pick(["a", "b", "c"]), "WITHSCORES"];
    case 19:
      return ["ZDIFFSTORE", random.pick(["a", "b", "c", "d"]), "2", key, random.pick(["a", "b", "c"])];
    case 20:
      return ["ZRANGESTORE", random.pick(["a", "b", "c", "d"]), key, rank(), rank()];
    default:
      return ["ZCARD", key];
  }
}

test("600 random sorted-set commands answer exactly as redis-server 7.0 does (seeded; WALNUT_FUZZ_SEED replays)", async () => {
  const seed = runSeed();
  const random = new Random(seed);
  const commands = [["FLUSHALL"], ...Array.from({ length: 600 }, () => randomCommand(random)), ["ZRANGE", "a", "0", "-1", "WITHSCORES"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"]];
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const expected = await conversation(redis.port, commands);
    const actual = await conversation(node.respPort, commands);
    for (let index = 1; index < commands.length; index++) {
      assert.equal(actual[index], expected[index], `seed ${seed}, command ${index}: ${commands[index]!.join(" ")}`);
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test("random GEOSEARCH and GEORADIUS queries over random places answer as redis-server 7.0 does (seeded)", async () => {
  const seed = runSeed();
  const random = new Random(seed);
  const coordinate = (span: number): string => (random.next() * 2 * span - span).toFixed(6);
  const commands: string[][] = [["FLUSHALL"]];
  for (let place = 0; place < 80; place++) {
    // Half near one spot (dense cells), half anywhere (poles and the antimeridian included).
    const near = random.chance(0.5);
    const longitude = near ? (12 + Number(coordinate(3))).toFixed(6) : coordinate(180);
    const latitude = near ? (41 + Number(coordinate(3))).toFixed(6) : coordinate(85);
    commands.push(["GEOADD", "places", longitude, latitude, `p${place}`]);
  }
  for (let query = 0; query < 60; query++) {
    const radius = random.pick(["0.5", "10", "150", "700", "2500", "9000", "21000"]);
    const unit = random.pick(["km", "mi", "m"]);
    const sort = random.pick([[], ["ASC"], ["DESC"]]);
    const extras = random.pick([[], ["WITHDIST"], ["WITHCOORD", "WITHHASH"], ["COUNT", "3"], ["COUNT", "2", "ANY"]]);
    const centre = random.chance(0.5) ? ["FROMMEMBER", `p${random.below(80)}`] : ["FROMLONLAT", (12 + Number(coordinate(5))).toFixed(4), (41 + Number(coordinate(5))).toFixed(4)];
    const shape = random.chance(0.6) ? ["BYRADIUS", radius, unit] : ["BYBOX", radius, random.pick(["1", "300", "5000"]), unit];
    commands.push(["GEOSEARCH", "places", ...centre, ...shape, ...sort, ...extras]);
    if (query % 6 === 0) commands.push(["GEORADIUSBYMEMBER", "places", `p${random.below(80)}`, radius, unit, "WITHDIST", ...sort]);
  }
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const expected = await conversation(redis.port, commands);
    const actual = await conversation(node.respPort, commands);
    for (let index = 1; index < commands.length; index++) {
      assert.equal(actual[index], expected[index], `seed ${seed}, command ${index}: ${commands[index]!.join(" ")}`);
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});
