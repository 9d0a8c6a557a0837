/*
 * exec_test.c - an emulated fd kept across exec() is the same open file.
 *
 * The kernel's rules: exec keeps every fd without FD_CLOEXEC, and the file
 * behind it; the new program's ioctls act on the same context; fds with
 * FD_CLOEXEC are closed, and with them the references they held; a failed
 * exec changes nothing.  The programs exec'd here are tests/uapi/
 * exec_helper.c (UIOMMU_EXEC_HELPER), run from a forked child, whose files
 * the parent serves (docs/remote.md).  exec is libc's, so this needs the
 * preload shim; a file the exec'ing process owns itself does not cross
 * (a documented limit), so every case execs from a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "uapi.h"

#define EXEC_TIMEOUT_MS 10000
#define MAP_LEN (4 * PAGE_SIZE_T)
#define MAP_IOVA ((uint64_t)MOCK_APERTURE_START)

static const char *helper(void)
{
	const char *h = getenv("UIOMMU_EXEC_HELPER");

	if (strcmp(t_frontend(), "shim"))
		SKIP("needs the preload shim: exec() is libc's");
	if (!h || access(h, X_OK))
		SKIP("UIOMMU_EXEC_HELPER does not name the built exec_helper");
	return h;
}

/* Reap @pid within the timeout: its exit status (killed or late: fails). */
static int reap(pid_t pid)
{
	int status = 0;

	for (int ms = 0; ms < EXEC_TIMEOUT_MS; ms += 5) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		CHECK(r >= 0);
		if (r == pid) {
			CHECK(WIFEXITED(status));
			return WEXITSTATUS(status);
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(!"exec'd child timed out");
	return -1;
}

static char *arg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *arg(const char *fmt, ...)
{
	static char bufs[8][96];
	static unsigned int next;
	char *b = bufs[next++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* Fork; the child runs @prep (may be NULL) and execs the helper with @argv. */
static pid_t spawn(const char *path, char **argv, void (*prep)(void *),
		   void *prep_arg)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (!pid) {
		if (prep)
			prep(prep_arg);
		argv[0] = (char *)path;
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

/* uAPI: the exec'd program's map lands in the same context, and stays. */
TEST(exec_inherited_iommufd_is_the_same_context)
{
	const char *h = helper();
	struct fixture f;
	uint8_t *back;
	int afd;

	fixture_setup(&f, 1);
	CHECK_EQ(fcntl(f.fd, F_GETFD), 0);
	char *argv[] = {
		NULL,
		arg("map:%d:%u:%llx:%zx:5a", f.fd, f.ioas_id,
		    (unsigned long long)MAP_IOVA, MAP_LEN),
		arg("alloc:%d", f.fd),
		NULL,
	};
	CHECK_EQ(reap(spawn(h, argv, NULL, NULL)), 0);

	/* The pages the child mapped outlive it, with its data. */
	back = t_buffer(MAP_LEN);
	memset(back, 0, MAP_LEN);
	CHECK_OK(t_create_access(f.fd, f.ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(f.fd, afd, MAP_IOVA, MAP_LEN, back,
			     0));
	for (size_t i = 0; i < MAP_LEN; i++)
		CHECK_EQ(back[i], 0x5a);
	CHECK_OK(t_close(afd));
	CHECK_OK(t_ioas_unmap(f.fd, f.ioas_id, MAP_IOVA, MAP_LEN, NULL));
	munmap(back, MAP_LEN);
	fixture_teardown(&f);
}

struct cloexec_prep {
	int keep_r, keep_w;	/* pipe ends to carry across exec */
	int *to_fd_r, *to_fd_w;	/* where their new numbers go */
};

static void carry_pipes(void *p)
{
	struct cloexec_prep *c = p;

	/* F_DUPFD: the copies are not close-on-exec. */
	*c->to_fd_r = fcntl(c->keep_r, F_DUPFD, 200);
	*c->to_fd_w = fcntl(c->keep_w, F_DUPFD, 210);
	if (*c->to_fd_r < 0 || *c->to_fd_w < 0)
		_exit(126);
}

/*
 * uAPI: exec closes FD_CLOEXEC fds; the references they held go with them
 * while the new program lives (its other fds still work).
 */
TEST(exec_closes_cloexec_fds_and_their_references)
{
	const char *h = helper();
	struct fixture f, g;
	size_t len = 2 * PAGE_SIZE_T;
	void *buf = t_buffer(len);
	int to[2], from[2], rd = 200, wr = 210;
	struct pollfd p;
	char c;
	pid_t pid;

	fixture_setup(&f, 0);
	/* A second context, close-on-exec, with pinned pages. */
	fixture_setup(&g, 1);
	CHECK_OK(fcntl(g.fd, F_SETFD, FD_CLOEXEC));
	CHECK_OK(t_ioas_map_fixed(g.fd, g.ioas_id, buf, len, MAP_IOVA));
	CHECK_OK(pipe2(to, O_CLOEXEC));
	CHECK_OK(pipe2(from, O_CLOEXEC));
	struct cloexec_prep prep = { to[0], from[1], &rd, &wr };
	/* The helper's pipe fds are fixed numbers: F_DUPFD takes the lowest
	 * free at or above 200 / 210, free in a fresh child. */
	char *argv[] = {
		NULL,
		arg("alloc:%d", f.fd),
		arg("badf:%d", g.fd),
		arg("signal:%d", 210),
		arg("wait:%d", 200),
		NULL,
	};
	pid = spawn(h, argv, carry_pipes, &prep);
	close(to[0]);
	close(from[1]);

	p = (struct pollfd){ .fd = from[0], .events = POLLIN };
	CHECK_EQ(poll(&p, 1, EXEC_TIMEOUT_MS), 1);
	CHECK_EQ(read(from[0], &c, 1), 1);
	/* The child runs the new image and holds no reference on g. */
	fixture_teardown(&g);
	int fd2 = t_open_iommufd();
	CHECK_OK(t_check_refs(fd2, buf, len, 0));
	CHECK_OK(t_close(fd2));

	close(to[1]);
	CHECK_EQ(reap(pid), 0);
	close(from[0]);
	fixture_teardown(&f);
	munmap(buf, len);
}

static void dup_and_cloexec(void *p)
{
	int fd = *(int *)p;

	if (dup2(fd, 150) != 150 || fcntl(fd, F_SETFD, FD_CLOEXEC))
		_exit(126);
}

/* uAPI: a dup without FD_CLOEXEC keeps the file when the original goes. */
TEST(exec_keeps_a_dup_when_the_original_is_cloexec)
{
	const char *h = helper();
	struct fixture f;

	fixture_setup(&f, 0);
	char *argv[] = {
		NULL,
		arg("badf:%d", f.fd),
		arg("alloc:%d", 150),
		NULL,
	};
	CHECK_EQ(reap(spawn(h, argv, dup_and_cloexec, &f.fd)), 0);
	fixture_teardown(&f);
}

static void dup_both(void *p)
{
	int fd = *(int *)p;

	if (dup2(fd, 151) != 151)
		_exit(126);
}

/* Two fds on one file both cross, and name one file. */
TEST(exec_carries_every_fd_of_a_file)
{
	const char *h = helper();
	struct fixture f;

	fixture_setup(&f, 0);
	char *argv[] = {
		NULL,
		arg("alloc:%d", f.fd),
		arg("alloc:%d", 151),
		arg("map:%d:%u:%llx:%zx:11", 151, f.ioas_id,
		    (unsigned long long)MAP_IOVA, MAP_LEN),
		NULL,
	};
	CHECK_EQ(reap(spawn(h, argv, dup_both, &f.fd)), 0);
	CHECK_EQ(t_ioas_unmap(f.fd, f.ioas_id, MAP_IOVA, MAP_LEN, NULL), 0);
	fixture_teardown(&f);
}

static void exec_fails_first(void *p)
{
	int fd = *(int *)p;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char *argv[] = { "nothing", NULL };

	/* uAPI: a failed exec returns, and changes nothing. */
	if (execv("/nonexistent/uiommu-exec-test", argv) != -1 ||
	    errno != ENOENT)
		_exit(124);
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		_exit(125);
}

TEST(exec_failure_changes_nothing)
{
	const char *h = helper();
	struct fixture f;

	fixture_setup(&f, 0);
	char *argv[] = { NULL, arg("alloc:%d", f.fd), NULL };
	CHECK_EQ(reap(spawn(h, argv, exec_fails_first, &f.fd)), 0);
	fixture_teardown(&f);
}

/*
 * The environment value is for the process that wrote it only, and a
 * malformed one changes nothing (a program may set anything there): exec
 * with the raw system call, past the shim's wrappers, with such values.
 */
static const char *const bad_values[] = {
	"pid=1 o=1:0 f=0:1:2",		/* another process's */
	"pid=%d",
	"pid=%d o=",
	"pid=%d o=1:99999999999999999999999 f=0:1:0",
	"pid=%d f=0:1:0 c=1",		/* files before any owner */
	"pid=%d o=1:1 f=0:1:0 c=2",	/* fd 1 is no connection */
	"pid=%d o=1:%d f=%d:zz:0",
	"pid=%d o=1:%d f=%d:1:0 c=",
	"pid=%d x=1",
	"pid=%d  o=1:2",
	"pidx",
	"",
};

struct bad_exec {
	const char *helper;
	const char *value;
	int fd;
};

static void exec_raw_with(void *p)
{
	const struct bad_exec *b = p;
	char val[160], env[200], ld[4096], asan[512];
	char *argv[] = { (char *)b->helper, "open", NULL };
	char *envp[] = { env, ld, asan, NULL };

	snprintf(val, sizeof(val), b->value, getpid(), b->fd, b->fd);
	snprintf(env, sizeof(env), "UIOMMU_EXEC=%s", val);
	snprintf(ld, sizeof(ld), "LD_PRELOAD=%s",
		 getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
	snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s",
		 getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "");
	syscall(SYS_execve, b->helper, argv, envp);
	_exit(127);
}

TEST(exec_ignores_values_it_did_not_write)
{
	const char *h = helper();
	struct fixture f;

	fixture_setup(&f, 0);
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		struct bad_exec b = { h, bad_values[i], f.fd };
		char *argv[] = { NULL, NULL };

		CHECK_EQ(reap(spawn(h, argv, exec_raw_with, &b)), 0);
	}
	fixture_teardown(&f);
}

/* ---- the owner itself execs, or exits first: a keeper serves its files --- */

/*
 * Orphans (the keeper, once its parent is gone) are reparented to the test,
 * so it can check that every process it caused ends.
 */
static void subreaper(void)
{
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
}

/* Reap every descendant within the timeout; each must exit 0. */
static void reap_all(void)
{
	int status;

	for (int ms = 0; ms < EXEC_TIMEOUT_MS;) {
		pid_t r = waitpid(-1, &status, WNOHANG);

		if (r < 0 && errno == ECHILD)
			return;
		CHECK(r >= 0);
		if (r > 0) {
			CHECK(WIFEXITED(status));
			CHECK_EQ(WEXITSTATUS(status), 0);
			continue;
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
		ms += 5;
	}
	CHECK(!"a process (a keeper?) did not exit");
}

/* In a fresh child: open an iommufd of its own, map @len bytes of @byte. */
static int own_context(uint32_t *ioas_id, uint8_t byte, bool domain)
{
	uint32_t stdev, hwpt, dev;
	void *buf;
	int fd;

	fd = t_open("/dev/iommu", O_RDWR);
	if (fd < 0 || t_ioas_alloc(fd, ioas_id))
		_exit(120);
	if (domain && t_mock_domain(fd, *ioas_id, &stdev, &hwpt, &dev))
		_exit(121);
	buf = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		_exit(122);
	memset(buf, byte, MAP_LEN);
	if (t_ioas_map_fixed(fd, *ioas_id, buf, MAP_LEN, MAP_IOVA))
		_exit(123);
	/*
	 * Pinned: the pages outlive our mapping of them (the shim sees
	 * munmap(); the library cannot, so there the buffer stays).
	 */
	if (!strcmp(t_frontend(), "shim"))
		munmap(buf, MAP_LEN);
	return fd;
}

struct owner_exec {
	char **argv;
	int keep_r, keep_w;
};

static void owner_then_exec(void *p)
{
	struct owner_exec *o = p;
	static char a[5][96];
	uint32_t ioas;
	int fd = own_context(&ioas, 0x33, true);

	if (fcntl(o->keep_r, F_DUPFD, 200) != 200 ||
	    fcntl(o->keep_w, F_DUPFD, 210) != 210)
		_exit(126);
	snprintf(a[0], sizeof(a[0]), "read:%d:%u:%llx:%zx:33", fd, ioas,
		 (unsigned long long)MAP_IOVA, MAP_LEN);
	snprintf(a[1], sizeof(a[1]), "unmap:%d:%u:%llx:%zx", fd, ioas,
		 (unsigned long long)MAP_IOVA, MAP_LEN);
	snprintf(a[2], sizeof(a[2]), "alloc:%d", fd);
	snprintf(a[3], sizeof(a[3]), "signal:%d", 210);
	snprintf(a[4], sizeof(a[4]), "wait:%d", 200);
	for (int i = 0; i < 5; i++)
		o->argv[i + 1] = a[i];
}

/*
 * uAPI: the process that opened the iommufd execs with it; the new program
 * has the same context (the pages mapped before, with their data).  The
 * keeper that serves it closes the old image's other fds and exits with
 * the last user.
 */
TEST(exec_of_the_owner_keeps_its_context)
{
	const char *h = helper();
	int to[2], from[2], old[2];
	struct pollfd p;
	char c, *argv[8] = { NULL };
	pid_t pid;

	subreaper();
	CHECK_OK(pipe2(to, O_CLOEXEC));
	CHECK_OK(pipe2(from, O_CLOEXEC));
	/* Held by the old image only: EOF once exec and the keeper drop it. */
	CHECK_OK(pipe2(old, O_CLOEXEC));
	struct owner_exec o = { argv, to[0], from[1] };
	pid = spawn(h, argv, owner_then_exec, &o);
	close(to[0]);
	close(from[1]);
	close(old[1]);

	p = (struct pollfd){ .fd = from[0], .events = POLLIN };
	CHECK_EQ(poll(&p, 1, EXEC_TIMEOUT_MS), 1);
	CHECK_EQ(read(from[0], &c, 1), 1);
	/* The new program runs, served by the keeper, which has let go. */
	p = (struct pollfd){ .fd = old[0], .events = POLLIN };
	CHECK_EQ(poll(&p, 1, EXEC_TIMEOUT_MS), 1);
	CHECK_EQ(read(old[0], &c, 1), 0);

	close(to[1]);
	CHECK_EQ(reap(pid), 0);
	reap_all();
	close(from[0]);
	close(old[0]);
}

/*
 * uAPI: the context lives while any process holds an fd: the owner exits
 * while its child still holds the iommufd; the child goes on with the same
 * context (pages, data, new objects), then the keeper exits too.  exit()
 * reaches the handover through the core's destructor: library and shim.
 */
TEST(exit_of_the_owner_leaves_the_context_to_its_child)
{
	int res[2];
	char c = 0;
	pid_t pid;

	subreaper();
	CHECK_OK(pipe2(res, O_CLOEXEC));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		uint32_t ioas, ioas2;
		int fd = own_context(&ioas, 0x44, true), afd;
		uint8_t *got;
		pid_t owner = getpid();

		if (fork()) {
			exit(0);	/* exit(): handlers run, hand over */
		}
		for (int ms = 0; getppid() == owner && ms < EXEC_TIMEOUT_MS;
		     ms += 5)
			nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
		got = malloc(MAP_LEN);
		c = 'k';
		if (getppid() == owner || !got ||
		    t_ioas_alloc(fd, &ioas2) ||
		    t_create_access(fd, ioas, 0, &afd) ||
		    t_access_rw(fd, afd, MAP_IOVA, MAP_LEN, got, 0) ||
		    t_close(afd) ||
		    t_ioas_unmap(fd, ioas, MAP_IOVA, MAP_LEN, NULL) ||
		    t_close(fd))
			c = 'f';
		for (size_t i = 0; c == 'k' && i < MAP_LEN; i++)
			if (got[i] != 0x44)
				c = 'g';
		free(got);
		if (write(res[1], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(res[1]);
	struct pollfd p = { .fd = res[0], .events = POLLIN };
	CHECK_EQ(poll(&p, 1, EXEC_TIMEOUT_MS), 1);
	CHECK_EQ(read(res[0], &c, 1), 1);
	CHECK_EQ(c, 'k');
	reap_all();
	close(res[0]);
}
