/*
 * fault_inject.c - the process-wide counter behind the injection points of
 * fault_inject.h.
 *
 * State: armed (0 off, 1 on), hits (points passed since arming), fail_at (the
 * hit number that fails, 0 in count mode) and failed_site (set once, by the
 * hit that failed).  Arming and disarming are done by a test between
 * scenarios; hits may come from any thread.
 */
#include "util/fault_inject.h"

atomic_int __ufi_armed;
static atomic_ulong hits;
static atomic_ulong fail_at;
static const char *_Atomic failed_site;

bool __ufi_hit(const char *site)
{
	unsigned long n = atomic_fetch_add(&hits, 1) + 1;

	if (n != atomic_load(&fail_at))
		return false;
	atomic_store(&failed_site, site);
	return true;
}

static void ufi_arm(unsigned long n)
{
	atomic_store(&__ufi_armed, 0);
	atomic_store(&hits, 0);
	atomic_store(&failed_site, NULL);
	atomic_store(&fail_at, n);
	atomic_store(&__ufi_armed, 1);
}

void ufi_count_start(void)
{
	ufi_arm(0);
}

void ufi_fail_nth(unsigned long n)
{
	if (n)
		ufi_arm(n);
	else
		ufi_off();
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
