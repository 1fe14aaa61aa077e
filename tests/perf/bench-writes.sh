#!/usr/bin/env bash
# Writes: PATCH /v1/cases/{id}, POST /v1/cases and POST /v1/cases/{id}/visits under wrk
# against pgbench -N on the same database, same run, with durable commits.
#
# usage: tests/perf/bench-writes.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   DURATION=20          seconds of each measured run (wrk and pgbench)
#   WARMUP=3             seconds of warm-up before each measured run
#   CASES=5000           cases seeded (spread over 50 workers and 10 units), each with a
#                        child; PATCH and the visits cycle over all of them
#   PGBENCH_SCALE=10     pgbench -i scale
#   CONNECTIONS=16       wrk -c and pgbench -c
#   OPS="patch post visit"  the service runs, in this order
#   ROUNDS=1             times the service runs are repeated
#   DB_POOL_SIZE=N       CASEWORK_DB_POOL_SIZE for the service (default: the
#                        service's own default, 4 x cores)
#   CASEWORK_HTTP_THREADS  threading model of the service (default: the service's)
#   PERF_KEEP=1          keep the temporary directory (logs, wrk script) at the end
#
# Builds the service (release), starts a private PostgreSQL 15 on a Unix socket
# with fsync and synchronous_commit on (set and checked here, whatever the
# defaults), migrates, seeds, runs pgbench -N -M prepared (with CONNECTIONS
# clients, and with one: one commit at a time) before the service runs and
# pgbench -N again after them, and prints one table. Exit status 1 if wrk saw
# socket errors, if an answer was not 200 (PATCH) or 201 (POST), or if the
# change feed did not number exactly the audit rows written.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings DURATION=20 WARMUP=3 CASES=5000 PGBENCH_SCALE=10 CONNECTIONS=16 OPS="patch post visit" ROUNDS=1
WORKERS=50
UNITS=10
perf_positive DURATION WARMUP CASES PGBENCH_SCALE CONNECTIONS ROUNDS
[ "$CASES" -ge $((4 * CONNECTIONS)) ] || perf_die "CASES must be at least 4 x CONNECTIONS (rows shared by connections wait for each other)"
perf_use_db_pool_size
for op in $OPS; do
	case "$op" in patch | post | visit) ;; *) perf_die "OPS: unknown run $op (patch, post or visit)" ;; esac
done
[ -n "${CASEWORK_HTTP_THREADS:-}" ] && export CASEWORK_HTTP_THREADS
WRK_THREADS=2

perf_init "$BUILD_DIR"
perf_start_database

# Durable commits: every COMMIT waits for its WAL flush. These are PostgreSQL's
# defaults, which perf_start_database keeps; set here explicitly so that this
# benchmark measures them even if the defaults change there.
perf_psql -q >/dev/null <<'SQL' || perf_die "cannot set the durability settings"
ALTER SYSTEM SET fsync = on;
ALTER SYSTEM SET synchronous_commit = on;
ALTER SYSTEM SET full_page_writes = on;
SELECT pg_reload_conf();
SQL
for i in $(seq 1 50); do
	DURABILITY=$(perf_psql -At -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
	                               WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',
	                                              'wal_sync_method', 'commit_delay')")
	grep -q 'fsync=on' <<<"$DURABILITY" && grep -q 'synchronous_commit=on' <<<"$DURABILITY" \
		&& grep -q 'full_page_writes=on' <<<"$DURABILITY" && break
	[ "$i" != 50 ] || perf_die "durable commits not in effect: $DURABILITY"
	sleep 0.1
done
FSTYPE=$(df -T "$PERF_DIR" | awk 'NR == 2 { print $2 }')
perf_log "durability: $DURABILITY; the database is on $FSTYPE"

perf_migrate
perf_seed_cases "$CASES" "$WORKERS" "$UNITS"
# A child in every seeded case, for the visits, and a first visit to each (so
# that no table is empty when the planner first sees it: a plan made for an
# empty visits table would scan the whole table for every visit written).
perf_psql -q >/dev/null <<'SQL' || perf_die "seeding the children failed"
BEGIN;
SELECT set_config('casework.actor', 'bench', true);
SELECT set_config('casework.roles', 'administrator', true);
INSERT INTO participants (case_id, first_name, last_name, role, date_of_birth)
SELECT id, 'Child', family_name, 'child', date '2015-01-01' FROM cases WHERE case_number LIKE 'BENCH-%' ORDER BY id;
INSERT INTO visits (case_id, visited_at, visit_type, location, participant_ids, duration_minutes)
SELECT p.case_id, timestamptz '2024-12-01 10:00+00', 'caseworker_child', 'child_residence', ARRAY[p.id], 30
  FROM participants p JOIN cases c ON c.id = p.case_id WHERE c.case_number LIKE 'BENCH-%' ORDER BY p.case_id;
COMMIT;
SELECT cw_number_changes(1000000, true);
VACUUM ANALYZE participants;
VACUUM ANALYZE visits;
VACUUM ANALYZE visit_participants;
VACUUM ANALYZE audit_log;
SQL

perf_pgbench_init "$PGBENCH_SCALE"
perf_psql -qc 'VACUUM ANALYZE' >/dev/null
perf_psql -qc 'CHECKPOINT' >/dev/null

TOKEN=$(perf_token --sub bench-administrator --role administrator)

# The wrk script. Every request changes family_name (POST: a new case_number) to
# a value never used before: tag (a wrk argument, new for every wrk run), wrk
# thread and a counter of that thread. PATCH and the visits take the next case of
# the list for each request, each thread from its own place in the list, so the
# requests in flight at one time name distinct cases and never wait for each
# other's row.
LUA=$PERF_DIR/writes.lua
{
	echo '-- PATCH /v1/cases/{id} over every seeded case, POST /v1/cases, or a visit with the'
	echo '-- case'"'"'s child; every request writes.'
	echo "local token = \"$TOKEN\""
	echo 'local ids = {'
	perf_psql -At -c "SELECT '{\"' || c.id || '\",\"' || p.id || '\"},' FROM cases c
	                  JOIN participants p ON p.case_id = c.id WHERE c.case_number LIKE 'BENCH-%' ORDER BY c.id"
	echo '}'
	cat <<'LUA'
local counter = 0
local mode, tag, headers, post_headers
local i, n = 0, 0

function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
end

function init(args)
   mode = args[1]
   tag = args[2] .. "t" .. (thread_index or 0)
   headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json",
               ["Content-Type"] = "application/merge-patch+json" }
   post_headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json",
                    ["Content-Type"] = "application/json" }
   -- The threads start evenly apart in the list (args[3]: how many there are).
   i = (thread_index or 0) * math.floor(#ids / tonumber(args[3]))
end

function request()
   n = n + 1
   if mode == "post" then
      local w = n % 50 + 1
      local body = string.format(
         '{"case_number":"W-%s-%d","family_name":"Written %s %d","case_type":"in_home",' ..
         '"assigned_worker":"bench-worker-%02d","unit":"bench-unit-%02d"}',
         tag, n, tag, n, w, w % 10 + 1)
      return wrk.format("POST", "/v1/cases", post_headers, body)
   end
   i = i + 1
   local case = ids[(i % #ids) + 1]
   if mode == "visit" then
      local body = string.format(
         '{"visited_at":"2025-%02d-%02dT10:00:00Z","visit_type":"caseworker_child",' ..
         '"location":"child_residence","participant_ids":["%s"],"duration_minutes":45,' ..
         '"summary":"Visit %s %d"}', n % 12 + 1, n % 28 + 1, case[2], tag, n)
      return wrk.format("POST", "/v1/cases/" .. case[1] .. "/visits", post_headers, body)
   end
   local body = string.format('{"family_name":"Family %s %d"}', tag, n)
   return wrk.format("PATCH", "/v1/cases/" .. case[1], headers, body)
end
LUA
	perf_wrk_done_lua
} >"$LUA"
[ "$(grep -c '^{"' "$LUA")" = "$CASES" ] || perf_die "the wrk script does not list the $CASES seeded cases"

# Every measurement appends one line of key=value pairs to $PERF_DIR/results.
# CPU figures are ticks over the measured run: the load generator's (client),
# caseworkd's (service, all threads) and the PostgreSQL server's (database).

# counts: audit rows, numbered changes, and changes waiting to be numbered so far.
counts() {
	perf_psql -At -F ' ' -c 'SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM changes),
	                                (SELECT count(*) FROM change_queue)'
}

# wal_syncs: WAL flushes to disk so far (pg_stat_wal, every process). A backend
# reports its figures when it exits at the latest: read with no client connected.
wal_syncs() {
	perf_psql -At -c 'SELECT wal_sync FROM pg_stat_wal'
}

# run_pgbench NAME CLIENTS: pgbench -N (the built-in simple-update: UPDATE
# pgbench_accounts, SELECT it, INSERT INTO pgbench_history, COMMIT), a warm-up,
# then the measured run.
run_pgbench() {
	local name=$1 clients=$2 w0 w1 txs
	local jobs=$((clients < 2 ? clients : 2))
	w0=$(wal_syncs)
	perf_pgbench "-N -M prepared -c$clients -j$jobs" -N -M prepared -c "$clients" -j "$jobs"
	w1=$(wal_syncs)
	txs=$(cat "$PERF_DIR/pgbench-warmup.txt" "$PERF_DIR/pgbench.txt" \
		| awk '/^number of transactions actually processed:/ { t += $6 } END { print t + 0 }')
	echo "kind=pgbench name=$name clients=$clients tps=$PGBENCH_TPS lat_ms=$PGBENCH_LAT" \
		"client_ticks=$PGBENCH_CLIENT_TICKS db_ticks=$PGBENCH_DB_TICKS wal_syncs=$((w1 - w0))" \
		"window_writes=$txs" >>"$PERF_DIR/results"
}

FAILED=0
RUN=0
# run_service OP ROUND: a fresh caseworkd under wrk, OP patch, post or visit.
run_service() {
	local op=$1 round=$2 name a0 n0 a1 n1 q1 audit numbered
	local route method expect c0 c1 s0 s1 d0 d1 w0 w1 aw0 aw1
	case "$op" in
	patch) method=PATCH route='/v1/cases/{id}' expect=200 ;;
	post) method=POST route=/v1/cases expect=201 ;;
	visit) method=POST route='/v1/cases/{id}/visits' expect=201 ;;
	esac
	name=writes-$op-$round
	# WAL flushes per write over the whole life of the service (warm-up included):
	# its backends report theirs when they exit.
	read -r aw0 _ _ < <(counts)
	w0=$(wal_syncs)
	perf_start_service "$name"
	RUN=$((RUN + 1))
	perf_log "$method $route on $PERF_URL: wrk warm-up ${WARMUP}s, then ${DURATION}s"
	perf_run "$PERF_DIR/$name-warmup.txt" wrk -t"$WRK_THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" -s "$LUA" "$PERF_URL" \
		-- "$op" "r${RUN}w" "$WRK_THREADS" || { cat "$PERF_DIR/$name-warmup.txt" >&2; perf_die "wrk warm-up failed"; }
	sleep 0.5   # the warm-up's last requests are answered and logged (the log is flushed every 100 ms)
	: >"$PERF_SERVICE_LOG"   # count only the measured requests below
	read -r a0 n0 _ < <(counts)
	d0=$(perf_pg_ticks)
	s0=$(perf_ticks "$PERF_SERVICE_PID")
	perf_client_ticks
	c0=$PERF_CLIENT_TICKS
	perf_run "$PERF_DIR/$name-wrk.txt" wrk -t"$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" -s "$LUA" "$PERF_URL" \
		-- "$op" "r${RUN}m" "$WRK_THREADS" || { cat "$PERF_DIR/$name-wrk.txt" >&2; perf_die "wrk failed"; }
	perf_client_ticks
	c1=$PERF_CLIENT_TICKS
	s1=$(perf_ticks "$PERF_SERVICE_PID")
	d1=$(perf_pg_ticks)
	# Waiting to be numbered when the load stopped: how far the background numbering lagged.
	read -r _ _ q1 < <(counts)
	sleep 0.5   # requests still in flight when wrk stopped are answered and committed, and numbered
	read -r a1 n1 _ < <(counts)
	audit=$((a1 - a0))
	numbered=$((n1 - n0))
	perf_wrk_result "$PERF_DIR/$name-wrk.txt"
	perf_stop_service
	sleep 0.5   # the service's backends exit and report their WAL figures
	read -r aw1 _ _ < <(counts)
	w1=$(wal_syncs)
	# Every measured request must have answered $expect (the log has one line per request).
	perf_answers "\"method\":\"$method\",\"route\":\"$route\"" "$expect"
	echo "kind=service op=$op round=$round ${WRK_RESULT#RESULT } logged=$LOGGED not_ok=$NOT_OK" \
		"audit=$audit numbered=$numbered queued=$q1 client_ticks=$((c1 - c0)) service_ticks=$((s1 - s0))" \
		"db_ticks=$((d1 - d0)) wal_syncs=$((w1 - w0)) window_writes=$((aw1 - aw0))" >>"$PERF_DIR/results"
	perf_log "$method: $(grep -o 'requests=[0-9]*' <<<"$WRK_RESULT") in ${DURATION}s; $LOGGED logged," \
		"$NOT_OK not $expect; $audit audit rows, $numbered numbered, $q1 waiting when the load stopped"
	if grep -Eq 'socket_errors=[1-9]' <<<"$WRK_RESULT" || [ "$NOT_OK" != 0 ] || [ "$LOGGED" = 0 ]; then
		perf_log "error: $method $route: answers other than $expect, or socket errors"
		perf_show_failures "$expect"
		FAILED=1
	fi
	# Every write is audited, and every audit row numbered (by the service's background
	# numbering, within the half second above).
	if [ "$audit" -lt "$LOGGED" ] || [ "$numbered" != "$audit" ]; then
		perf_log "error: $method $route: $LOGGED requests, $audit audit rows, $numbered numbered changes"
		FAILED=1
	fi
}

: >"$PERF_DIR/results"
run_pgbench before "$CONNECTIONS"
run_pgbench serial 1
for round in $(seq 1 "$ROUNDS"); do
	for op in $OPS; do
		run_service "$op" "$round"
	done
done
run_pgbench after "$CONNECTIONS"

python3 - "$PERF_DIR/results" "$PERF_CLK_TCK" "$CONNECTIONS" "$DURATION" "$CASES" "$(nproc)" \
	"${CASEWORK_DB_POOL_SIZE:-default}" "${CASEWORK_HTTP_THREADS:-default}" "$DURABILITY" "$FSTYPE" <<'PY'
import statistics
import sys

path, hz, conns, duration, cases, cores, pool, http_threads, durability, fstype = sys.argv[1:]
hz = int(hz)
rows = []
with open(path) as f:
    for line in f:
        rows.append(dict(kv.split('=', 1) for kv in line.split()))


def us_per(ticks, n):
    return f'{int(ticks) / hz * 1e6 / n:.1f}' if n else '?'


def syncs_per(r):
    n = int(r['window_writes'])
    return f'{int(r["wal_syncs"]) / n:.2f}' if n else '?'


print()
print(f'Writes as an administrator over {cases} cases, {conns} connections, {duration} s per run, '
      f'{cores} cores, database pool {pool}, HTTP threads {http_threads}')
print(f'Durability: {durability}; the database on {fstype}')
print()
print('pgbench -N (simple update) -M prepared over the same Unix socket:')
fmt = '  {:<40} {:>8} {:>10} {:>14} {:>14} {:>9}'
print(fmt.format('', 'TPS', 'latency', 'client CPU', 'database CPU', 'syncs/tx'))
labels = {'before': f'-c{conns}, before the service runs', 'serial': '-c1, one commit at a time',
          'after': f'-c{conns}, after the service runs'}
pgbench = {}
for r in rows:
    if r['kind'] != 'pgbench':
        continue
    n = float(r['tps']) * int(duration)
    pgbench[r['name']] = float(r['tps'])
    print(fmt.format(labels[r['name']], f'{float(r["tps"]):.0f}', f'{r["lat_ms"]} ms',
                     f'{us_per(r["client_ticks"], n)} us/tx', f'{us_per(r["db_ticks"], n)} us/tx',
                     syncs_per(r)))
pg = statistics.mean(v for k, v in pgbench.items() if k != 'serial')
serial = pgbench.get('serial')
print()

services = [r for r in rows if r['kind'] == 'service']
what = {'patch': 'PATCH /v1/cases/{id}', 'post': 'POST /v1/cases', 'visit': 'POST .../visits'}
goal = {'patch': 0.5, 'post': 0.5, 'visit': 0.4}
fmt = '{:<22} {:>7} {:>6} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9} {:>11} {:>7} {:>6}'
print(fmt.format('request', 'req/s', 'ratio', 'goal', 'vs -c1', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms',
                 'audit/req', 'syncs/write', 'waiting', 'errors'))
for r in services:
    r['rps'] = int(r['requests']) / (int(r['duration_us']) / 1e6)
    ms = lambda key: f'{int(r[key]) / 1000:.2f}'
    logged = int(r['logged'])
    errors = int(r['socket_errors']) + int(r['not_ok'])
    print(fmt.format(what[r['op']], f'{r["rps"]:.0f}', f'{r["rps"] / pg:.2f}', f'{goal[r["op"]]:.1f}',
                     f'{r["rps"] / serial:.2f}' if serial else '-', ms('p50_us'), ms('p90_us'),
                     ms('p99_us'), ms('max_us'), f'{int(r["audit"]) / logged:.2f}' if logged else '?',
                     syncs_per(r), r['queued'], errors))
print()
fmt = '{:<22} {:>16} {:>8} {:>8} {:>6}'
print(fmt.format('request', 'CPU us/req: wrk', 'service', 'database', 'total'))
for r in services:
    n = int(r['requests'])
    cpu = [int(r[k]) / hz * 1e6 / n for k in ('client_ticks', 'service_ticks', 'db_ticks')]
    print(fmt.format(what[r['op']], f'{cpu[0]:.1f}', f'{cpu[1]:.1f}', f'{cpu[2]:.1f}', f'{sum(cpu):.1f}'))
print()
print(f'ratio  = service req/s / mean pgbench -N -c{conns} TPS ({pg:.0f}) of the runs before and after.')
if serial:
    print(f'vs -c1 = service req/s / pgbench -N -c1 TPS ({serial:.0f}): one commit, and one WAL flush, at a time.')
print('goal   = the ratio this request is to reach.')
print('audit/req = audit rows written per answered request (every one numbered after commit).')
print('waiting = changes not yet numbered when the load stopped (the background numbering\'s lag).')
print('syncs/tx, syncs/write = WAL flushes (pg_stat_wal.wal_sync) per transaction or audited write, warm-up included:')
print('  below 1, commits shared flushes (group commit); 1, every commit waited for its own.')
print('Latencies from wrk. CPU: user + system time over the measured run per request, from /proc: wrk, '
      'caseworkd (all threads), the PostgreSQL server (all processes).')
PY
[ "$FAILED" = 0 ] || perf_die "some runs failed their checks (see above)"
