-- introspect_revoked.lua - scenario "introspection after revoke": POST /introspect of tokens
-- revoked by revoke_live.lua, cycling through BENCH_TOKENS (thread i owns slice i). Each answer must
-- be {"active":false}; any other body is counted and reported, so a revoke that did not stick
-- cannot pass as a fast introspection.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("")
setup = common.setup

local reqs = {}
local i = 0
still_active = 0

function init(args)
  local all = common.read_lines(common.env("BENCH_TOKENS"))
  local first, last = common.slice(#all, thread_id, tonumber(common.env("BENCH_THREADS")))
  for k = first, last do
    reqs[#reqs + 1] = wrk.format(nil, nil, nil, "token=" .. all[k])
  end
  assert(#reqs > 0, "no revoked tokens for thread " .. thread_id)
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  if status == 200 and not body:find('"active"%s*:%s*false') then
    still_active = still_active + 1
  end
end

function done(summary, latency, requests)
  common.report(summary, latency)
  io.write(string.format("BENCH_STILL_ACTIVE still_active=%d\n", common.sum("still_active")))
end
