/*
 * debugfs.c - the fault-injection directories of debugfs, for programs
 * that set them up before they use fail-nth (src/core/fail_nth.c), such as
 * the kernel's iommufd_fail_nth selftest.
 *
 * That selftest opendir()s /sys/kernel/debug/, writes a few knobs of
 * failslab/ and fail_page_alloc/ (which allocations may fail, how loudly)
 * and skips every case when it cannot.  Under uiommu the failure points are
 * uiommu's own and every one of them may fail, so the knobs change nothing;
 * what the program needs is that they exist and take its writes.  When the
 * host gives no debugfs with failslab/ (not mounted, as in most containers,
 * or not permitted), opendir() of it opens a private directory of those
 * knobs instead, made under $TMPDIR (or /tmp) and removed when the last
 * stream on it is closedir()ed.  Anything else goes to libc untouched.
 */
#undef _FILE_OFFSET_BITS

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHIM_EXPORT __attribute__((visibility("default")))

/* Knobs and their initial values (the kernel's defaults). */
static const struct {
	const char *name;
	const char *value;
} knobs[] = {
	{ "failslab/ignore-gfp-wait", "Y\n" },
	{ "failslab/cache-filter", "N\n" },
	{ "failslab/verbose", "2\n" },
	{ "fail_page_alloc/ignore-gfp-wait", "Y\n" },
	{ "fail_page_alloc/ignore-gfp-highmem", "Y\n" },
	{ "fail_page_alloc/verbose", "2\n" },
};
static const char *const knob_dirs[] = { "failslab", "fail_page_alloc" };

static pthread_mutex_t debugfs_lock = PTHREAD_MUTEX_INITIALIZER;
#define MAX_OPEN 16
static DIR *scratch[MAX_OPEN];		/* open streams of the stand-in */
static unsigned int nscratch;
static char scratch_path[4096];		/* valid while nscratch */

static bool is_debugfs_root(const char *name)
{
	static const char root[] = "/sys/kernel/debug";
	size_t n = sizeof(root) - 1;

	if (!name || strncmp(name, root, n))
		return false;
	return !name[n] || !strcmp(name + n, "/");
}

static void scratch_remove(void)
{
	char path[sizeof(scratch_path) + 64];
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch_path,
			 knobs[i].name);
		unlink(path);
	}
	for (i = 0; i < sizeof(knob_dirs) / sizeof(knob_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch_path,
			 knob_dirs[i]);
		rmdir(path);
	}
	rmdir(scratch_path);
}

/* Make the stand-in directory: 0, or -1 with errno set (nothing left). */
static int scratch_make(void)
{
	char path[sizeof(scratch_path) + 64];
	const char *tmp = getenv("TMPDIR");
	size_t i;
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(scratch_path, sizeof(scratch_path),
			     "%s/uiommu-debugfs.XXXXXX",
			     tmp) >= sizeof(scratch_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!mkdtemp(scratch_path))
		return -1;
	for (i = 0; i < sizeof(knob_dirs) / sizeof(knob_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch_path,
			 knob_dirs[i]);
		if (mkdir(path, 0700))
			goto err;
	}
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		size_t len = strlen(knobs[i].value);

		snprintf(path, sizeof(path), "%s/%s", scratch_path,
			 knobs[i].name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			goto err;
		if (write(fd, knobs[i].value, len) != (ssize_t)len) {
			close(fd);
			goto err;
		}
		close(fd);
	}
	return 0;
err:
	i = errno;
	scratch_remove();
	errno = (int)i;
	return -1;
}

static DIR *(*next_opendir)(const char *);
static int (*next_closedir)(DIR *);
static pthread_once_t next_once = PTHREAD_ONCE_INIT;

static void next_resolve(void)
{
	next_opendir = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
	next_closedir = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
}

SHIM_EXPORT DIR *opendir(const char *name)
{
	DIR *(*next)(const char *);
	int (*next_close)(DIR *);
	DIR *d;

	pthread_once(&next_once, next_resolve);
	next = next_opendir;
	next_close = next_closedir;

	if (!next || !next_close) {
		errno = ENOSYS;
		return NULL;
	}
	if (!is_debugfs_root(name))
		return next(name);
	d = next(name);
	if (d && !faccessat(dirfd(d), "failslab", F_OK, 0))
		return d;
	if (d)
		next_close(d);
	pthread_mutex_lock(&debugfs_lock);
	if (nscratch == MAX_OPEN) {
		pthread_mutex_unlock(&debugfs_lock);
		errno = EMFILE;
		return NULL;
	}
	/* Every open stream of it shows the same directory. */
	if (!nscratch && scratch_make()) {
		pthread_mutex_unlock(&debugfs_lock);
		return NULL;
	}
	d = next(scratch_path);
	if (d)
		scratch[nscratch++] = d;
	else if (!nscratch)
		scratch_remove();
	pthread_mutex_unlock(&debugfs_lock);
	return d;
}

SHIM_EXPORT int closedir(DIR *d)
{
	int (*next)(DIR *);
	unsigned int i;
	bool ours;
	int ret;

	pthread_once(&next_once, next_resolve);
	next = next_closedir;
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	pthread_mutex_lock(&debugfs_lock);
	for (i = 0; i < nscratch && scratch[i] != d; i++)
		;
	ours = i < nscratch;
	if (ours)
		scratch[i] = scratch[--nscratch];
	ret = next(d);
	/* The last stream closed takes the directory away. */
	if (ours && !nscratch)
		scratch_remove();
	pthread_mutex_unlock(&debugfs_lock);
	return ret;
}
