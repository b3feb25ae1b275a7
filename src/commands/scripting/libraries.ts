/**
 * The C libraries Redis bundles with its Lua, written for walnut in TypeScript over the
 * Lua C API (the WASM build of Lua has none of them): bit, cjson, cmsgpack, struct. Each
 * becomes a global table before the sandbox makes the globals read-only.
 */
import { LUA_GLOBALSINDEX, rawSetField } from "./lua_wasm.js";
import { bitLibrary } from "./lib_bit.js";
import { addJsonNull, cjsonLibrary } from "./lib_cjson.js";
import { cmsgpackLibrary } from "./lib_cmsgpack.js";
import { structLibrary } from "./lib_struct.js";
import { pushLibrary } from "./lib_support.js";
import type { RunState } from "./script_vm.js";

export function installLibraries(L: number, stateOf: () => RunState): void {
  pushLibrary(L, stateOf, bitLibrary);
  rawSetField(L, LUA_GLOBALSINDEX, "bit");
  pushLibrary(L, stateOf, cjsonLibrary);
  addJsonNull(L);
  rawSetField(L, LUA_GLOBALSINDEX, "cjson");
  pushLibrary(L, stateOf, cmsgpackLibrary);
  rawSetField(L, LUA_GLOBALSINDEX, "cmsgpack");
  pushLibrary(L, stateOf, structLibrary);
  rawSetField(L, LUA_GLOBALSINDEX, "struct");
}
