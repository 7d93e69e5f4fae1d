-- introspect.lua - scenario "introspection of a live token": POST /introspect token=<BENCH_TOKEN>
-- with Basic auth; the token was issued once before the run, so every answer is active:true.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("token=" .. common.env("BENCH_TOKEN"))

function done(summary, latency, requests)
  common.report(summary, latency)
end
