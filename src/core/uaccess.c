/*
 * uaccess.c - checked copies between uiommu and caller memory.
 *
 * process_vm_readv/writev on our own pid fault page by page and report a
 * short count or EFAULT instead of delivering SIGSEGV.  When the syscalls
 * are refused (seccomp profiles often deny them), a pipe does the same job:
 * write(2) from a bad source pointer is EFAULT.  The pipe path is used only
 * for reads; writes to caller memory then go through a read(2) from the pipe,
 * which likewise faults safely.
 *
 * A remote target (uaccess_target_set) is reached with the same syscalls on
 * its pid; there is no fallback for it: a refusal is -EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/uaccess.h"
#include "util/compiler.h"
#include "util/fault_inject.h"

static atomic_int self_pid;
static atomic_bool use_pipe;
static __thread struct uaccess_target *cur_target
	__attribute__((tls_model("initial-exec")));

static pid_t uaccess_pid(void)
{
	pid_t pid = atomic_load_explicit(&self_pid, memory_order_relaxed);

	if (unlikely(!pid)) {
		pid = getpid();
		atomic_store(&self_pid, pid);
	}
	return pid;
}

void uaccess_after_fork(void)
{
	atomic_store(&self_pid, 0);
}

/* Copy through a pipe: src is read by write(2), dst filled by read(2). */
static int pipe_copy(void *dst, const void *src, size_t len)
{
	static __thread int fds[2] = { -1, -1 };

	if (fds[0] < 0 && pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return -EFAULT;
	while (len) {
		size_t chunk = len > 65536 ? 65536 : len;
		ssize_t w = write(fds[1], src, chunk), r;

		if (w <= 0)
			return -EFAULT;
		r = read(fds[0], dst, w);
		if (r != w) {
			char sink[256];

			/* dst faulted: drain what is left and fail. */
			while (read(fds[0], sink, sizeof(sink)) > 0)
				;
			return -EFAULT;
		}
		src = (const char *)src + w;
		dst = (char *)dst + w;
		len -= w;
	}
	return 0;
}

static int vm_copy(void *dst, const void *src, size_t len, bool to_user,
		   const struct uaccess_target *t)
{
	struct iovec local, remote;
	pid_t pid;
	ssize_t n;

	if (!len)
		return 0;
	if (!t && atomic_load_explicit(&use_pipe, memory_order_relaxed))
		return pipe_copy(dst, src, len);
	pid = t ? t->pid : uaccess_pid();
	local.iov_base = to_user ? (void *)src : dst;
	local.iov_len = len;
	remote.iov_base = to_user ? dst : (void *)src;
	remote.iov_len = len;
	n = to_user ? process_vm_writev(pid, &local, 1, &remote, 1, 0) :
		      process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (!t && n < 0 && (errno == EPERM || errno == ENOSYS)) {
		atomic_store(&use_pipe, true);
		return pipe_copy(dst, src, len);
	}
	return -EFAULT;
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	if (FAULT_POINT("copy_from_user"))
		return -EFAULT;
	return vm_copy(dst, usrc, len, false, cur_target);
}

int probe_user(const void *usrc)
{
	char c;

	return vm_copy(&c, usrc, 1, false, cur_target);
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	if (FAULT_POINT("copy_to_user"))
		return -EFAULT;
	return vm_copy(udst, src, len, true, cur_target);
}

int copy_from_host(void *dst, const void *hsrc, size_t len)
{
	return vm_copy(dst, hsrc, len, false, NULL);
}

int copy_to_host(void *hdst, const void *src, size_t len)
{
	return vm_copy(hdst, src, len, true, NULL);
}

void uaccess_target_set(struct uaccess_target *t)
{
	cur_target = t;
}

struct uaccess_target *uaccess_target_get(void)
{
	return cur_target;
}

int uaccess_fd(int fd)
{
	const struct uaccess_target *t = cur_target;

	if (likely(!t))
		return fd;
	for (unsigned int i = 0; i < t->nfds; i++)
		if (t->fds[i].fd == fd && t->fds[i].host_fd >= 0)
			return t->fds[i].host_fd;
	return -1;
}

int check_zeroed_user(const void *usrc, size_t len)
{
	unsigned char buf[512];

	while (len) {
		size_t chunk = len > sizeof(buf) ? sizeof(buf) : len;
		int ret = copy_from_user(buf, usrc, chunk);

		if (ret)
			return ret;
		for (size_t i = 0; i < chunk; i++)
			if (buf[i])
				return 0;
		usrc = uptr_add(usrc, chunk);
		len -= chunk;
	}
	return 1;
}

int copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			  size_t usize)
{
	size_t size = ksize < usize ? ksize : usize;
	int ret;

	if (usize > ksize) {
		ret = check_zeroed_user(uptr_add(usrc, ksize),
					usize - ksize);
		if (ret <= 0)
			return ret ? ret : -E2BIG;
	}
	ret = copy_from_user(dst, usrc, size);
	if (ret)
		return ret;
	if (size < ksize)
		memset((char *)dst + size, 0, ksize - size);
	return 0;
}
