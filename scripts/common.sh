# Shared by scripts/up, scripts/test and tests/perf: packages, privileges, builds.
# Source it from the project root.

PG_BINDIR=/usr/lib/postgresql/15/bin

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Packages by purpose, all from Debian 12.
PACKAGES_BUILD="gcc libc6-dev meson ninja-build pkg-config libulfius-dev libjansson-dev libjwt-dev libpq-dev libmicrohttpd-dev libssl-dev libcurl4-gnutls-dev python3 python3-yaml"
PACKAGES_RUN="postgresql-15 postgresql-client-15 postgresql-contrib openssl curl tzdata acl"
PACKAGES_BENCH="wrk postgresql-contrib"
PACKAGES_FUZZ="clang-14 libfuzzer-14-dev"
PACKAGES_TEST="python3-yaml python3-jsonschema python3-prometheus-client"
PACKAGES_CONTAINER="buildah debootstrap curl"
PACKAGES_PGBOUNCER="pgbouncer"

# ensure_packages PURPOSE...: installs whatever of those packages is missing.
ensure_packages() {
	local wanted="" missing="" p
	for purpose in "$@"; do
		case "$purpose" in
		build) wanted="$wanted $PACKAGES_BUILD" ;;
		run) wanted="$wanted $PACKAGES_RUN" ;;
		bench) wanted="$wanted $PACKAGES_BENCH" ;;
		fuzz) wanted="$wanted $PACKAGES_FUZZ" ;;
		test) wanted="$wanted $PACKAGES_TEST" ;;
		container) wanted="$wanted $PACKAGES_CONTAINER" ;;
		pgbouncer) wanted="$wanted $PACKAGES_PGBOUNCER" ;;
		lint) command -v npm >/dev/null || wanted="$wanted nodejs npm"
		      wanted="$wanted cppcheck clang-tidy" ;;
		esac
	done
	for p in $wanted; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# configure DIR [MESON OPTIONS...]: sets up a build directory once.
configure() {
	local dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@"
}

# pg_run CMD...: runs a PostgreSQL server program, as the postgres user when root
# (PostgreSQL refuses to run as root).
pg_run() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# give_to_postgres DIR...: when root, makes the postgres user own these
# directories and able to reach them (traverse permission on each parent).
give_to_postgres() {
	[ "$(id -u)" = 0 ] || return 0
	local d parent
	for d in "$@"; do
		chown postgres: "$d"
		parent=$(dirname "$(realpath "$d")")
		while [ "$parent" != / ]; do
			if ! runuser -u postgres -- test -x "$parent"; then
				setfacl -m u:postgres:x "$parent"
				echo "granted the postgres user passage through $parent (setfacl u:postgres:x)"
			fi
			parent=$(dirname "$parent")
		done
	done
}
