#!/usr/bin/env bash
# Does caseworkd work through PgBouncer (Debian 12: 1.18)? Runs the same
# requests directly and through PgBouncer in transaction and in session mode,
# and prints, per way, how the answers went and which errors PostgreSQL logged.
# On demand, not in CI; README ("Many replicas: the connection budget and
# PgBouncer") says what it found.
#
# usage: tests/perf/pgbouncer.sh [BUILD_DIR]   (default build-perf, a release build)
#
# Environment (all optional):
#   CLIENTS=8          concurrent clients
#   ROUNDS=20          rounds per client: POST a case, GET it, GET a page of the list
#   DB_POOL_SIZE=4     the service's pool (CASEWORK_DB_POOL_SIZE)
#   BOUNCER_POOL=2     PgBouncer's server connections in transaction mode (fewer
#                      than the service's pool: that is the point of it); session
#                      mode gets DB_POOL_SIZE + 2 (the pool and the report pool),
#                      as it needs one for each of the service's connections
#   PERF_KEEP=1        keep the temporary directory (logs) at the end
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perf_settings CLIENTS=8 ROUNDS=20 DB_POOL_SIZE=4 BOUNCER_POOL=2
perf_use_db_pool_size

ensure_packages pgbouncer
perf_init "$BUILD_DIR"
perf_start_database
perf_migrate
DIRECT_URL=$CASEWORK_DATABASE_URL
BOUNCER_PID=

stop_bouncer() {
	[ -n "$BOUNCER_PID" ] || return 0
	kill -TERM "$BOUNCER_PID" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$BOUNCER_PID" 2>/dev/null || break; sleep 0.1; done
	BOUNCER_PID=
}
trap 'stop_bouncer; perf_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bouncer MODE POOL: PgBouncer on 127.0.0.1 in front of the private
# PostgreSQL, as the service's role; sets CASEWORK_DATABASE_URL to it.
start_bouncer() {
	local mode=$1 pool=$2 port ini
	port=$(perf_free_port)
	ini=$PERF_DIR/pgbouncer-$mode.ini
	cat >"$ini" <<INI
[databases]
casework = host=$PERF_DIR dbname=casework user=casework_service
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = any
pool_mode = $mode
default_pool_size = $pool
max_client_conn = 200
query_wait_timeout = 15
logfile = $PERF_DIR/pgbouncer-$mode.log
pidfile = $PERF_DIR/pgbouncer-$mode.pid
INI
	chmod 644 "$ini"
	pg_run pgbouncer -d "$ini" || perf_die "pgbouncer did not start"
	for _ in $(seq 1 50); do [ -s "$PERF_DIR/pgbouncer-$mode.pid" ] && break; sleep 0.1; done
	BOUNCER_PID=$(cat "$PERF_DIR/pgbouncer-$mode.pid")
	export CASEWORK_DATABASE_URL="host=127.0.0.1 port=$port dbname=casework user=casework_service"
}

# run_clients NAME: CLIENTS clients, ROUNDS rounds each, against the running
# service; prints "POST 201 x160 ..." counts and writes them to $PERF_DIR/NAME.counts.
run_clients() {
	local token
	token=$(perf_token --sub bouncer-worker --role caseworker --unit bouncer)
	python3 - "$PERF_URL" "$token" "$CLIENTS" "$ROUNDS" "$1" <<'PY' | tee "$PERF_DIR/$1.counts"
import collections, http.client, json, sys, threading, urllib.parse, uuid
url, token, clients, rounds, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
host = urllib.parse.urlsplit(url)
counts = collections.Counter()
lock = threading.Lock()

def call(method, path, body=None):
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = {'Authorization': f'Bearer {token}'}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        payload = r.read()
        status = r.status
    except OSError:
        status, payload = 'no answer', b''
    finally:
        conn.close()
    with lock:
        counts[(method, path.split('/')[2].split('?')[0] + ('/{id}' if path.count('/') > 2 else ''), status)] += 1
    return status, payload

def client(n):
    for i in range(rounds):
        status, payload = call('POST', '/v1/cases', {'case_number': f'PGB-{uuid.uuid4().hex[:12]}',
                                                     'family_name': 'Bouncer', 'case_type': 'in_home'})
        if status == 201:
            call('GET', f'/v1/cases/{json.loads(payload)["id"]}')
        call('GET', '/v1/cases?limit=5')

threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
for (method, path, status), n in sorted(counts.items(), key=str):
    print(f'  {method} /v1/{path}: {status} x{n}')
PY
}

# try NAME: the service with the current CASEWORK_DATABASE_URL, the clients,
# a stop; then what PostgreSQL logged meanwhile.
try() {
	local name=$1 logged
	logged=$(wc -l <"$PERF_DIR/postgres.log")
	perf_log "$name: $CLIENTS clients x $ROUNDS rounds"
	echo "== $name"
	perf_start_service "$name" may-be-unready
	run_clients "$name"
	perf_stop_service
	echo "  PostgreSQL logged:"
	tail -n +"$((logged + 1))" "$PERF_DIR/postgres.log" | grep -E 'ERROR|FATAL' \
		| sed -E 's/^.*(ERROR|FATAL): +//; s/"[a-z_]+"/"..."/' | sort | uniq -c | sort -rn | head -8 \
		| sed 's/^/   /' || true
}

export CASEWORK_DATABASE_URL=$DIRECT_URL
try direct

start_bouncer transaction "$BOUNCER_POOL"
try "pgbouncer-transaction-pool-$BOUNCER_POOL"
stop_bouncer

start_bouncer session $((DB_POOL_SIZE + 2))
try "pgbouncer-session-pool-$((DB_POOL_SIZE + 2))"
stop_bouncer
