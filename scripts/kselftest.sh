#!/usr/bin/env bash
# kselftest.sh - build the kernel's own iommufd selftest against our uAPI
# headers and run it, unmodified, under `uiommu run`.
#
#   scripts/kselftest.sh SRC [HARNESS-ARGS...]
#
# SRC is a kernel tree root, or any directory holding these four files laid
# out as in the kernel tree:
#   tools/testing/selftests/iommu/iommufd.c
#   tools/testing/selftests/iommu/iommufd_utils.h
#   tools/testing/selftests/kselftest_harness.h
#   tools/testing/selftests/kselftest.h
# Nothing is downloaded.  The sources are copied into build/kselftest/src/
# (the relative include of drivers/iommu/iommufd/iommufd_test.h resolves to
# our include/uapi/iommufd_test.h) and the binary is build/kselftest/iommufd,
# its TAP output build/kselftest/run.log.  With PROG=iommufd_fail_nth the
# program is tools/testing/selftests/iommu/iommufd_fail_nth.c instead (the
# failure sweep through fail-nth, src/core/fail_nth.c), its binary
# build/kselftest/iommufd_fail_nth and its output
# build/kselftest/run-iommufd_fail_nth.log.
# HARNESS-ARGS go to the kselftest harness (-f FIXTURE, -v VARIANT,
# -t TEST, -l to list).  Environment: BUILD (default build) names the meson
# build dir holding src/cli/uiommu; CC (default gcc); CFLAGS (extra flags,
# e.g. -fsanitize=address,undefined against an ASan build of uiommu).
# Ends with the harness's TAP output and one line
# "kselftest: N ok, N not ok, N skip".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if (($# < 1)); then
	sed -n '2,26s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
src=$(cd "$1" && pwd) || exit 2
shift
build=${BUILD:-$root/build}
[[ $build = /* ]] || build=$root/$build
cc=${CC:-gcc}
prog=${PROG:-iommufd}
out=$root/build/kselftest
st=tools/testing/selftests

case $prog in
iommufd) log=$out/run.log ;;
iommufd_fail_nth) log=$out/run-$prog.log ;;
*) echo "kselftest: PROG must be iommufd or iommufd_fail_nth" >&2; exit 2 ;;
esac

for f in $st/iommu/$prog.c $st/iommu/iommufd_utils.h \
	 $st/kselftest_harness.h $st/kselftest.h; do
	[[ -f $src/$f ]] || { echo "kselftest: $src/$f missing" >&2; exit 2; }
done
cli=$build/src/cli/uiommu
if [[ ! -x $cli ]]; then
	echo "kselftest: $cli not built (meson setup $build && ninja -C $build)" >&2
	exit 2
fi

rm -rf "$out/src"
mkdir -p "$out/src/$st/iommu" "$out/src/drivers/iommu/iommufd"
cp "$src/$st/iommu/$prog.c" "$src/$st/iommu/iommufd_utils.h" "$out/src/$st/iommu/"
cp "$src/$st/kselftest_harness.h" "$src/$st/kselftest.h" "$out/src/$st/"
echo "#include \"$root/include/uapi/iommufd_test.h\"" >"$out/src/drivers/iommu/iommufd/iommufd_test.h"

# shellcheck disable=SC2086
"$cc" -O1 -g -D_GNU_SOURCE -Wno-unused ${CFLAGS:-} -I "$root/include/uapi" \
	-o "$out/$prog" "$out/src/$st/iommu/$prog.c" -lcap -lpthread \
	>"$out/build-$prog.log" 2>&1 ||
	{ cat "$out/build-$prog.log" >&2; echo "kselftest: build failed" >&2; exit 1; }

# The selftest wants a few hugetlb pages; ask for them if we may.
if [[ -w /proc/sys/vm/nr_hugepages ]] && (($(cat /proc/sys/vm/nr_hugepages) < 64)); then
	echo 64 >/proc/sys/vm/nr_hugepages 2>/dev/null || true
fi

case " ${CFLAGS:-} " in
*-fsanitize=*) export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0} ;;
esac
"$cli" run -- "$out/$prog" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
ok=$(grep -c '^ok ' "$log")
skip=$(grep -c '^ok .*# SKIP' "$log")
notok=$(grep -c '^not ok ' "$log")
echo "kselftest: $((ok - skip)) ok, $notok not ok, $skip skip"
exit "$rc"
