#!/usr/bin/env bash
# GET /v1/cases/{id} under wrk against pgbench -S on the same database, same run.
#
# usage: tests/perf/bench-get-case.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   DURATION=20          seconds of each measured run (wrk and pgbench)
#   WARMUP=3             seconds of warm-up before each measured run
#   CASES=5000           cases seeded (spread over 50 workers and 10 units)
#   PGBENCH_SCALE=10     pgbench -i scale
#   THREADS_MODELS="0 4" CASEWORK_HTTP_THREADS values to measure, one service run
#                        each (0: a thread per connection; N: an epoll pool of N);
#                        default: $CASEWORK_HTTP_THREADS, or the service's own
#                        default (0, a thread per connection)
#   CONNECTIONS=16       wrk -c and pgbench -c
#   DB_POOL_SIZE=N       CASEWORK_DB_POOL_SIZE for the service (default: the
#                        service's own default, 4 x cores)
#   TRACE_MODES="off on" run each threading model without and with a W3C
#                        traceparent on every request (a new trace each), in
#                        turn; "unsampled" sends traces whose caller does not
#                        record them (flags 00) (default: off)
#   PERF_KEEP=1          keep the temporary directory (logs, wrk script) at the end
#
# Builds the service (release), starts a private PostgreSQL 15 on a Unix socket,
# migrates, seeds, runs pgbench -S -M prepared and pgbench with the service's own
# SELECT (-f) before and after the service runs, and prints one table. Exit
# status 1 if wrk saw socket errors or an answer other than 200.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings DURATION=20 WARMUP=3 CASES=5000 PGBENCH_SCALE=10 CONNECTIONS=16 \
	THREADS_MODELS="${CASEWORK_HTTP_THREADS:-0}" TRACE_MODES=off
WORKERS=50
UNITS=10
perf_use_db_pool_size

perf_init "$BUILD_DIR"
perf_start_database
perf_migrate
perf_seed_cases "$CASES" "$WORKERS" "$UNITS"

perf_pgbench_init "$PGBENCH_SCALE"
perf_psql -qc 'VACUUM ANALYZE' >/dev/null

# bench-worker-01's caseload: cases g = 50, 100, ... (see perf_seed_cases).
WORKER=bench-worker-01
read -r WORKER_UNIT WORKER_CASES < <(perf_psql -At -F ' ' -c \
	"SELECT min(unit), count(*) FROM cases WHERE assigned_worker = '$WORKER' AND deleted_at IS NULL")
[ "$WORKER_CASES" -gt 0 ] || perf_die "$WORKER has no cases"
TOKEN=$(perf_token --sub "$WORKER" --role caseworker --unit "$WORKER_UNIT")
perf_log "caseworker $WORKER ($WORKER_UNIT) owns $WORKER_CASES cases"

# The service's own statement for GET /v1/cases/{id} ("case_get", which
# `caseworkd statements` prints), as a pgbench script on the same cases: what the
# database alone does for that route.
# Parameters as the service passes them: $1 see_all, $2 worker, $3 unit, $4 id.
# \gset makes pgbench fail when a case is not found, so every call finds one.
OWN_SQL=$PERF_DIR/case-get.sql
"$PERF_BUILD/caseworkd" statements | python3 -c '
import re
import sys

workers, count = sys.argv[1:]
found = [line.split("\t", 1)[1].strip() for line in sys.stdin if line.startswith("case_get\t")]
if len(found) != 1:
    sys.exit(f"found {len(found)} statements named case_get")
params = {"1": ":see_all", "2": ":worker", "3": "NULL", "4": "md5(\x27BENCH\x27 || :n::text)::uuid"}
sql = re.sub(r"\$([1-4])\b", lambda m: params[m.group(1)], found[0])
print(f"\\set n {workers} * random(1, {count})")
print(sql.rstrip(";") + " \\gset r_")
' "$WORKERS" "$WORKER_CASES" >"$OWN_SQL" || OWN_SQL=
[ -n "$OWN_SQL" ] || perf_log "warning: the service's case_get statement was not found; no pgbench row for it"

for trace in $TRACE_MODES; do
	perf_get_case_lua "$TOKEN" "$WORKER" "$PERF_DIR/get-case-$trace.lua" "$trace"
done

# Every measurement appends one line of key=value pairs to $PERF_DIR/results.
# CPU figures are ticks over the measured run: the load generator's (client),
# caseworkd's (service, all threads) and the PostgreSQL server's (database).

# run_pgbench NAME ARGS...: a warm-up, then the measured run.
run_pgbench() {
	local name=$1
	shift
	perf_pgbench "$name -M prepared -c$CONNECTIONS -j2" -M prepared -c "$CONNECTIONS" -j 2 "$@"
	echo "kind=pgbench name=$name tps=$PGBENCH_TPS lat_ms=$PGBENCH_LAT client_ticks=$PGBENCH_CLIENT_TICKS" \
		"db_ticks=$PGBENCH_DB_TICKS" >>"$PERF_DIR/results"
}

run_all_pgbench() {
	run_pgbench -S -S
	[ -z "$OWN_SQL" ] || run_pgbench case_get -n -f "$OWN_SQL" -D see_all=f -D "worker=$WORKER"
}

FAILED=0
# run_service THREADS TRACE: caseworkd with CASEWORK_HTTP_THREADS=THREADS under
# wrk, every request with a traceparent of its own when TRACE is on.
run_service() {
	local threads=$1 trace=$2 name rss_before rss_after rss_peak thr sampler
	local c0 c1 s0 s1 d0 d1
	local LUA=$PERF_DIR/get-case-$trace.lua
	name=service-threads-$threads-trace-$trace
	export CASEWORK_HTTP_THREADS=$threads
	perf_start_service "$name"
	rss_before=$(perf_rss_kb "$PERF_SERVICE_PID")
	perf_log "caseworkd CASEWORK_HTTP_THREADS=$threads on $PERF_URL: wrk warm-up ${WARMUP}s, then ${DURATION}s"
	perf_run "$PERF_DIR/$name-warmup.txt" wrk -t2 -c "$CONNECTIONS" -d "${WARMUP}s" -s "$LUA" "$PERF_URL" \
		|| { cat "$PERF_DIR/$name-warmup.txt" >&2; perf_die "wrk warm-up failed"; }
	: >"$PERF_SERVICE_LOG"   # count only the measured requests below
	# The service's thread count in the middle of the measured run.
	(sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"; perf_threads "$PERF_SERVICE_PID" >"$PERF_DIR/$name-threads") &
	sampler=$!
	d0=$(perf_pg_ticks)
	s0=$(perf_ticks "$PERF_SERVICE_PID")
	perf_client_ticks
	c0=$PERF_CLIENT_TICKS
	perf_run "$PERF_DIR/$name-wrk.txt" wrk -t2 -c "$CONNECTIONS" -d "${DURATION}s" -s "$LUA" "$PERF_URL" \
		|| { cat "$PERF_DIR/$name-wrk.txt" >&2; perf_die "wrk failed"; }
	perf_client_ticks
	c1=$PERF_CLIENT_TICKS
	s1=$(perf_ticks "$PERF_SERVICE_PID")
	d1=$(perf_pg_ticks)
	wait "$sampler" || true
	rss_after=$(perf_rss_kb "$PERF_SERVICE_PID")
	rss_peak=$(perf_peak_rss_kb "$PERF_SERVICE_PID")
	thr=$(cat "$PERF_DIR/$name-threads" 2>/dev/null || echo '?')
	perf_wrk_result "$PERF_DIR/$name-wrk.txt"
	# Every measured request must have answered 200 (the log has one line per request).
	perf_answers '"route":"/v1/cases/{id}"' 200
	# With traces on, every one of them must have been read as a trace.
	if [ "$trace" != off ]; then
		NOT_OK=$((NOT_OK + LOGGED - $(grep -a '"route":' "$PERF_SERVICE_LOG" | grep -ac '"trace_id":"' || true)))
	fi
	perf_stop_service
	echo "kind=service threads=$threads trace=$trace ${WRK_RESULT#RESULT } rss_before=$rss_before" \
		"rss_after=$rss_after rss_peak=$rss_peak threads_running=$thr logged=$LOGGED not_200=$NOT_OK" \
		"client_ticks=$((c1 - c0))" \
		"service_ticks=$((s1 - s0)) db_ticks=$((d1 - d0))" >>"$PERF_DIR/results"
	perf_log "caseworkd: $(grep -o 'requests=[0-9]*' <<<"$WRK_RESULT") in ${DURATION}s; $LOGGED logged, $NOT_OK not 200"
	if grep -Eq 'non2xx=[1-9]|socket_errors=[1-9]' <<<"$WRK_RESULT" || [ "$NOT_OK" != 0 ]; then
		perf_log "error: CASEWORK_HTTP_THREADS=$threads: non-2xx answers or socket errors"
		perf_show_failures 200
		FAILED=1
	fi
}

: >"$PERF_DIR/results"
run_all_pgbench
for t in $THREADS_MODELS; do
	for trace in $TRACE_MODES; do
		run_service "$t" "$trace"
	done
done
run_all_pgbench

python3 - "$PERF_DIR/results" "$PERF_CLK_TCK" "$CONNECTIONS" "$DURATION" "$CASES" \
	"$WORKER" "$WORKER_CASES" "$(nproc)" "${CASEWORK_DB_POOL_SIZE:-default}" <<'PY'
import statistics
import sys

path, hz, conns, duration, cases, worker, worker_cases, cores, pool = sys.argv[1:]
hz = int(hz)
rows = []
with open(path) as f:
    for line in f:
        rows.append(dict(kv.split('=', 1) for kv in line.split()))


def us_per(ticks, n):
    return f'{int(ticks) / hz * 1e6 / n:.1f}' if n else '?'


pgbench = {}
for r in rows:
    if r['kind'] == 'pgbench':
        n = float(r['tps']) * int(duration)
        r['client_us'] = us_per(r['client_ticks'], n)
        r['db_us'] = us_per(r['db_ticks'], n)
        pgbench.setdefault(r['name'], []).append(r)
mean = {name: statistics.mean(float(r['tps']) for r in rs) for name, rs in pgbench.items()}
pg, own = mean['-S'], mean.get('case_get')

print()
print(f'GET /v1/cases/{{id}} as caseworker {worker} ({worker_cases} own cases of {cases}), '
      f'{conns} connections, {duration} s per run, {cores} cores, database pool {pool}')
print()
print('pgbench, -M prepared -c{} -j2 over the same Unix socket (runs before and after the service):'.format(conns))
fmt = '  {:<44} {:>16} {:>10} {:>14} {:>14}'
print(fmt.format('', 'TPS', 'latency', 'client CPU', 'database CPU'))
for name, what in (('-S', 'pgbench -S (one pgbench_accounts row)'),
                   ('case_get', "pgbench -f, the service's own SELECT")):
    for r in pgbench.get(name, []):
        print(fmt.format(what, f'{float(r["tps"]):.0f}', f'{r["lat_ms"]} ms', f'{r["client_us"]} us/tx',
                         f'{r["db_us"]} us/tx'))
print()
services = [r for r in rows if r['kind'] == 'service']
model = lambda r: 'thread/connection' if r['threads'] == '0' else f'epoll pool of {r["threads"]}'
fmt = '{:>12}  {:<17} {:>9} {:>7} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7}'
print(fmt.format('HTTP_THREADS', 'model', 'trace', 'req/s', 'ratio', 'vs own', 'p50 ms', 'p90 ms', 'p99 ms',
                 'max ms', 'non-2xx'))
for r in services:
    n = int(r['requests'])
    r['rps'] = n / (int(r['duration_us']) / 1e6)
    ms = lambda key: f'{int(r[key]) / 1000:.2f}'
    errors = int(r['non2xx']) + int(r['socket_errors']) + int(r['not_200'])
    print(fmt.format(r['threads'], model(r), r['trace'], f'{r["rps"]:.0f}', f'{r["rps"] / pg:.2f}',
                     f'{r["rps"] / own:.2f}' if own else '-', ms('p50_us'), ms('p90_us'), ms('p99_us'),
                     ms('max_us'), errors))
print()
fmt = '{:>12}  {:<17} {:>9} {:>10} {:>10} {:>10} {:>7} {:>16} {:>8} {:>8} {:>6}'
print(fmt.format('HTTP_THREADS', 'model', 'trace', 'RSS before', 'RSS after', 'RSS peak', 'threads',
                 'CPU us/req: wrk', 'service', 'database', 'total'))
for r in services:
    n = int(r['requests'])
    cpu = [int(r[k]) / hz * 1e6 / n for k in ('client_ticks', 'service_ticks', 'db_ticks')]
    print(fmt.format(r['threads'], model(r), r['trace'], f'{r["rss_before"]} kB', f'{r["rss_after"]} kB',
                     f'{r["rss_peak"]} kB', r['threads_running'], f'{cpu[0]:.1f}', f'{cpu[1]:.1f}',
                     f'{cpu[2]:.1f}', f'{sum(cpu):.1f}'))
print()
print(f'ratio  = service req/s / mean pgbench -S TPS ({pg:.0f}); goal: 0.6 or more.')
if own:
    print(f"vs own = service req/s / mean TPS of the service's own SELECT under pgbench ({own:.0f}).")
print('Latencies from wrk. RSS of caseworkd from /proc: before the warm-up, after the measured run, '
      'and the peak (VmHWM); threads: in the middle of the measured run.')
print('CPU: user + system time over the measured run per request or transaction, from /proc: the load '
      'generator, caseworkd (all threads), the PostgreSQL server (all processes).')
print(f'With everything on {cores} cores, req/s cannot exceed {cores} x 1e6 / total CPU us per request.')
PY
[ "$FAILED" = 0 ] || perf_die "some requests did not answer 200"
