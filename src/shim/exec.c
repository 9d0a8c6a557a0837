/*
 * exec.c - emulated fds across exec(): the shim's exec wrappers and the
 * new image's import.
 *
 * The kernel keeps every fd without FD_CLOEXEC across exec, and with it the
 * open file: an iommufd a parent opened and a forked child exec'd with is
 * the same context in the new program.  uiommu's files live in the memory
 * of the process that serves them (src/core/remote.c), so what must cross
 * exec is the knowledge of which fd is which file: before exec the
 * wrappers add UIOMMU_EXEC=<value> (remote_exec_export()) to the
 * environment the new image gets, and keep the connections it names open;
 * the shim's constructor in the new image reads it back
 * (remote_exec_import()) and removes it from the environment.  A failed
 * exec undoes the export and changes nothing.
 *
 * Interposed: execve, execv, execvp, execvpe, execl, execle, execlp and
 * fexecve; and _exit/_Exit, which hand the files this process owns to a
 * keeper when others hold them (remote_exit(), as exit() does).  Files
 * this process owns whose fds survive exec go to a keeper first too, and
 * cross as remote ones.  The execl family builds its argv and continues as the execv
 * one; the PATH search stays libc's (execvpe).  Until the first emulated fd
 * (shim_is_active()) every wrapper forwards at once with its arguments
 * untouched.
 *
 * Limits: posix_spawn(), system()
 * and popen() are not interposed, so a program they start gets the fds
 * without their meaning; the library front end has no exec wrappers.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/remote.h"
#include "shim/shim.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define EXEC_VAR "UIOMMU_EXEC"

extern char **environ;

/*
 * @envp with UIOMMU_EXEC=@val in place of any it had: a new array (its
 * strings are @envp's, but the one added), or NULL for no memory.
 */
static char **env_with(char *const envp[], const char *val)
{
	size_t n = 0, k = 0, vlen = strlen(val);
	char **out, *var;

	while (envp && envp[n])
		n++;
	out = malloc((n + 2) * sizeof(*out) + sizeof(EXEC_VAR "=") + vlen);
	if (!out)
		return NULL;
	var = (char *)(out + n + 2);
	memcpy(var, EXEC_VAR "=", sizeof(EXEC_VAR "=") - 1);
	memcpy(var + sizeof(EXEC_VAR "=") - 1, val, vlen + 1);
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], EXEC_VAR "=", sizeof(EXEC_VAR "=") - 1))
			out[k++] = envp[i];
	out[k++] = var;
	out[k] = NULL;
	return out;
}

enum exec_kind { EXEC_VE, EXEC_VPE, EXEC_FD };

/* The next definition of @name (libc's), looked up once per call site. */
#define REAL(type, name)                                                   \
	({                                                                 \
		static type _fn;                                           \
		if (!_fn)                                                  \
			_fn = (type)dlsym(RTLD_NEXT, name);                \
		_fn;                                                       \
	})

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

static int exec_real(enum exec_kind kind, const char *path, int fd,
		     char *const argv[], char *const envp[])
{
	execve_fn fn;

	switch (kind) {
	case EXEC_FD: {
		fexecve_fn ffn = REAL(fexecve_fn, "fexecve");

		if (!ffn)
			break;
		return ffn(fd, argv, envp);
	}
	case EXEC_VPE:
		fn = REAL(execve_fn, "execvpe");
		if (!fn)
			break;
		return fn(path, argv, envp);
	default:
		fn = REAL(execve_fn, "execve");
		if (!fn)
			break;
		return fn(path, argv, envp);
	}
	errno = ENOSYS;
	return -1;
}

/* Every wrapper ends here: export, exec, undo if exec came back. */
static int exec_common(enum exec_kind kind, const char *path, int fd,
		       char *const argv[], char *const envp[])
{
	char *val, **env;
	int ret, saved;

	if (!shim_is_active())
		return exec_real(kind, path, fd, argv, envp);
	val = remote_exec_export();
	if (!val)
		return exec_real(kind, path, fd, argv, envp);
	env = env_with(envp, val);
	if (!env) {
		remote_exec_abort();
		free(val);
		errno = ENOMEM;
		return -1;
	}
	ret = exec_real(kind, path, fd, argv, env);
	saved = errno;
	remote_exec_abort();
	free(env);
	free(val);
	errno = saved;
	return ret;
}

SHIM_EXPORT int execve(const char *path, char *const argv[],
		       char *const envp[])
{
	return exec_common(EXEC_VE, path, -1, argv, envp);
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
	return exec_common(EXEC_VE, path, -1, argv, environ);
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[],
			char *const envp[])
{
	return exec_common(EXEC_VPE, file, -1, argv, envp);
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_common(EXEC_VPE, file, -1, argv, environ);
}

SHIM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return exec_common(EXEC_FD, NULL, fd, argv, envp);
}

/*
 * The execl family: collect the arguments after @arg0 up to the NULL (and,
 * with @want_env, the environment after it) and exec as the execv family.
 */
static int execl_common(enum exec_kind kind, const char *path,
			const char *arg0, va_list ap, bool want_env)
{
	size_t n = 1, cap = 16;
	char **argv = malloc(cap * sizeof(*argv)), **grow;
	char *const *envp = environ;
	const char *a;
	int ret, saved;

	if (!argv) {
		errno = ENOMEM;
		return -1;
	}
	argv[0] = (char *)arg0;
	do {
		a = arg0 ? va_arg(ap, const char *) : NULL;
		if (n == cap) {
			grow = realloc(argv, (cap *= 2) * sizeof(*argv));
			if (!grow) {
				free(argv);
				errno = ENOMEM;
				return -1;
			}
			argv = grow;
		}
		argv[n++] = (char *)a;
	} while (a);
	if (want_env)
		envp = va_arg(ap, char *const *);
	ret = exec_common(kind, path, -1, argv, envp);
	saved = errno;
	free(argv);
	errno = saved;
	return ret;
}

SHIM_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = execl_common(EXEC_VE, path, arg, ap, false);
	va_end(ap);
	return ret;
}

SHIM_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = execl_common(EXEC_VPE, file, arg, ap, false);
	va_end(ap);
	return ret;
}

SHIM_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = execl_common(EXEC_VE, path, arg, ap, true);
	va_end(ap);
	return ret;
}

/* LeakSanitizer's entry point, present when a sanitizer runtime is loaded. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/*
 * LeakSanitizer checks at exit() only, so a process that ends in _exit()
 * (as the kernel selftest harness ends each forked case) is never checked.
 * With UIOMMU_LEAK_CHECK=1 and a LeakSanitizer runtime, _exit() checks
 * too, and a process that leaked exits with 23 (LeakSanitizer's code).
 */
static int exit_status(int status)
{
	if (__lsan_do_recoverable_leak_check && getenv("UIOMMU_LEAK_CHECK") &&
	    __lsan_do_recoverable_leak_check())
		return 23;
	return status;
}

/*
 * _exit() and _Exit() skip exit()'s handlers; the kernel keeps a context
 * whose fds other processes hold whichever way the owner goes, so hand it
 * over here too (remote_exit()).  exit() itself reaches remote_exit()
 * through the core's destructor and glibc's internal _exit, not these.
 */
SHIM_EXPORT void _exit(int status)
{
	remote_exit();
	syscall(SYS_exit_group, exit_status(status));
	__builtin_unreachable();
}

SHIM_EXPORT void _Exit(int status)
{
	remote_exit();
	syscall(SYS_exit_group, exit_status(status));
	__builtin_unreachable();
}

/* In the new image: take the fds back before main() runs. */
__attribute__((constructor)) static void shim_exec_import(void)
{
	const char *val = getenv(EXEC_VAR);

	if (!val)
		return;
	if (remote_exec_import(val) > 0)
		shim_activate();
	unsetenv(EXEC_VAR);
}
