/*
 * fd_test.c - what an iommufd is as a file: open flags, close-on-exec, dup
 * and its variants, close, poll, fork, and how the preload shim leaves every
 * other file (and every program that never opens /dev/iommu) alone.
 *
 * Expectations about the kernel's answers (open flag errors, poll, generic
 * fd ioctls) were checked against Linux 6.12 with /dev/iommu.  dup in the
 * library front end is dup(2) plus uiommu_dup_track(), the library's way of
 * saying what the shim learns by interposing dup(2).  Tests of the shim
 * alone skip in library mode; the `uiommu run` tests need UIOMMU_CLI (set by
 * tests/uapi/meson.build).
 *
 * Exec tests re-run this binary (/proc/self/exe) with UIOMMU_FD_TEST_CHILD
 * set; fd_test_child() below then checks one thing and exits before main().
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/close_range.h>

#include <uiommu/uiommu.h>

#include "uapi.h"

#define CHILD_ENV "UIOMMU_FD_TEST_CHILD"

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static bool shim_mode(void)
{
	return !strcmp(t_frontend(), "shim");
}

static int open_iommufd(int flags)
{
	int fd = t_open("/dev/iommu", flags);

	CHECK_OK(fd);
	return fd;
}

static int option_get(int fd, uint64_t *val)
{
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 0x5a5a,
	};
	int ret = t_ioctl(fd, IOMMU_OPTION, &o);

	if (!ret && val)
		*val = o.val64;
	return ret;
}

/*
 * A dup-family call made @newfd from @oldfd: in library mode tell the
 * library, as a program linking it must.
 */
static int dup_done(int oldfd, int newfd, bool old_emulated)
{
	int ret;

	if (shim_mode() || newfd < 0)
		return newfd;
	if (!old_emulated) {
		uiommu_forget(newfd);
		return newfd;
	}
	ret = uiommu_dup_track(oldfd, newfd);
	if (ret < 0) {
		close(newfd);
		errno = -ret;
		return -1;
	}
	return newfd;
}

static int t_dup(int fd)
{
	bool em = !shim_mode() && uiommu_is_fd(fd);

	return dup_done(fd, dup(fd), em);
}

static int t_dup2(int fd, int newfd)
{
	bool em = !shim_mode() && uiommu_is_fd(fd);
	int ret = dup2(fd, newfd);

	return fd == newfd ? ret : dup_done(fd, ret, em);
}

static int t_dup3(int fd, int newfd, int flags)
{
	bool em = !shim_mode() && uiommu_is_fd(fd);

	return dup_done(fd, dup3(fd, newfd, flags), em);
}

static int t_fcntl_dupfd(int fd, int cmd, int min)
{
	bool em = !shim_mode() && uiommu_is_fd(fd);

	return dup_done(fd, fcntl(fd, cmd, min), em);
}

static void no_leaks(void)
{
	if (__lsan_do_recoverable_leak_check)
		CHECK_EQ(__lsan_do_recoverable_leak_check(), 0);
}

/* Both fds name one context: an IOAS made through @a is @b's too. */
static void check_same_context(int a, int b)
{
	uint32_t id;

	CHECK_OK(t_ioas_alloc(a, &id));
	CHECK_OK(t_destroy(b, id));
	CHECK_ERRNO(t_destroy(a, id), ENOENT);
	CHECK_OK(t_ioas_alloc(b, &id));
	CHECK_OK(t_destroy(a, id));
}

static void check_closed(int fd)
{
	CHECK_ERRNO(option_get(fd, NULL), EBADF);
	CHECK_ERRNO(t_close(fd), EBADF);
}

/*
 * The exec'd half of the exec tests.  "closed:N": fd N must not exist.
 * "open:N": fd N exists, but its context stayed in the old image, so an
 * iommufd ioctl on it is EBADF.  "iommu": a plain open("/dev/iommu") works.
 */
__attribute__((constructor)) static void fd_test_child(void)
{
	const char *what = getenv(CHILD_ENV);
	int fd, ok = 0;

	if (!what)
		return;
	if (!strncmp(what, "closed:", 7)) {
		fd = atoi(what + 7);
		errno = 0;
		ok = fcntl(fd, F_GETFD) == -1 && errno == EBADF;
	} else if (!strncmp(what, "dead:", 5)) {
		fd = atoi(what + 5);
		errno = 0;
		ok = fcntl(fd, F_GETFD) >= 0 && option_get(fd, NULL) == -1 &&
		     errno == EBADF;
	} else if (!strncmp(what, "live:", 5)) {
		fd = atoi(what + 5);
		ok = fcntl(fd, F_GETFD) >= 0 && option_get(fd, NULL) == 0;
	} else if (!strcmp(what, "iommu")) {
		struct iommu_option o = {
			.size = sizeof(o),
			.option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_GET,
		};

		fd = open("/dev/iommu", O_RDWR);
		ok = fd >= 0 && !ioctl(fd, IOMMU_OPTION, &o) && !close(fd);
	} else if (!strncmp(what, "node:", 5)) {
		fd = open(what + 5, O_RDWR);
		ok = fd >= 0 && !close(fd);
	}
	if (!ok && !getenv(CHILD_ENV "_QUIET"))
		fprintf(stderr, "  child %s: %s\n", what, strerror(errno));
	fflush(stderr);
	_exit(ok ? 0 : 1);
}

/* Run this binary again as an exec child checking @what; its exit status. */
static int exec_child(const char *what)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (!pid) {
		setenv(CHILD_ENV, what, 1);
		execl("/proc/self/exe", "test-uapi", (char *)NULL);
		_exit(127);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

TEST(fd_open_cloexec_closes_on_exec)
{
	int fd = open_iommufd(O_RDWR | O_CLOEXEC);
	char what[32];

	/* uAPI: O_CLOEXEC sets FD_CLOEXEC, and exec closes the fd. */
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	snprintf(what, sizeof(what), "closed:%d", fd);
	CHECK_EQ(exec_child(what), 0);
	CHECK_OK(option_get(fd, NULL));
	CHECK_OK(t_close(fd));
}

TEST(fd_open_without_cloexec_survives_exec)
{
	int fd = open_iommufd(O_RDWR);
	char what[32];

	CHECK(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	/*
	 * uAPI: the fd and its file survive exec.  The shim carries the file
	 * into the new image (src/shim/exec.c: the forked child execs, and the
	 * test serves it); the library has no exec wrappers, so there the
	 * number stays open but its context was the old image's (EBADF).
	 */
	snprintf(what, sizeof(what), "%s:%d",
		 strcmp(t_frontend(), "shim") ? "dead" : "live", fd);
	CHECK_EQ(exec_child(what), 0);
	/* The child's check can fail: a closed fd is not live, nor dead. */
	snprintf(what, sizeof(what), "live:%d", fd + 100);
	setenv(CHILD_ENV "_QUIET", "1", 1);
	CHECK_EQ(exec_child(what), 1);
	snprintf(what, sizeof(what), "dead:%d", fd + 100);
	setenv(CHILD_ENV "_QUIET", "1", 1);
	CHECK_EQ(exec_child(what), 1);
	CHECK_OK(t_close(fd));
}

TEST(fd_open_nonblock_is_a_file_flag)
{
	int fd = open_iommufd(O_RDWR | O_NONBLOCK), fd2 = open_iommufd(O_RDWR);

	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK(!(fcntl(fd2, F_GETFL) & O_NONBLOCK));
	CHECK_OK(t_close(fd));
	CHECK_OK(t_close(fd2));
}

TEST(fd_open_flags_of_a_char_device)
{
	int fd;

	/* uAPI: the node exists (O_CREAT|O_EXCL) and is no directory. */
	CHECK_ERRNO(t_open("/dev/iommu", O_RDWR | O_CREAT | O_EXCL), EEXIST);
	CHECK_ERRNO(t_open("/dev/iommu", O_RDWR | O_DIRECTORY), ENOTDIR);
	fd = t_open("/dev/iommu", O_RDWR | O_CREAT);
	CHECK_OK(fd);
	CHECK_OK(option_get(fd, NULL));
	CHECK_OK(t_close(fd));
	fd = t_open("/dev/iommu", O_RDONLY);
	CHECK_OK(fd);
	CHECK_OK(t_close(fd));
}

TEST(fd_dup_shares_the_context)
{
	int fd = open_iommufd(O_RDWR), fd2;

	fd2 = t_dup(fd);
	CHECK_OK(fd2);
	CHECK(fd2 != fd);
	check_same_context(fd, fd2);
	/* Closing one leaves the other working. */
	CHECK_OK(t_close(fd));
	CHECK_ERRNO(option_get(fd, NULL), EBADF);
	CHECK_OK(option_get(fd2, NULL));
	CHECK_OK(t_ioas_alloc(fd2, &(uint32_t){ 0 }));
	CHECK_OK(t_close(fd2));
	check_closed(fd2);
	no_leaks();
}

TEST(fd_dup2_dup3_fdupfd_share_the_context)
{
	int fd = open_iommufd(O_RDWR);
	int a, b, c, d;

	a = t_dup2(fd, 40);
	CHECK_EQ(a, 40);
	b = t_dup3(fd, 41, O_CLOEXEC);
	CHECK_EQ(b, 41);
	CHECK(fcntl(b, F_GETFD) & FD_CLOEXEC);
	CHECK(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	c = t_fcntl_dupfd(fd, F_DUPFD, 50);
	CHECK(c >= 50);
	d = t_fcntl_dupfd(fd, F_DUPFD_CLOEXEC, 60);
	CHECK(d >= 60);
	CHECK(fcntl(d, F_GETFD) & FD_CLOEXEC);
	check_same_context(fd, a);
	check_same_context(b, c);
	check_same_context(d, fd);
	/* dup2 onto itself changes nothing. */
	CHECK_EQ(t_dup2(fd, fd), fd);
	CHECK_OK(option_get(fd, NULL));
	/* uAPI: dup3 onto itself is EINVAL. */
	CHECK_ERRNO(dup3(fd, fd, 0), EINVAL);
	CHECK_OK(t_close(fd));
	CHECK_OK(t_close(a));
	CHECK_OK(t_close(b));
	CHECK_OK(t_close(c));
	check_same_context(d, d);
	CHECK_OK(t_close(d));
	check_closed(fd);
	check_closed(d);
	no_leaks();
}

TEST(fd_dup_of_a_closed_fd_fails)
{
	int fd = open_iommufd(O_RDWR);

	CHECK_OK(t_close(fd));
	CHECK_ERRNO(t_dup(fd), EBADF);
	CHECK_ERRNO(t_dup2(fd, 40), EBADF);
	CHECK_ERRNO(t_fcntl_dupfd(fd, F_DUPFD, 0), EBADF);
	check_closed(40);
}

TEST(fd_dup2_onto_an_iommufd_drops_its_context)
{
	int a = open_iommufd(O_RDWR), b = open_iommufd(O_RDWR);
	int null = open("/dev/null", O_RDWR);
	uint32_t id;

	CHECK_OK(null);
	CHECK_OK(t_ioas_alloc(a, &id));
	CHECK_OK(t_ioas_alloc(a, &id));
	CHECK_EQ(id, 2);
	CHECK_OK(t_ioas_alloc(b, &id));
	CHECK_EQ(id, 1);
	/* b becomes a's context: a's second IOAS is visible through it. */
	CHECK_EQ(t_dup2(a, b), b);
	CHECK_OK(t_destroy(b, 2));
	CHECK_ERRNO(t_destroy(a, 2), ENOENT);
	/* A plain file dup2()ed over an iommufd: no longer an iommufd. */
	CHECK_EQ(t_dup2(null, b), b);
	CHECK_ERRNO(ioctl(b, IOMMU_OPTION, NULL), ENOTTY);
	CHECK_OK(option_get(a, NULL));
	CHECK_OK(close(b));
	CHECK_OK(t_close(a));
	CHECK_OK(close(null));
	no_leaks();
}

TEST(fd_ioctl_on_closed_fd_is_ebadf)
{
	int fd = open_iommufd(O_RDWR);

	CHECK_OK(option_get(fd, NULL));
	CHECK_OK(t_close(fd));
	check_closed(fd);
	CHECK_ERRNO(t_ioctl(-1, IOMMU_OPTION, NULL), EBADF);
	CHECK_ERRNO(t_read(fd, &(char){ 0 }, 1), EBADF);
}

TEST(fd_unknown_ioctl_is_enotty)
{
	int fd = open_iommufd(O_RDWR);

	CHECK_ERRNO(t_ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), NULL), ENOTTY);
	CHECK_ERRNO(t_ioctl(fd, _IO('x', 1), NULL), ENOTTY);
	/* uAPI: FIONREAD is for regular files; the driver does not know it. */
	CHECK_ERRNO(t_ioctl(fd, FIONREAD, &(int){ 0 }), ENOTTY);
	CHECK_OK(option_get(fd, NULL));
	CHECK_OK(t_close(fd));
}

TEST(fd_generic_ioctls_reach_the_file)
{
	int fd = open_iommufd(O_RDWR), on = 1, off = 0;

	/* uAPI: the VFS answers FIOCLEX/FIONCLEX/FIONBIO for every file. */
	CHECK_OK(t_ioctl(fd, FIOCLEX, NULL));
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK_OK(t_ioctl(fd, FIONCLEX, NULL));
	CHECK(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	CHECK_OK(t_ioctl(fd, FIONBIO, &on));
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK_OK(t_ioctl(fd, FIONBIO, &off));
	CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	CHECK_ERRNO(t_ioctl(fd, FIONBIO, NULL), EFAULT);
	CHECK_OK(t_close(fd));
}

TEST(fd_poll_is_always_ready)
{
	int fd = open_iommufd(O_RDWR);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLPRI };
	struct timeval tv = { 0, 0 };
	fd_set rd, wr;

	/* uAPI: a file without a poll method polls readable and writable. */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	p.revents = 0;
	CHECK_EQ(poll(&p, 1, -1), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(fd, &rd);
	FD_SET(fd, &wr);
	CHECK_EQ(select(fd + 1, &rd, &wr, NULL, &tv), 2);
	/* Readiness is no invitation to read: still EINVAL. */
	CHECK_ERRNO(t_read(fd, &(uint64_t){ 0 }, 8), EINVAL);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_OK(t_close(fd));
	p.revents = 0;
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLNVAL);
}

TEST(fd_fork_child_shares_the_context)
{
	int fd = open_iommufd(O_RDWR), status;
	uint32_t id;
	pid_t pid;

	CHECK_OK(t_ioas_alloc(fd, &id));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		uint64_t val = 7;
		int ok;

		/*
		 * uAPI: the inherited fd is the same open file: the child's
		 * ioctls act on the parent's context (tests/uapi/fork_test.c
		 * has the rest), and its close leaves the parent's alone.
		 */
		ok = !option_get(fd, &val) && val == 0 && !t_destroy(fd, id) &&
		     !t_close(fd);
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_OK(option_get(fd, NULL));
	CHECK_ERRNO(t_destroy(fd, id), ENOENT);
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_close(fd));
	no_leaks();
}

TEST(fd_non_emulated_paths_pass_through)
{
	int fd, dir;

	if (!shim_mode()) {
		/* The library opens only the nodes it emulates. */
		CHECK_ERRNO(t_open("/dev/null", O_RDWR), ENOENT);
		SKIP("needs the preload shim: libc open() of other paths");
	}
	errno = EXDEV;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* A pass-through call leaves errno alone when it succeeds. */
	CHECK_EQ(errno, EXDEV);
	CHECK(fd >= 0);
	CHECK(write(fd, "abc", 3) == 3 && read(fd, &(char){ 0 }, 1) == 0);
	CHECK_EQ(errno, EXDEV);
	CHECK_ERRNO(ioctl(fd, IOMMU_OPTION, NULL), ENOTTY);
	CHECK_OK(close(fd));
	CHECK_ERRNO(open("/nonexistent/uiommu", O_RDONLY), ENOENT);
	/* Only the absolute path is emulated. */
	if (!access("/dev/iommu", F_OK))
		SKIP("this machine has a real /dev/iommu");
	dir = open("/dev", O_RDONLY | O_DIRECTORY);
	CHECK_OK(dir);
	CHECK_ERRNO(openat(dir, "iommu", O_RDWR), ENOENT);
	fd = openat(dir, "/dev/iommu", O_RDWR);
	CHECK_OK(fd);
	CHECK_OK(option_get(fd, NULL));
	CHECK_OK(close(fd));
	CHECK_OK(close(dir));
	CHECK_ERRNO(open("/dev/./iommu", O_RDWR), ENOENT);
}

TEST(fd_shim_forgets_fds_closed_behind_its_back)
{
	int fd, again;

	if (!shim_mode())
		SKIP("needs the preload shim: a raw close(2) it cannot see");
	fd = open_iommufd(O_RDWR);
	CHECK_OK(syscall(SYS_close, fd));
	again = open("/dev/null", O_RDWR);
	CHECK_EQ(again, fd);
	/* /dev/null now, not the old emulated file (which would be EINVAL). */
	CHECK_EQ(read(again, &(char){ 0 }, 1), 0);
	CHECK_OK(close(again));
	no_leaks();
}

TEST(fd_shim_close_range_and_closefrom)
{
	int a, b, c;

	if (!shim_mode())
		SKIP("needs the preload shim: close_range(2) is libc's");
	a = open_iommufd(O_RDWR);
	b = open_iommufd(O_RDWR);
	CHECK_EQ(b, a + 1);
	/* CLOSE_RANGE_CLOEXEC closes nothing. */
	CHECK_OK(close_range(a, b, CLOSE_RANGE_CLOEXEC));
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	CHECK_OK(option_get(a, NULL));
	CHECK_OK(option_get(b, NULL));
	CHECK_OK(close_range(a, b, 0));
	check_closed(a);
	check_closed(b);
	a = open_iommufd(O_RDWR);
	c = t_dup2(a, 200);
	CHECK_EQ(c, 200);
	closefrom(100);
	check_closed(200);
	CHECK_OK(option_get(a, NULL));
	CHECK_OK(t_close(a));
	no_leaks();
}

/*
 * Run @argv with stdout and stderr captured (NUL-terminated, truncated to
 * the buffers); returns the exit status, or -1 for death by signal.
 */
static int run_capture(char *const argv[], char *out, size_t outlen,
		       char *err, size_t errlen)
{
	int po[2], pe[2], status;
	ssize_t n;
	size_t no = 0, ne = 0;
	pid_t pid;

	CHECK_OK(pipe(po));
	CHECK_OK(pipe(pe));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execv(argv[0], argv);
		_exit(99);
	}
	close(po[1]);
	close(pe[1]);
	while (no + 1 < outlen && (n = read(po[0], out + no, outlen - 1 - no)) > 0)
		no += n;
	while (ne + 1 < errlen && (n = read(pe[0], err + ne, errlen - 1 - ne)) > 0)
		ne += n;
	out[no] = '\0';
	err[ne] = '\0';
	close(po[0]);
	close(pe[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *cli_path(void)
{
	char *cli = getenv("UIOMMU_CLI");

	if (!cli || access(cli, X_OK))
		SKIP("UIOMMU_CLI does not name the built `uiommu` command");
	/* Sanitizer runtimes in a plain program report its leaks, not ours. */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
	return cli;
}

TEST(fd_cli_runs_other_programs_unchanged)
{
	char *cli = cli_path();
	char out[4096], err[4096], plain[4096];

	CHECK_EQ(run_capture((char *[]){ cli, "run", "--", "/bin/true", NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	CHECK_EQ(strlen(out) + strlen(err), 0);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "/bin/sh", "-c",
					 "echo x; exit 3", NULL },
			     out, sizeof(out), err, sizeof(err)), 3);
	CHECK(!strcmp(out, "x\n"));
	CHECK_EQ(strlen(err), 0);
	/* The same fds, errno-free output and exit status as without it. */
	CHECK_EQ(run_capture((char *[]){ "/bin/ls", "-l", "/proc/self/fd/",
					 NULL },
			     plain, sizeof(plain), err, sizeof(err)), 0);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--", "/bin/ls", "-l",
					 "/proc/self/fd/", NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	/* Only the line count: the listing names pipes by inode. */
	{
		int lo = 0, lp = 0;

		for (char *p = out; *p; p++)
			lo += *p == '\n';
		for (char *p = plain; *p; p++)
			lp += *p == '\n';
		CHECK_EQ(lo, lp);
	}
	CHECK_EQ(strlen(err), 0);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "/bin/sh", "-c",
					 "echo $LD_PRELOAD", NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "libuiommu-preload.so"));
}

TEST(fd_cli_provides_dev_iommu)
{
	char *cli = cli_path();
	char out[4096], err[4096], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	CHECK(n > 0);
	self[n] = '\0';
	/* This binary, as a plain program opening /dev/iommu with libc. */
	setenv(CHILD_ENV, "iommu", 1);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--", self, NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	if (access("/dev/iommu", F_OK))
		/* Without the shim the same child cannot open it. */
		CHECK_EQ(run_capture((char *[]){ "/usr/bin/env", "LD_PRELOAD=",
						 self, NULL },
				     out, sizeof(out), err, sizeof(err)), 1);
}

TEST(fd_cli_usage_errors)
{
	char *cli = cli_path();
	char out[4096], err[4096];

	CHECK_EQ(run_capture((char *[]){ cli, "frobnicate", NULL }, out,
			     sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "usage:"));
	CHECK_EQ(strlen(out), 0);
	CHECK_EQ(run_capture((char *[]){ cli, NULL }, out, sizeof(out), err,
			     sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "run", NULL }, out, sizeof(out),
			     err, sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--",
					 "/nonexistent/prog", NULL },
			     out, sizeof(out), err, sizeof(err)), 127);
	CHECK_EQ(run_capture((char *[]){ cli, "--help", NULL }, out,
			     sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "run"));
	CHECK_EQ(run_capture((char *[]){ cli, "version", NULL }, out,
			     sizeof(out), err, sizeof(err)), 0);
	CHECK(!strncmp(out, "uiommu ", 7));
}

/* A file of declarations for --config; the caller unlinks @path. */
static void write_config(char *path, const char *text)
{
	int fd = mkstemp(path);

	CHECK_OK(fd);
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	CHECK_OK(close(fd));
}

TEST(fd_cli_devices_lists_the_configuration)
{
	char *cli = cli_path();
	char out[8192], err[4096];
	char cfg[] = "/tmp/uiommu-cli-test-XXXXXX";

	unsetenv("UIOMMU_DEVICES");
	unsetenv("UIOMMU_CONFIG");
	/* Nothing declared: the default unit and device. */
	CHECK_EQ(run_capture((char *[]){ cli, "devices", NULL }, out,
			     sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "vtd0") && strstr(out, "vfio0"));
	CHECK(strstr(out, "0000:00:03.0") && strstr(out, "dma"));
	CHECK(strstr(out, "/dev/vfio/devices/vfio0"));
	CHECK_EQ(strlen(err), 0);

	/* Options declare; what they declare replaces the default set. */
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--unit",
					 "s1 type=smmuv3 pasid=8 ats", "--device",
					 "vfio7 unit=s1 bdf=1:02:05.3 group=9 model=none pasid=4 ats",
					 NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "smmuv3") && strstr(out, "ats"));
	CHECK(strstr(out, "vfio7") && strstr(out, "0001:02:05.3"));
	CHECK(strstr(out, "none"));
	CHECK(!strstr(out, "vfio0"));

	/* The environment's declarations come first, options after them. */
	setenv("UIOMMU_DEVICES", "unit a0 type=amd", 1);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--device",
					 "vfio3 unit=a0 bdf=00:04.0", NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "amd") && strstr(out, "vfio3"));
	unsetenv("UIOMMU_DEVICES");

	/* A configuration file, by option or by environment. */
	write_config(cfg, "unit r0 type=riscv\ndevice vfio4 unit=r0 bdf=00:06.0\n");
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--config", cfg, NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "riscv") && strstr(out, "vfio4"));
	setenv("UIOMMU_CONFIG", cfg, 1);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", NULL }, out,
			     sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "vfio4"));
	unsetenv("UIOMMU_CONFIG");

	/* Errors as the shim prints them, and exit status 1. */
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--device",
					 "vfio5 unit=nope bdf=00:02.0", NULL },
			     out, sizeof(out), err, sizeof(err)), 1);
	CHECK(strstr(err, "uiommu: UIOMMU_DEVICES: device vfio5: 'unit=nope'"));
	setenv("UIOMMU_DEVICES", "device vfio0 bdf=zz", 1);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", NULL }, out,
			     sizeof(out), err, sizeof(err)), 1);
	CHECK(strstr(err, "uiommu: UIOMMU_DEVICES:"));
	unsetenv("UIOMMU_DEVICES");

	/* Usage errors: 2. */
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "extra", NULL }, out,
			     sizeof(out), err, sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--device", NULL },
			     out, sizeof(out), err, sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--bogus", "x", NULL },
			     out, sizeof(out), err, sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--device",
					 "vfio1 unit=a; unit b type=vtd", NULL },
			     out, sizeof(out), err, sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "devices", "--config",
					 "/nonexistent/cfg", NULL },
			     out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "/nonexistent/cfg"));
	unlink(cfg);
}

TEST(fd_cli_run_declares_devices)
{
	char *cli = cli_path();
	char out[4096], err[4096], self[4096];
	char cfg[] = "/tmp/uiommu-cli-test-XXXXXX";
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	CHECK(n > 0);
	self[n] = '\0';
	unsetenv("UIOMMU_DEVICES");
	unsetenv("UIOMMU_CONFIG");
	/* The program opens the device the options declared ... */
	setenv(CHILD_ENV, "node:/dev/vfio/devices/vfio5", 1);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--unit", "u1 type=amd",
					 "--device", "vfio5 unit=u1 bdf=00:02.0",
					 "--", self, NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	/* ... and only those: no default vfio0 then. */
	setenv(CHILD_ENV, "node:/dev/vfio/devices/vfio0", 1);
	setenv(CHILD_ENV "_QUIET", "1", 1);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--unit", "u1 type=amd",
					 "--device", "vfio5 unit=u1 bdf=00:02.0",
					 self, NULL },
			     out, sizeof(out), err, sizeof(err)), 1);
	unsetenv(CHILD_ENV "_QUIET");
	/* --config names the file in UIOMMU_CONFIG, absolute. */
	write_config(cfg, "unit v9 type=vtd\ndevice vfio6 unit=v9 bdf=00:07.0\n");
	setenv(CHILD_ENV, "node:/dev/vfio/devices/vfio6", 1);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--config", cfg, "--",
					 self, NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	unsetenv(CHILD_ENV);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--config", cfg,
					 "--device", "vfio8 unit=v9 bdf=00:08.0",
					 "/bin/sh", "-c",
					 "echo \"$UIOMMU_DEVICES\"", NULL },
			     out, sizeof(out), err, sizeof(err)), 0);
	CHECK(strstr(out, "device vfio6") && strstr(out, "device vfio8"));
	/* Bad declarations stop the run before the program starts. */
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--device",
					 "vfio5 unit=nope bdf=00:02.0", "--",
					 "/bin/sh", "-c", "echo ran", NULL },
			     out, sizeof(out), err, sizeof(err)), 2);
	CHECK_EQ(strlen(out), 0);
	CHECK(strstr(err, "'unit=nope'"));
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--unit", NULL }, out,
			     sizeof(out), err, sizeof(err)), 2);
	CHECK_EQ(run_capture((char *[]){ cli, "run", "--device",
					 "vfio5 unit=u1 bdf=00:02.0", NULL },
			     out, sizeof(out), err, sizeof(err)), 2);
	unlink(cfg);
}
