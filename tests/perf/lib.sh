# Shared by the tests/perf benchmarks: settings, build, a private PostgreSQL,
# caseworkd, tokens, cleanup. A benchmark begins with
#
#	set -euo pipefail
#	. "$(dirname "$0")/lib.sh"
#
# which moves to the project root, reads scripts/common.sh, and sets BUILD_DIR
# to the benchmark's first argument (default build-perf).
#
# Everything lives in one temporary directory ($PERF_DIR): the database (Unix
# socket only, no TCP), the JWT secret, the service logs and the wrk script.
# perf_cleanup (installed as a trap by perf_init) stops the service and the
# database and removes the directory, on normal exit, on error and on Ctrl-C.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/common.sh
BUILD_DIR=${1:-build-perf}

PERF_DIR=
PERF_PG_DATA=
PERF_SERVICE_PID=
PERF_CHILD_PID=
PERF_BUILD=
PERF_KEEP=${PERF_KEEP:-}

perf_log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
perf_die() { perf_log "error: $*"; exit 1; }

# perf_settings NAME=DEFAULT...: each NAME as the environment sets it, or DEFAULT
# when it is unset or empty.
perf_settings() {
	local setting name
	for setting in "$@"; do
		name=${setting%%=*}
		printf -v "$name" '%s' "${!name:-${setting#*=}}"
	done
}

# perf_positive NAME...: dies unless each is a positive integer.
perf_positive() {
	local name
	for name in "$@"; do
		[[ ${!name} =~ ^[1-9][0-9]*$ ]] || perf_die "$name must be a positive integer"
	done
}

perf_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$PERF_CHILD_PID" ]; then
		kill -TERM "$PERF_CHILD_PID" 2>/dev/null || true
		wait "$PERF_CHILD_PID" 2>/dev/null || true
	fi
	perf_stop_service || true
	local job
	for job in $(jobs -p); do kill -TERM "$job" 2>/dev/null || true; done
	if [ -n "$PERF_PG_DATA" ] && [ -f "$PERF_PG_DATA/postmaster.pid" ]; then
		pg_run "$PG_BINDIR/pg_ctl" -D "$PERF_PG_DATA" -m fast -w stop >/dev/null 2>&1 \
			|| pg_run "$PG_BINDIR/pg_ctl" -D "$PERF_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "$PERF_DIR" ] && [ -d "$PERF_DIR" ]; then
		if [ -n "$PERF_KEEP" ]; then
			perf_log "kept $PERF_DIR (PERF_KEEP is set)"
		else
			rm -rf "$PERF_DIR"
		fi
	fi
	exit "$rc"
}

# perf_init BUILD_DIR: packages, build, temporary directory, traps.
perf_init() {
	PERF_BUILD=$1
	ensure_packages build run bench
	configure "$PERF_BUILD" -Dbuildtype=release
	perf_log "building in $PERF_BUILD"
	# Only the executable: the benchmarks need nothing else.
	meson compile -C "$PERF_BUILD" caseworkd >/dev/null \
		|| perf_die "the build failed (meson compile -C $PERF_BUILD caseworkd)"
	[ -x "$PERF_BUILD/caseworkd" ] || perf_die "no $PERF_BUILD/caseworkd after the build"
	local buildtype
	buildtype=$(meson introspect --buildoptions "$PERF_BUILD" 2>/dev/null | python3 -c \
		'import json, sys; print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"), "?"))' \
		2>/dev/null || echo '?')
	[ "$buildtype" = release ] || perf_log "warning: $PERF_BUILD has buildtype $buildtype, not release; figures will be low"

	PERF_DIR=$(mktemp -d "${TMPDIR:-/tmp}/casework-perf.XXXXXX")
	trap perf_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	chmod 711 "$PERF_DIR"
	give_to_postgres "$PERF_DIR"
	(umask 077 && openssl rand -base64 48 | tr -d '\n' > "$PERF_DIR/jwt-secret")
	chmod 644 "$PERF_DIR/jwt-secret"
}

# perf_start_database: initdb and start PostgreSQL 15 on a socket in $PERF_DIR,
# with the default durability settings (fsync, synchronous_commit, full_page_writes
# on) and default shared_buffers; creates the casework database.
perf_start_database() {
	PERF_PG_DATA=$PERF_DIR/pgdata
	perf_log "starting PostgreSQL in $PERF_DIR"
	pg_run "$PG_BINDIR/initdb" -D "$PERF_PG_DATA" -A trust -U casework -E UTF8 --no-locale >/dev/null \
		|| perf_die "initdb failed"
	pg_run "$PG_BINDIR/pg_ctl" -D "$PERF_PG_DATA" -l "$PERF_DIR/postgres.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories=$PERF_DIR -c max_connections=100" start >/dev/null \
		|| { tail -20 "$PERF_DIR/postgres.log" >&2; perf_die "PostgreSQL did not start"; }
	perf_psql -d postgres -qc 'CREATE DATABASE casework' -c 'CREATE ROLE casework_service LOGIN' \
		|| perf_die "cannot create the database"
	# As deployed: the service connects as a role of its own (README: Two database roles).
	export CASEWORK_DATABASE_URL="host=$PERF_DIR dbname=casework user=casework_service"
	export CASEWORK_JWT_SECRET_FILE=$PERF_DIR/jwt-secret
}

# perf_psql ARGS...: psql as the database owner over the socket (default database casework).
perf_psql() {
	"$PG_BINDIR/psql" -h "$PERF_DIR" -U casework -X -v ON_ERROR_STOP=1 -d casework "$@"
}

perf_migrate() {
	CASEWORK_MIGRATE_DATABASE_URL="host=$PERF_DIR dbname=casework user=casework" \
		"$PERF_BUILD/caseworkd" migrate >"$PERF_DIR/migrate.log" 2>&1 \
		|| { cat "$PERF_DIR/migrate.log" >&2; perf_die "caseworkd migrate failed"; }
}

# perf_seed_cases TOTAL WORKERS UNITS [UNIT_OF_ALL [PREFIX]]: inserts TOTAL
# cases in one audited transaction (the audit trigger needs casework.actor).
# Case g belongs to worker bench-worker-NN with NN = g mod WORKERS (1-based) and
# to unit bench-unit-MM, MM = NN mod UNITS, unless UNIT_OF_ALL names one unit
# for every case. Case numbers are PREFIX-g (default BENCH) and ids
# md5(PREFIX || g)::uuid, so that pgbench scripts can name a case. Case g is created
# at 2025-01-01 plus g seconds: distinct times within one call; several calls
# interleave, and their equal times exercise the cursor's id tie-break.
perf_seed_cases() {
	local total=$1 workers=$2 units=$3 unit_of_all=${4:-} prefix=${5:-BENCH}
	perf_log "seeding $total cases ($workers workers, ${unit_of_all:-$units units})"
	perf_psql -q >/dev/null <<SQL || perf_die "seeding failed"
BEGIN;
SELECT set_config('casework.actor', 'bench', true);
SELECT set_config('casework.roles', 'administrator', true);
INSERT INTO cases (id, case_number, family_name, case_type, status, opened_on, assigned_worker, unit,
                   permanency_goal, permanency_goal_since, created_at, updated_at)
SELECT md5('$prefix' || g)::uuid,
       '$prefix-' || lpad(g::text, 7, '0'),
       'Family ' || g,
       CASE WHEN g % 3 = 0 THEN 'out_of_home' ELSE 'in_home' END,
       'open',
       date '2020-01-01' + (g % 1500),
       'bench-worker-' || lpad((g % $workers + 1)::text, 2, '0'),
       coalesce(nullif('$unit_of_all', ''),
                'bench-unit-' || lpad(((g % $workers + 1) % $units + 1)::text, 2, '0')),
       CASE WHEN g % 2 = 0 THEN 'reunification' ELSE 'not_established' END,
       date '2020-01-01' + (g % 1500),
       timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => g),
       timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => g)
  FROM generate_series(1, $total) g
 ORDER BY g;
COMMIT;
VACUUM ANALYZE cases;
VACUUM ANALYZE case_permanency_goals;
VACUUM ANALYZE audit_log;
SQL
}

# perf_run OUT CMD...: runs a load generator with its output in the file OUT.
# In the background and waited for, so that Ctrl-C stops the script at once
# (wrk and pgbench themselves finish their run on SIGINT); the cleanup kills it.
perf_run() {
	local out=$1 rc=0
	shift
	"$@" >"$out" 2>&1 &
	PERF_CHILD_PID=$!
	wait "$PERF_CHILD_PID" || rc=$?
	PERF_CHILD_PID=
	return "$rc"
}

perf_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# perf_start_service NAME [MAY_BE_UNREADY]: starts caseworkd serve with
# CASEWORK_HTTP_THREADS as exported by the caller; stdout (one line per request)
# to $PERF_DIR/NAME.log. A service whose /readyz does not answer 200 within 30 s
# stops the benchmark, or with MAY_BE_UNREADY is left running with a warning.
perf_start_service() {
	local name=$1 may_be_unready=${2:-} i
	export CASEWORK_PORT
	rm -f "$PERF_DIR/$name.log" "$PERF_DIR/$name.stderr"
	CASEWORK_PORT=$(perf_free_port)
	export CASEWORK_BIND=127.0.0.1
	PERF_SERVICE_LOG=$PERF_DIR/$name.log
	PERF_SERVICE_ERR=$PERF_DIR/$name.stderr
	# Appending, so that the log can be emptied while the service runs.
	"$PERF_BUILD/caseworkd" serve >>"$PERF_SERVICE_LOG" 2>>"$PERF_SERVICE_ERR" &
	PERF_SERVICE_PID=$!
	PERF_URL=http://127.0.0.1:$CASEWORK_PORT
	for i in $(seq 1 300); do
		kill -0 "$PERF_SERVICE_PID" 2>/dev/null || { cat "$PERF_SERVICE_ERR" >&2; perf_die "caseworkd exited at start"; }
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$PERF_URL/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	[ -n "$may_be_unready" ] || perf_die "caseworkd did not become ready at $PERF_URL"
	perf_log "warning: caseworkd is not ready at $PERF_URL: $(curl -s "$PERF_URL/readyz" | head -c 300)"
}

# perf_stop_service: SIGTERM, wait; complains when the exit status is not 0.
perf_stop_service() {
	[ -n "$PERF_SERVICE_PID" ] || return 0
	local pid=$PERF_SERVICE_PID rc=0
	PERF_SERVICE_PID=
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		perf_log "warning: caseworkd did not stop within 30 s of SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || rc=$?
	[ "$rc" = 0 ] || perf_log "warning: caseworkd exited with status $rc"
	return 0
}

# perf_rss_kb PID: resident set size in kB, from /proc.
perf_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo '?'
}

# perf_peak_rss_kb PID: the largest resident set size so far (VmHWM), in kB.
perf_peak_rss_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo '?'
}

perf_threads() {
	awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo '?'
}

# CPU accounting, in clock ticks (getconf CLK_TCK a second), from /proc.
PERF_CLK_TCK=$(getconf CLK_TCK)

# perf_ticks PID [CHILDREN]: user + system time of a process (all its threads);
# with CHILDREN, plus that of its children already waited for.
perf_ticks() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	st=${st##*) }   # the fields after "(comm) ": state is $1, utime $12, stime $13, cutime $14, cstime $15
	awk -v c="${2:-}" '{ print $12 + $13 + (c != "" ? $14 + $15 : 0) }' <<<"$st"
}

# perf_pg_ticks: CPU of the whole PostgreSQL server: the postmaster, its live
# children (backends, checkpointer...) and the children that have exited since
# it started. The difference of two readings is the server's CPU in between,
# backends born and gone in between included.
perf_pg_ticks() {
	local pm total child
	pm=$(head -1 "$PERF_PG_DATA/postmaster.pid")
	total=$(perf_ticks "$pm" children)
	for child in $(pgrep -P "$pm"); do
		total=$((total + $(perf_ticks "$child")))
	done
	echo "$total"
}

# perf_client_ticks: sets PERF_CLIENT_TICKS to the CPU of the children this
# shell has waited for (bash's "times"), i.e. of the load generators run with
# perf_run. Call it directly, not in $(...): a subshell has its own children.
perf_client_ticks() {
	times >"$PERF_DIR/times"
	PERF_CLIENT_TICKS=$(tail -1 "$PERF_DIR/times" | awk -v hz="$PERF_CLK_TCK" '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
		printf "%d\n", t * hz + 0.5 }')
}

# perf_token ARGS...: a token for the benchmark's secret (see scripts/mint-token.py).
perf_token() {
	python3 scripts/mint-token.py --secret-file "$PERF_DIR/jwt-secret" "$@"
}

# perf_use_db_pool_size: the service's default database pool size, unless
# DB_POOL_SIZE asks for another (then CASEWORK_DB_POOL_SIZE is set to it).
perf_use_db_pool_size() {
	if [ -n "${DB_POOL_SIZE:-}" ]; then
		export CASEWORK_DB_POOL_SIZE=$DB_POOL_SIZE
	else
		unset CASEWORK_DB_POOL_SIZE
	fi
}

# perf_pgbench_init SCALE: the pgbench tables (pgbench -i) in the casework database.
perf_pgbench_init() {
	perf_log "pgbench -i -s $1"
	pgbench -h "$PERF_DIR" -U casework -i -q -s "$1" casework >"$PERF_DIR/pgbench-init.log" 2>&1 \
		|| { tail -20 "$PERF_DIR/pgbench-init.log" >&2; perf_die "pgbench -i failed"; }
}

# perf_pgbench LABEL ARGS...: pgbench ARGS on the casework database, a warm-up of
# WARMUP seconds, then the measured run of DURATION seconds (output in
# $PERF_DIR/pgbench-warmup.txt and pgbench.txt). Sets PGBENCH_TPS, PGBENCH_LAT (ms),
# and over the measured run PGBENCH_CLIENT_TICKS and PGBENCH_DB_TICKS; dies when
# pgbench fails or a transaction failed.
perf_pgbench() {
	local label=$1 out c0 d0
	shift
	local cmd=(pgbench -h "$PERF_DIR" -U casework "$@")
	perf_log "pgbench $label: warm-up ${WARMUP}s, then ${DURATION}s"
	perf_run "$PERF_DIR/pgbench-warmup.txt" "${cmd[@]}" -T "$WARMUP" casework \
		|| { cat "$PERF_DIR/pgbench-warmup.txt" >&2; perf_die "pgbench warm-up failed"; }
	d0=$(perf_pg_ticks)
	perf_client_ticks
	c0=$PERF_CLIENT_TICKS
	perf_run "$PERF_DIR/pgbench.txt" "${cmd[@]}" -T "$DURATION" casework \
		|| { cat "$PERF_DIR/pgbench.txt" >&2; perf_die "pgbench failed"; }
	perf_client_ticks
	PGBENCH_CLIENT_TICKS=$((PERF_CLIENT_TICKS - c0))
	sleep 0.5   # the backends exit and are waited for by the postmaster
	PGBENCH_DB_TICKS=$(($(perf_pg_ticks) - d0))
	out=$(cat "$PERF_DIR/pgbench.txt")
	PGBENCH_TPS=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | tail -1)
	PGBENCH_LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out" | tail -1)
	[ -n "$PGBENCH_TPS" ] || { echo "$out" >&2; perf_die "no tps in the pgbench output"; }
	if grep -q '^number of failed transactions: [1-9]' <<<"$out"; then
		echo "$out" >&2
		perf_die "pgbench $label: failed transactions"
	fi
	perf_log "pgbench $label: $PGBENCH_TPS TPS, latency average $PGBENCH_LAT ms"
}

# perf_wrk_result FILE: the RESULT line (perf_wrk_done_lua) of the wrk output in
# FILE into WRK_RESULT, the whole output into WRK_OUT; dies when there is none.
perf_wrk_result() {
	WRK_OUT=$(cat "$1")
	WRK_RESULT=$(grep '^RESULT ' <<<"$WRK_OUT") || { echo "$WRK_OUT" >&2; perf_die "no RESULT line from wrk"; }
}

# perf_answers MATCH STATUS: from the service's log (one line per request, since
# it was last emptied) LOGGED, how many lines hold MATCH, and NOT_OK, how many
# requests answered other than STATUS.
perf_answers() {
	LOGGED=$(grep -ac "$1" "$PERF_SERVICE_LOG" || true)
	NOT_OK=$(grep -a '"route":' "$PERF_SERVICE_LOG" | grep -avc "\"status\":$2," || true)
}

# perf_show_failures STATUS: wrk's lines about errors (of the last perf_wrk_result)
# and the first log lines of requests that answered other than STATUS.
perf_show_failures() {
	grep -E 'Non-2xx|Socket errors' <<<"$WRK_OUT" >&2 || true
	grep -a '"route":' "$PERF_SERVICE_LOG" | grep -av "\"status\":$1," | head -5 >&2 || true
}

# perf_wrk_done_lua: the done() of a wrk script, printing one RESULT line of
# key=value pairs (requests, duration, latency percentiles, error counts).
perf_wrk_done_lua() {
	cat <<'LUA'
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA
}

# perf_get_case_lua TOKEN WORKER OUT [traced]: a wrk script (into the file OUT)
# that cycles GET /v1/cases/{id} with TOKEN over WORKER's cases, each wrk thread
# starting at another place in the list, and prints perf_wrk_done_lua's RESULT
# line. With "on" (or "unsampled"), every request carries a W3C traceparent of
# its own trace, sampled (or not: flags 00).
perf_get_case_lua() {
	local token=$1 worker=$2 out=$3 traced=${4:-off}
	{
		echo '-- Cycles GET /v1/cases/{id} over one caseworker'"'"'s own cases.'
		echo "local token = \"$token\""
		case $traced in
		on) echo 'local traced, flags = true, "01"' ;;
		unsampled) echo 'local traced, flags = true, "00"' ;;
		*) echo 'local traced, flags = false, "00"' ;;
		esac
		echo 'local ids = {'
		perf_psql -At -c "SELECT '\"' || id || '\",' FROM cases WHERE assigned_worker = '$worker'
		                   AND deleted_at IS NULL ORDER BY id"
		echo '}'
		cat <<'LUA'
local requests = {}
local i = 0
local counter = 0

-- Each wrk thread starts at another place in the list.
function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
end

local function hex(digits)
   local t = {}
   for d = 1, digits do
      t[d] = string.format("%x", math.random(1, 15))
   end
   return table.concat(t)
end

function init(args)
   local headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }
   math.randomseed((thread_index or 0) + 1)
   for n, id in ipairs(ids) do
      requests[n] = wrk.format("GET", "/v1/cases/" .. id, headers)
   end
   i = (thread_index or 0) * 7919
end

function request()
   i = i + 1
   if traced then
      -- A trace of its own for every request, as from a traced front end.
      return wrk.format("GET", "/v1/cases/" .. ids[(i % #ids) + 1],
         { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json",
           ["traceparent"] = "00-" .. hex(32) .. "-" .. hex(16) .. "-" .. flags })
   end
   return requests[(i % #requests) + 1]
end
LUA
		perf_wrk_done_lua
	} >"$out"
}

# The visit-measure data set (tests/perf/visit-measure-load.sql, described in
# tests/perf/README.md). perf_visit_measure_sizes CHILDREN sets FAMILIES (cases,
# 2.5 children each), WORKERS (about 80 families each, at least 10) and UNITS
# (10 workers each) for about CHILDREN children in care.
perf_visit_measure_sizes() {
	FAMILIES=$(($1 * 2 / 5))
	WORKERS=$(((FAMILIES + 40) / 80))
	[ "$WORKERS" -ge 10 ] || WORKERS=10
	UNITS=$(((WORKERS + 9) / 10))
}

# perf_load_triggers: REPLICA for perf_load_visit_measure from LOAD_TRIGGERS
# (on: false, off: true).
perf_load_triggers() {
	case "$LOAD_TRIGGERS" in
	on) REPLICA=false ;;
	off) REPLICA=true ;;
	*) perf_die "LOAD_TRIGGERS must be on or off" ;;
	esac
}

# perf_month_plus YYYY-MM N: the month N months later (N may be negative).
perf_month_plus() {
	python3 -c 'import sys; y, m = map(int, sys.argv[1].split("-")); n = y * 12 + m - 1 + int(sys.argv[2]); print(f"{n // 12:04d}-{n % 12 + 1:02d}")' "$1" "$2"
}

# perf_load_visit_measure G_FROM G_TO P0 MONTHS REPLICA LOG: loads families
# G_FROM..G_TO of that data set (WORKERS as set above), visits over MONTHS months
# from P0 (YYYY-MM-01); REPLICA true loads with every trigger off. psql's output
# goes to the file LOG, shown when the load fails.
perf_load_visit_measure() {
	perf_psql -q -v g_from="$1" -v g_to="$2" -v workers="$WORKERS" -v p0="$3" -v months="$4" \
		-v replica="$5" -f tests/perf/visit-measure-load.sql >"$6" 2>&1 \
		|| { cat "$6" >&2; perf_die "the load failed"; }
}

# perf_load_family_time G_FROM G_TO P0 MONTHS REPLICA LOG: loads the meetings,
# family-time plans and weekly family time of families G_FROM..G_TO, after
# perf_load_visit_measure has loaded those families (same arguments).
perf_load_family_time() {
	perf_psql -q -v g_from="$1" -v g_to="$2" -v p0="$3" -v months="$4" \
		-v replica="$5" -f tests/perf/family-time-load.sql >"$6" 2>&1 \
		|| { cat "$6" >&2; perf_die "the family-time load failed"; }
}
