#!/usr/bin/env bash
# On demand, not in CI (it takes minutes): builds the image from the Dockerfile
# with buildah, then runs the image's own caseworkd against a private
# PostgreSQL on this host, as a container engine would: `caseworkd migrate`
# (as the tables' owner, granting the service's role), `caseworkd serve` (as the
# service's role), the HEALTHCHECK's `caseworkd probe`, one case created and
# read back over HTTP, and a clean stop on SIGTERM. Prints what it checked and
# how long each step took; exits non-zero at the first failure.
#
# Where no container engine runs (podman's crun cannot set rlimits in some
# sandboxes), buildah still builds with chroot isolation and runs the image's
# binary on the host's network. No image registry is needed: the Debian base
# images are made here from Debian's packages with debootstrap, once, and kept
# as localhost/debian:12 and localhost/debian:12-slim.
#
#   tests/container/smoke.sh            build and run
#   KEEP=1 tests/container/smoke.sh     keep the work directory (logs, database)
#
# buildah keeps the build's layers (the next build reuses them) and the image
# localhost/casework:smoke; `buildah rmi --prune` removes the layers no image uses.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/common.sh

ensure_packages run container
[ "$(id -u)" = 0 ] || { echo "smoke.sh: run as root (buildah with chroot isolation, debootstrap)" >&2; exit 1; }

IMAGE=localhost/casework:smoke
UID_EXPECTED=10001
WORK=$(mktemp -d /tmp/casework-smoke-XXXXXX)
chmod 711 "$WORK"
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CTR=""
SERVE_PID=""
T0=$(date +%s)

step() { printf '\n== %s (at %d s)\n' "$*" $(( $(date +%s) - T0 )); }
fail() { echo "FAILED: $*" >&2; exit 1; }

cleanup() {
	set +e
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
	[ -n "$CTR" ] && buildah rm "$CTR" >/dev/null 2>&1
	[ -f "$WORK/pgdata/PG_VERSION" ] && pg_run "$PG_BINDIR/pg_ctl" -D "$WORK/pgdata" -m fast -w stop >/dev/null 2>&1
	if [ -n "${KEEP:-}" ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A Debian 12 root file system as an image, made from Debian's own packages.
make_base() {
	local rootfs=$WORK/rootfs ctr
	debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
		|| { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
	tar -C "$rootfs" -cf "$WORK/rootfs.tar" .
	ctr=$(buildah from scratch)
	buildah add "$ctr" "$WORK/rootfs.tar" / >/dev/null
	buildah config --cmd /bin/bash "$ctr"
	buildah commit --quiet "$ctr" localhost/debian:12 >/dev/null
	buildah rm "$ctr" >/dev/null
	buildah tag localhost/debian:12 localhost/debian:12-slim
	rm -rf "$rootfs" "$WORK/rootfs.tar"
}

step "base images"
if buildah inspect --type image localhost/debian:12 >/dev/null 2>&1; then
	echo "localhost/debian:12 is there (made earlier by debootstrap)"
else
	make_base
	echo "made localhost/debian:12 and :12-slim with debootstrap --variant=minbase bookworm"
fi

step "build the image (buildah bud, chroot isolation, the Dockerfile's release build)"
buildah bud --isolation chroot --network host --pull=never --format docker --layers \
	-t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "image build"; }
echo "built $IMAGE: $(buildah images --format '{{.Size}}' "$IMAGE")"

step "what the image says"
user=$(buildah inspect --type image --format '{{.Docker.Config.User}}' "$IMAGE")
health=$(buildah inspect --type image --format '{{.Docker.Config.Healthcheck.Test}}' "$IMAGE")
echo "user: $user"
echo "healthcheck: $health"
[ "${user%%:*}" = "$UID_EXPECTED" ] || fail "the image should run as UID $UID_EXPECTED, not '$user'"
case "$health" in *"caseworkd probe"*|*"caseworkd"*"probe"*) ;; *) fail "HEALTHCHECK should run caseworkd probe";; esac
CTR=$(buildah from --pull=never "$IMAGE")
run_in() { buildah run --isolation chroot --network host "$@"; }
id_line=$(run_in --user "$user" "$CTR" -- /usr/bin/id)
echo "in the container: $id_line"
if run_in "$CTR" -- sh -c 'command -v curl wget' >/dev/null 2>&1; then fail "curl or wget is in the image"; fi
echo "no curl or wget in the image"
echo "caseworkd: $(run_in "$CTR" -- /usr/local/bin/caseworkd --version)"

step "a private PostgreSQL on 127.0.0.1:$PG_PORT, with the owner and the service's role"
give_to_postgres "$WORK"
pg_run "$PG_BINDIR/initdb" -D "$WORK/pgdata" -A trust -U casework -E UTF8 --no-locale >/dev/null
pg_run "$PG_BINDIR/pg_ctl" -D "$WORK/pgdata" -l "$WORK/postgres.log" -w \
	-o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$WORK" start >/dev/null
"$PG_BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U casework -d postgres -v ON_ERROR_STOP=1 -q \
	-c 'CREATE DATABASE casework' -c 'CREATE ROLE casework_service LOGIN'
OWNER_URL="postgresql://casework@127.0.0.1:$PG_PORT/casework"
SERVICE_URL="postgresql://casework_service@127.0.0.1:$PG_PORT/casework"
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$WORK/jwt-secret"
chmod 644 "$WORK/jwt-secret"

step "caseworkd migrate, from the image"
run_in --user "$user" --env CASEWORK_MIGRATE_DATABASE_URL="$OWNER_URL" --env CASEWORK_DATABASE_URL="$SERVICE_URL" \
	"$CTR" -- /usr/local/bin/caseworkd migrate | tail -3

step "caseworkd serve, from the image, on 127.0.0.1:$API_PORT"
SERVE_ENV=(--env CASEWORK_DATABASE_URL="$SERVICE_URL" --env CASEWORK_PORT="$API_PORT"
	--env CASEWORK_JWT_SECRET_FILE=/run/secrets/jwt_secret --volume "$WORK/jwt-secret:/run/secrets/jwt_secret:ro")
run_in --user "$user" "${SERVE_ENV[@]}" "$CTR" -- /usr/local/bin/caseworkd serve \
	>"$WORK/serve.stdout" 2>"$WORK/serve.stderr" &
probe() { run_in --user "$user" "${SERVE_ENV[@]}" "$CTR" -- /usr/local/bin/caseworkd probe; }
ready=""
for _ in $(seq 1 60); do
	if probe >/dev/null 2>&1; then ready=1; break; fi
	sleep 0.5
done
[ -n "$ready" ] || { cat "$WORK/serve.stderr"; fail "serve did not become ready"; }
# The process listening on the port is the image's caseworkd; it is what we stop.
SERVE_PID=$(ss -Hltnp "sport = :$API_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$SERVE_PID" ] || fail "cannot find the serving process"
echo "ready: caseworkd probe exits 0 (pid $SERVE_PID runs as uid $(awk '/^Uid:/ {print $2}' /proc/"$SERVE_PID"/status))"
grep '"serving on' "$WORK/serve.stdout" || true

step "a case created and read back as a caseworker"
TOKEN=$(python3 scripts/mint-token.py --secret-file "$WORK/jwt-secret" --sub smoke-worker --role caseworker --unit smoke)
URL=http://127.0.0.1:$API_PORT
created=$(curl -sS -o "$WORK/created.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' -d '{"case_number":"SMOKE-1","family_name":"Rivera","case_type":"in_home"}' \
	"$URL/v1/cases")
[ "$created" = 201 ] || { cat "$WORK/created.json"; fail "POST /v1/cases answered $created"; }
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/created.json")
read=$(curl -sS -o "$WORK/read.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/v1/cases/$id")
[ "$read" = 200 ] || { cat "$WORK/read.json"; fail "GET /v1/cases/$id answered $read"; }
python3 - "$WORK/read.json" <<'PY'
import json, sys
case = json.load(open(sys.argv[1]))
assert case['case_number'] == 'SMOKE-1' and case['family_name'] == 'Rivera', case
print(f"POST 201, GET 200: {case['case_number']} {case['family_name']} version {case['version']}")
PY
audit=$("$PG_BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U casework -d casework -Atc \
	"SELECT count(*) FROM audit_log WHERE resource_id = '$id'")
[ "$audit" = 1 ] || fail "expected one audit row, found $audit"
echo "one audit row, written by the service's role"
denied=$("$PG_BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U casework_service -d casework -Atc \
	'DELETE FROM audit_log' 2>&1 || true)
case "$denied" in *"permission denied"*) echo "the service's role may not delete it: $denied" ;;
	*) fail "the service's role could delete audit rows: $denied" ;; esac

step "stop"
kill -TERM "$SERVE_PID"
for _ in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVE_PID" 2>/dev/null && fail "serve did not stop within 10 s of SIGTERM"
SERVE_PID=""
wait || true
if probe >/dev/null 2>&1; then fail "probe still says ready after the stop"; fi
echo "stopped on SIGTERM; caseworkd probe now exits 1"
grep -c '"route"' "$WORK/serve.stdout" | xargs -I{} echo "{} request lines logged on stdout"
[ -s "$WORK/serve.stderr" ] && { echo "serve wrote on stderr:"; cat "$WORK/serve.stderr"; }

printf '\nsmoke test passed in %d s\n' $(( $(date +%s) - T0 ))
