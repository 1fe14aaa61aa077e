#!/usr/bin/env bash
# GET /v1/reports/visit-compliance (the federal visit measure) and
# GET /v1/reports/placement-stability, or with REPORT=family-time
# GET /v1/reports/family-time (family time delivered), on a state-sized data set
# of children with removal episodes and placements: loaded at 10 %, measured; the
# other 90 % loaded, measured again.
#
# usage: tests/perf/bench-visit-measure.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   REPORT=visit-compliance  or family-time: the report timed; family-time also loads
#                          tests/perf/family-time-load.sql (meetings, family-time plans
#                          and weekly family time) on the same families, and times and
#                          checks only the family-time report
#   SCALE_CHILDREN=100000  children in out-of-home care in the full data set (2.5 to a
#                          family: SCALE_CHILDREN / 2.5 cases; about 12 visits a child a year;
#                          8 % with a second removal episode, 2.2 placements an episode)
#   MONTHS=12              months of visits loaded, and the report's range
#   PERIOD_FROM=2025-01    first month of that range
#   RUNS=5                 timed requests (and psql runs) per caller and size; medians reported
#   LOAD_TRIGGERS=on       on: every trigger fires during the load (audit rows, foreign-key
#                          checks, visit_participants by its trigger); off: the bulk load runs
#                          with session_replication_role = replica and fills visit_participants
#                          itself (faster; no audit rows, so a smaller database)
#   CHECK=1                0 skips recomputing the report with independent SQL
#   PG_SETTINGS="work_mem=64MB jit=off"  ALTER SYSTEM settings for the database (what-if runs)
#   PLANS=1                print the full EXPLAIN ANALYZE plans at the end
#   PERF_KEEP=1            keep the temporary directory (logs, plans, SQL) at the end
#
# Builds the service (release), starts a private PostgreSQL 15 on a Unix socket,
# migrates, starts caseworkd, then for each size: loads through SQL
# (tests/perf/visit-measure-load.sql), VACUUM ANALYZE; times the visit measure
# over the range as an administrator (every case) and as the supervisor of
# bench-unit-01 (one unit of 10 workers), over HTTP and as the same SQL in psql,
# and beside it, on the same data, the measure as it was computed before removal
# episodes (one pair of dates a child, the latest episode's: the statement of
# lib/reports.c before sql/016), to compare within one run; times the
# placement-stability report over the range's days for the same callers; checks
# both reports' numbers against an independent computation; prints one table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings REPORT=visit-compliance SCALE_CHILDREN=100000 MONTHS=12 PERIOD_FROM=2025-01 RUNS=5 LOAD_TRIGGERS=on \
	CHECK=1 PG_SETTINGS= PLANS=

perf_positive SCALE_CHILDREN MONTHS RUNS
[ "$SCALE_CHILDREN" -ge 250 ] || perf_die "SCALE_CHILDREN must be at least 250"
[ "$MONTHS" -le 120 ] || perf_die "MONTHS must be at most 120 (the report's limit)"
[[ $PERIOD_FROM =~ ^[0-9]{4}-(0[1-9]|1[0-2])$ ]] || perf_die "PERIOD_FROM must be YYYY-MM"
case "$REPORT" in
visit-compliance) MARKER=child_months ;;
family-time) MARKER=plan_rows ;;
*) perf_die "REPORT must be visit-compliance or family-time" ;;
esac
perf_load_triggers

# Families (cases), 2.5 children each on average; the first tenth is the 10 % set.
# About 80 families a worker, 10 workers a unit: 500 workers in 50 units at full scale.
perf_visit_measure_sizes "$SCALE_CHILDREN"
FIRST=$((FAMILIES / 10))
UNIT=bench-unit-01
P0=$PERIOD_FROM-01
PERIOD_LAST=$(python3 -c 'import datetime, sys; y, m = map(int, sys.argv[1].split("-")); n = y * 12 + m - 1 + int(sys.argv[2]); print(datetime.date(n // 12, n % 12 + 1, 1) - datetime.timedelta(days=1))' "$PERIOD_FROM" "$MONTHS")
PERIOD_TO=$(perf_month_plus "$PERIOD_FROM" $((MONTHS - 1)))

perf_init "$BUILD_DIR"
perf_start_database
if [ -n "$PG_SETTINGS" ]; then
	for s in $PG_SETTINGS; do
		[[ $s =~ ^[a-z_]+=[A-Za-z0-9._]+$ ]] || perf_die "PG_SETTINGS: $s is not name=value"
		perf_psql -qc "ALTER SYSTEM SET ${s%%=*} = '${s#*=}'" >/dev/null
	done
	perf_psql -qc 'SELECT pg_reload_conf()' >/dev/null
fi
perf_migrate
perf_start_service "$REPORT"
RSS_START=$(perf_rss_kb "$PERF_SERVICE_PID")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

ADMINISTRATOR=$(perf_token --sub bench-administrator --role administrator)
SUPERVISOR=$(perf_token --sub bench-supervisor --role supervisor --unit "$UNIT")

# The service's own statement (lib/reports.c, visit_compliance, or
# lib/family_time_report.c), read from the executable (the compiler joins its
# pieces into one string; MARKER names a CTE of that statement only), with the
# parameters written in as the service passes them: $1 see_all, $2 worker,
# $3 unit (the caller's), $4 from, $5 to (first days of the months), $6 unit
# (filter); for the family-time report $7-$9 no cursor and $10 the first page's 501 rows.
sql_for() {
	python3 - "$PERF_BUILD/caseworkd" "$MARKER" "$@" <<'PY'
import re
import sys

binary, marker, see_all, unit, p4, p5 = sys.argv[1:]
with open(binary, 'rb') as f:
    found = sorted({s.decode() for s in re.findall(rb'WITH months AS \([\x20-\x7e]+', f.read())
                    if marker.encode() in s})
if len(found) != 1:
    sys.exit(f'found {len(found)} candidate statements with {marker} in {binary}')
lit = lambda v: 'NULL::text' if v == '' else "'" + v.replace("'", "''") + "'::text"
params = {'1': f"'{see_all}'::boolean", '2': 'NULL::text', '3': lit(unit), '4': f"'{p4}'::date",
          '5': f"'{p5}'::date", '6': 'NULL::text', '7': 'NULL::uuid', '8': 'NULL::date', '9': 'NULL::uuid',
          '10': '501'}
print(re.sub(r'\$([1-9][0-9]?)\b', lambda m: params[m.group(1)], ' '.join(found[0].split())))
PY
}
sql_for t '' "$P0" "$PERIOD_TO-01" >"$PERF_DIR/administrator.sql" || perf_die "the report's SQL was not found in caseworkd"
sql_for f "$UNIT" "$P0" "$PERIOD_TO-01" >"$PERF_DIR/supervisor.sql" || perf_die "the report's SQL was not found in caseworkd"

# The visit measure as the service computed it before removal episodes (lib/reports.c
# before sql/016): each child's one pair of dates, which are now the latest
# episode's. Timed beside the service's statement on the same data, it is the
# reference for what episodes cost.
single_episode_sql() {
	local see_all=$1 unit=$2
	sed "s/:see_all/'$see_all'::boolean/; s/:unit/$unit/; s/:p4/'$P0'::date/g; s/:p5/'$PERIOD_TO-01'::date/g" <<'SQL' | tr -s ' \n' ' '
WITH months AS (
    SELECT m::date AS first_day, (m + interval '1 month')::date AS next_first
      FROM generate_series(:p4, :p5, interval '1 month') AS m
), children AS (
    SELECT p.id, p.in_care_since, p.in_care_until
      FROM participants p JOIN cases c ON c.id = p.case_id
     WHERE p.role = 'child' AND p.deleted_at IS NULL AND c.deleted_at IS NULL
       AND p.in_care_since IS NOT NULL AND p.in_care_since <= :p5
       AND (p.in_care_until IS NULL OR p.in_care_until >= (:p4 + interval '1 month' - interval '1 day')::date)
       AND cw_visible(c.assigned_worker, c.unit, :see_all, NULL::text, :unit)
       AND (NULL::text IS NULL OR c.unit = NULL::text)
), pairs AS (
    SELECT ch.id AS child_id, m.first_day FROM children ch JOIN months m
        ON ch.in_care_since <= m.first_day
       AND (ch.in_care_until IS NULL OR ch.in_care_until >= m.next_first - 1)
), seen AS (
    SELECT ch.id AS child_id,
           date_trunc('month', v.visited_at AT TIME ZONE 'UTC')::date AS first_day,
           count(*) AS visits, count(*) FILTER (WHERE v.location = 'child_residence') AS in_residence
      FROM children ch
      JOIN visit_participants vp ON vp.participant_id = ch.id
      JOIN visits v ON v.id = vp.visit_id
     WHERE v.deleted_at IS NULL AND v.visit_type = 'caseworker_child' AND v.location <> 'virtual'
       AND v.visited_at >= :p4::timestamp AT TIME ZONE 'UTC'
       AND v.visited_at < (:p5 + interval '1 month')::timestamp AT TIME ZONE 'UTC'
     GROUP BY 1, 2
), child_months AS (
    SELECT pr.child_id, pr.first_day, coalesce(s.visits, 0) AS visits,
           coalesce(s.in_residence, 0) AS in_residence
      FROM pairs pr LEFT JOIN seen s USING (child_id, first_day)
), per_child AS (
    SELECT count(*) AS months, count(*) FILTER (WHERE visits > 0) AS with_visit,
           sum(visits) AS visits, sum(in_residence) AS in_residence
      FROM child_months GROUP BY child_id
)
SELECT 0 AS overall, to_char(m.first_day, 'YYYY-MM') AS month,
       count(cm.child_id), count(cm.child_id),
       count(cm.child_id) FILTER (WHERE cm.visits > 0),
       count(cm.child_id) FILTER (WHERE cm.visits > 0),
       coalesce(sum(cm.visits), 0)::bigint, coalesce(sum(cm.in_residence), 0)::bigint
  FROM months m LEFT JOIN child_months cm ON cm.first_day = m.first_day
 GROUP BY m.first_day
UNION ALL
SELECT 1, NULL, count(*), coalesce(sum(months), 0)::bigint, coalesce(sum(with_visit), 0)::bigint,
       count(*) FILTER (WHERE with_visit = months),
       coalesce(sum(visits), 0)::bigint, coalesce(sum(in_residence), 0)::bigint
  FROM per_child
 ORDER BY 1, 2
SQL
}
single_episode_sql t 'NULL::text' >"$PERF_DIR/administrator-single.sql"
single_episode_sql f "'$UNIT'::text" >"$PERF_DIR/supervisor-single.sql"

# The same report computed another way: visits.participant_ids unnested instead of
# visit_participants, no shared CTEs, the unit compared directly. One line per month,
# then the total: month|children|full_months|with_visit|every_month|visits|in_residence.
check_sql_visit_compliance() {
	local unit_filter=
	[ -z "$1" ] || unit_filter="AND c.unit = '$1'"
	cat <<SQL
WITH m AS (
    SELECT d::date AS first_day, (d + interval '1 month')::date - 1 AS last_day
      FROM generate_series(date '$P0', date '$PERIOD_TO-01', interval '1 month') AS d
), eps AS (
    SELECT e.participant_id AS id, e.removed_on AS s, coalesce(e.discharged_on, 'infinity') AS u
      FROM episodes e JOIN participants p ON p.id = e.participant_id JOIN cases c ON c.id = e.case_id
     WHERE e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL
           $unit_filter
), marked AS (
    -- An episode starts a new span of days in care unless it starts at most a day
    -- after the end of every earlier one of the child's.
    SELECT id, s, u,
           CASE WHEN s <= max(u) OVER (PARTITION BY id ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1
                THEN 0 ELSE 1 END AS starts
      FROM eps
), kids AS (
    SELECT id, min(s) AS in_care_since, max(u) AS until
      FROM (SELECT *, sum(starts) OVER (PARTITION BY id ORDER BY s) AS span FROM marked) AS x
     GROUP BY id, span
), pairs AS (
    SELECT k.id, m.first_day FROM kids k JOIN m ON k.in_care_since <= m.first_day AND k.until >= m.last_day
), qv AS (
    SELECT DISTINCT v.id AS visit_id, u.pid, date_trunc('month', v.visited_at AT TIME ZONE 'UTC')::date AS first_day,
           v.location = 'child_residence' AS home
      FROM visits v CROSS JOIN LATERAL unnest(v.participant_ids) AS u (pid)
     WHERE v.deleted_at IS NULL AND v.visit_type = 'caseworker_child' AND v.location <> 'virtual'
), pm AS (
    SELECT pr.id, pr.first_day, count(qv.visit_id) AS n, count(qv.visit_id) FILTER (WHERE qv.home) AS r
      FROM pairs pr LEFT JOIN qv ON qv.pid = pr.id AND qv.first_day = pr.first_day
     GROUP BY pr.id, pr.first_day
)
SELECT to_char(m.first_day, 'YYYY-MM'), count(pm.id), count(pm.id), count(pm.id) FILTER (WHERE n > 0),
       count(pm.id) FILTER (WHERE n > 0), coalesce(sum(n), 0), coalesce(sum(r), 0)
  FROM m LEFT JOIN pm ON pm.first_day = m.first_day GROUP BY m.first_day
UNION ALL
SELECT 'total', count(DISTINCT id), count(*), count(*) FILTER (WHERE n > 0),
       (SELECT count(*) FROM (SELECT id FROM pm GROUP BY id HAVING min(n) > 0) AS e),
       coalesce(sum(n), 0), coalesce(sum(r), 0)
  FROM pm
 ORDER BY 1;
SQL
}

# The family-time report computed another way: visits.participant_ids unnested and
# matched to the plan's people by array overlap, the unit compared directly. One line
# per month, then the total: month|children|plan_months|planned|delivered|within_plan.
check_sql_family_time() {
	local unit_filter=
	[ -z "$1" ] || unit_filter="AND c.unit = '$1'"
	cat <<SQL
WITH m AS (
    SELECT d::date AS first_day, (d + interval '1 month')::date - 1 AS last_day
      FROM generate_series(date '$P0', date '$PERIOD_TO-01', interval '1 month') AS d
), pl AS (
    SELECT f.id, f.child_id, f.person_ids, f.visits_per_month AS planned, f.effective_on,
           coalesce(f.ended_on, 'infinity') AS ended
      FROM family_time_plans f JOIN cases c ON c.id = f.case_id JOIN participants ch ON ch.id = f.child_id
     WHERE f.deleted_at IS NULL AND c.deleted_at IS NULL AND ch.deleted_at IS NULL $unit_filter
), pm AS (
    SELECT pl.*, m.first_day FROM pl JOIN m ON pl.effective_on <= m.first_day AND pl.ended >= m.last_day
), fv AS (
    SELECT v.id, v.participant_ids, u.pid, date_trunc('month', v.visited_at AT TIME ZONE 'UTC')::date AS first_day
      FROM visits v CROSS JOIN LATERAL unnest(v.participant_ids) AS u (pid)
     WHERE v.deleted_at IS NULL AND v.visit_type = 'family_time' AND v.location <> 'virtual'
), d AS (
    SELECT pm.id, pm.child_id, pm.first_day, pm.planned, count(fv.id) AS delivered
      FROM pm LEFT JOIN fv ON fv.pid = pm.child_id AND fv.first_day = pm.first_day
                          AND fv.participant_ids && pm.person_ids
     GROUP BY pm.id, pm.child_id, pm.first_day, pm.planned
)
SELECT to_char(m.first_day, 'YYYY-MM'), count(DISTINCT d.child_id), count(d.id), coalesce(sum(d.planned), 0),
       coalesce(sum(d.delivered), 0), coalesce(sum(least(d.delivered, d.planned)), 0)
  FROM m LEFT JOIN d ON d.first_day = m.first_day GROUP BY m.first_day
UNION ALL
SELECT 'total', count(DISTINCT child_id), count(*), coalesce(sum(planned), 0), coalesce(sum(delivered), 0),
       coalesce(sum(least(delivered, planned)), 0)
  FROM d
 ORDER BY 1;
SQL
}

check_sql() {
	if [ "$REPORT" = family-time ]; then check_sql_family_time "$@"; else check_sql_visit_compliance "$@"; fi
}

: >"$PERF_DIR/results"
result() { echo "$*" >>"$PERF_DIR/results"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# load SIZE G_FROM G_TO: one batch of families, then VACUUM ANALYZE.
load() {
	local size=$1 g_from=$2 g_to=$3 t0 t1 t2
	perf_log "$size %: loading families $g_from..$g_to (triggers $LOAD_TRIGGERS)"
	t0=$(now)
	perf_load_visit_measure "$g_from" "$g_to" "$P0" "$MONTHS" "$REPLICA" "$PERF_DIR/load-$size.log"
	if [ "$REPORT" = family-time ]; then
		perf_load_family_time "$g_from" "$g_to" "$P0" "$MONTHS" "$REPLICA" "$PERF_DIR/load-family-time-$size.log"
	fi
	t1=$(now)
	perf_log "$size %: loaded in $(secs "$t0" "$t1") s; VACUUM ANALYZE"
	perf_psql -qc 'VACUUM ANALYZE' >/dev/null
	t2=$(now)
	perf_log "$size %: VACUUM ANALYZE in $(secs "$t1" "$t2") s"
	local counts
	counts=$(perf_psql -At -F ' ' -c "
		SELECT (SELECT count(*) FROM cases),
		       (SELECT count(*) FROM participants WHERE role = 'child'),
		       (SELECT count(*) FROM participants p JOIN cases c ON c.id = p.case_id
		         WHERE p.role = 'child' AND c.unit = '$UNIT'),
		       (SELECT count(*) FROM visits),
		       (SELECT count(*) FROM visits WHERE visit_type = 'caseworker_child'),
		       (SELECT count(*) FROM visits WHERE visit_type = 'family_time'),
		       (SELECT count(*) FROM family_time_plans), (SELECT count(*) FROM meetings),
		       (SELECT count(*) FROM visit_participants),
		       (SELECT count(*) FROM audit_log),
		       (SELECT count(*) FROM episodes),
		       (SELECT count(DISTINCT participant_id) FROM episodes e
		         WHERE EXISTS (SELECT 1 FROM episodes o WHERE o.participant_id = e.participant_id AND o.id <> e.id)),
		       (SELECT count(*) FROM placements),
		       pg_database_size(current_database()),
		       pg_total_relation_size('visits'), pg_total_relation_size('visit_participants'),
		       pg_total_relation_size('participants'), pg_total_relation_size('audit_log')")
	read -r cases children unit_children visits child_visits family_visits plans meetings vp audit episodes \
		reentered placements db_bytes visits_bytes vp_bytes participants_bytes audit_bytes <<<"$counts"
	result "kind=load size=$size load_s=$(secs "$t0" "$t1") vacuum_s=$(secs "$t1" "$t2") cases=$cases" \
		"children=$children unit_children=$unit_children visits=$visits child_visits=$child_visits" \
		"family_visits=$family_visits plans=$plans meetings=$meetings" \
		"visit_participants=$vp audit_rows=$audit episodes=$episodes reentered=$reentered placements=$placements" \
		"db_bytes=$db_bytes visits_bytes=$visits_bytes" \
		"vp_bytes=$vp_bytes participants_bytes=$participants_bytes audit_bytes=$audit_bytes"
	perf_log "$size %: $cases cases, $children children ($reentered with two episodes), $episodes episodes," \
		"$placements placements, $visits visits, $vp visit_participants, $audit audit rows;" \
		"database $((db_bytes / 1048576)) MB"
}

# measure_http SIZE CALLER TOKEN [REPORT]: a warm-up request, then RUNS timed ones;
# REPORT is visit-compliance (the default), placement-stability (over the period's
# days) or family-time.
measure_http() {
	local size=$1 caller=$2 token=$3 report=${4:-visit-compliance} i rid out code total ms body failed=0 times=()
	local service=() rids=() range="from=$PERIOD_FROM&to=$PERIOD_TO"
	[ "$report" != placement-stability ] || range="from=$P0&to=$PERIOD_LAST"
	local url="$PERF_URL/v1/reports/$report?$range"
	body=$PERF_DIR/$report-$caller-$size.json
	perf_log "$size %: $caller: GET /v1/reports/$report, a warm-up and $RUNS timed"
	for i in $(seq 0 "$RUNS"); do
		rid=vm-$report-$size-$caller-$i
		out=$(curl -sS -o "$body.new" -w '%{http_code} %{time_total}' --max-time 120 \
			-H "Authorization: Bearer $token" -H "X-Request-Id: $rid" "$url") || out="000 0"
		read -r code total <<<"$out"
		if [ "$code" != 200 ]; then
			perf_log "warning: $caller at $size %: HTTP $code: $(head -c 300 "$body.new" 2>/dev/null)"
			failed=$((failed + 1))
			continue
		fi
		mv "$body.new" "$body"
		[ "$i" = 0 ] && continue
		times+=("$(awk -v t="$total" 'BEGIN { printf "%.1f", t * 1000 }')")
		rids+=("$rid")
	done
	# The service writes its log line after the answer: give it a moment.
	sleep 0.5
	for rid in "${rids[@]+"${rids[@]}"}"; do
		ms=$(grep -a "\"client_request_id\":\"$rid\"" "$PERF_SERVICE_LOG" | sed -n 's/.*"duration_ms":\([0-9.]*\).*/\1/p' \
			| tail -1 || true)
		[ -z "$ms" ] || service+=("$ms")
	done
	result "kind=http report=$report size=$size caller=$caller failed=$failed times=$(IFS=,; echo "${times[*]:-}")" \
		"service=$(IFS=,; echo "${service[*]:-}")"
}

# measure_sql SIZE CALLER [VARIANT]: EXPLAIN (ANALYZE, BUFFERS) once, then RUNS timed runs in
# one psql session, with jit off as the service runs; VARIANT -single is the measure as
# computed before episodes. Beside each run's time, the CPU time its backend used (from
# /proc): on a shared machine the time varies with the load, the CPU time much less.
measure_sql() {
	local size=$1 caller=$2 variant=${3:-} sql plan times
	sql=$PERF_DIR/$caller$variant.sql
	plan=$PERF_DIR/plan-$caller$variant-$size.txt
	perf_log "$size %: $caller$variant: the same SQL in psql, EXPLAIN ANALYZE and $RUNS timed"
	{ echo 'SET jit = off;'; echo 'EXPLAIN (ANALYZE, BUFFERS)'; cat "$sql"; echo ';'; } | perf_psql -q -f - >"$plan" 2>&1 \
		|| { cat "$plan" >&2; perf_die "EXPLAIN failed"; }
	times=$(python3 - "$PG_BINDIR/psql" "$PERF_DIR" "$sql" "$RUNS" <<'PY'
import os
import subprocess
import sys
import time

psql, host, path, runs = sys.argv[1:]
p = subprocess.Popen([psql, '-h', host, '-U', 'casework', '-X', '-q', '-At', '-d', 'casework'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(sql):
    p.stdin.write(sql + '\n\\echo END\n')
    p.stdin.flush()
    out = []
    for line in p.stdout:
        if line.strip() == 'END':
            return out
        out.append(line.strip())


ask('SET jit = off;')
pid = int(ask('SELECT pg_backend_pid();')[0])
tick = os.sysconf('SC_CLK_TCK')


def cpu():
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


sql = open(path).read().strip().rstrip(';')
wall, used = [], []
for _ in range(int(runs)):
    c0, t0 = cpu(), time.monotonic()
    ask(sql + ' \\g /dev/null')
    wall.append((time.monotonic() - t0) * 1000)
    used.append((cpu() - c0) * 1000)
p.stdin.close()
p.wait()
print(','.join(f'{t:.1f}' for t in wall), ','.join(f'{c:.0f}' for c in used))
PY
) || perf_die "the timed runs in psql failed"
	read -r times cpu <<<"$times"
	[ -n "$times" ] || perf_die "no timings from psql"
	python3 - "$plan" "$size" "$caller$variant" "$times" "$cpu" >>"$PERF_DIR/results" <<'PY'
import re
import sys

path, size, caller, times, cpu = sys.argv[1:]
text = open(path).read()
num = lambda pat: (re.search(pat, text) or [None, '0'])[1]
root = re.search(r'Buffers:.*', text)   # the first is the top node's: the whole statement's
temp = re.search(r'temp(?: read=\d+)? written=(\d+)', root[0]) if root else None
spills = len(re.findall(r'external merge|Disk Usage: [1-9]|Disk: [1-9]', text))
loops = max([int(x) for x in re.findall(r'Index (?:Only )?Scan.*loops=(\d+)\)', text)] or [0])
print(f'kind=sql size={size} caller={caller} times={times} cpu={cpu} exec_ms={num(r"Execution Time: ([0-9.]+)")} '
      f'plan_ms={num(r"Planning Time: ([0-9.]+)")} jit_ms={num(r"Timing: .*Total ([0-9.]+) ms")} '
      f'temp_written={temp[1] if temp else 0} spills={spills} index_loops={loops}')
PY
}

# check SIZE CALLER UNIT: the service's numbers against check_sql's.
check() {
	local size=$1 caller=$2 unit=$3 body expected
	body=$PERF_DIR/$REPORT-$caller-$size.json
	expected=$PERF_DIR/check-$caller-$size.txt
	[ "$CHECK" = 1 ] || return 0
	[ -s "$body" ] || { perf_log "warning: no report from the service for $caller at $size %: nothing to check"; return 0; }
	perf_log "$size %: $caller: checking the numbers against an independent computation"
	check_sql "$unit" | perf_psql -At -F '|' -f - >"$expected" || perf_die "the check's SQL failed"
	python3 - "$body" "$expected" "$caller" "$size" "$REPORT" >>"$PERF_DIR/results" <<'PY' || perf_die "$caller at $size %: the service's numbers differ from the check's"
import json
import sys

body, expected, caller, size, report_name = sys.argv[1:]
report = json.load(open(body))
keys = {'visit-compliance': ('children', 'full_months_in_care', 'months_with_visit', 'children_visited_every_month',
                             'visits', 'visits_in_residence'),
        'family-time': ('children', 'plan_months', 'planned', 'delivered', 'delivered_within_plan')}[report_name]
rates = {'visit-compliance': ('visit_rate', 'residence_rate'), 'family-time': ('delivery_rate',)}[report_name]
got = {m['month']: [m[k] for k in keys] for m in report['months']}
got['total'] = [report[k] for k in keys]
want = {}
for line in open(expected):
    cells = line.strip().split('|')
    want[cells[0]] = [int(c) for c in cells[1:]]
bad = [k for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
for k in bad:
    print(f'{caller} at {size} %: {k}: service {got.get(k)}, check {want.get(k)}', file=sys.stderr)
t = dict(zip(keys, got['total']))
t.update({k: report[k] for k in rates})
print(f'kind=check size={size} caller={caller} ok={0 if bad else 1} ' + ' '.join(f'{k}={v}' for k, v in t.items()))
sys.exit(1 if bad else 0)
PY
}

# The placement-stability report over the period's days, computed another way:
# each episode's days in the range by arithmetic, and each move by looking up the
# placement before it. One line: children|days_in_care|moves.
check_stability_sql() {
	local unit_filter=
	[ -z "$1" ] || unit_filter="AND c.unit = '$1'"
	cat <<SQL
WITH eps AS (
    SELECT e.id, e.participant_id,
           least(coalesce(e.discharged_on, 'infinity'), date '$PERIOD_LAST') - greatest(e.removed_on, date '$P0') + 1 AS days
      FROM episodes e JOIN participants p ON p.id = e.participant_id JOIN cases c ON c.id = e.case_id
     WHERE e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL $unit_filter
)
SELECT (SELECT count(DISTINCT participant_id) FROM eps WHERE days > 0),
       (SELECT coalesce(sum(days), 0) FROM eps WHERE days > 0),
       (SELECT count(*) FROM placements pl JOIN eps ON eps.id = pl.episode_id
         WHERE pl.deleted_at IS NULL AND pl.started_on BETWEEN date '$P0' AND date '$PERIOD_LAST'
           AND pl.setting NOT IN ('trial_home_visit', 'runaway')
           AND (SELECT q.setting FROM placements q
                 WHERE q.episode_id = pl.episode_id AND q.deleted_at IS NULL AND q.started_on < pl.started_on
                 ORDER BY q.started_on DESC LIMIT 1) NOT IN ('trial_home_visit', 'runaway'));
SQL
}

# check_stability SIZE CALLER UNIT: the service's whole-range figures against check_stability_sql's.
check_stability() {
	local size=$1 caller=$2 unit=$3 body expected
	body=$PERF_DIR/placement-stability-$caller-$size.json
	[ "$CHECK" = 1 ] || return 0
	[ -s "$body" ] || { perf_log "warning: no stability report for $caller at $size %: nothing to check"; return 0; }
	perf_log "$size %: $caller: checking placement stability against an independent computation"
	expected=$(check_stability_sql "$unit" | perf_psql -At -F '|' -f -) || perf_die "the check's SQL failed"
	python3 - "$body" "$expected" "$caller" "$size" >>"$PERF_DIR/results" <<'PY' || perf_die "$caller at $size %: the stability figures differ from the check's"
import json
import sys

body, expected, caller, size = sys.argv[1:]
report = json.load(open(body))
got = [report['children'], report['days_in_care'], report['moves']]
want = [int(c) for c in expected.split('|')]
if got != want:
    print(f'{caller} at {size} %: placement stability: service {got}, check {want}', file=sys.stderr)
print(f'kind=stability_check size={size} caller={caller} ok={int(got == want)} children={got[0]} '
      f'days_in_care={got[1]} moves={got[2]} rate={report["moves_per_1000_days"]} items={len(report["items"])}')
sys.exit(0 if got == want else 1)
PY
}

measure() {
	local size=$1
	if [ "$REPORT" = family-time ]; then
		measure_http "$size" administrator "$ADMINISTRATOR" family-time
		measure_http "$size" supervisor "$SUPERVISOR" family-time
		measure_sql "$size" administrator
		measure_sql "$size" supervisor
		check "$size" administrator ''
		check "$size" supervisor "$UNIT"
		result "kind=rss size=$size rss_kb=$(perf_rss_kb "$PERF_SERVICE_PID")"
		return
	fi
	measure_http "$size" administrator "$ADMINISTRATOR"
	measure_http "$size" supervisor "$SUPERVISOR"
	measure_sql "$size" administrator
	measure_sql "$size" supervisor
	measure_sql "$size" administrator -single
	measure_sql "$size" supervisor -single
	measure_http "$size" administrator "$ADMINISTRATOR" placement-stability
	measure_http "$size" supervisor "$SUPERVISOR" placement-stability
	check "$size" administrator ''
	check "$size" supervisor "$UNIT"
	check_stability "$size" administrator ''
	check_stability "$size" supervisor "$UNIT"
	result "kind=rss size=$size rss_kb=$(perf_rss_kb "$PERF_SERVICE_PID")"
}

perf_log "data set: $FAMILIES families, about $SCALE_CHILDREN children, $WORKERS workers in $UNITS units," \
	"$PERIOD_FROM..$PERIOD_TO; caseworkd RSS $RSS_START kB"
load 10 1 "$FIRST"
measure 10
load 100 $((FIRST + 1)) "$FAMILIES"
measure 100
RSS_PEAK=$(perf_peak_rss_kb "$PERF_SERVICE_PID")
perf_stop_service

SETTINGS=$(perf_psql -At -F ' ' -c "SELECT current_setting('shared_buffers'), current_setting('work_mem'),
	current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
python3 - "$PERF_DIR/results" "$PERIOD_FROM" "$PERIOD_TO" "$RUNS" "$UNIT" "$RSS_START" "$RSS_PEAK" \
	"$LOAD_TRIGGERS" "$WORKERS" "$UNITS" "$(nproc)" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" \
	"$SETTINGS" "$REPORT" <<'PY'
import statistics
import sys

(path, p_from, p_to, runs, unit, rss_start, rss_peak, triggers, workers, units, cores, load_start, load_end,
 settings, report) = sys.argv[1:]
family = report == 'family-time'
rows = []
with open(path) as f:
    for line in f:
        rows.append(dict(kv.split('=', 1) for kv in line.split()))
get = lambda kind, **kw: next((r for r in rows if r['kind'] == kind and all(r.get(k) == v for k, v in kw.items())), {})


def median(csv):
    xs = [float(x) for x in csv.split(',') if x]
    return statistics.median(xs) if xs else None


fmt_ms = lambda v: '-' if v is None else (f'{v:.0f}' if v >= 100 else f'{v:.1f}')
ratio = lambda a, b: '-' if a is None or b is None or b == 0 else f'{a / b:.1f}'
ratio2 = lambda a, b: '-' if a is None or b is None or b == 0 else f'{a / b:.2f}'
mb = lambda b: f'{int(b) / 1048576:.0f} MB'
row = lambda *cells: print(fmt.format(*cells).rstrip())
shared_buffers, work_mem, jit, parallel = settings.split()

print()
print(f'GET /v1/reports/{report}?from={p_from}&to={p_to}: median of {runs} runs after one warm-up; '
      f'{cores} cores; load average {load_start} at the start, {load_end} at the end')
print(f'PostgreSQL 15: shared_buffers {shared_buffers}, work_mem {work_mem}, jit {jit}, '
      f'max_parallel_workers_per_gather {parallel}; load with triggers {triggers}')
print()
fmt = '{:<34} {:>14} {:>14} {:>8}'
row('data set', '10 %', '100 %', 'ratio')
l10, l100 = get('load', size='10'), get('load', size='100')
for key, label in ((('cases', 'cases'), ('children', 'children in care'),
                   ('unit_children', f'  of them in {unit}'), ('reentered', '  with two removal episodes'),
                   ('episodes', 'removal episodes'), ('placements', 'placements'), ('visits', 'visits'),
                   ('child_visits', '  caseworker_child'))
                  + ((('family_visits', '  family_time'), ('plans', 'family-time plans'), ('meetings', 'meetings'))
                     if family else ())
                  + (('visit_participants', 'visit_participants rows'), ('audit_rows', 'audit_log rows'))):
    a, b = int(l10.get(key, 0)), int(l100.get(key, 0))
    row(label, f'{a:,}', f'{b:,}', ratio(b, a))
row('load (this batch), s', l10.get('load_s', '-'), l100.get('load_s', '-'), '')
row('VACUUM ANALYZE, s', l10.get('vacuum_s', '-'), l100.get('vacuum_s', '-'), '')
for key, label in (('db_bytes', 'database size'), ('visits_bytes', '  visits (with indexes)'),
                   ('vp_bytes', '  visit_participants'), ('participants_bytes', '  participants'),
                   ('audit_bytes', '  audit_log')):
    a, b = int(l10.get(key, 0)), int(l100.get(key, 0))
    row(label, mb(a), mb(b), ratio(b, a))
row('caseworkd RSS after the runs', f'{get("rss", size="10").get("rss_kb", "?")} kB',
    f'{get("rss", size="100").get("rss_kb", "?")} kB', '')
print(f'{"":34} (at start {rss_start} kB, peak {rss_peak} kB)')
print()
fmt = '{:<14} {:<20} {:>10} {:>10} {:>8}'
row('caller', 'time, ms (median)', '10 %', '100 %', '100/10')
for caller in ('administrator', 'supervisor'):
    h10, h100 = (get('http', size=size, caller=caller, report=report) for size in ('10', '100'))
    s10, s100 = get('sql', size='10', caller=caller), get('sql', size='100', caller=caller)
    o10, o100 = get('sql', size='10', caller=caller + '-single'), get('sql', size='100', caller=caller + '-single')
    p10, p100 = (get('http', size=size, caller=caller, report='placement-stability') for size in ('10', '100'))
    lines = (('HTTP (curl)', median(h10.get('times', '')), median(h100.get('times', ''))),
             ('  in the service', median(h10.get('service', '')), median(h100.get('service', ''))),
             ('SQL in psql', median(s10.get('times', '')), median(s100.get('times', ''))),
             ('  backend CPU', median(s10.get('cpu', '')), median(s100.get('cpu', ''))),
             ('  EXPLAIN ANALYZE', float(s10.get('exec_ms', 0)) or None, float(s100.get('exec_ms', 0)) or None),
             ('single-episode SQL', median(o10.get('times', '')), median(o100.get('times', ''))),
             ('  backend CPU', median(o10.get('cpu', '')), median(o100.get('cpu', ''))),
             ('stability HTTP', median(p10.get('times', '')), median(p100.get('times', ''))),
             ('  in the service', median(p10.get('service', '')), median(p100.get('service', ''))))
    for i, (label, a, b) in enumerate(lines[:5] if family else lines):
        row(caller if i == 0 else '', label, fmt_ms(a), fmt_ms(b), ratio(b, a))
    for size, s, o in () if family else (('10', s10, o10), ('100', s100, o100)):
        print(f'{"":14}   episodes / single-episode SQL at {size} %: time '
              f'{ratio2(median(s.get("times", "")), median(o.get("times", "")))}, backend CPU '
              f'{ratio2(median(s.get("cpu", "")), median(o.get("cpu", "")))}')
    for size, s, h in (('10', s10, h10), ('100', s100, h100)):
        failed = int(h.get('failed', 0)) + int(get('http', size=size, caller=caller,
                                                   report='placement-stability').get('failed', 0))
        print(f'{"":14}   plan at {size} %:' +
              f' JIT {float(s.get("jit_ms", 0)):.0f} ms, temp written {int(s.get("temp_written", 0)) * 8 / 1024:.0f} MB,'
              f' {s.get("spills", 0)} spilling nodes, largest index loop {int(s.get("index_loops", 0)):,}'
              + (f'; {failed} requests failed' if failed else ''))
print()
checks = [r for r in rows if r['kind'] == 'check']
for r in checks:
    figures = ', '.join(f'{k} {v}' for k, v in r.items() if k not in ('kind', 'size', 'caller', 'ok'))
    print(f'{r["caller"]:<14} {r["size"]:>3} %: {figures}; '
          f'{"same as" if r["ok"] == "1" else "DIFFERENT FROM"} the independent computation')
for r in (r for r in rows if r['kind'] == 'stability_check'):
    print(f'{r["caller"]:<14} {r["size"]:>3} %: placement stability: {int(r["children"]):,} children, '
          f'{int(r["days_in_care"]):,} days in care, {int(r["moves"]):,} moves, {r["rate"]} per 1,000 days; '
          f'{"same as" if r["ok"] == "1" else "DIFFERENT FROM"} the independent computation')
print()
if not family:
    print('"single-episode SQL" is the visit measure as computed before removal episodes (one pair of dates a')
    print('child, now the latest episode\'s), on the same data in the same run: the reference for what episodes cost.')
print('ratio 100/10: the data grows 10 times, so the time should grow at most about 10 times. "HTTP" is the')
print('client\'s time to the last byte; "in the service" is duration_ms of the service\'s log line; "SQL in psql"')
print('is the same statement with the same parameters and jit off, as the service runs it (unprepared, so it is')
print('planned with the values each time); "backend CPU" is the CPU time its PostgreSQL backend used, which the')
print('machine\'s other load moves far less than the time; EXPLAIN ANALYZE adds per-node timing. HTTP minus SQL')
print('is the service\'s own cost.')
PY
if [ -n "$PLANS" ]; then
	for f in "$PERF_DIR"/plan-*.txt; do
		printf '\n== %s\n' "$(basename "$f" .txt)"
		cat "$f"
	done
fi
