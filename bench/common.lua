-- common.lua - helpers shared by the bench/*.lua wrk scripts (loaded with dofile, not a scenario).
--
-- run.sh passes everything through the environment, so no secret appears on a command line:
--   BENCH_AUTH      value of the Authorization header (Basic of the demo client)
--   BENCH_THREADS   the -t given to wrk, so each thread can take its own slice of a token file
--   BENCH_TOKEN     one live access token (introspect.lua)
--   BENCH_TOKENS    a file of access tokens, one per line (revoke_live.lua, introspect_revoked.lua)
--   BENCH_TOKEN_OUT prefix of the per-thread files issue_tokens.lua appends tokens to
--
-- Every scenario ends with one machine-readable line that run.sh parses:
--   BENCH requests=N duration_us=N non2xx=N connect=N read=N write=N timeout=N p50_us=N p99_us=N
-- non2xx is the counter wrk prints as "Non-2xx or 3xx responses".
local M = {}

function M.env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error(name .. " is not set (run the benchmark through bench/run.sh)")
  end
  return v
end

-- A form POST to the URL given on the wrk command line, with the demo client's Basic auth.
function M.form_post(body)
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = M.env("BENCH_AUTH")
end

-- Threads are numbered in setup(), which runs in the main environment once per thread before
-- that thread's init(); the list is kept so done() can read per-thread counters back.
M.threads = {}
function M.setup(thread)
  thread:set("thread_id", #M.threads)
  table.insert(M.threads, thread)
end

-- Lines first..last (1-based, inclusive) of thread `id`'s contiguous slice of `count` lines.
function M.slice(count, id, nthreads)
  local per = math.floor(count / nthreads)
  local first = id * per + 1
  local last = (id == nthreads - 1) and count or (first + per - 1)
  return first, last
end

function M.read_lines(path)
  local f = assert(io.open(path, "r"))
  local lines = {}
  for line in f:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  f:close()
  return lines
end

function M.report(summary, latency)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end

-- Sums a numeric global over all threads (e.g. a counter each thread keeps in its environment).
function M.sum(name)
  local total = 0
  for _, t in ipairs(M.threads) do total = total + (t:get(name) or 0) end
  return total
end

return M
