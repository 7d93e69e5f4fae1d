-- revoke_unknown.lua - scenario "revoke of an unknown token": POST /revoke token=<random> with
-- Basic auth. RFC 7009 §2.2 answers 200 for a token the server does not know. Every request sends
-- a different string (a random per-thread prefix plus a counter) so no cache can serve a repeat.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("")
setup = common.setup

local prefix
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
  prefix = "unknown-" .. random_prefix() .. "-"
end

function request()
  n = n + 1
  return wrk.format(nil, nil, nil, "token=" .. prefix .. n)
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
