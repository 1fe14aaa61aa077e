#!/usr/bin/env bash
# GET /v1/reports/federal-clocks on the state-sized data set of the visit
# measure (tests/perf/visit-measure-load.sql: children with removal episodes
# and placements) with about 3 court hearings an episode and an approved plan
# a case (tests/perf/federal-clocks-load.sql): loaded at 10 %, measured; the
# other 90 % loaded, measured again.
#
# usage: tests/perf/bench-federal-clocks.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   SCALE_CHILDREN=100000  children in the full data set (as bench-visit-measure.sh)
#   RUNS=5                 timed requests per measure and size; medians reported
#   LOAD_TRIGGERS=on       on: every trigger fires during the load; off: bulk load with
#                          triggers off, the triggers' rows filled by the load itself
#   CHECK=1                0 skips the independent recomputation
#   PERF_KEEP=1            keep the temporary directory at the end
#
# For each size it times, over HTTP, with the agency in America/Chicago:
#   - the supervisor of bench-unit-01 (one unit of 50): the worklist, status=overdue;
#   - an administrator: the first page of the whole report (500 rows, most overdue first);
#   - an administrator: the whole report as CSV, streamed, sampling the service's
#     resident memory while it streams;
#   - an administrator: the visit measure over the data set's 12 months, the
#     reference the worklist is held to (under 10 % of it);
# and checks every row of the CSV against tests/perf/federal_clocks_check.py, which
# recomputes each clock from the tables in Python.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings SCALE_CHILDREN=100000 RUNS=5 LOAD_TRIGGERS=on CHECK=1
ZONE=America/Chicago

perf_positive SCALE_CHILDREN RUNS
[ "$SCALE_CHILDREN" -ge 250 ] || perf_die "SCALE_CHILDREN must be at least 250"
perf_load_triggers

perf_visit_measure_sizes "$SCALE_CHILDREN"
FIRST=$((FAMILIES / 10))
UNIT=bench-unit-01
TODAY=$(TZ=$ZONE date +%F)
# The data set's 12 months end with last month, so that its children are in care now.
PERIOD_TO=$(perf_month_plus "${TODAY%-*}" -1)
PERIOD_FROM=$(perf_month_plus "$PERIOD_TO" -11)
P0=$PERIOD_FROM-01

perf_init "$BUILD_DIR"
perf_start_database
perf_migrate
export CASEWORK_TIMEZONE=$ZONE CASEWORK_REPORT_TIMEOUT_SECONDS=600
perf_start_service federal-clocks
RSS_START=$(perf_rss_kb "$PERF_SERVICE_PID")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

ADMINISTRATOR=$(perf_token --sub bench-administrator --role administrator)
SUPERVISOR=$(perf_token --sub bench-supervisor --role supervisor --unit "$UNIT")

: >"$PERF_DIR/results"
result() { echo "$*" >>"$PERF_DIR/results"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

load() {
	local size=$1 g_from=$2 g_to=$3 t0 t1 t2 t3
	perf_log "$size %: loading families $g_from..$g_to (triggers $LOAD_TRIGGERS)"
	t0=$(now)
	perf_load_visit_measure "$g_from" "$g_to" "$P0" 12 "$REPLICA" "$PERF_DIR/load-$size.log"
	t1=$(now)
	perf_psql -q -v today="$TODAY" -v zone="$ZONE" -v replica="$REPLICA" -f tests/perf/federal-clocks-load.sql \
		>"$PERF_DIR/load-hearings-$size.log" 2>&1 || { cat "$PERF_DIR/load-hearings-$size.log" >&2; perf_die "the hearings' load failed"; }
	t2=$(now)
	perf_psql -qc 'VACUUM ANALYZE' >/dev/null
	t3=$(now)
	local counts
	counts=$(perf_psql -At -F ' ' -c "
		SELECT (SELECT count(*) FROM participants WHERE role = 'child'),
		       (SELECT count(*) FROM participants p JOIN cases c ON c.id = p.case_id
		         WHERE p.role = 'child' AND c.unit = '$UNIT'),
		       (SELECT count(*) FROM episodes), (SELECT count(*) FROM placements),
		       (SELECT count(*) FROM hearings), (SELECT count(*) FROM plans WHERE status = 'active'),
		       (SELECT count(*) FROM episodes WHERE entered_care_on < removed_on + 60),
		       pg_database_size(current_database())")
	read -r children unit_children episodes placements hearings plans early db_bytes <<<"$counts"
	result "kind=load size=$size load_s=$(secs "$t0" "$t1") hearings_s=$(secs "$t1" "$t2") vacuum_s=$(secs "$t2" "$t3")" \
		"children=$children unit_children=$unit_children episodes=$episodes placements=$placements" \
		"hearings=$hearings plans=$plans early=$early db_bytes=$db_bytes"
	perf_log "$size %: $children children, $episodes episodes, $hearings hearings, $plans approved plans;" \
		"loaded in $(secs "$t0" "$t2") s; database $((db_bytes / 1048576)) MB"
}

# timed NAME SIZE TOKEN URL [ACCEPT]: a warm-up, then RUNS timed requests.
timed() {
	local name=$1 size=$2 token=$3 url=$4 accept=${5:-application/json} i out code total bytes times=() failed=0
	local body=$PERF_DIR/$name-$size.out
	perf_log "$size %: $name, a warm-up and $RUNS timed"
	for i in $(seq 0 "$RUNS"); do
		out=$(curl -sS -o "$body" -w '%{http_code} %{time_total} %{size_download}' --max-time 900 \
			-H "Authorization: Bearer $token" -H "Accept: $accept" "$PERF_URL$url") || out="000 0 0"
		read -r code total bytes <<<"$out"
		if [ "$code" != 200 ]; then
			perf_log "warning: $name at $size %: HTTP $code: $(head -c 300 "$body")"
			failed=$((failed + 1))
			continue
		fi
		[ "$i" = 0 ] || times+=("$(awk -v t="$total" 'BEGIN { printf "%.1f", t * 1000 }')")
	done
	result "kind=http name=$name size=$size failed=$failed bytes=$bytes times=$(IFS=,; echo "${times[*]:-}")"
}

# csv_streamed SIZE: the whole report as CSV once, sampling the service's RSS every 50 ms.
csv_streamed() {
	local size=$1 out t0 t1 peak=0 rss code sampler
	local body=$PERF_DIR/federal-clocks-$size.csv
	perf_log "$size %: the whole report as CSV, sampling the service's memory"
	(while sleep 0.05; do perf_rss_kb "$PERF_SERVICE_PID"; done) >"$PERF_DIR/rss-$size.txt" &
	sampler=$!
	local before
	before=$(perf_rss_kb "$PERF_SERVICE_PID")
	t0=$(now)
	code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 900 -H "Authorization: Bearer $ADMINISTRATOR" \
		-H 'Accept: text/csv' "$PERF_URL/v1/reports/federal-clocks") || code=000
	t1=$(now)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	[ "$code" = 200 ] || perf_die "the CSV answered HTTP $code: $(head -c 300 "$body")"
	peak=$(sort -n "$PERF_DIR/rss-$size.txt" | tail -1)
	result "kind=csv size=$size ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')" \
		"bytes=$(stat -c %s "$body") rows=$(($(wc -l <"$body") - 1)) rss_before=$before rss_peak=${peak:-?}" \
		"hwm=$(perf_peak_rss_kb "$PERF_SERVICE_PID")"
}

check() {
	local size=$1 dir=$PERF_DIR/check-$size
	[ "$CHECK" = 1 ] || return 0
	perf_log "$size %: recomputing every clock independently"
	mkdir -p "$dir"
	perf_psql -qc "\\copy (SELECT id, case_number, assigned_worker, unit FROM cases WHERE deleted_at IS NULL) TO '$dir/cases.tsv'"
	perf_psql -qc "\\copy (SELECT e.id, e.participant_id, e.case_id, e.removed_on, e.discharged_on, e.tpr_exception
		FROM episodes e JOIN participants p ON p.id = e.participant_id JOIN cases c ON c.id = e.case_id
		WHERE e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL) TO '$dir/episodes.tsv'"
	perf_psql -qc "\\copy (SELECT episode_id, started_on, ended_on, setting FROM placements WHERE deleted_at IS NULL) TO '$dir/placements.tsv'"
	perf_psql -qc "\\copy (SELECT hearing_type, held_on, abuse_neglect_found, child_ids FROM hearings WHERE deleted_at IS NULL) TO '$dir/hearings.tsv'"
	perf_psql -qc "\\copy (SELECT case_id, (approved_at AT TIME ZONE '$ZONE')::date FROM plans
		WHERE deleted_at IS NULL AND approved_at IS NOT NULL) TO '$dir/plans.tsv'"
	local line
	line=$(python3 tests/perf/federal_clocks_check.py "$dir" "$TODAY" "$PERF_DIR/federal-clocks-$size.csv") \
		|| perf_die "$size %: the report differs from the independent computation"
	result "kind=check size=$size $line"
}

measure() {
	local size=$1
	timed worklist "$size" "$SUPERVISOR" '/v1/reports/federal-clocks?status=overdue'
	timed first-page "$size" "$ADMINISTRATOR" '/v1/reports/federal-clocks'
	timed visit-measure "$size" "$ADMINISTRATOR" "/v1/reports/visit-compliance?from=$PERIOD_FROM&to=$PERIOD_TO"
	csv_streamed "$size"
	check "$size"
}

perf_log "data set: $FAMILIES families, about $SCALE_CHILDREN children, $UNITS units; today $TODAY ($ZONE)"
load 10 1 "$FIRST"
measure 10
load 100 $((FIRST + 1)) "$FAMILIES"
measure 100
perf_stop_service

python3 - "$PERF_DIR/results" "$RUNS" "$UNIT" "$RSS_START" "$(nproc)" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$TODAY" <<'PY'
import statistics
import sys

path, runs, unit, rss_start, cores, load_start, load_end, today = sys.argv[1:]
rows = [dict(kv.split('=', 1) for kv in line.split()) for line in open(path)]
get = lambda kind, **kw: next((r for r in rows if r['kind'] == kind and all(r.get(k) == v for k, v in kw.items())), {})
med = lambda r: statistics.median([float(x) for x in r.get('times', '').split(',') if x] or [0])
fmt = '{:<44} {:>12} {:>12} {:>8}'
row = lambda *c: print(fmt.format(*c).rstrip())
ratio = lambda a, b: f'{a / b:.1f}' if a and b else '-'
print()
print(f'GET /v1/reports/federal-clocks, today {today}: median of {runs} runs after one warm-up; {cores} cores;'
      f' load average {load_start} at the start, {load_end} at the end')
print()
row('data set', '10 %', '100 %', '100/10')
l10, l100 = get('load', size='10'), get('load', size='100')
for key, label in (('children', 'children'), ('unit_children', f'  of them in {unit}'), ('episodes', 'removal episodes'),
                   ('placements', 'placements'), ('hearings', 'hearings'), ('plans', 'approved plans'),
                   ('early', 'episodes entered care before day 60')):
    a, b = int(l10.get(key, 0)), int(l100.get(key, 0))
    row(label, f'{a:,}', f'{b:,}', ratio(b, a))
a, b = int(l10.get('hearings', 0)) / max(1, int(l10.get('episodes', 1))), int(l100.get('hearings', 0)) / max(1, int(l100.get('episodes', 1)))
row('hearings an episode', f'{a:.2f}', f'{b:.2f}', '')
row('database', f'{int(l10.get("db_bytes", 0)) // 1048576} MB', f'{int(l100.get("db_bytes", 0)) // 1048576} MB', '')
print()
row('time, ms (median, HTTP to the last byte)', '10 %', '100 %', '100/10')
for name, label in (('worklist', f'supervisor of {unit}: status=overdue'), ('first-page', 'administrator: first page (500 rows)'),
                    ('visit-measure', 'administrator: visit measure, 12 months')):
    a, b = med(get('http', name=name, size='10')), med(get('http', name=name, size='100'))
    row(label, f'{a:.0f}', f'{b:.0f}', ratio(b, a))
c10, c100 = get('csv', size='10'), get('csv', size='100')
row('administrator: whole report as CSV', c10.get('ms', '-'), c100.get('ms', '-'),
    ratio(float(c100.get('ms', 0)), float(c10.get('ms', 0))))
row('  rows', f'{int(c10.get("rows", 0)):,}', f'{int(c100.get("rows", 0)):,}', '')
row('  MB', f'{int(c10.get("bytes", 0)) / 1048576:.1f}', f'{int(c100.get("bytes", 0)) / 1048576:.1f}', '')
row('  service RSS before, kB', c10.get('rss_before', '-'), c100.get('rss_before', '-'), '')
row('  service RSS, most while streaming, kB', c10.get('rss_peak', '-'), c100.get('rss_peak', '-'), '')
row('  service peak RSS so far (VmHWM), kB', c10.get('hwm', '-'), c100.get('hwm', '-'), '')
for size in ('10', '100'):
    w, v = med(get('http', name='worklist', size=size)), med(get('http', name='visit-measure', size=size))
    print(f'worklist / visit measure at {size} %: {100 * w / v:.1f} %' if v else '')
print(f'service RSS at start: {rss_start} kB')
print()
for r in (r for r in rows if r['kind'] == 'check'):
    rest = ' '.join(f'{k}={v}' for k, v in r.items() if k not in ('kind', 'size'))
    print(f'check at {r["size"]} %: {rest}')
PY
