#!/usr/bin/env bash
# GET /v1/cases/{id} while the heaviest reports run: the same wrk load without
# reports and with REPORTS visit measures running at once, in the same run, for
# each threading model, on the state-sized data set of bench-visit-measure.sh.
#
# usage: tests/perf/bench-report-isolation.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   SCALE_CHILDREN=100000  children in care in the data set (10000: the 10 % set)
#   LOAD_TRIGGERS=off      as in bench-visit-measure.sh; off loads in a third of the time
#                          (no audit rows), and the reports read the same rows either way
#   REPORTS=4              reports running at once during the loaded runs, each from a
#                          client that asks again as soon as it has its answer
#   REPORT_MONTHS=120      the reports' range: this many months (at most 120) ending with
#                          the last month of visits; the administrator's, over every case
#   THREADS_MODELS="0 8"   CASEWORK_HTTP_THREADS values, one service each (an epoll pool
#                          must have more workers than REPORTS)
#   DURATION=20 WARMUP=3   seconds of each measured wrk run without reports, and of the warm-up
#   REPORT_RUN=120         seconds of each measured run with reports: long enough for the
#                          reports to end within it (30 to 90 s each at full scale on a
#                          busy 2-core machine), so that a request held up behind one is timed
#   CONNECTIONS=16         wrk -c
#   PACE_MS=10             the paced runs: each connection waits this long after an answer
#                          before its next request (16 connections: at most 1,600 requests/s,
#                          an agency's busy hour rather than the most the machine can do)
#   DB_POOL_SIZE=N         CASEWORK_DB_POOL_SIZE (default: the service's, 4 x cores)
#   PERF_KEEP=1            keep the temporary directory (logs) at the end
#
# The service runs with CASEWORK_REPORT_CONCURRENCY=REPORTS, so that all of them
# run (none is refused). Exit status 1 if a case read answered anything but 200.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings SCALE_CHILDREN=100000 LOAD_TRIGGERS=off REPORTS=4 REPORT_MONTHS=120
perf_settings THREADS_MODELS="0 $((2 * REPORTS))" DURATION=20 REPORT_RUN=120 WARMUP=3 CONNECTIONS=16 PACE_MS=10
MONTHS=12
PERIOD_FROM=2025-01
perf_use_db_pool_size

perf_positive SCALE_CHILDREN REPORTS REPORT_MONTHS DURATION REPORT_RUN WARMUP CONNECTIONS PACE_MS
[ "$SCALE_CHILDREN" -ge 250 ] || perf_die "SCALE_CHILDREN must be at least 250"
[ "$REPORT_MONTHS" -le 120 ] || perf_die "REPORT_MONTHS must be at most 120 (the report's limit)"
for t in $THREADS_MODELS; do
	[[ $t =~ ^[0-9]+$ ]] && { [ "$t" = 0 ] || [ "$t" -gt "$REPORTS" ]; } \
		|| perf_die "THREADS_MODELS: $t is neither 0 nor an epoll pool of more than REPORTS ($REPORTS) workers"
done
perf_load_triggers
REPORT_TO=$(perf_month_plus "$PERIOD_FROM" $((MONTHS - 1)))
REPORT_FROM=$(perf_month_plus "$REPORT_TO" $((1 - REPORT_MONTHS)))
REPORT_PATH="/v1/reports/visit-compliance?from=$REPORT_FROM&to=$REPORT_TO"

perf_init "$BUILD_DIR"
perf_start_database
perf_migrate
perf_visit_measure_sizes "$SCALE_CHILDREN"
perf_log "loading $FAMILIES families (about $SCALE_CHILDREN children), visits $PERIOD_FROM + $MONTHS months" \
	"(triggers $LOAD_TRIGGERS)"
LOAD_T0=$(date +%s)
perf_load_visit_measure 1 "$FAMILIES" "$PERIOD_FROM-01" "$MONTHS" "$REPLICA" "$PERF_DIR/load.log"
perf_psql -qc 'VACUUM ANALYZE' >/dev/null
read -r CASES CHILDREN VISITS DB_BYTES < <(perf_psql -At -F ' ' -c "
	SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM participants WHERE role = 'child'),
	       (SELECT count(*) FROM visits), pg_database_size(current_database())")
perf_log "loaded in $(($(date +%s) - LOAD_T0)) s: $CASES cases, $CHILDREN children, $VISITS visits," \
	"database $((DB_BYTES / 1048576)) MB"

WORKER=bench-worker-001
read -r WORKER_UNIT WORKER_CASES < <(perf_psql -At -F ' ' -c \
	"SELECT min(unit), count(*) FROM cases WHERE assigned_worker = '$WORKER' AND deleted_at IS NULL")
[ "$WORKER_CASES" -gt 0 ] || perf_die "$WORKER has no cases"
TOKEN=$(perf_token --sub "$WORKER" --role caseworker --unit "$WORKER_UNIT")
ADMINISTRATOR=$(perf_token --sub bench-administrator --role administrator)
LUA=$PERF_DIR/get-case.lua
perf_get_case_lua "$TOKEN" "$WORKER" "$LUA"
# The same, each connection pausing PACE_MS after each answer (wrk's delay()).
PACED_LUA=$PERF_DIR/get-case-paced.lua
{ cat "$LUA"; echo "function delay() return $PACE_MS end"; } >"$PACED_LUA"

# The service's report connections that are running a statement now.
reports_active() {
	perf_psql -At -c "SELECT count(*) FROM pg_stat_activity
	                   WHERE application_name = 'caseworkd reports' AND state = 'active'"
}

# report_client LOG: asks for the report again and again until $PERF_DIR/stop
# exists; one line per answer: end time (epoch s), HTTP status, seconds taken.
report_client() {
	local log=$1 out
	while [ ! -e "$PERF_DIR/stop" ]; do
		out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 900 \
			-H "Authorization: Bearer $ADMINISTRATOR" "$PERF_URL$REPORT_PATH") || out="000 0"
		echo "$(date +%s.%N) $out" >>"$log"
		[ "${out%% *}" = 200 ] || sleep 1
	done
}

# sample_reports OUT SECONDS: the number of reports running, once a second.
sample_reports() {
	local i
	for i in $(seq 1 "$2"); do
		reports_active >>"$1"
		sleep 1
	done
}

# start_report_clients RUN: REPORTS clients in the background (pids in
# CLIENTS; logs named after RUN), one at a time, as an epoll worker may accept
# several new connections at once.
start_report_clients() {
	local i
	CLIENTS=()
	rm -f "$PERF_DIR/stop"
	for i in $(seq 1 "$REPORTS"); do
		report_client "$PERF_DIR/reports-$1-$i.log" &
		CLIENTS+=($!)
		sleep 0.2
	done
}

# stop_report_clients THREADS RUN: lets each client finish the report under
# way, then adds one result line per report answered.
stop_report_clients() {
	local pid end status seconds
	touch "$PERF_DIR/stop"
	perf_log "waiting for the reports under way to end"
	for pid in "${CLIENTS[@]}"; do wait "$pid" || true; done
	cat "$PERF_DIR"/reports-"$2"-*.log | while read -r end status seconds; do
		echo "kind=report threads=$1 end=$end status=$status seconds=$seconds"
	done >>"$PERF_DIR/results"
}

FAILED=0
# measure THREADS LOAD LABEL: one measured wrk run, LOAD full (as fast as it
# goes) or paced; with LABEL "reports", the report clients start a second into
# it, once wrk's connections are open and served (as a client's keep-alive
# connections are when an auditor starts reports).
measure() {
	local threads=$1 load=$2 label=$3 name result logged bad t0 t1 sampler wrk_pid script=$LUA
	local seconds=$DURATION
	[ "$load" = full ] || script=$PACED_LUA
	[ "$label" = none ] || seconds=$REPORT_RUN
	name=wrk-$threads-$load-$label
	: >"$PERF_SERVICE_LOG"
	: >"$PERF_DIR/$name-running"
	sample_reports "$PERF_DIR/$name-running" "$seconds" &
	sampler=$!
	t0=$(date +%s.%N)
	wrk -t2 -c "$CONNECTIONS" -d "${seconds}s" --timeout 300s -s "$script" "$PERF_URL" >"$PERF_DIR/$name.txt" 2>&1 &
	wrk_pid=$!
	if [ "$label" = reports ]; then
		sleep 1
		perf_log "starting $REPORTS report clients: GET $REPORT_PATH"
		start_report_clients "$threads-$load"
	fi
	wait "$wrk_pid" || { cat "$PERF_DIR/$name.txt" >&2; perf_die "wrk failed"; }
	t1=$(date +%s.%N)
	wait "$sampler" || true
	perf_wrk_result "$PERF_DIR/$name.txt"
	result=$WRK_RESULT
	logged=$(grep -ac '"route":"/v1/cases/{id}"' "$PERF_SERVICE_LOG" || true)
	bad=$(grep -a '"route":"/v1/cases/{id}"' "$PERF_SERVICE_LOG" | grep -avc '"status":200' || true)
	echo "kind=wrk threads=$threads load=$load label=$label seconds=$seconds ${result#RESULT } logged=$logged not_200=$bad t0=$t0 t1=$t1" \
		"running=$(paste -sd, "$PERF_DIR/$name-running")" >>"$PERF_DIR/results"
	perf_log "$load, $label: $(grep -o 'requests=[0-9]*' <<<"$result") in ${seconds}s, $bad not 200;" \
		"reports running: $(paste -sd' ' "$PERF_DIR/$name-running")"
	if grep -Eq 'non2xx=[1-9]|socket_errors=[1-9]' <<<"$result" || [ "$bad" != 0 ]; then
		perf_log "error: CASEWORK_HTTP_THREADS=$threads, $load, $label: answers other than 200, or socket errors"
		FAILED=1
	fi
}

# run_model THREADS: a service; for each load, wrk without reports, then with them.
run_model() {
	local threads=$1 load
	export CASEWORK_HTTP_THREADS=$threads CASEWORK_REPORT_CONCURRENCY=$REPORTS
	perf_start_service "service-$threads"
	perf_log "CASEWORK_HTTP_THREADS=$threads: wrk warm-up ${WARMUP}s"
	perf_run "$PERF_DIR/warmup-$threads.txt" wrk -t2 -c "$CONNECTIONS" -d "${WARMUP}s" -s "$LUA" "$PERF_URL" \
		|| { cat "$PERF_DIR/warmup-$threads.txt" >&2; perf_die "wrk warm-up failed"; }
	for load in full paced; do
		measure "$threads" "$load" none
		measure "$threads" "$load" reports
		stop_report_clients "$threads" "$threads-$load"
	done
	perf_stop_service
}

: >"$PERF_DIR/results"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for t in $THREADS_MODELS; do
	run_model "$t"
done

python3 - "$PERF_DIR/results" "$CONNECTIONS" "$REPORTS" "$REPORT_PATH" "$WORKER" "$WORKER_CASES" \
	"$CASES" "$CHILDREN" "$VISITS" "$DB_BYTES" "$LOAD_TRIGGERS" "$(nproc)" "$LOAD_START" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "${CASEWORK_DB_POOL_SIZE:-default}" "$PACE_MS" <<'PY'
import statistics
import sys

(path, conns, reports, report_path, worker, worker_cases, cases, children, visits, db_bytes, triggers, cores,
 load_start, load_end, pool, pace) = sys.argv[1:]
rows = []
with open(path) as f:
    for line in f:
        rows.append(dict(kv.split('=', 1) for kv in line.split()))
runs = [r for r in rows if r['kind'] == 'wrk']
done = [r for r in rows if r['kind'] == 'report']
model = lambda t: 'thread/connection' if t == '0' else f'epoll pool of {t}'

print()
print(f'GET /v1/cases/{{id}} as caseworker {worker} ({worker_cases} own cases), wrk -t2 -c{conns}, without reports')
print(f'and while {reports} clients each ask again and again for GET {report_path}')
print(f'as administrator. Data set: {int(cases):,} cases, {int(children):,} children in care, {int(visits):,} visits,')
print(f'database {int(db_bytes) / 1048576:.0f} MB (triggers {triggers} at load). {cores} cores; load average '
      f'{load_start} at the start, {load_end} at the end; database pool {pool}.')
print()
fmt = '{:<17} {:<6} {:<7} {:>4} {:>6} {:>6} {:>7} {:>8} {:>8} {:>8} {:>4} {:>7} {:>6} {:>8}'
print(fmt.format('model', 'load', 'reports', 's', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms',
                 '!200', 'running', 'ended', 'report s'))
for r in runs:
    rps = int(r['requests']) / (int(r['duration_us']) / 1e6)
    ms = lambda key: f'{int(r[key]) / 1000:.1f}' if int(r[key]) >= 10000 else f'{int(r[key]) / 1000:.2f}'
    running = [int(x) for x in r['running'].split(',') if x]
    t0, t1 = float(r['t0']), float(r['t1'])
    ended = [float(d['seconds']) for d in done
             if d['threads'] == r['threads'] and d['status'] == '200' and t0 <= float(d['end']) <= t1]
    errors = int(r['non2xx']) + int(r['socket_errors']) + int(r['not_200'])
    with_reports = r['label'] != 'none'
    print(fmt.format(model(r['threads']), r['load'], f'{reports}' if with_reports else 'none', r['seconds'],
                     f'{rps:.0f}', ms('p50_us'), ms('p90_us'), ms('p99_us'), ms('p999_us'), ms('max_us'), errors,
                     f'{min(running)}-{max(running)}' if running else '-', len(ended) if with_reports else '',
                     f'{statistics.median(ended):.1f}' if ended else ''))
    if with_reports and not ended:
        print('    warning: no report ended within this run; a request held up behind one may not have been'
              ' timed (raise REPORT_RUN)')
print()
for t in sorted({d['threads'] for d in done}, key=int):
    ok = sorted(float(d['seconds']) for d in done if d['threads'] == t and d['status'] == '200')
    other = [d['status'] for d in done if d['threads'] == t and d['status'] != '200']
    print(f'{model(t)}: {len(ok)} reports answered 200 in {ok[0]:.1f} to {ok[-1]:.1f} s (median '
          f'{statistics.median(ok):.1f} s)' if ok else f'{model(t)}: no report answered 200', end='')
    print(f'; other answers: {", ".join(other)}' if other else '')
print()
print('req/s and latencies: wrk (--timeout 300 s: a request held up behind a report is timed, not dropped).')
print('A connection held up sends nothing else meanwhile, so its wait is one request among thousands: it shows')
print('in p99.9, max and req/s more than in p99. Reports: their clients start one second into the run, once')
print(f'wrk\'s connections are open and served. load full: the next request at once; paced: {pace} ms after each')
print('answer. running: reports executing in PostgreSQL, sampled every second (min-max); ended: reports that')
print('ended during the run; report s: their median time.')
PY
[ "$FAILED" = 0 ] || perf_die "some case reads did not answer 200 (column !200: closed connections count too)"
