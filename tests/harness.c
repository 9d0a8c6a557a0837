/*
 * harness.c - main() for every test binary: fork each registered test with a
 * timeout, print one line per test and a closing "N passed, N failed, N
 * skipped" line.  Exit status is 0 only when nothing failed.
 */
#include "harness.h"

#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SKIP 77

#if defined(__SANITIZE_ADDRESS__)
int __lsan_do_recoverable_leak_check(void);
#define HAVE_LSAN 1
#endif

static struct test_case *tests_head, **tests_tail = &tests_head;
static unsigned int ntests;

void test_register(struct test_case *tc)
{
	*tests_tail = tc;
	tests_tail = &tc->next;
	ntests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

void test_skip(const char *why)
{
	fprintf(stdout, "  skip reason: %s\n", why);
	fflush(stdout);
	_exit(EXIT_SKIP);
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

static int run_one(struct test_case *tc, unsigned int timeout_s)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		/* Own process group, so leftovers of the test die with it. */
		setpgid(0, 0);
		alarm(tc->timeout_s ? tc->timeout_s : timeout_s);
		tc->fn();
		fflush(stdout);
#ifdef HAVE_LSAN
		/* Tests end with _exit: ask LeakSanitizer here, per test. */
		if (__lsan_do_recoverable_leak_check()) {
			fprintf(stderr, "  FAIL: memory leaked (report above)\n");
			_exit(1);
		}
#endif
		_exit(0);
	}
	setpgid(pid, pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	/* Processes the test forked and left behind go with it. */
	kill(-pid, SIGKILL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "  FAIL: killed by signal %d (%s)%s\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			WTERMSIG(status) == SIGALRM ? " - timeout" : "");
	}
	return 1;
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0, skipped = 0, n = 0;
	unsigned int timeout_s = 60;
	const char *env = getenv("UIOMMU_TEST_TIMEOUT");

	if (env && atoi(env) > 0)
		timeout_s = atoi(env);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct test_case *tc = tests_head; tc; tc = tc->next) {
		int rc;

		if (!selected(tc->name, argc, argv))
			continue;
		n++;
		rc = run_one(tc, timeout_s);
		if (rc == 0) {
			passed++;
			printf("ok %u %s\n", n, tc->name);
		} else if (rc == EXIT_SKIP) {
			skipped++;
			printf("skip %u %s\n", n, tc->name);
		} else {
			failed++;
			printf("not ok %u %s\n", n, tc->name);
		}
	}
	printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
