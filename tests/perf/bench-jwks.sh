#!/usr/bin/env bash
# GET /v1/cases/{id} with RS256 tokens verified by a JWK Set against HS256 tokens, same run.
#
# usage: tests/perf/bench-jwks.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   DURATION=15          seconds of each measured run
#   WARMUP=3             seconds of warm-up before each (it fills the token cache)
#   TOKENS=500           distinct tokens each variant rotates over
#   COLD_TOKENS=20000    distinct tokens of the "uncached" variants, more than the
#                        token cache holds (4096), so most requests verify a
#                        signature; 0 skips them
#   ROUNDS=2             each variant is measured ROUNDS times, interleaved
#   CONNECTIONS=16       wrk -c
#   CASES=5000           cases seeded (50 workers, 10 units)
#   CASEWORK_HTTP_THREADS, DB_POOL_SIZE, PERF_KEEP as for bench-get-case.sh
#
# One caseworker's tokens, distinct by jti: RS256 ones signed in turn by three
# RSA 2048 keys of a JWK Set file (CASEWORK_JWT_JWKS_FILE, kid in each token),
# HS256 ones with the service's secret. Each variant runs its own caseworkd;
# the variants alternate, so that a change in the machine's load falls on
# both. Prints one table; exit status 1 when any answer was not 200.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings DURATION=15 WARMUP=3 TOKENS=500 COLD_TOKENS=20000 ROUNDS=2 CONNECTIONS=16 CASES=5000
perf_use_db_pool_size

command -v node >/dev/null || ensure_packages lint
perf_init "$BUILD_DIR"
perf_start_database
perf_migrate
perf_seed_cases "$CASES" 50 10
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

WORKER=bench-worker-01
read -r WORKER_UNIT WORKER_CASES < <(perf_psql -At -F ' ' -c \
	"SELECT min(unit), count(*) FROM cases WHERE assigned_worker = '$WORKER' AND deleted_at IS NULL")
perf_psql -At -c "SELECT id FROM cases WHERE assigned_worker = '$WORKER' AND deleted_at IS NULL ORDER BY id" \
	>"$PERF_DIR/ids.txt"

# mint COUNT DIR: the keys, the JWK Set and the tokens (tests/perf/mint-tokens.mjs).
mint() {
	mkdir -p "$2"
	perf_log "minting $1 RS256 and $1 HS256 tokens"
	node tests/perf/mint-tokens.mjs "$2" "$1" "$WORKER" "$WORKER_UNIT" "$PERF_DIR/jwt-secret" \
		|| perf_die "minting tokens failed"
	chmod 755 "$2"
	chmod 644 "$2"/*
}
mint "$TOKENS" "$PERF_DIR/warm"
[ "$COLD_TOKENS" = 0 ] || mint "$COLD_TOKENS" "$PERF_DIR/cold"

# The wrk script: request n is token n (of the file in TOKENS_FILE) on case n
# (of the caseworker's own); each thread starts elsewhere in the list.
LUA=$PERF_DIR/get-case.lua
{
	cat <<'LUA'
local requests = {}
local i = 0
local counter = 0

local function lines(path)
   local out = {}
   for line in io.lines(path) do
      if line ~= "" then out[#out + 1] = line end
   end
   return out
end

function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
end

function init(args)
   local tokens = lines(os.getenv("TOKENS_FILE"))
   local ids = lines(os.getenv("IDS_FILE"))
   for n, token in ipairs(tokens) do
      local headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }
      requests[n] = wrk.format("GET", "/v1/cases/" .. ids[(n % #ids) + 1], headers)
   end
   i = (thread_index or 0) * 7919
end

function request()
   i = i + 1
   return requests[(i % #requests) + 1]
end
LUA
	perf_wrk_done_lua
} >"$LUA"
export IDS_FILE=$PERF_DIR/ids.txt

FAILED=0
# run_variant NAME ALG TOKENS_FILE: a caseworkd of that algorithm under wrk.
run_variant() {
	local name=$1 alg=$2 s0 s1
	export TOKENS_FILE=$3
	if [ "$alg" = RS256 ]; then
		export CASEWORK_JWT_ALG=RS256 CASEWORK_JWT_JWKS_FILE=${TOKENS_FILE%/*}/jwks.json
		unset CASEWORK_JWT_SECRET_FILE
	else
		export CASEWORK_JWT_ALG=HS256 CASEWORK_JWT_SECRET_FILE=$PERF_DIR/jwt-secret
		unset CASEWORK_JWT_JWKS_FILE
	fi
	perf_start_service "$name"
	perf_log "$name ($(wc -l <"$TOKENS_FILE") tokens): wrk warm-up ${WARMUP}s, then ${DURATION}s"
	perf_run "$PERF_DIR/$name-warmup.txt" wrk -t2 -c "$CONNECTIONS" -d "${WARMUP}s" -s "$LUA" "$PERF_URL" \
		|| { cat "$PERF_DIR/$name-warmup.txt" >&2; perf_die "wrk warm-up failed"; }
	: >"$PERF_SERVICE_LOG"
	s0=$(perf_ticks "$PERF_SERVICE_PID")
	perf_run "$PERF_DIR/$name-wrk.txt" wrk -t2 -c "$CONNECTIONS" -d "${DURATION}s" -s "$LUA" "$PERF_URL" \
		|| { cat "$PERF_DIR/$name-wrk.txt" >&2; perf_die "wrk failed"; }
	s1=$(perf_ticks "$PERF_SERVICE_PID")
	perf_wrk_result "$PERF_DIR/$name-wrk.txt"
	perf_answers '"route":"/v1/cases/{id}"' 200
	perf_stop_service
	echo "name=$name tokens=$(wc -l <"$TOKENS_FILE") ${WRK_RESULT#RESULT } logged=$LOGGED not_200=$NOT_OK" \
		"service_ticks=$((s1 - s0))" >>"$PERF_DIR/results"
	if grep -Eq 'non2xx=[1-9]|socket_errors=[1-9]' <<<"$WRK_RESULT" || [ "$NOT_OK" != 0 ]; then
		perf_log "error: $name: answers other than 200, or socket errors"
		perf_show_failures 200
		FAILED=1
	fi
}

: >"$PERF_DIR/results"
for round in $(seq 1 "$ROUNDS"); do
	run_variant "hs256-r$round" HS256 "$PERF_DIR/warm/hs256.txt"
	run_variant "rs256-jwks-r$round" RS256 "$PERF_DIR/warm/rs256.txt"
	if [ "$COLD_TOKENS" != 0 ]; then
		run_variant "hs256-cold-r$round" HS256 "$PERF_DIR/cold/hs256.txt"
		run_variant "rs256-jwks-cold-r$round" RS256 "$PERF_DIR/cold/rs256.txt"
	fi
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$PERF_DIR/results" "$PERF_CLK_TCK" "$CONNECTIONS" "$DURATION" "$WORKER" "$WORKER_CASES" \
	"$(nproc)" "$LOAD_START" "$LOAD_END" <<'PY'
import re
import statistics
import sys

path, hz, conns, duration, worker, worker_cases, cores, load_start, load_end = sys.argv[1:]
rows = [dict(kv.split('=', 1) for kv in line.split()) for line in open(path)]
for r in rows:
    r['variant'] = re.sub(r'-r\d+$', '', r['name'])
    r['rps'] = int(r['requests']) / (int(r['duration_us']) / 1e6)
    r['cpu_us'] = int(r['service_ticks']) / int(hz) * 1e6 / max(int(r['requests']), 1)

print()
print(f'GET /v1/cases/{{id}} as caseworker {worker} ({worker_cases} own cases), wrk -t2 -c{conns}, '
      f'{duration} s a run, {cores} cores; load average {load_start} at the start, {load_end} at the end')
print()
fmt = '{:<18} {:>6} {:>9} {:>7} {:>8} {:>8} {:>14} {:>7}'
print(fmt.format('variant', 'tokens', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'service us/req', 'errors'))
base = {}
for r in rows:
    if r['variant'].startswith('hs256'):
        base.setdefault((r['variant'].replace('hs256', ''), r['name'][-2:]), r['rps'])
for r in rows:
    against = base.get((r['variant'].replace('rs256-jwks', ''), r['name'][-2:]))
    ratio = f'{r["rps"] / against:.2f}' if against else ''
    print(fmt.format(r['name'], r['tokens'], f'{r["rps"]:.0f}', ratio, f'{int(r["p50_us"]) / 1000:.2f}',
                     f'{int(r["p99_us"]) / 1000:.2f}', f'{r["cpu_us"]:.1f}',
                     int(r['non2xx']) + int(r['socket_errors']) + int(r['not_200'])))
print()
for variant in ('', '-cold'):
    hs = [r['rps'] for r in rows if r['variant'] == f'hs256{variant}']
    rs = [r['rps'] for r in rows if r['variant'] == f'rs256-jwks{variant}']
    if hs and rs:
        print(f'rs256-jwks{variant} / hs256{variant}: median of rounds {statistics.median(rs):.0f} / '
              f'{statistics.median(hs):.0f} req/s = {statistics.median(rs) / statistics.median(hs):.2f}')
        hs_cpu = [r['cpu_us'] for r in rows if r['variant'] == f'hs256{variant}']
        rs_cpu = [r['cpu_us'] for r in rows if r['variant'] == f'rs256-jwks{variant}']
        print(f'  service CPU per request, median of rounds: {statistics.median(rs_cpu):.1f} / '
              f'{statistics.median(hs_cpu):.1f} us = {statistics.median(rs_cpu) / statistics.median(hs_cpu):.2f}')
PY
exit "$FAILED"
