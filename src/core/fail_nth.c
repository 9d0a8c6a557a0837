/*
 * fail_nth.c - the kernel's per-task fault injection file,
 * /proc/<pid>/task/<tid>/fail-nth, over uiommu's failure points.
 *
 * In the kernel, writing N to a task's fail-nth makes the N-th failure
 * point that task passes fail (an allocation, a copy from user); reading
 * gives how many points are left, 0 once the failure happened, and writing
 * 0 disarms.  The kernel's iommufd_fail_nth selftest sweeps iommufd's error
 * paths with it.  Under uiommu the failure points of the iommufd are
 * uiommu's own (util/fault_inject.h: every allocation and named point), so
 * this file arms those, counting only the points the named thread passes.
 * Opening it for a thread of this process is served here whatever the host
 * kernel offers (its own fail-nth would fail the host's syscalls, not
 * uiommu's code); a tid that is no thread of ours is ENOENT, and another
 * process's files are left to the host.
 *
 * Paths: /proc/self/task/<tid>/fail-nth, /proc/<our pid>/task/<tid>/fail-nth,
 * /proc/thread-self/fail-nth.  Limits: one thread of the process can be
 * armed at a time (arming another disarms the first); points hit while
 * serving a forked child's request are counted for the server thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/file.h"
#include "core/uaccess.h"
#include "util/compiler.h"
#include "util/fault_inject.h"

struct fail_nth_file {
	int tid;
	uint64_t pos;		/* read()'s file position */
};

/* "0" .. "4294967295", with the kernel's kstrtouint() rules. */
static int parse_uint(const char *s, unsigned int *out)
{
	unsigned long long v;
	char *end;

	/* One '+' at most, no '-', no blank: kstrtouint()'s rules. */
	if (*s == '+')
		s++;
	if (!*s || *s == '-' || *s == '+' || *s == ' ' || *s == '\t')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > 0xffffffffull)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

static ssize_t fail_nth_pread(struct ufile *f, void *buf, size_t count,
			      uint64_t off)
{
	struct fail_nth_file *fn = f->priv;
	char num[24];
	size_t len, n;

	len = snprintf(num, sizeof(num), "%lu\n",
		       ufi_fail_nth_pending(fn->tid));
	if (off >= len || !count)
		return 0;
	n = count < len - off ? count : len - off;
	if (copy_to_user(buf, num + off, n))
		return -EFAULT;
	return n;
}

static ssize_t fail_nth_pwrite(struct ufile *f, const void *buf, size_t count,
			       uint64_t off)
{
	struct fail_nth_file *fn = f->priv;
	char text[64];
	unsigned int n;
	size_t len = count < sizeof(text) - 1 ? count : sizeof(text) - 1;
	int rc;

	if (copy_from_user(text, buf, len))
		return -EFAULT;
	text[len] = 0;
	rc = parse_uint(text, &n);
	if (rc)
		return rc;
	ufi_fail_nth_thread(n, fn->tid);
	return count;
}

static ssize_t fail_nth_read(struct ufile *f, void *buf, size_t count)
{
	struct fail_nth_file *fn = f->priv;
	ssize_t ret = fail_nth_pread(f, buf, count, fn->pos);

	if (ret > 0)
		fn->pos += ret;
	return ret;
}

static ssize_t fail_nth_write(struct ufile *f, const void *buf, size_t count)
{
	return fail_nth_pwrite(f, buf, count, 0);
}

static void fail_nth_release(struct ufile *f)
{
	free(f->priv);
	free(f);
}

static const struct ufile_ops fail_nth_fops = {
	.name = "fail-nth",
	.read = fail_nth_read,
	.write = fail_nth_write,
	.pread = fail_nth_pread,
	.pwrite = fail_nth_pwrite,
	.release = fail_nth_release,
};

/* Parse a decimal pid/tid that ends at '/': its value and *rest, or -1. */
static long parse_id(const char *s, const char **rest)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > 0x7fffffff)
			return -1;
	}
	if (*s != '/')
		return -1;
	*rest = s;
	return v;
}

/* The thread a fail-nth path of ours names, or 0 when it is none. */
static long fail_nth_tid(const char *path)
{
	const char *rest;
	long pid, tid;

	if (strncmp(path, "/proc/", 6))
		return 0;
	path += 6;
	if (!strcmp(path, "thread-self/fail-nth"))
		return syscall(SYS_gettid);
	if (!strncmp(path, "self/", 5)) {
		rest = path + 4;
	} else {
		/* Another process's threads are the host kernel's business. */
		pid = parse_id(path, &rest);
		if (pid < 0 || pid != getpid())
			return 0;
	}
	if (strncmp(rest, "/task/", 6))
		return 0;
	tid = parse_id(rest + 6, &rest);
	if (tid < 0 || strcmp(rest, "/fail-nth"))
		return 0;
	return tid;
}

bool fail_nth_path(const char *path)
{
	return fail_nth_tid(path) != 0;
}

int fail_nth_open(const char *path, int flags)
{
	struct fail_nth_file *fn;
	char dir[64];
	struct stat st;
	long tid = fail_nth_tid(path);
	struct ufile *f;
	int fd;

	/* The thread must be one of ours (its /proc entry must exist). */
	snprintf(dir, sizeof(dir), "/proc/self/task/%ld", tid);
	if (tid <= 0 || stat(dir, &st))
		return -ENOENT;
	fn = ufi_calloc(1, sizeof(*fn));
	f = ufi_calloc(1, sizeof(*f));
	if (!fn || !f) {
		free(fn);
		free(f);
		return -ENOMEM;
	}
	fn->tid = (int)tid;
	fd = ufile_install_new(f, &fail_nth_fops, fn, flags);
	if (fd < 0) {
		free(fn);
		free(f);
	}
	return fd;
}
