-- revoke_unknown.lua - scenario "revoke of an unknown token": POST /revoke token=<random> with
-- Basic auth. RFC 7009 §2.2 answers 200 for a token the server does not know.
--
-- The requests are built once, in init(): POOL distinct strings per thread (a random per-thread
-- prefix plus a counter), sent in turn. Building each request with wrk.format inside request()
-- cost wrk about 3 µs of CPU more per request than the ceiling's fixed GET, on the same two cores
-- as the server (docs/performance.md), so the harness, not the server, set part of the ratio.
-- The strings are in no form the server issues, so it answers without a lookup either way; a
-- string comes again only after POOL requests of its thread.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("")
setup = common.setup

local POOL = 200000
local reqs = {}
local n = 0

local function random_prefix()
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  local parts = {}
  for i = 1, 32 do
    local k = math.random(1, #alphabet)
    parts[i] = alphabet:sub(k, k)
  end
  return table.concat(parts)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  local prefix = "unknown-" .. random_prefix() .. "-"
  for i = 1, POOL do
    reqs[i] = wrk.format(nil, nil, nil, "token=" .. prefix .. i)
  end
end

function request()
  n = n + 1
  return reqs[(n - 1) % POOL + 1]
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
