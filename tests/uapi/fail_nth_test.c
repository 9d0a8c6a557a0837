/*
 * fail_nth_test.c - the kernel's per-task fault injection file,
 * /proc/<pid>/task/<tid>/fail-nth, over uiommu's failure points
 * (src/core/fail_nth.c), and the debugfs knobs programs set up first
 * (src/shim/debugfs.c).
 *
 * The kernel's rules: writing N makes the N-th failure point the task
 * passes fail; reading gives the points left, "0\n" once the failure
 * happened; writing 0 disarms; the text is kstrtouint()'s (EINVAL, ERANGE).
 * The kernel's iommufd_fail_nth selftest loops on that until a run passes
 * with the failure still pending; here the same loop must end, every
 * failed call must change nothing, and the failure must be the caller's
 * thread's alone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi.h"

static int open_fail_nth(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return t_open(path, O_RDWR);
}

/*
 * What the file reads, as a number; -1 if it is not "N\n".  The read is a
 * failure point itself (its copy to the caller), after the number is
 * taken: if that is the armed one, the read fails with EFAULT, and the
 * failure was still pending when the read began (the kernel selftest reads
 * it so too).
 */
static long pending(int fd)
{
	char buf[32] = { 0 };
	char *end;
	ssize_t n = t_pread(fd, buf, sizeof(buf) - 1, 0);
	long v;

	if (n < 0 && errno == EFAULT)
		return 1;
	CHECK(n > 1);
	v = strtol(buf, &end, 10);
	return end == buf + n - 1 && *end == '\n' ? v : -1;
}

static ssize_t arm(int fd, const char *text)
{
	return t_pwrite(fd, text, strlen(text), 0);
}

TEST(fail_nth_reads_what_is_left)
{
	int fd = open_fail_nth();
	uint32_t id;

	CHECK_OK(fd);
	/* uAPI: nothing armed reads 0. */
	CHECK_EQ(pending(fd), 0);
	CHECK_EQ(arm(fd, "1000000"), 7);
	CHECK_EQ(pending(fd), 1000000);
	/* Each failure point passed counts down... */
	CHECK_OK(t_ioas_alloc(t_open_iommufd(), &id));
	CHECK(pending(fd) < 1000000);
	CHECK(pending(fd) > 0);
	/* ...and 0 disarms. */
	CHECK_EQ(arm(fd, "0"), 1);
	CHECK_EQ(pending(fd), 0);
	CHECK_OK(t_close(fd));
}

TEST(fail_nth_text_is_kstrtouint)
{
	int fd = open_fail_nth();
	char big[100];

	CHECK_OK(fd);
	CHECK_EQ(arm(fd, "0x10\n"), 5);
	CHECK_EQ(pending(fd), 16);
	CHECK_EQ(arm(fd, "010"), 3);
	CHECK_EQ(pending(fd), 8);
	CHECK_EQ(arm(fd, "+7"), 2);
	CHECK_EQ(pending(fd), 7);
	CHECK_EQ(arm(fd, "4294967295"), 10);
	CHECK_EQ(pending(fd), 4294967295l);
	/* (disarmed, so that the writes below count no points) */
	CHECK_EQ(arm(fd, "0"), 1);
	/* uAPI: not a number, a sign, a blank: EINVAL; too big: ERANGE. */
	CHECK_ERRNO(arm(fd, "abc"), EINVAL);
	CHECK_ERRNO(arm(fd, "-1"), EINVAL);
	CHECK_ERRNO(arm(fd, "+"), EINVAL);
	CHECK_ERRNO(arm(fd, " 1"), EINVAL);
	CHECK_ERRNO(arm(fd, "1 "), EINVAL);
	CHECK_ERRNO(arm(fd, ""), EINVAL);
	CHECK_ERRNO(arm(fd, "4294967296"), ERANGE);
	/* A refused write arms nothing. */
	CHECK_EQ(pending(fd), 0);
	/* uAPI: a bad buffer is EFAULT. */
	CHECK_ERRNO(t_pwrite(fd, (void *)8, 2, 0), EFAULT);
	memset(big, '1', sizeof(big));
	CHECK_ERRNO(t_pwrite(fd, big, sizeof(big), 0), ERANGE);
	CHECK_EQ(arm(fd, "0"), 1);
	CHECK_OK(t_close(fd));
}

TEST(fail_nth_paths_name_our_threads)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/fail-nth", getpid(),
		 (long)syscall(SYS_gettid));
	fd = t_open(path, O_RDWR);
	CHECK_OK(fd);
	CHECK_OK(t_close(fd));
	fd = t_open("/proc/thread-self/fail-nth", O_RDWR);
	CHECK_OK(fd);
	CHECK_OK(t_close(fd));
	/* uAPI: a tid that is no thread of ours has no entry. */
	CHECK_ERRNO(t_open("/proc/self/task/2147483647/fail-nth", O_RDWR),
		    ENOENT);
}

/* The kernel selftest's loop: fail the 1st, 2nd, ... point until none is hit. */
TEST(fail_nth_sweep_ends_and_changes_nothing)
{
	int ifd = t_open_iommufd(), fd = open_fail_nth();
	char *buf = t_buffer(4 * PAGE_SIZE_T);
	unsigned int n, failed = 0;
	char text[16];
	uint32_t ioas, first, id;
	uint64_t iova, unmapped;
	int ret, err;

	CHECK_OK(fd);
	CHECK_OK(t_ioas_alloc(ifd, &ioas));
	CHECK_OK(t_mock_domain(ifd, ioas, NULL, NULL, NULL));
	CHECK_OK(t_ioas_alloc(ifd, &first));
	CHECK_OK(t_destroy(ifd, first));
	for (n = 1; n < 1000; n++) {
		snprintf(text, sizeof(text), "%u", n);
		CHECK_EQ(arm(fd, text), (ssize_t)strlen(text));
		ret = t_ioas_map(ifd, ioas, buf, 4 * PAGE_SIZE_T, &iova);
		if (pending(fd)) {
			/* Passed every point with the failure still ahead. */
			CHECK_OK(ret);
			break;
		}
		err = errno;
		CHECK_EQ(arm(fd, "0"), 1);
		/* Some points only cost a nicety (a VmPin entry): no error. */
		if (!ret) {
			CHECK_OK(t_ioas_unmap(ifd, ioas, iova, 4 * PAGE_SIZE_T,
					      NULL));
			continue;
		}
		/*
		 * uAPI: the failed call changed nothing, but for a failed
		 * copy of the answer (EFAULT), which the kernel too reports
		 * after the map is made.
		 */
		failed++;
		CHECK_OK(t_ioas_unmap(ifd, ioas, 0, UINT64_MAX, &unmapped));
		if (unmapped)
			CHECK_EQ(err, EFAULT);
		/* No id was taken either. */
		CHECK_OK(t_ioas_alloc(ifd, &id));
		CHECK_EQ(id, first);
		CHECK_OK(t_destroy(ifd, id));
	}
	CHECK(n < 1000);
	CHECK(failed > 0);
	CHECK_EQ(arm(fd, "0"), 1);
	CHECK_OK(t_ioas_unmap(ifd, ioas, iova, 4 * PAGE_SIZE_T, NULL));
	CHECK_OK(t_close(fd));
	CHECK_OK(t_close(ifd));
}

struct other {
	int ifd;
	int ret;
};

static void *other_thread(void *arg)
{
	struct other *o = arg;
	uint32_t id;

	o->ret = t_ioas_alloc(o->ifd, &id);
	return NULL;
}

TEST(fail_nth_is_the_threads_own)
{
	struct other o = { .ifd = t_open_iommufd() };
	int fd = open_fail_nth();
	pthread_t th;
	uint32_t id;

	CHECK_OK(fd);
	CHECK_EQ(arm(fd, "2"), 1);
	/* uAPI: another thread's calls do not count. */
	CHECK_OK(pthread_create(&th, NULL, other_thread, &o));
	CHECK_OK(pthread_join(th, NULL));
	CHECK_OK(o.ret);
	/* (reading takes one: its copy to us) */
	CHECK_EQ(pending(fd), 2);
	/* Ours do: the next point fails. */
	CHECK(t_ioas_alloc(o.ifd, &id) < 0);
	CHECK_EQ(pending(fd), 0);
	CHECK_OK(t_close(fd));
	CHECK_OK(t_close(o.ifd));
}

TEST(debugfs_knobs_for_fail_nth)
{
	struct stat st;
	char path[PATH_MAX], link[64];
	DIR *d, *d2;
	ssize_t n;
	int fd;

	if (strcmp(t_frontend(), "shim"))
		SKIP("needs the preload shim: opendir() is libc's");
	if (!stat("/sys/kernel/debug/failslab", &st))
		SKIP("the host has debugfs fault injection: opendir() is its");
	d = opendir("/sys/kernel/debug/");
	CHECK(d != NULL);
	/* A second stream shows the same directory; closing it keeps it. */
	d2 = opendir("/sys/kernel/debug");
	CHECK(d2 != NULL);
	CHECK_OK(closedir(d2));
	/* The knobs the kernel selftest writes exist and take writes. */
	fd = openat(dirfd(d), "failslab/ignore-gfp-wait", O_WRONLY);
	CHECK_OK(fd);
	CHECK_EQ(write(fd, "N", 1), 1);
	close(fd);
	fd = openat(dirfd(d), "fail_page_alloc/verbose", O_WRONLY);
	CHECK_OK(fd);
	close(fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd(d));
	n = readlink(link, path, sizeof(path) - 1);
	CHECK(n > 0);
	path[n] = 0;
	CHECK_OK(closedir(d));
	/* closedir() takes the stand-in away. */
	CHECK_ERRNO(stat(path, &st), ENOENT);
	/* Other directories are libc's, untouched. */
	d = opendir("/proc/self");
	CHECK(d != NULL);
	CHECK_OK(closedir(d));
}
