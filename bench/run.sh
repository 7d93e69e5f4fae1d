#!/usr/bin/env bash
# bench/run.sh - rescind's benchmark suite (`make bench`, or `BENCH_SECONDS=4 BENCH_ROUNDS=3 bench/run.sh`).
#
# Starts two bench-ceiling servers (libmicrohttpd answering "200 OK": bare, as its tutorial starts
# it, and tuned, as rescindd runs it) and the release build/rescindd, each on a free loopback port,
# rescindd with a fresh temp data folder, runs every scenario with wrk and prints one table:
# requests/s, p99, the ratio to the bare ceiling measured in this same run (the one the issues'
# targets are set against), the ratio to the tuned ceiling (reported, not judged), the target
# ratio and a pass/fail mark. A scenario with unexpected non-2xx answers, socket errors,
# too few tokens or a revoked token that still introspects as active fails, so a broken endpoint
# cannot look fast. Exits 1 when any scenario failed. docs/performance.md explains the scenarios.
#
# Each scenario runs in BENCH_ROUNDS slices, each right after a slice of each ceiling, with one
# more slice of each ceiling at the end; its ratio is the median over the slices of (scenario /
# mean of the two slices of that ceiling around it). This machine's speed drifts by tens of percent within a
# minute, so a ratio needs its ceiling measured at the same moment (docs/performance.md).
#
# Environment: BENCH_SECONDS (default 4) per slice, BENCH_ROUNDS (default 3) slices per scenario,
# BENCH_WARMUP (default 2) per warm-up, BENCH_TOKEN_FACTOR (default 1.2) tokens pre-issued for the
# live-revoke run as a multiple of rate x BENCH_SECONDS x BENCH_ROUNDS (rate: the higher of
# issuance and unknown-token revoke), BENCH_KEEP=1 keeps the temp folder (logs, wrk output).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECONDS_RUN=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
TOKEN_FACTOR=${BENCH_TOKEN_FACTOR:-1.2}
THREADS=2
CONNS=64
RESCINDD=build/rescindd
CEILING=build/bench-ceiling

die() { echo "bench: $*" >&2; exit 2; }

[[ $SECONDS_RUN =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer"
[[ $TOKEN_FACTOR =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_TOKEN_FACTOR must be a number"
for tool in wrk curl cc pkg-config awk base64; do
    command -v "$tool" >/dev/null || die "$tool not found (make deps installs it)"
done
[[ -x $RESCINDD ]] || die "$RESCINDD missing: run 'make bench' (it builds first)"
# numbers from a sanitizer build would be meaningless; build/ is the RelWithDebInfo build
if ldd "$RESCINDD" | grep -Eq 'lib(asan|ubsan|tsan)'; then
    die "$RESCINDD is a sanitizer build; benchmark the release build (make build)"
fi

cc -O2 -std=c17 -Wall -Wextra -Werror bench/ceiling.c $(pkg-config --cflags --libs libmicrohttpd) \
    -o "$CEILING"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rescind-bench.XXXXXX")
PIDS=()
WRK_PID=""
cleanup() {
    local pid
    if [[ -n $WRK_PID ]]; then kill "$WRK_PID" 2>/dev/null || true; fi
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        echo "bench: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for FILE REGEX PID: until a line of FILE matches (prints it), the process dies, or 10 s pass
wait_for() {
    local file=$1 re=$2 pid=$3 line i
    for ((i = 0; i < 100; i++)); do
        line=$(grep -Em1 "$re" "$file" 2>/dev/null || true)
        if [[ -n $line ]]; then echo "$line"; return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: server did not come up; last output of $file:" >&2
    tail -n 20 "$file" >&2 || true
    return 1
}

# --- servers: port 0 lets the kernel pick a free port; each reports the port it got ------------
"$CEILING" --bare 0 >"$TMP/ceiling.out" 2>"$TMP/ceiling.err" &
PIDS+=($!)
CEIL_PORT=$(wait_for "$TMP/ceiling.out" '^port=' "${PIDS[-1]}" | sed -E 's/^port=([0-9]+).*/\1/')
"$CEILING" 0 >"$TMP/tceiling.out" 2>"$TMP/tceiling.err" &
PIDS+=($!)
TCEIL_PORT=$(wait_for "$TMP/tceiling.out" '^port=' "${PIDS[-1]}" | sed -E 's/^port=([0-9]+).*/\1/')

mkdir "$TMP/data"
"$RESCINDD" --listen 127.0.0.1:0 --db "$TMP/data/rescind.db" >"$TMP/rescindd.out" \
    2>"$TMP/rescindd.log" &
PIDS+=($!)
RS_PID=${PIDS[-1]}
RS_PORT=$(wait_for "$TMP/rescindd.log" '"event":"listening"' "$RS_PID" |
    sed -E 's/.*"port":"([0-9]+)".*/\1/')
[[ $RS_PORT =~ ^[0-9]+$ ]] || die "cannot read rescindd's port from its log"
CLIENT_LINE=$(wait_for "$TMP/rescindd.out" 'client_id=demo-client client_secret=' "$RS_PID")
CLIENT_ID=$(sed -E 's/.*client_id=([^ ]+).*/\1/' <<<"$CLIENT_LINE")
CLIENT_SECRET=$(sed -E 's/.*client_secret=([^ ]+).*/\1/' <<<"$CLIENT_LINE")
CEIL_URL=http://127.0.0.1:$CEIL_PORT
TCEIL_URL=http://127.0.0.1:$TCEIL_PORT
RS_URL=http://127.0.0.1:$RS_PORT

# The secret reaches wrk and curl through the environment or stdin, never through argv.
export BENCH_AUTH="Basic $(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)"
export BENCH_THREADS=$THREADS
unset CLIENT_SECRET CLIENT_LINE

# post PATH BODY: form POST with the demo client's credentials; prints the body, fails on non-2xx
post() {
    curl -sS --fail-with-body --max-time 10 -H @- --data-binary "$2" "$RS_URL$1" \
        <<<"Authorization: $BENCH_AUTH"
}

# --- wrk runs -----------------------------------------------------------------------------------
# wrk_run NAME SECONDS URL SCRIPT: one bounded run; output in $TMP/NAME.txt
wrk_run() {
    local name=$1 secs=$2 url=$3 script=$4
    local args=(-t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 5s --latency)
    [[ -n $script ]] && args+=(-s "bench/$script")
    # in the background and waited for, so a signal stops the run at once (the EXIT trap kills it)
    timeout $((secs + 30)) wrk "${args[@]}" "$url" >"$TMP/$name.txt" 2>&1 &
    WRK_PID=$!
    if ! wait "$WRK_PID"; then
        echo "bench: wrk failed for $name:" >&2
        cat "$TMP/$name.txt" >&2
        return 1
    fi
}

# field NAME KEY: the number after KEY= on the BENCH lines of run NAME (0 when absent)
field() {
    awk -v k="$2" '/^BENCH/ {for (i = 2; i <= NF; i++) {split($i, kv, "=");
        if (kv[1] == k) {print kv[2]; exit}}}' "$TMP/$1.txt" | grep . || echo 0
}

# ceiling_row NAME LABEL RATIO RATIO_TUNED: a table line for the ceiling run NAME, which ran
# without a script, so its numbers come from wrk's own report
ceiling_row() {
    local f=$TMP/$1.txt rps p99 non2xx sockerr notes=() mark=ok
    rps=$(wrk_rps "$f")
    p99=$(awk '$1 == "99%" {print $2}' "$f")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
    sockerr=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$f")
    [[ $rps =~ ^[0-9]+$ ]] && ((rps > 0)) || die "no measurement of the $2"
    ((${non2xx:-0} > 0)) && notes+=("non-2xx: $non2xx")
    ((${sockerr:-0} > 0)) && notes+=("socket errors: $sockerr")
    ((${#notes[@]})) && { mark=FAIL; FAILED=1; }
    ROWS+=("$2|$rps|$p99|$3|$4|-|$mark|${notes[*]:-}")
    echo "bench: $2: $rps req/s, p99 $p99" >&2
}

ROWS=()
FAILED=0

# field_sum NAME KEY: KEY summed over the slices NAME-1..NAME-ROUNDS
field_sum() {
    local i t=0
    for ((i = 1; i <= ROUNDS; i++)); do t=$((t + $(field "$1-$i" "$2"))); done
    echo "$t"
}

# wrk_rps FILE: requests/s of a run without a script, from wrk's own report
wrk_rps() { awk '/^Requests\/sec:/ {printf "%d", $2}' "$1"; }

# slice_ratio NAME PREFIX: sets SLICE_MEDIAN, the median over the slices of scenario NAME of its
# requests/s divided by the mean of the ceiling slices PREFIX-NAME-i and PREFIX-NAME-(i+1) around
# it, and for the notes SLICE_RATIOS and SLICE_CEILS (each slice's ratio, each ceiling slice's
# requests/s, "/"-separated)
slice_ratio() {
    local name=$1 prefix=$2 ratios=() ceils=() i
    for ((i = 1; i <= ROUNDS + 1; i++)); do
        ceils+=("$(wrk_rps "$TMP/$prefix-$name-$i.txt")")
    done
    for ((i = 1; i <= ROUNDS; i++)); do
        ratios+=("$(awk -v q="$(field "$name-$i" requests)" -v d="$(field "$name-$i" duration_us)" \
            -v a="${ceils[i - 1]:-0}" -v b="${ceils[i]:-0}" \
            'BEGIN {c = (a + b) / 2; printf "%.3f", (c > 0 && d > 0) ? q * 1e6 / d / c : 0}')")
    done
    SLICE_RATIOS=$(IFS=/; echo "${ratios[*]}")
    SLICE_CEILS=$(IFS=/; echo "${ceils[*]}")
    SLICE_MEDIAN=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR] = $1} END {
        printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
}

# row NAME LABEL TARGET EXTRA_FAIL_NOTE: one table line from the slices of a scripted scenario
# (interleaved): requests/s over all its slices, the worst p99 of a slice, the median ratio to
# each ceiling; the target is judged on the ratio to the bare one
row() {
    local name=$1 label=$2 target=$3 extra=$4
    local req dur non2xx sock p99 rps ratio tratio mark notes=() i notes_info
    req=$(field_sum "$name" requests)
    dur=$(field_sum "$name" duration_us)
    non2xx=$(field_sum "$name" non2xx)
    sock=$(($(field_sum "$name" connect) + $(field_sum "$name" read) +
        $(field_sum "$name" write) + $(field_sum "$name" timeout)))
    p99=0
    for ((i = 1; i <= ROUNDS; i++)); do
        local u
        u=$(field "$name-$i" p99_us)
        ((u > p99)) && p99=$u
    done
    p99=$(awk -v u="$p99" 'BEGIN {printf "%.2fms", u / 1000}')
    rps=$(awk -v r="$req" -v d="$dur" 'BEGIN {printf "%d", d ? r * 1e6 / d : 0}')
    slice_ratio "$name" ceil
    ratio=$SLICE_MEDIAN
    notes_info="per slice, to bare: $SLICE_RATIOS (bare ceiling $SLICE_CEILS)"
    slice_ratio "$name" tceil
    tratio=$SLICE_MEDIAN
    notes_info+="; to tuned: $SLICE_RATIOS (tuned ceiling $SLICE_CEILS)"
    ((non2xx > 0)) && notes+=("non-2xx: $non2xx")
    ((sock > 0)) && notes+=("socket errors: $sock")
    ((req == 0)) && notes+=("no requests completed")
    [[ -n $extra ]] && notes+=("$extra")
    if ((${#notes[@]})); then
        mark=FAIL
    elif [[ $target == - ]]; then
        mark=ok
    elif awk -v r="$ratio" -v t="$target" 'BEGIN {exit !(r >= t)}'; then
        mark=PASS
    else
        mark=FAIL
        notes+=("below target")
    fi
    [[ $mark == FAIL ]] && FAILED=1
    local joined
    joined=$(printf '%s; ' "${notes[@]}" "$notes_info")
    joined=${joined%; }
    ROWS+=("$label|$rps|$p99|$ratio|$tratio|$target|$mark|$joined")
    echo "bench: $label: $rps req/s, p99 $p99, ratio $ratio (to tuned $tratio), $mark${joined:+ ($joined)}" >&2
}

# ceiling_slices NAME I: slice I of both ceilings for scenario NAME (bare, then tuned)
ceiling_slices() {
    wrk_run "ceil-$1-$2" "$SECONDS_RUN" "$CEIL_URL/" ""
    wrk_run "tceil-$1-$2" "$SECONDS_RUN" "$TCEIL_URL/" ""
}

# measure NAME URL SCRIPT [HOOK]: a warm-up (unless HOOK is given: the live-token runs must not
# spend tokens on one), then ROUNDS times a slice of each ceiling and a scenario slice, then a last
# slice of each ceiling. HOOK, when given, is called with the slice number before each scenario
# slice.
measure() {
    local name=$1 url=$2 script=$3 hook=${4:-} i
    if ((WARMUP > 0)) && [[ -z $hook ]]; then wrk_run "$name-warmup" "$WARMUP" "$url" "$script"; fi
    for ((i = 1; i <= ROUNDS; i++)); do
        ceiling_slices "$name" "$i"
        [[ -n $hook ]] && "$hook" "$i"
        wrk_run "$name-$i" "$SECONDS_RUN" "$url" "$script"
    done
    ceiling_slices "$name" $((ROUNDS + 1))
}

# rate NAME: requests/s over the slices of scenario NAME
rate() {
    awk -v r="$(field_sum "$1" requests)" -v d="$(field_sum "$1" duration_us)" \
        'BEGIN {printf "%d", d ? r * 1e6 / d : 0}'
}

# other work on the machine moves every number; the load average at the start says how much
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: ceilings $CEIL_URL (bare) and $TCEIL_URL (tuned), rescindd $RS_URL (pid $RS_PID)," \
    "$ROUNDS slices of ${SECONDS_RUN}s per scenario, each after a slice of each ceiling," \
    "wrk -t$THREADS -c$CONNS, load average $LOAD" >&2

# 1. the ceilings, each once on its own; the tuned one's ratio is to the bare one next to it
if ((WARMUP > 0)); then
    wrk_run ceiling-warmup "$WARMUP" "$CEIL_URL/" ""
    wrk_run tceiling-warmup "$WARMUP" "$TCEIL_URL/" ""
fi
wrk_run ceiling "$SECONDS_RUN" "$CEIL_URL/" ""
wrk_run tceiling "$SECONDS_RUN" "$TCEIL_URL/" ""
ceiling_row ceiling "ceiling (bare MHD, GET /)" 1.000 -
ceiling_row tceiling "ceiling (tuned MHD, GET /)" "$(awk -v t="$(wrk_rps "$TMP/tceiling.txt")" \
    -v b="$(wrk_rps "$TMP/ceiling.txt")" 'BEGIN {printf "%.3f", t / b}')" 1.000

# 2. client_credentials issuance
measure token "$RS_URL/token" token.lua
row token "client_credentials issuance" 0.3 ""
TOKEN_RPS=$(rate token)

# 3. introspection of a live token
BENCH_TOKEN=$(post /token grant_type=client_credentials |
    sed -nE 's/.*"access_token":"([^"]+)".*/\1/p') || die "cannot issue a token for introspection"
[[ -n $BENCH_TOKEN ]] || die "no access_token in the /token answer"
export BENCH_TOKEN
measure introspect "$RS_URL/introspect" introspect.lua
row introspect "introspection (live token)" 0.5 ""
unset BENCH_TOKEN

# 4. revoke of an unknown token
measure revoke_unknown "$RS_URL/revoke" revoke_unknown.lua
row revoke_unknown "revoke (unknown token)" 0.6 ""

# 5. revoke of distinct live tokens: pre-issue rate x duration x factor tokens (at least one per
# connection), topping up with further issuing runs when one run falls short. The rate is the
# higher of issuance and unknown-token revocation: a live revoke is one durable write like an
# issuance, but must not run out of tokens if it turns out as fast as an unknown-token revoke.
UNKNOWN_RPS=$(rate revoke_unknown)
NEED=$(awk -v a="$TOKEN_RPS" -v b="$UNKNOWN_RPS" -v s="$((SECONDS_RUN * ROUNDS))" -v f="$TOKEN_FACTOR" \
    -v c="$((CONNS * ROUNDS))" 'BEGIN {r = a > b ? a : b; n = int(r * s * f + 0.999); print (n < c ? c : n)}')
export BENCH_TOKEN_OUT=$TMP/issued
export BENCH_TOKENS=$TMP/tokens.txt
: >"$BENCH_TOKENS"
HAVE=0
for round in 1 2 3 4; do
    issue_secs=$(awk -v n="$((NEED - HAVE))" -v r="$TOKEN_RPS" \
        'BEGIN {s = int(r ? n / r * 1.3 + 1.999 : 10); print (s < 2 ? 2 : s)}')
    echo "bench: pre-issuing tokens for the live-revoke run (round $round: have $HAVE of $NEED," \
        "${issue_secs}s)" >&2
    wrk_run "issue-$round" "$issue_secs" "$RS_URL/token" issue_tokens.lua
    cat "$BENCH_TOKEN_OUT".* >>"$BENCH_TOKENS" 2>/dev/null || true
    rm -f "$BENCH_TOKEN_OUT".*
    HAVE=$(wc -l <"$BENCH_TOKENS")
    ((HAVE >= NEED)) && break
done
if ((HAVE < NEED)); then
    echo "bench: only $HAVE of $NEED tokens could be issued" >&2
fi
# each slice revokes its own part of the tokens (tokens.1 .. tokens.ROUNDS)
split -n "l/$ROUNDS" -d -a 3 "$BENCH_TOKENS" "$TMP/tokens-part."
live_slice() { export BENCH_TOKENS; BENCH_TOKENS=$(printf '%s/tokens-part.%03d' "$TMP" $(($1 - 1))); }
# no warm-up here: it would spend tokens, and the unknown-token run just warmed /revoke
measure revoke_live "$RS_URL/revoke" revoke_live.lua live_slice
exhausted=$(field_sum revoke_live exhausted)
note=""
((${exhausted:-0} > 0)) && note="tokens exhausted: $exhausted requests without a token ($HAVE pre-issued; raise BENCH_TOKEN_FACTOR)"
# the non-2xx count includes the one 401 each exhausted thread sends on purpose
row revoke_live "revoke (distinct live tokens)" 0.3 "$note"

# 6. introspection after revoke: tokens revoked above, minus each thread's last $CONNS/$THREADS
# (requests possibly still in flight when wrk stopped)
inflight=$((CONNS / THREADS))
for ((i = 1; i <= ROUNDS; i++)); do
    part=$(printf '%s/tokens-part.%03d' "$TMP" $((i - 1)))
    grep -E '^BENCH_SLICE ' "$TMP/revoke_live-$i.txt" |
        sed -E 's/.*first=([0-9]+) used=([0-9]+).*/\1 \2/' |
        while read -r first used; do
            n=$((used - inflight))
            ((n > 0)) && sed -n "${first},$((first + n - 1))p" "$part"
        done || true
done >"$TMP/revoked.txt"
REVOKED=$(wc -l <"$TMP/revoked.txt")
if ((REVOKED >= THREADS)); then
    export BENCH_TOKENS=$TMP/revoked.txt
    measure introspect_revoked "$RS_URL/introspect" introspect_revoked.lua
    still=$(field_sum introspect_revoked still_active)
    note=""
    ((still > 0)) && note="revoked tokens still active: $still"
    row introspect_revoked "introspection (revoked token)" - "$note"
else
    ROWS+=("introspection (revoked token)|-|-|-|-|-|FAIL|no revoked tokens to introspect")
    FAILED=1
fi

# --- the table ----------------------------------------------------------------------------------
if ! kill -0 "$RS_PID" 2>/dev/null; then
    echo "bench: rescindd exited during the run; last log lines:" >&2
    tail -n 20 "$TMP/rescindd.log" >&2
    FAILED=1
fi
echo
echo "rescind benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
    "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
    "wrk -t$THREADS -c$CONNS, $ROUNDS slices of ${SECONDS_RUN}s per scenario, load average at start $LOAD"
echo
# a Markdown table, so a run can be pasted into docs/performance.md as it is. "ratio" is to the
# bare ceiling and is what the target is judged on; "to tuned" is to the ceiling set up as rescindd
printf '| %-30s | %10s | %9s | %6s | %8s | %6s | %-4s | %s |\n' scenario requests/s p99 ratio \
    "to tuned" target mark notes
printf '|%s|%s:|%s:|%s:|%s:|%s:|%s|%s|\n' "$(printf -- '-%.0s' {1..32})" \
    "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..7})" \
    "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..7})" "$(printf -- '-%.0s' {1..6})" \
    "-------"
for r in "${ROWS[@]}"; do
    IFS='|' read -r label rps p99 ratio tratio target mark notes <<<"$r"
    [[ $target == - ]] || target=">= $target"
    printf '| %-30s | %10s | %9s | %6s | %8s | %6s | %-4s | %s |\n' "$label" "$rps" "$p99" \
        "$ratio" "$tratio" "$target" "$mark" "$notes"
done
echo
exit "$FAILED"
