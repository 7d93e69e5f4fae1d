-- issue_tokens.lua - not a scenario: fills the token file for revoke_live.lua. Same request as
-- token.lua, but each 200's access_token is appended to BENCH_TOKEN_OUT.<thread>; one file per
-- thread so concurrent appends never interleave.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("grant_type=client_credentials")
setup = common.setup

local out
issued = 0

function init(args)
  out = assert(io.open(common.env("BENCH_TOKEN_OUT") .. "." .. thread_id, "a"))
end

function response(status, headers, body)
  if status ~= 200 then return end
  local tok = body:match('"access_token"%s*:%s*"([^"]+)"')
  if tok then
    out:write(tok, "\n")
    issued = issued + 1
  end
end

function done(summary, latency, requests)
  common.report(summary, latency)
  io.write(string.format("BENCH_ISSUED tokens=%d\n", common.sum("issued")))
end
