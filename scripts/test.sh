#!/usr/bin/env bash
# test.sh - build everything and run every test, twice: a debug build and
# an ASan+UBSan build.  Ends with one line "N passed, N failed, N skipped"
# summed over every test case of every test binary.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0 total_fail=0 total_skip=0

run_build() {
	local dir=$1; shift
	if [[ ! -f $dir/build.ninja ]]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; echo "uiommu: meson setup $dir failed" >&2; return 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 ||
		{ tail -n 60 "$dir.ninja.log"; echo "uiommu: build in $dir failed" >&2; return 1; }
	echo "== tests ($dir)"
	meson test -C "$dir" --num-processes "$jobs" --print-errorlogs >"$dir.test.log" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log" | sed 's/^ */  /'
	read -r p f s < <(python3 scripts/sum_tests.py "$dir/meson-logs/testlog.json")
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	if ((f)); then
		echo "-- failures in $dir:"
		python3 scripts/sum_tests.py --failures "$dir/meson-logs/testlog.json"
	fi
	echo "   $dir: $p passed, $f failed, $s skipped"
}

run_build build -Dbuildtype=debug || total_fail=$((total_fail + 1))
run_build build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false ||
	total_fail=$((total_fail + 1))

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0))
