#!/usr/bin/env bash
# Runs the fuzz targets, one after the other, each from its seed corpus
# (corpus/<target>/) and its dictionary (dict/<target>.dict, when there is one).
#
# usage: tests/fuzz/run.sh [-t SECONDS] [-n RUNS] [-k] BUILD_DIR [TARGET...]
#   -t SECONDS  stop each target after this long (default 15)
#   -n RUNS     stop each target after this many executions instead (-t 0 for no time limit)
#   -k          keep what the run learnt: BUILD_DIR/fuzz-corpus/<target> is not emptied first
# BUILD_DIR is a build configured with -Dfuzz=true (README.md). Without TARGET
# names, every target built there runs. New inputs go to BUILD_DIR/fuzz-corpus/,
# never to the seeds; a crash, leak, timeout or sanitizer report is written to
# BUILD_DIR/fuzz-artifacts/ and makes the exit status 1. One summary line per
# target: executions, seconds, coverage (edges), features, corpus size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=15 runs=-1 keep=0
while getopts t:n:k opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	n) runs=$OPTARG ;;
	k) keep=1 ;;
	*) sed -n '4,8p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '4,8p' "$0" >&2; exit 2; }
build=$1
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for exe in "$build"/tests/fuzz/fuzz_*; do
		[ -x "$exe" ] && [ -f "$exe" ] && targets+=("$(basename "$exe" | sed 's/^fuzz_//')")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets in $build (configure it with -Dfuzz=true)" >&2; exit 2; }

# Leaks count as crashes; undefined behaviour stops the run with a trace.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=()
printf '%-12s %10s %6s %7s %7s %16s\n' target executions secs cov ft corpus
for t in "${targets[@]}"; do
	exe=$build/tests/fuzz/fuzz_$t
	work=$build/fuzz-corpus/$t
	artifacts=$build/fuzz-artifacts/$t
	log=$build/fuzz-logs/$t.log
	[ $keep = 1 ] || rm -rf "$work"
	mkdir -p "$work" "$artifacts" "$(dirname "$log")"
	args=(-max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=1
	      -print_final_stats=1 -artifact_prefix="$artifacts/")
	[ -f "$here/dict/$t.dict" ] && args+=(-dict="$here/dict/$t.dict")
	seeds=()
	[ -d "$here/corpus/$t" ] && seeds=("$here/corpus/$t")
	start=$(date +%s)
	status=0
	"$exe" "${args[@]}" "$work" "${seeds[@]}" >"$log" 2>&1 || status=$?
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
	printf '%-12s %10s %6s %7s %7s %16s\n' "$t" "${execs:-?}" "$secs" "${cov:-?}" "${ft:-?}" "${corp:-?}"
	if [ $status -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ_CHECK' "$log"; then
		failed+=("$t")
		echo "---- $t failed (status $status); $log:"
		grep -avE '^(#[0-9]|INFO:|MERGE|\s*$)' "$log" | tail -60
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz targets failed: ${failed[*]} (inputs in $build/fuzz-artifacts/)"
	exit 1
fi
