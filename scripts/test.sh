#!/usr/bin/env bash
# test.sh - build everything and run every test, twice: a debug build and
# an ASan+UBSan build; then build the libFuzzer targets (tests/fuzz, clang)
# and run each for a short budget on its committed corpus, one test case per
# target; then the kernel's own iommufd selftest (v6.12, from Debian's
# linux-source-6.12) under `uiommu run`.  Ends with one line
# "N passed, N failed, N skipped" summed over every test case of every test
# binary, fuzz target and selftest case.
# FUZZ_TIME (upper bound in seconds per target, default 60; 0 skips the fuzz step).
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

fuzz_targets=(fuzz_remote_proto fuzz_ioctl_seq fuzz_pt_walk)
# A fixed seed and a fixed number of runs per target make the CI step
# repeatable: the same tree gives the same inputs.  FUZZ_TIME only bounds it.
declare -A fuzz_runs=([fuzz_remote_proto]=2000000 [fuzz_ioctl_seq]=40000 [fuzz_pt_walk]=15000)
fuzz_rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)

# Each target: the committed corpus copied to a temporary dir (the tree
# stays clean), seed 1 and a fixed run count; a crash, leak, timeout or sanitizer
# report fails the case and leaves the input in $dir/fuzz-artifacts.
run_fuzz() {
	local dir=build-fuzz time=${FUZZ_TIME:-60} t tmp rc
	local n=${#fuzz_targets[@]}

	if [[ $time == 0 ]]; then
		echo "== fuzz: skipped (FUZZ_TIME=0)"
		total_skip=$((total_skip + n))
		return 0
	fi
	if ! command -v clang >/dev/null || [[ ! -f $fuzz_rt ]]; then
		echo "== fuzz: skipped: clang with libFuzzer not installed" \
			"(Debian: apt-get install clang libclang-rt-14-dev)"
		total_skip=$((total_skip + n))
		return 0
	fi
	if [[ ! -f $dir/build.ninja ]]; then
		CC=clang meson setup "$dir" -Dbuildtype=debug -Dfuzz=true \
			-Db_sanitize=address,undefined -Db_lundef=false \
			-Dwerror=false >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; echo "uiommu: meson setup $dir failed" >&2; return 1; }
	fi
	ninja -C "$dir" "${fuzz_targets[@]/#/tests/fuzz/}" >"$dir.ninja.log" 2>&1 ||
		{ tail -n 60 "$dir.ninja.log"; echo "uiommu: build in $dir failed" >&2; return 1; }
	echo "== fuzz ($dir, seed 1, fixed runs, at most ${time}s per target)"
	local supp=$PWD/tests/fuzz/known_bugs.supp p=0 f=0
	for t in "${fuzz_targets[@]}"; do
		tmp=$(mktemp -d)
		cp tests/fuzz/corpus/"$t"/* "$tmp"/ 2>/dev/null
		rm -rf "$dir/fuzz-artifacts/$t"
		mkdir -p "$dir/fuzz-artifacts/$t"
		ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$supp \
			"$dir/tests/fuzz/$t" -seed=1 -runs="${fuzz_runs[$t]}" \
			-max_total_time="$time" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$dir/fuzz-artifacts/$t/" "$tmp" \
			>"$dir/$t.log" 2>&1
		rc=$?
		rm -rf "$tmp"
		if ((rc == 0)); then
			p=$((p + 1))
			echo "  ok   $t ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$dir/$t.log" | grep -o '[0-9]*$') runs)"
		else
			f=$((f + 1))
			echo "  FAIL $t (exit $rc), log $dir/$t.log"
			grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$dir/$t.log" | head -n 25 | sed 's/^/    /'
			for a in "$dir/fuzz-artifacts/$t"/*; do
				[[ -e $a ]] && echo "    input: $a (rerun: $dir/tests/fuzz/$t $a)"
			done
		fi
	done
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	echo "   $dir: $p passed, $f failed, 0 skipped"
}

run_fuzz || total_fail=$((total_fail + 1))

# The kernel's own iommufd selftests, from Debian's linux-source-6.12 (its
# v6.12 text), built unmodified against our headers and run under `uiommu
# run` (scripts/kselftest.sh): iommufd.c, then iommufd_fail_nth.c (the
# kernel's failure sweep, through the fail-nth file uiommu emulates); each
# of their cases counts as a test case, judged against
# tests/kselftest/expected-v6.12.txt.
run_kselftest() {
	local tarball=/usr/src/linux-source-6.12.tar.xz src=build/kselftest-v6.12
	local st=linux-source-6.12/tools/testing/selftests p f s

	if [[ ! -f $tarball ]] || ! [[ -f /usr/include/sys/capability.h ]]; then
		echo "== kselftest v6.12: skipped: needs Debian's linux-source-6.12 and libcap-dev" \
			"(apt-get install linux-source-6.12 libcap-dev)"
		total_skip=$((total_skip + 1))
		return 0
	fi
	if [[ ! -f $src/$st/iommu/iommufd_fail_nth.c ]]; then
		mkdir -p "$src"
		tar -xJf "$tarball" -C "$src" "$st/iommu/iommufd.c" "$st/iommu/iommufd_fail_nth.c" \
			"$st/iommu/iommufd_utils.h" "$st/kselftest_harness.h" "$st/kselftest.h" ||
			{ echo "uiommu: cannot extract the selftest from $tarball" >&2; return 1; }
	fi
	kselftest_one iommufd run.log build &&
		kselftest_one iommufd_fail_nth run-iommufd_fail_nth.log build || return 1
	# Both again with uiommu and the test under ASan+UBSan, halting on any
	# report; LeakSanitizer also checks at _exit() (UIOMMU_LEAK_CHECK: the
	# harness ends each case with _exit()); the test's own UBSan reports
	# are suppressed (tests/kselftest/ubsan.supp).
	[[ -x build-asan/src/cli/uiommu ]] || return 0
	local asan=(CFLAGS=-fsanitize=address,undefined UIOMMU_LEAK_CHECK=1
		ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:halt_on_error=1
		UBSAN_OPTIONS=halt_on_error=1:suppressions=$PWD/tests/kselftest/ubsan.supp)
	kselftest_one iommufd run.log build-asan "${asan[@]}" &&
		kselftest_one iommufd_fail_nth run-iommufd_fail_nth.log build-asan "${asan[@]}"
}

# One program of the selftest against one build: build, run, judge, count.
# Arguments after the first three are VAR=value settings for the run.
kselftest_one() {
	local prog=$1 log=build/kselftest/$2 build=$3 p f s

	shift 3
	echo "== kselftest v6.12 (tools/testing/selftests/iommu/$prog.c under uiommu run, $build)"
	rm -f "$log"
	env "$@" PROG="$prog" BUILD="$build" ./scripts/kselftest.sh "$src/linux-source-6.12" \
		>"build/kselftest-$prog.log" 2>&1
	read -r p f s < <(python3 scripts/kselftest_check.py tests/kselftest/expected-v6.12.txt \
		"$log" | tee "build/kselftest-$prog.check" | tail -n 1)
	head -n -1 "build/kselftest-$prog.check"
	[[ -n $p ]] || { tail -n 20 "build/kselftest-$prog.log"; return 1; }
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	echo "   kselftest v6.12 $prog ($build): $p passed, $f failed, $s skipped (log $log)"
}

run_kselftest || total_fail=$((total_fail + 1))

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0))
