#!/usr/bin/env python3
"""Judge a run of the kernel's iommufd selftest against a list of expected differences.

    kselftest_check.py EXPECTED RUN_LOG

EXPECTED is tests/kselftest/expected-v*.txt (its header says the format), RUN_LOG the
harness's TAP output.  Prints one line per case that did not simply pass, then
"P F S": passed, failed, skipped.  A case that fails while a line of EXPECTED covers it
(pattern matches, condition holds) counts as skipped, with the reason; a case on an
"always" line that passes counts as failed (the list must stay true); a case the plan
line announced but the log never reported (the program died) counts as failed.
"""
import fnmatch
import re
import sys

CAP_SYS_RESOURCE = 24


def has_cap(bit):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def free_hugepages():
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            return int(f.read())
    except OSError:
        return 0


def load(path):
    rules = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                pattern, cond, reason = line.split(None, 2)
                rules.append((pattern, cond, reason))
    return rules


def main():
    rules = load(sys.argv[1])
    # Judged after the run, which has given back every huge page it used.
    holds = {
        "always": True,
        "no-cap-sys-resource": not has_cap(CAP_SYS_RESOURCE),
        "no-hugetlb": free_hugepages() < 64,
    }
    for _, cond, _ in rules:
        if cond not in holds:
            sys.exit(f"kselftest_check: unknown condition {cond!r}")
    plan = None
    seen = 0
    p = f = s = 0
    result = re.compile(r"^(ok|not ok) (\d+) (\S+)(.*)$")
    with open(sys.argv[2], errors="replace") as log:
        for line in log:
            m = re.match(r"^1\.\.(\d+)$", line)
            if m:
                plan = int(m.group(1))
                continue
            m = result.match(line)
            if not m:
                continue
            seen += 1
            status, name, rest = m.group(1), m.group(3), m.group(4)
            rule = next((r for r in rules if fnmatch.fnmatchcase(name, r[0])), None)
            if status == "ok" and "# SKIP" in rest:
                s += 1
                print(f"  skip {name}:{rest.split('# SKIP', 1)[1]}")
            elif status == "ok":
                if rule and rule[1] == "always":
                    f += 1
                    print(f"  FAIL {name}: passes, but {sys.argv[1]} says it must fail "
                          f"({rule[2]}); update the list")
                else:
                    p += 1
            elif rule and holds[rule[1]]:
                s += 1
                print(f"  skip {name}: expected difference ({rule[1]}): {rule[2]}")
            else:
                f += 1
                print(f"  FAIL {name}")
    if plan is None:
        f += 1
        print("  FAIL the selftest printed no plan line")
    elif seen < plan:
        f += plan - seen
        print(f"  FAIL {plan - seen} cases never reported (the selftest died)")
    print(p, f, s)


main()
