#!/usr/bin/env bash
# GET /v1/cases: a deep page (keyset pagination with cursor) against the first.
#
# usage: tests/perf/bench-list-pages.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   UNIT_CASES=50000     cases in the supervisor's unit
#   OTHER_CASES=10000    cases in 9 other units, interleaved in time
#   LIMIT=100            page size
#   DEPTH=400            the deep page's number
#   TRIES=21             timings of each page; the median is reported
#   CASEWORK_HTTP_THREADS  threading model of the service (default: the service's,
#                          0, a thread per connection)
#   PERF_KEEP=1          keep the temporary directory (logs) at the end
#
# Builds the service (release), starts a private PostgreSQL 15 on a Unix socket,
# migrates, seeds, then for a supervisor (the unit's cases) and an administrator
# (every case) walks every page once, checking that no case is skipped or
# repeated, and times page 1 and page DEPTH alternately.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings UNIT_CASES=50000 OTHER_CASES=10000 LIMIT=100 DEPTH=400 TRIES=21
UNIT=bench-unit-list
export CASEWORK_HTTP_THREADS=${CASEWORK_HTTP_THREADS:-0}

perf_init "$BUILD_DIR"
perf_start_database
perf_migrate
perf_seed_cases "$UNIT_CASES" 50 1 "$UNIT" LIST
perf_seed_cases "$OTHER_CASES" 50 9 "" OTHER
perf_start_service list

SUPERVISOR=$(perf_token --sub bench-supervisor --role supervisor --unit "$UNIT")
ADMINISTRATOR=$(perf_token --sub bench-administrator --role administrator)
TOTAL=$((UNIT_CASES + OTHER_CASES))

: >"$PERF_DIR/results"
run_scope() {
	local label=$1 token=$2 expect=$3
	perf_log "$label: walking $expect cases in pages of $LIMIT, then page 1 and page $DEPTH $TRIES times each"
	python3 tests/perf/list_pages.py --url "$PERF_URL" --token "$token" --label "$label" \
		--expect "$expect" --limit "$LIMIT" --depth "$DEPTH" --tries "$TRIES" \
		--log "$PERF_SERVICE_LOG" >"$PERF_DIR/$label.txt" \
		|| { cat "$PERF_DIR/$label.txt" >&2; perf_die "$label: the walk failed"; }
	grep -v '^RESULT ' "$PERF_DIR/$label.txt" >&2
	grep '^RESULT ' "$PERF_DIR/$label.txt" >>"$PERF_DIR/results"
}

run_scope supervisor "$SUPERVISOR" "$UNIT_CASES"
run_scope administrator "$ADMINISTRATOR" "$TOTAL"
perf_stop_service

python3 - "$PERF_DIR/results" "$LIMIT" "$TRIES" "$CASEWORK_HTTP_THREADS" <<'PY'
import sys

path, limit, tries, threads = sys.argv[1:]
print()
print(f'GET /v1/cases?limit={limit}: median of {tries} requests on one keep-alive connection '
      f'(CASEWORK_HTTP_THREADS={threads})')
fmt = '{:<14} {:>6} {:>6} {:>6} {:>11} {:>10} {:>6} {:>14} {:>13} {:>13}'
print(fmt.format('caller', 'cases', 'pages', 'deep', 'first ms', 'deep ms', 'ratio',
                 'service first', 'service deep', 'service ratio'))
with open(path) as f:
    for line in f:
        r = dict(kv.split('=', 1) for kv in line.split()[1:])
        print(fmt.format(r['label'], r['cases'], r['pages'], r['depth'], r['first_ms'], r['deep_ms'],
                         r['ratio'], r.get('server_first_ms', '?'), r.get('server_deep_ms', '?'),
                         r.get('server_ratio', '?')))
print()
print('"ms" columns: measured by the client (request to last byte); "service": duration_ms from the '
      "service's own log line. Goal: the deep page costs about the same as the first (ratio near 1).")
PY
