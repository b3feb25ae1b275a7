/**
 * The Lua environment a script sees, as redis-server 7.0 builds it: the base, table,
 * string and math libraries, cjson, cmsgpack, bit and struct, and the `redis` table;
 * no io, os, package, debug, print, dofile, loadfile, require, module, setfenv, getfenv
 * or newproxy. Globals are read-only: reading a global that does not exist raises
 * "Script attempted to access nonexistent global variable 'x'", assigning one (or a field
 * of a library table) "Attempt to modify a readonly table".
 *
 * How: a script's function runs with a proxy environment (an empty table whose reads fall
 * through to the real globals and whose writes raise); the real globals table raises on a
 * missing name; each library table is replaced by such a read-only proxy. rawset refuses
 * the proxies, and their metatables are protected, so no script can leave a trace in the
 * state for a later one: a read-only script runs on one node only, and anything it left
 * behind would make the write scripts that every replica runs diverge.
 *
 * The prelude below runs once per Lua state, with the JS side's functions in the global
 * `__walnut` (it removes it). It leaves in the registry: `walnut_env` (the proxy),
 * `walnut_globals` (the real table, where KEYS and ARGV are set), `walnut_trampoline`
 * (script_threads.ts) and `walnut_thread_handler`, which script_vm.ts calls with a script's dead coroutine after
 * it failed, and which turns any error into a table {err=..., source=..., line=...} as
 * Redis' does, so the reply can say where it failed.
 */
export const SANDBOX_PRELUDE = `
local walnut = __walnut
__walnut = nil
local registry = walnut.registry
local rawset = registry.walnut_rawset
local rawget, setmetatable, getmetatable, setfenv, error, tostring, type, pairs, select, unpack =
      rawget, setmetatable, getmetatable, setfenv, error, tostring, type, pairs, select, unpack
local getinfo = debug.getinfo
local loadstring = loadstring

local function refuse() error("Attempt to modify a readonly table", 2) end
local function readonly(target)
  return setmetatable({}, { __index = target, __newindex = refuse, __metatable = false, walnut_readonly = true })
end

for _, name in pairs({ "print", "dofile", "loadfile", "require", "module", "setfenv", "getfenv",
                       "newproxy", "io", "os", "package", "debug", "__walnut" }) do
  _G[name] = nil
end
for _, name in pairs({ "string", "table", "math", "coroutine", "redis", "cjson", "cmsgpack", "bit", "struct" }) do
  if type(_G[name]) == "table" then _G[name] = readonly(_G[name]) end
end

local globals = _G
local env = readonly(globals)

globals.loadstring = function(code, name)
  local compiled, message = loadstring(code, name)
  if compiled then setfenv(compiled, env) end
  return compiled, message
end

-- Function libraries (FUNCTION LOAD) run in their own environment, whose \`redis\` is,
-- while a library loads, a table holding only register_function and the constants (what
-- Redis lets a loading library reach), and the full API afterwards.
local libraryGlobals = setmetatable({}, { __index = globals, __newindex = refuse, __metatable = false, walnut_readonly = true })
local libraryEnv = readonly(libraryGlobals)
local fullRedis = globals.redis
local loaderTable = walnut.loader_redis
-- Redis' loading library finds nothing else in redis, and says so as for a global.
local loaderRedis = setmetatable({}, {
  __index = function(_, name)
    local value = rawget(loaderTable, name)
    if value == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end
    return value
  end,
  __newindex = refuse,
  __metatable = false,
  walnut_readonly = true,
})
registry.walnut_library_env = libraryEnv
registry.walnut_library_loading = function(loading)
  rawset(libraryGlobals, "redis", loading and loaderRedis or fullRedis)
end
rawset(libraryGlobals, "redis", fullRedis)

getmetatable("").__metatable = false
rawset(globals, "_G", env)
setmetatable(globals, {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
  __newindex = refuse,
  __metatable = false,
  walnut_readonly = true,
})

registry.walnut_env = env
registry.walnut_globals = globals
registry.walnut_setfenv = setfenv
-- What a protected call runs one of walnut's pausable functions through (script_threads.ts):
-- a C function at the bottom of a thread could not yield.
registry.walnut_trampoline = function(f, ...) return f(...) end
-- Where a script run as a coroutine failed: the first frame up its stack that is neither C
-- nor this sandbox's. A dead coroutine keeps its frames as they were when the error was
-- raised (Lua 5.1 does not unwind them), the raising frame at level 0.
registry.walnut_thread_handler = function(err, thread)
  local level = 0
  local at = getinfo(thread, level, "nSl")
  while at and (at.what == "C" or at.what == "tail" or at.source == "=walnut_sandbox") do
    level = level + 1
    at = getinfo(thread, level, "nSl")
  end
  if type(err) ~= "table" or getmetatable(err) ~= nil then err = { err = "ERR " .. tostring(err) } end
  if at then
    rawset(err, "source", at.source)
    rawset(err, "line", at.currentline)
  end
  return err
end
`;
