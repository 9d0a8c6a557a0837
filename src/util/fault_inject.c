/*
 * fault_inject.c - the process-wide counter behind the injection points of
 * fault_inject.h.
 *
 * State: armed (0 off, 1 on), hits (points passed since arming), fail_at (the
 * hit number that fails, 0 in count mode), failed_site (set once, by the
 * hit that failed) and only_tid (0: hits count from every thread, else from
 * that thread alone).  Arming and disarming are done by a test between
 * scenarios, or through the emulated fail-nth file (src/core/fail_nth.c).
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fault_inject.h"

atomic_int __ufi_armed;
static atomic_ulong hits;
static atomic_ulong fail_at;
static atomic_int only_tid;
static const char *_Atomic failed_site;

bool __ufi_hit(const char *site)
{
	int tid = atomic_load(&only_tid);
	unsigned long n;

	if (tid && syscall(SYS_gettid) != tid)
		return false;
	n = atomic_fetch_add(&hits, 1) + 1;

	if (n != atomic_load(&fail_at))
		return false;
	atomic_store(&failed_site, site);
	return true;
}

static void ufi_arm(unsigned long n, int tid)
{
	atomic_store(&__ufi_armed, 0);
	atomic_store(&hits, 0);
	atomic_store(&failed_site, NULL);
	atomic_store(&fail_at, n);
	atomic_store(&only_tid, tid);
	atomic_store(&__ufi_armed, 1);
}

void ufi_count_start(void)
{
	ufi_arm(0, 0);
}

void ufi_fail_nth(unsigned long n)
{
	if (n)
		ufi_arm(n, 0);
	else
		ufi_off();
}

void ufi_fail_nth_thread(unsigned long n, int tid)
{
	if (n)
		ufi_arm(n, tid);
	else
		ufi_off();
}

unsigned long ufi_fail_nth_pending(int tid)
{
	unsigned long at = atomic_load(&fail_at), n = atomic_load(&hits);

	if (!atomic_load(&__ufi_armed) || !at || atomic_load(&only_tid) != tid ||
	    atomic_load(&failed_site) || n >= at)
		return 0;
	return at - n;
}

void ufi_off(void)
{
	atomic_store(&__ufi_armed, 0);
}

unsigned long ufi_hits(void)
{
	return atomic_load(&hits);
}

const char *ufi_failed_site(void)
{
	return atomic_load(&failed_site);
}
