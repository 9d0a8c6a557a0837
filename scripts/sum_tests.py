#!/usr/bin/env python3
"""Sum the per-case results of uiommu's test binaries from meson's testlog.json.

Each binary ends its output with "N passed, N failed, N skipped" (tests/harness.c).
A binary that failed without printing that line counts as one failed case.
Prints "P F S", or with --failures the failing cases and their output tail.
"""
import json
import re
import sys

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", re.M)


def entries(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def main():
    failures = sys.argv[1] == "--failures"
    path = sys.argv[-1]
    p = f = s = 0
    for e in entries(path):
        out = e.get("stdout") or ""
        m = SUMMARY.findall(out)
        ok = e.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        if m:
            tp, tf, ts = map(int, m[-1])
            if not ok and tf == 0:
                tf = 1  # crashed or leaked after its summary (e.g. ASan at exit)
        else:
            tp, tf, ts = (0, 0, 1) if e.get("result") == "SKIP" else ((1, 0, 0) if ok else (0, 1, 0))
        p, f, s = p + tp, f + tf, s + ts
        if failures and tf:
            print(f"--- {e.get('name')} ({e.get('result')})")
            lines = [l for l in out.splitlines() if l.startswith("not ok") or "FAIL" in l]
            err = (e.get("stderr") or "").splitlines()
            for l in lines[:40]:
                print("   ", l)
            for l in err[-40:]:
                print("   ", l)
    if not failures:
        print(p, f, s)


main()
