-- token.lua - scenario "client_credentials issuance": POST /token, grant_type=client_credentials,
-- Basic auth of the demo client. Each 200 means a new token digest was committed to the store.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

common.form_post("grant_type=client_credentials")

function done(summary, latency, requests)
  common.report(summary, latency)
end
