-- wrk script: the same key-value load on etcd's v3 HTTP/JSON gateway and kvnode's HTTP API.
-- Settings come from the environment (wrk hands script arguments to the threads' init() only,
-- and setup() needs the targets):
--   KV_SYSTEM      etcd | kvnode
--   KV_OP          put | get
--   KV_TARGETS     comma-separated host:port; thread i talks to target i mod T (run wrk -t T)
--   KV_KEYS        keys key:0000000000 .. (default 10000)
--   KV_VALUE_BYTES bytes per value (default 1024)
--   KV_LABEL       name printed on the result line
--   KV_PCT_FILE    if set, the latency percentile spectrum is written there
-- A put cycles through the keys in order (thread t writes t, t+T, t+2T, ...), so a put run of at
-- least KV_KEYS requests leaves every key present for the get run that follows it.
-- etcd: POST /v3/kv/put {"key","value"} (base64), POST /v3/kv/range {"key"} (linearizable read).
-- kvnode: PUT /kv/{key}?overwrite=true (body = value), GET /kv/{key}. An etcd put replaces the
-- key's value; a blind kvnode PUT would keep the old value as a sibling (Riak's allow_mult), so the
-- kvnode put replaces too (?overwrite=true, what a Redis SET does): the same work on both.

local system = os.getenv("KV_SYSTEM") or "kvnode"
local op = os.getenv("KV_OP") or "get"
local keys = tonumber(os.getenv("KV_KEYS") or "10000")
local value_bytes = tonumber(os.getenv("KV_VALUE_BYTES") or "1024")

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

local thread_count = 0
function setup(thread)
  local targets = {}
  for t in string.gmatch(os.getenv("KV_TARGETS") or "127.0.0.1:7101", "[^,]+") do
    table.insert(targets, t)
  end
  local target = targets[thread_count % #targets + 1]
  local host, port = target:match("^(.*):(%d+)$")
  thread.addr = wrk.lookup(host, port)[1]
  thread:set("thread_index", thread_count)
  thread:set("thread_total", tonumber(os.getenv("KV_THREADS") or "1"))
  thread_count = thread_count + 1
end

local key_names, value, value_b64, next_key, step
function init(args)
  math.randomseed(os.time() + (thread_index or 0) * 7919)
  key_names = {}
  for k = 0, keys - 1 do
    local name = string.format("key:%010d", k)
    key_names[k] = system == "etcd" and base64(name) or name
  end
  value = string.rep("v", value_bytes)
  value_b64 = base64(value)
  next_key = thread_index or 0
  step = thread_total or 1
end

function request()
  local key
  if op == "put" then
    key = key_names[next_key % keys]
    next_key = next_key + step
  else
    key = key_names[math.random(0, keys - 1)]
  end
  if system == "etcd" then
    if op == "put" then
      return wrk.format("POST", "/v3/kv/put", nil,
        '{"key":"' .. key .. '","value":"' .. value_b64 .. '"}')
    end
    return wrk.format("POST", "/v3/kv/range", nil, '{"key":"' .. key .. '"}')
  end
  if op == "put" then return wrk.format("PUT", "/kv/" .. key .. "?overwrite=true", nil, value) end
  return wrk.format("GET", "/kv/" .. key, nil, nil)
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "label=%s requests=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f " ..
    "errors=%d non2xx=%d\n",
    os.getenv("KV_LABEL") or "wrk", summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
  local file = os.getenv("KV_PCT_FILE")
  if file then
    local f = io.open(file, "w")
    f:write("# percentile latency_ms (wrk, closed loop)\n")
    for _, p in ipairs({ 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99 }) do
      f:write(string.format("%g %.4f\n", p, latency:percentile(p) / 1000))
    end
    f:close()
  end
end
