-- revoke_live.lua - scenario "revoke of distinct live tokens": POST /revoke token=<next unused
-- token> with Basic auth. Thread i owns slice i of BENCH_TOKENS and never sends a token twice.
-- A thread that runs out stops, and its last request is sent without credentials (401) so it is
-- counted as non-2xx; done() reports how many requests found no token ("exhausted"), so a short
-- token file makes the scenario fail instead of quietly re-revoking revoked tokens.
--
-- Each thread builds the requests of its slice once, in init(), as revoke_unknown.lua does:
-- wrk.format inside request() cost wrk about 3 µs of CPU per request more than the ceiling's
-- fixed GET, on the same two cores as the server (docs/performance.md). A slice of 750,000
-- tokens is about 200 MB of Lua strings per thread.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("")
setup = common.setup

local tokens
local reqs = {}
local next_idx, last_idx
local unauthenticated
local verified = false
used = 0
exhausted = 0
first_line = 0

function init(args)
  local all = common.read_lines(common.env("BENCH_TOKENS"))
  local nthreads = tonumber(common.env("BENCH_THREADS"))
  local first, last = common.slice(#all, thread_id, nthreads)
  next_idx, last_idx, first_line = first, last, first
  -- reqs[1..n] (the table's array part) and not the file's own numbering; the token list itself
  -- is not kept (only the first string, for wrk's check below)
  for i = first, last do
    reqs[i - first + 1] = wrk.format(nil, nil, nil, "token=" .. all[i])
  end
  tokens = {[first] = all[first]}
  unauthenticated = wrk.format(nil, nil,
    {["Content-Type"] = "application/x-www-form-urlencoded"}, "token=exhausted")
end

function request()
  -- wrk (script_verify_request) calls request() once on thread 0 before the run to check the
  -- script and never sends the result: answer that call without spending a token, or the first
  -- token would count as revoked while it stays live.
  if thread_id == 0 and not verified then
    verified = true
    return wrk.format(nil, nil, nil, "token=" .. (tokens[next_idx] or "verify"))
  end
  if next_idx > last_idx then
    exhausted = exhausted + 1
    if exhausted == 1 then wrk.thread:stop() end
    return unauthenticated
  end
  local k = next_idx - first_line + 1
  local req = reqs[k]
  reqs[k] = nil -- sent once; let the collector have it
  next_idx = next_idx + 1
  used = used + 1
  return req
end

function done(summary, latency, requests)
  common.report(summary, latency)
  io.write(string.format("BENCH_EXHAUSTED exhausted=%d\n", common.sum("exhausted")))
  -- where each thread's slice starts and how far it got: run.sh derives the revoked list from it
  for _, t in ipairs(common.threads) do
    io.write(string.format("BENCH_SLICE first=%d used=%d\n", t:get("first_line"), t:get("used")))
  end
end
