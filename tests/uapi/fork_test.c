/*
 * fork_test.c - an iommufd inherited over fork() is the same open file.
 *
 * The kernel's rules: the child's ioctls act on the parent's context and
 * the other way round; memory the child maps is the child's (the parent's
 * own copy is untouched, fork copied it), stays mapped after the child
 * exits, its pages alive if a domain pinned them while it lived and gone
 * (EFAULT) for anything that pins later (the kernel selftest's fork_gone,
 * checked against Linux 6.12), coherent with the child while it lives
 * (fork_present); the context lives while any
 * process holds an fd to it; fds the child gets from the context (an access
 * fd) work in the child.
 *
 * Children talk to the test through pipes; every wait is bounded
 * (CHILD_TIMEOUT_MS), a child that hangs is killed and fails the test.  A
 * CHECK in a child fails the child (exit 1), which fails the test.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/vfio.h>
#include <uiommu/emu.h>

#include "uapi.h"

#define CHILD_TIMEOUT_MS 10000
#define BUF_PAGES 4

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static void no_leaks(void)
{
	if (__lsan_do_recoverable_leak_check)
		CHECK_EQ(__lsan_do_recoverable_leak_check(), 0);
}

struct child {
	pid_t pid;
	int to[2];	/* test -> child */
	int from[2];	/* child -> test */
};

static void chan_send(int fd, uint64_t v)
{
	CHECK_EQ(write(fd, &v, sizeof(v)), sizeof(v));
}

static uint64_t chan_recv(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	CHECK_EQ(poll(&p, 1, CHILD_TIMEOUT_MS), 1);
	CHECK_EQ(read(fd, &v, sizeof(v)), sizeof(v));
	return v;
}

/* In the child: */
static void to_test(struct child *c, uint64_t v)
{
	chan_send(c->from[1], v);
}

static uint64_t from_test(struct child *c)
{
	return chan_recv(c->to[0]);
}

/* In the test: */
static void to_child(struct child *c, uint64_t v)
{
	chan_send(c->to[1], v);
}

static uint64_t from_child(struct child *c)
{
	return chan_recv(c->from[0]);
}

static void child_start(struct child *c, void (*fn)(struct child *c, void *arg),
			void *arg)
{
	CHECK_OK(pipe2(c->to, O_CLOEXEC));
	CHECK_OK(pipe2(c->from, O_CLOEXEC));
	c->pid = fork();
	CHECK(c->pid >= 0);
	if (!c->pid) {
		close(c->to[1]);
		close(c->from[0]);
		fn(c, arg);
		_exit(0);
	}
	close(c->to[0]);
	close(c->from[1]);
}

/* Reap @c within the timeout: its exit status (killed: fails). */
static int child_reap(struct child *c)
{
	int status = 0;

	for (int ms = 0; ms < CHILD_TIMEOUT_MS; ms += 5) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		CHECK(r >= 0);
		if (r == c->pid) {
			CHECK(WIFEXITED(status));
			return WEXITSTATUS(status);
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	CHECK(!"child timed out");
	return -1;
}

static int child_wait(struct child *c)
{
	int ret = child_reap(c);

	close(c->to[1]);
	close(c->from[0]);
	return ret;
}

static int iova_ranges(int fd, uint32_t ioas_id)
{
	struct iommu_iova_range ranges[16];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = 16,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return t_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
}

static void fill(void *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		((unsigned char *)buf)[i] = (unsigned char)(i * 7 + seed);
}

static bool filled(const void *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (((const unsigned char *)buf)[i] != (unsigned char)(i * 7 + seed))
			return false;
	return true;
}

/* Read @len bytes of the IOAS at @iova through a fresh access object. */
static void ioas_read(int fd, uint32_t ioas_id, uint64_t iova, void *buf,
		      size_t len)
{
	int afd;

	CHECK_OK(t_create_access(fd, ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(fd, afd, iova, len, buf, 0));
	CHECK_OK(t_close(afd));
}

/* ---- objects ------------------------------------------------------------ */

static void child_allocs(struct child *c, void *arg)
{
	int fd = *(int *)arg;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(fd, &id));
	to_test(c, id);
	/* Exits holding the fd: the object stays the parent's. */
}

TEST(fork_child_object_is_the_parents)
{
	int fd = t_open_iommufd();
	struct child c;
	uint32_t id, mine;

	CHECK_OK(t_ioas_alloc(fd, &mine));
	child_start(&c, child_allocs, &fd);
	id = from_child(&c);
	CHECK_EQ(child_wait(&c), 0);
	/* uAPI: one context: ids are unique across both processes. */
	CHECK(id != mine);
	CHECK_OK(iova_ranges(fd, id));
	CHECK_OK(t_destroy(fd, id));
	CHECK_ERRNO(t_destroy(fd, id), ENOENT);
	CHECK_OK(t_destroy(fd, mine));
	CHECK_OK(t_close(fd));
	no_leaks();
}

struct ids {
	int fd;
	uint32_t id;
};

static void child_sees_destroy(struct child *c, void *arg)
{
	struct ids *ids = arg;
	uint32_t later;

	CHECK_OK(iova_ranges(ids->fd, ids->id));
	to_test(c, 1);
	later = from_test(c);
	/* The parent destroyed id and made later after the fork. */
	CHECK_ERRNO(iova_ranges(ids->fd, ids->id), ENOENT);
	CHECK_ERRNO(t_destroy(ids->fd, ids->id), ENOENT);
	CHECK_OK(iova_ranges(ids->fd, later));
}

TEST(fork_parent_destroy_is_seen_by_child)
{
	struct ids ids = { .fd = t_open_iommufd() };
	struct child c;
	uint32_t later;

	CHECK_OK(t_ioas_alloc(ids.fd, &ids.id));
	child_start(&c, child_sees_destroy, &ids);
	CHECK_EQ(from_child(&c), 1);
	CHECK_OK(t_ioas_alloc(ids.fd, &later));
	CHECK_OK(t_destroy(ids.fd, ids.id));
	to_child(&c, later);
	CHECK_EQ(child_wait(&c), 0);
	CHECK_OK(t_close(ids.fd));
	no_leaks();
}

/* ---- memory ------------------------------------------------------------- */

struct map_args {
	int fd;
	uint32_t ioas_id;
	unsigned int mock_domains;
	uint32_t hwpt_id[2];
	void *buf;
	size_t len;
	uint64_t iova;
};

static void child_maps_and_exits(struct child *c, void *arg)
{
	struct map_args *m = arg;

	/* Its own copy of the parent's buffer (fork copied it). */
	fill(m->buf, m->len, 2);
	CHECK_OK(t_ioas_map_fixed(m->fd, m->ioas_id, m->buf, m->len, m->iova));
	to_test(c, 1);
}

VARIANT_TEST(fork_child_mapping_outlives_the_child)
{
	size_t len = BUF_PAGES * PAGE_SIZE_T;
	struct map_args m = {
		.fd = self->fd,
		.ioas_id = self->ioas_id,
		.buf = t_buffer(len),
		.len = len,
		.iova = 1ull << 24,
	};
	void *got = t_buffer(len);
	uint64_t unmapped;
	struct child c;
	int afd;

	fill(m.buf, len, 1);
	child_start(&c, child_maps_and_exits, &m);
	CHECK_EQ(from_child(&c), 1);
	CHECK_EQ(child_wait(&c), 0);
	/* The parent's own buffer kept the parent's data. */
	CHECK(filled(m.buf, len, 1));
	CHECK_OK(t_create_access(self->fd, self->ioas_id, 0, &afd));
	if (!self->mock_domains) {
		/*
		 * uAPI: nothing pinned the child's pages while it lived, and
		 * the pages of an exited process cannot be pinned (fork_gone).
		 */
		CHECK_ERRNO(t_access_rw(self->fd, afd, m.iova, len, got, 0),
			    EFAULT);
		CHECK_ERRNO(t_mock_domain(self->fd, self->ioas_id, NULL, NULL,
					  NULL),
			    EFAULT);
	} else {
		/* The domain pinned them in the child: they outlive it. */
		CHECK_OK(t_access_rw(self->fd, afd, m.iova, len, got, 0));
		CHECK(filled(got, len, 2));
		/* A domain attached now copies from the pinned pages. */
		CHECK_OK(t_mock_domain(self->fd, self->ioas_id, NULL, NULL,
				       NULL));
		memset(got, 0, len);
		CHECK_OK(t_access_rw(self->fd, afd, m.iova + PAGE_SIZE_T,
				     PAGE_SIZE_T, got, 0));
		CHECK(filled(got, PAGE_SIZE_T, 2 + PAGE_SIZE_T * 7));
	}
	CHECK_OK(t_close(afd));
	/* Either way the mapping is still there. */
	CHECK_OK(t_ioas_unmap(self->fd, self->ioas_id, m.iova, len,
			      &unmapped));
	CHECK_EQ(unmapped, len);
	munmap(m.buf, len);
	munmap(got, len);
	no_leaks();
}

static void child_maps_and_writes(struct child *c, void *arg)
{
	struct map_args *m = arg;
	uint64_t iova;

	fill(m->buf, m->len, 3);
	CHECK_OK(t_ioas_map(m->fd, m->ioas_id, m->buf, m->len, &iova));
	/* The mock domains hold the child's own pages at that IOVA. */
	for (unsigned int i = 0; i < m->mock_domains; i++) {
		CHECK_OK(t_check_map(m->fd, m->hwpt_id[i], iova, m->len,
				     m->buf));
		CHECK_ERRNO(t_check_map(m->fd, m->hwpt_id[i], iova,
				        m->len - PAGE_SIZE_T,
				        (char *)m->buf + PAGE_SIZE_T),
			    EINVAL);
	}
	/* A second map of the same memory is the same pages. */
	CHECK_OK(t_ioas_map_fixed(m->fd, m->ioas_id, m->buf, m->len,
				  iova + (1ull << 30)));
	to_test(c, iova);
	CHECK_EQ(from_test(c), 1);
	/* Writes after the map reach the IOAS... */
	fill(m->buf, m->len, 4);
	to_test(c, 2);
	CHECK_EQ(from_test(c), 3);
	/* ...and DMA writes through it reach the child. */
	CHECK(filled(m->buf, m->len, 5));
	to_test(c, 4);
}

VARIANT_TEST(fork_child_mapping_is_coherent_with_the_child)
{
	size_t len = BUF_PAGES * PAGE_SIZE_T;
	struct map_args m = {
		.fd = self->fd,
		.ioas_id = self->ioas_id,
		.mock_domains = self->mock_domains,
		.hwpt_id = { self->hwpt_id[0], self->hwpt_id[1] },
		.buf = t_buffer(len),
		.len = len,
	};
	void *got = t_buffer(len);
	struct child c;
	uint64_t iova;
	int afd;

	fill(m.buf, len, 1);
	child_start(&c, child_maps_and_writes, &m);
	iova = from_child(&c);
	CHECK_OK(t_create_access(self->fd, self->ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(self->fd, afd, iova, len, got, 0));
	CHECK(filled(got, len, 3));
	to_child(&c, 1);
	CHECK_EQ(from_child(&c), 2);
	CHECK_OK(t_access_rw(self->fd, afd, iova, len, got, 0));
	CHECK(filled(got, len, 4));
	CHECK_OK(t_access_rw(self->fd, afd, iova + (1ull << 30), len, got,
			     0));
	CHECK(filled(got, len, 4));
	fill(got, len, 5);
	CHECK_OK(
	    t_access_rw(self->fd, afd, iova, len, got, MOCK_ACCESS_RW_WRITE));
	to_child(&c, 3);
	CHECK_EQ(from_child(&c), 4);
	CHECK_EQ(child_wait(&c), 0);
	/* The parent's pages never changed. */
	CHECK(filled(m.buf, len, 1));
	CHECK_OK(t_close(afd));
	munmap(m.buf, len);
	munmap(got, len);
	no_leaks();
}

static void child_maps_a_file(struct child *c, void *arg)
{
	struct map_args *m = arg;
	int mfd = memfd_create("fork-test", MFD_CLOEXEC);
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = m->ioas_id,
		.fd = mfd,
		.length = m->len,
		.iova = m->iova,
	};
	void *p;

	CHECK_OK(mfd);
	CHECK_OK(ftruncate(mfd, m->len));
	p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(p != MAP_FAILED);
	fill(p, m->len, 6);
	CHECK_OK(t_ioctl(m->fd, IOMMU_IOAS_MAP_FILE, &cmd));
	/* uAPI: fd names a file of the caller's: a closed one is EBADF. */
	cmd.iova += m->len;
	cmd.fd = 1000;
	CHECK_ERRNO(t_ioctl(m->fd, IOMMU_IOAS_MAP_FILE, &cmd), EBADF);
	close(mfd);
}

TEST(fork_child_maps_its_file)
{
	size_t len = 2 * PAGE_SIZE_T;
	struct map_args m = { .fd = t_open_iommufd(), .len = len,
			      .iova = 1ull << 24 };
	void *got = t_buffer(len);
	struct child c;

	CHECK_OK(t_ioas_alloc(m.fd, &m.ioas_id));
	child_start(&c, child_maps_a_file, &m);
	CHECK_EQ(child_wait(&c), 0);
	ioas_read(m.fd, m.ioas_id, m.iova, got, len);
	CHECK(filled(got, len, 6));
	CHECK_OK(t_close(m.fd));
	munmap(got, len);
	no_leaks();
}

static long vm_pin_of(pid_t pid)
{
	return t_status_pages(pid, "VmPin");
}

struct moving {
	int fd;
	pid_t parent;
	long base;		/* the parent's VmPin without our pins */
};

static int change_process(int fd)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };

	return t_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}

static void child_takes_the_charge(struct child *c, void *arg)
{
	struct moving *m = arg;

	CHECK_EQ(vm_pin_of(getpid()), 0);
	CHECK_EQ(vm_pin_of(m->parent), m->base + BUF_PAGES);
	CHECK_OK(change_process(m->fd));
	/* uAPI: the pins now count in the caller's mm, not the parent's. */
	CHECK_EQ(vm_pin_of(getpid()), BUF_PAGES);
	CHECK_EQ(vm_pin_of(m->parent), m->base);
	to_test(c, 1);
	from_test(c);
	/* The parent took them back. */
	CHECK_EQ(vm_pin_of(getpid()), 0);
	CHECK_OK(change_process(m->fd));
	CHECK_EQ(vm_pin_of(getpid()), BUF_PAGES);
	to_test(c, 2);
	/* Exits with the charge: it goes with this mm, as in the kernel. */
}

TEST(fork_change_process_moves_vm_pin)
{
	struct moving m = { .fd = t_open_iommufd(), .parent = getpid() };
	int mfd = memfd_create("fork-test", MFD_CLOEXEC);
	uint64_t iova = 1ull << 24;
	struct child c;
	uint32_t ioas;

	if (getenv("UIOMMU_NO_IO_URING") || vm_pin_of(getpid()) < 0)
		SKIP("pins are counted in VmPin only through io_uring");
	/* uAPI: pins of a process with CAP_IPC_LOCK stay where they are. */
	t_drop_ipc_lock();
	CHECK_OK(ftruncate(mfd, BUF_PAGES * PAGE_SIZE_T));
	CHECK_OK(t_ioas_alloc(m.fd, &ioas));
	CHECK_OK(t_mock_domain(m.fd, ioas, NULL, NULL, NULL));
	m.base = vm_pin_of(getpid());
	CHECK_OK(t_ioas_map_file(m.fd, ioas, mfd, 0, BUF_PAGES * PAGE_SIZE_T,
				 &iova));
	if (vm_pin_of(getpid()) == m.base)
		SKIP("no io_uring here: pins are counted internally only");
	CHECK_EQ(vm_pin_of(getpid()), m.base + BUF_PAGES);
	/* To the process that already pays: nothing moves. */
	CHECK_OK(change_process(m.fd));
	CHECK_EQ(vm_pin_of(getpid()), m.base + BUF_PAGES);

	child_start(&c, child_takes_the_charge, &m);
	CHECK_EQ(from_child(&c), 1);
	CHECK_EQ(vm_pin_of(getpid()), m.base);
	CHECK_OK(change_process(m.fd));
	CHECK_EQ(vm_pin_of(getpid()), m.base + BUF_PAGES);
	CHECK_EQ(vm_pin_of(c.pid), 0);
	to_child(&c, 0);
	CHECK_EQ(from_child(&c), 2);
	CHECK_EQ(vm_pin_of(getpid()), m.base);
	CHECK_EQ(child_wait(&c), 0);
	/* Pages charged to an exited process still unpin and unmap. */
	CHECK_OK(t_ioas_unmap(m.fd, ioas, 0, UINT64_MAX, NULL));
	CHECK_OK(t_ioas_map_file(m.fd, ioas, mfd, 0, PAGE_SIZE_T, &iova));
	CHECK_EQ(vm_pin_of(getpid()), m.base + 1);
	CHECK_OK(t_close(m.fd));
	CHECK_EQ(vm_pin_of(getpid()), m.base);
	close(mfd);
	no_leaks();
}

struct shared_args {
	struct map_args m;
	bool drop_caps;
};

/* Without CAP_SYS_ADMIN/CAP_CHECKPOINT_RESTORE: no /proc/self/map_files. */
static void drop_all_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	CHECK_OK(syscall(SYS_capset, &h, d));
}

static void child_maps_shared(struct child *c, void *arg)
{
	struct shared_args *a = arg;
	struct map_args *m = &a->m;
	void *mine;

	if (a->drop_caps)
		drop_all_caps();
	CHECK_OK(t_ioas_map_fixed(m->fd, m->ioas_id, m->buf, m->len, m->iova));
	to_test(c, 1);
	CHECK_EQ(from_test(c), 2);
	/* What the parent wrote through the IOAS is in our (shared) pages. */
	CHECK(filled(m->buf, m->len, 12));
	if (a->drop_caps) {
		/*
		 * Limit: shared memory the owner does not map at the same
		 * addresses, without a way to open its file, is EFAULT.
		 */
		mine = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(mine != MAP_FAILED);
		CHECK_ERRNO(t_ioas_map_fixed(m->fd, m->ioas_id, mine, m->len,
					     m->iova + m->len),
			    EFAULT);
	}
}

static void check_shared_map(struct fixture *self, bool drop_caps)
{
	size_t len = BUF_PAGES * PAGE_SIZE_T;
	struct shared_args a = {
		.m = {
			.fd = self->fd,
			.ioas_id = self->ioas_id,
			.len = len,
			.iova = 1ull << 24,
		},
		.drop_caps = drop_caps,
	};
	void *got = t_buffer(len);
	struct child c;
	int afd;

	a.m.buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(a.m.buf != MAP_FAILED);
	fill(a.m.buf, len, 1);
	child_start(&c, child_maps_shared, &a);
	CHECK_EQ(from_child(&c), 1);
	/* uAPI: shared memory stays shared: the IOAS sees our writes... */
	fill(a.m.buf, len, 11);
	CHECK_OK(t_create_access(self->fd, self->ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(self->fd, afd, a.m.iova, len, got, 0));
	CHECK(filled(got, len, 11));
	/* ...and we see what goes in through it. */
	fill(got, len, 12);
	CHECK_OK(t_access_rw(self->fd, afd, a.m.iova, len, got,
			     MOCK_ACCESS_RW_WRITE));
	CHECK(filled(a.m.buf, len, 12));
	to_child(&c, 2);
	CHECK_EQ(child_wait(&c), 0);
	CHECK_OK(t_close(afd));
	munmap(a.m.buf, len);
	munmap(got, len);
	no_leaks();
}

VARIANT_TEST(fork_child_maps_shared_memory)
{
	check_shared_map(self, false);
}

VARIANT_TEST(fork_child_maps_shared_memory_without_caps)
{
	check_shared_map(self, true);
}

/* ---- lifetime ----------------------------------------------------------- */

static void child_outlives_parent_fd(struct child *c, void *arg)
{
	struct map_args *m = arg;
	void *buf = t_buffer(m->len), *got = t_buffer(m->len);
	int afd;

	CHECK_EQ(from_test(c), 1);
	/* The parent closed its fd: the context is still ours. */
	CHECK_OK(iova_ranges(m->fd, m->ioas_id));
	fill(buf, m->len, 7);
	CHECK_OK(t_ioas_map_fixed(m->fd, m->ioas_id, buf, m->len, m->iova));
	CHECK_OK(t_create_access(m->fd, m->ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(m->fd, afd, m->iova, m->len, got, 0));
	CHECK(filled(got, m->len, 7));
	CHECK_OK(t_close(afd));
	CHECK_OK(t_close(m->fd));
	CHECK_ERRNO(iova_ranges(m->fd, m->ioas_id), EBADF);
	to_test(c, 2);
}

TEST(fork_context_lives_while_a_child_holds_it)
{
	struct map_args m = { .fd = t_open_iommufd(), .len = PAGE_SIZE_T,
			      .iova = 1ull << 24 };
	struct child c;

	CHECK_OK(t_ioas_alloc(m.fd, &m.ioas_id));
	child_start(&c, child_outlives_parent_fd, &m);
	CHECK_OK(t_close(m.fd));
	CHECK_ERRNO(iova_ranges(m.fd, m.ioas_id), EBADF);
	to_child(&c, 1);
	CHECK_EQ(from_child(&c), 2);
	CHECK_EQ(child_wait(&c), 0);
	no_leaks();
}

static void child_closes(struct child *c, void *arg)
{
	struct ids *ids = arg;
	int dup_fd;

	CHECK_OK(t_close(ids->fd));
	CHECK_ERRNO(iova_ranges(ids->fd, ids->id), EBADF);
	CHECK_ERRNO(t_close(ids->fd), EBADF);
	/* A fresh open in the child is a context of its own. */
	dup_fd = t_open_iommufd();
	CHECK_ERRNO(iova_ranges(dup_fd, ids->id), ENOENT);
	CHECK_OK(t_close(dup_fd));
}

TEST(fork_child_close_leaves_the_parent_alone)
{
	struct ids ids = { .fd = t_open_iommufd() };
	struct child c;

	CHECK_OK(t_ioas_alloc(ids.fd, &ids.id));
	child_start(&c, child_closes, &ids);
	CHECK_EQ(child_wait(&c), 0);
	CHECK_OK(iova_ranges(ids.fd, ids.id));
	CHECK_OK(t_destroy(ids.fd, ids.id));
	CHECK_OK(t_close(ids.fd));
	no_leaks();
}

static void child_just_exits(struct child *c, void *arg)
{
}

/*
 * uAPI: an exited child holds no reference; once its parent has reaped it
 * and closed its own fd, the context is gone at once and so are its pins.
 */
TEST(fork_reaped_child_holds_nothing)
{
	struct fixture f;
	size_t len = 2 * PAGE_SIZE_T;
	void *buf = t_buffer(len);
	struct iommu_test_cmd refs = {
		.size = sizeof(refs),
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)buf },
	};
	int fd2;

	for (int round = 0; round < 20; round++) {
		struct child c;
		int status;

		fixture_setup(&f, 1);
		CHECK_OK(t_ioas_map_fixed(f.fd, f.ioas_id, buf, len,
					  MOCK_APERTURE_START));
		child_start(&c, child_just_exits, NULL);
		/* Reap with a blocking wait and close at once: no grace time. */
		CHECK_EQ(waitpid(c.pid, &status, 0), c.pid);
		close(c.to[1]);
		close(c.from[0]);
		fixture_teardown(&f);
		fd2 = t_open_iommufd();
		refs.check_refs.refs = 0;
		CHECK_OK(t_ioctl(fd2, IOMMU_TEST_CMD, &refs));
		CHECK_OK(t_close(fd2));
	}
}

/* ---- errors and files --------------------------------------------------- */

static void child_errors(struct child *c, void *arg)
{
	struct ids *ids = arg;
	struct iommu_ioas_alloc alloc = { .size = 4 };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = 1u << 31,
		.ioas_id = ids->id,
	};

	CHECK_ERRNO(t_destroy(ids->fd, 9999), ENOENT);
	CHECK_ERRNO(t_ioctl(ids->fd, _IO(IOMMUFD_TYPE, 0x7f), NULL), ENOTTY);
	/* uAPI: a short struct is EINVAL, a bad pointer EFAULT. */
	CHECK_ERRNO(t_ioctl(ids->fd, IOMMU_IOAS_ALLOC, &alloc), EINVAL);
	CHECK_ERRNO(t_ioctl(ids->fd, IOMMU_IOAS_ALLOC, (void *)8), EFAULT);
	CHECK_ERRNO(t_ioctl(ids->fd, IOMMU_IOAS_MAP, &map), EOPNOTSUPP);
	map.flags = IOMMU_IOAS_MAP_READABLE;
	map.ioas_id = 9999;
	map.user_va = (uintptr_t)t_buffer(PAGE_SIZE_T);
	map.length = PAGE_SIZE_T;
	CHECK_ERRNO(t_ioctl(ids->fd, IOMMU_IOAS_MAP, &map), ENOENT);
	CHECK_ERRNO(t_ioctl(ids->fd, IOMMU_IOAS_MAP, (void *)8), EFAULT);
	/* uAPI: an access fd that is no access fd is EBADFD. */
	CHECK_ERRNO(t_access_rw(ids->fd, 0, 0, 1, &alloc, 0), EBADFD);
}

TEST(fork_child_errors_are_the_kernels)
{
	struct ids ids = { .fd = t_open_iommufd() };
	struct child c;

	CHECK_OK(t_ioas_alloc(ids.fd, &ids.id));
	child_start(&c, child_errors, &ids);
	CHECK_EQ(child_wait(&c), 0);
	CHECK_OK(t_close(ids.fd));
	no_leaks();
}

struct access_args {
	int fd;
	uint32_t ioas_id;
	int parent_afd;
	uint64_t iova;
	size_t len;
};

static void child_uses_accesses(struct child *c, void *arg)
{
	struct access_args *a = arg;
	void *got = t_buffer(a->len);
	int afd;

	/* The parent's access fd, inherited. */
	CHECK_OK(t_access_rw(a->fd, a->parent_afd, a->iova, a->len, got, 0));
	CHECK(filled(got, a->len, 8));
	/* One of its own, handed out by the context. */
	CHECK_OK(t_create_access(a->fd, a->ioas_id, 0, &afd));
	CHECK(afd != a->parent_afd);
	CHECK(fcntl(afd, F_GETFD) >= 0);
	fill(got, a->len, 9);
	CHECK_OK(t_access_rw(a->fd, afd, a->iova, a->len, got,
			     MOCK_ACCESS_RW_WRITE));
	CHECK_OK(t_close(afd));
	CHECK_ERRNO(t_access_rw(a->fd, afd, a->iova, a->len, got, 0),
		    EBADFD);
	CHECK_OK(t_close(a->parent_afd));
}

TEST(fork_child_uses_access_fds)
{
	struct access_args a = { .fd = t_open_iommufd(), .len = PAGE_SIZE_T,
				 .iova = 1ull << 24 };
	void *buf = t_buffer(a.len);
	struct child c;

	CHECK_OK(t_ioas_alloc(a.fd, &a.ioas_id));
	fill(buf, a.len, 8);
	CHECK_OK(t_ioas_map_fixed(a.fd, a.ioas_id, buf, a.len, a.iova));
	CHECK_OK(t_create_access(a.fd, a.ioas_id, 0, &a.parent_afd));
	child_start(&c, child_uses_accesses, &a);
	CHECK_EQ(child_wait(&c), 0);
	/* The child's write went to the parent's pages. */
	CHECK(filled(buf, a.len, 9));
	CHECK_OK(t_access_rw(a.fd, a.parent_afd, a.iova, a.len, buf, 0));
	CHECK_OK(t_close(a.parent_afd));
	CHECK_OK(t_close(a.fd));
	munmap(buf, a.len);
	no_leaks();
}

static void child_uses_a_fault_queue(struct child *c, void *arg)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	struct iommu_hwpt_pgfault rec;
	int fd = *(int *)arg;
	struct pollfd p;

	CHECK_OK(t_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	/* A real fd of ours, served by the context's process. */
	CHECK(fcntl(cmd.out_fault_fd, F_GETFD) & FD_CLOEXEC);
	CHECK((int)cmd.out_fault_fd != fd);
	p = (struct pollfd){ .fd = cmd.out_fault_fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* uAPI: only whole records (ESPIPE); an empty queue reads 0. */
	CHECK_ERRNO(t_read(cmd.out_fault_fd, &rec, 1), ESPIPE);
	CHECK_EQ(t_read(cmd.out_fault_fd, &rec, sizeof(rec)), 0);
	to_test(c, cmd.out_fault_id);
	CHECK_EQ(from_test(c), 1);
	CHECK_OK(t_close(cmd.out_fault_fd));
	CHECK_ERRNO(t_read(cmd.out_fault_fd, &rec, sizeof(rec)), EBADF);
	to_test(c, 2);
}

TEST(fork_child_gets_fault_fds)
{
	int fd = t_open_iommufd();
	struct child c;
	uint32_t id;

	child_start(&c, child_uses_a_fault_queue, &fd);
	id = from_child(&c);
	/* uAPI: the queue is busy while its fd is open, in any process. */
	CHECK_ERRNO(t_destroy(fd, id), EBUSY);
	to_child(&c, 1);
	CHECK_EQ(from_child(&c), 2);
	CHECK_OK(t_destroy(fd, id));
	CHECK_EQ(child_wait(&c), 0);
	CHECK_OK(t_close(fd));
	no_leaks();
}

static void grandchild(struct child *c, void *arg)
{
	struct ids *ids = arg;
	uint32_t id;

	CHECK_OK(iova_ranges(ids->fd, ids->id));
	CHECK_OK(t_ioas_alloc(ids->fd, &id));
	to_test(c, id);
}

static void child_forks(struct child *c, void *arg)
{
	struct child gc;
	int status;

	/* The grandchild reports to the test on our pipe. */
	gc.pid = fork();
	CHECK(gc.pid >= 0);
	if (!gc.pid) {
		grandchild(c, arg);
		_exit(0);
	}
	CHECK_EQ(waitpid(gc.pid, &status, 0), gc.pid);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status));
}

TEST(fork_grandchild_shares_the_context)
{
	struct ids ids = { .fd = t_open_iommufd() };
	struct child c;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(ids.fd, &ids.id));
	child_start(&c, child_forks, &ids);
	id = from_child(&c);
	CHECK_EQ(child_wait(&c), 0);
	CHECK_OK(iova_ranges(ids.fd, id));
	CHECK_OK(t_destroy(ids.fd, id));
	CHECK_OK(t_close(ids.fd));
	no_leaks();
}

static void orphan_child(struct child *c, void *arg)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (!pid) {
		/* Our parent exits first: we talk to the owner alone. */
		CHECK_EQ(from_test(c), 1);
		grandchild(c, arg);
		_exit(0);
	}
}

TEST(fork_grandchild_outlives_its_parent)
{
	struct ids ids = { .fd = t_open_iommufd() };
	struct child c;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(ids.fd, &ids.id));
	child_start(&c, orphan_child, &ids);
	CHECK_EQ(child_reap(&c), 0);
	to_child(&c, 1);
	id = from_child(&c);
	CHECK_OK(iova_ranges(ids.fd, id));
	CHECK_OK(t_destroy(ids.fd, id));
	close(c.to[1]);
	close(c.from[0]);
	CHECK_OK(t_close(ids.fd));
	no_leaks();
}

static void child_churns(struct child *c, void *arg)
{
	struct ids *ids = arg;
	size_t len = 2 * PAGE_SIZE_T;
	void *buf = t_buffer(len);
	uint64_t iova, unmapped;
	uint32_t id;

	for (int i = 0; i < 40; i++) {
		CHECK_OK(t_ioas_alloc(ids->fd, &id));
		fill(buf, len, i);
		CHECK_OK(t_ioas_map(ids->fd, id, buf, len, &iova));
		CHECK_OK(t_ioas_unmap(ids->fd, id, iova, len, &unmapped));
		CHECK_EQ(unmapped, len);
		CHECK_OK(t_destroy(ids->fd, id));
		CHECK_OK(iova_ranges(ids->fd, ids->id));
	}
	to_test(c, 1);
}

static void child_quick(struct child *c, void *arg)
{
	struct ids *ids = arg;

	CHECK_OK(iova_ranges(ids->fd, ids->id));
}

TEST(fork_children_and_forks_concurrently)
{
	struct ids ids = { .fd = t_open_iommufd() };
	struct child c[4], q;
	uint32_t id;

	CHECK_OK(t_ioas_alloc(ids.fd, &ids.id));
	for (int i = 0; i < 4; i++)
		child_start(&c[i], child_churns, &ids);
	/* Forks while the children's requests are being served. */
	for (int i = 0; i < 20; i++) {
		child_start(&q, child_quick, &ids);
		CHECK_OK(t_ioas_alloc(ids.fd, &id));
		CHECK_OK(t_destroy(ids.fd, id));
		CHECK_EQ(child_wait(&q), 0);
	}
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(from_child(&c[i]), 1);
		CHECK_EQ(child_wait(&c[i]), 0);
	}
	/* Only the first IOAS is left. */
	CHECK_OK(t_ioas_alloc(ids.fd, &id));
	CHECK_EQ(id, ids.id + 1);
	CHECK_OK(t_close(ids.fd));
	no_leaks();
}

static void owner_then_exit(struct child *c, void *arg)
{
	int fd = t_open_iommufd(), gp[2];
	uint32_t id;
	pid_t pid;

	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(pipe2(gp, O_CLOEXEC));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		/* Works while our parent, the owner, lives... */
		CHECK_OK(iova_ranges(fd, id));
		chan_send(gp[1], 1);
		CHECK_EQ(from_test(c), 2);
		/*
		 * uAPI: ...and after it has exited: the context lives while
		 * an fd does.  The shim hands it to a keeper at _exit() too;
		 * the library only at exit(), and the owner ends with _exit()
		 * here, so there it is EBADF (docs/remote.md).
		 */
		if (strcmp(t_frontend(), "shim")) {
			CHECK_ERRNO(iova_ranges(fd, id), EBADF);
		} else {
			CHECK_OK(iova_ranges(fd, id));
			CHECK_OK(t_ioas_alloc(fd, &id));
		}
		CHECK_OK(t_close(fd));
		to_test(c, 3);
		_exit(0);
	}
	/* Exits once the grandchild is served, without waiting for it. */
	CHECK_EQ(chan_recv(gp[0]), 1);
}

TEST(fork_owner_exit_keeps_the_context)
{
	struct child c;

	child_start(&c, owner_then_exit, NULL);
	CHECK_EQ(child_reap(&c), 0);
	to_child(&c, 2);
	CHECK_EQ(from_child(&c), 3);
	close(c.to[1]);
	close(c.from[0]);
}

/* ---- type1 compatibility from a child ------------------------------------ */

struct type1_args {
	int fd;
	uint32_t ioas_id;
	void *shared;		/* MAP_SHARED before the fork */
	size_t len;
};

static int type1_map(int fd, void *va, uint64_t iova, uint64_t size,
		     uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return t_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

static void child_type1_maps(struct child *c, void *arg)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct type1_args *a = arg;
	void *buf = t_buffer(a->len);

	fill(buf, a->len, 0x5c);
	CHECK_OK(type1_map(a->fd, buf, 1ull << 24, a->len, rw));
	fill(a->shared, a->len, 0x6d);
	CHECK_OK(type1_map(a->fd, a->shared, 1ull << 25, a->len, rw));
	/* uAPI: the type1 rules, from a child as from the owner. */
	CHECK_ERRNO(type1_map(a->fd, buf, 1ull << 26, 0, rw), EINVAL);
	CHECK_ERRNO(type1_map(a->fd, buf, 1ull << 26, a->len, 1u << 7),
		    EINVAL);
	CHECK_ERRNO(type1_map(a->fd, buf, 1ull << 24, a->len, rw), EEXIST);
	to_test(c, 1);
	CHECK_EQ(from_test(c), 2);
}

/*
 * uAPI: VFIO_IOMMU_MAP_DMA of a child's memory (private and shared) maps
 * that memory into the context the parent sees.  Once the child has
 * exited, pages that nothing pinned while it lived cannot be had, shared or
 * not: the kernel pins through the mapping process's mm, which is gone
 * (as fork_gone).
 */
TEST(fork_child_type1_map_dma)
{
	struct type1_args a = { .fd = t_open_iommufd(), .len = 2 * PAGE_SIZE_T };
	struct iommu_vfio_ioas set = { .size = sizeof(set),
				       .op = IOMMU_VFIO_IOAS_SET };
	void *got = t_buffer(a.len);
	struct child c;
	int afd;

	char path[64];
	int probe;

	a.shared = mmap(NULL, a.len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(a.shared != MAP_FAILED);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)a.shared, (unsigned long)a.shared + a.len);
	probe = open(path, O_RDWR | O_CLOEXEC);
	if (probe < 0)
		SKIP("no /proc/self/map_files access (CAP_CHECKPOINT_RESTORE)");
	close(probe);
	CHECK_OK(t_ioas_alloc(a.fd, &a.ioas_id));
	set.ioas_id = a.ioas_id;
	CHECK_OK(t_ioctl(a.fd, IOMMU_VFIO_IOAS, &set));
	CHECK_OK(t_ioctl(a.fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU));
	child_start(&c, child_type1_maps, &a);
	CHECK_EQ(from_child(&c), 1);
	CHECK_OK(t_create_access(a.fd, a.ioas_id, 0, &afd));
	CHECK_OK(t_access_rw(a.fd, afd, 1ull << 24, a.len, got, 0));
	CHECK(filled(got, a.len, 0x5c));
	CHECK_OK(t_access_rw(a.fd, afd, 1ull << 25, a.len, got, 0));
	CHECK(filled(got, a.len, 0x6d));
	to_child(&c, 2);
	CHECK_EQ(child_wait(&c), 0);

	CHECK_ERRNO(t_access_rw(a.fd, afd, 1ull << 24, a.len, got, 0), EFAULT);
	CHECK_ERRNO(t_access_rw(a.fd, afd, 1ull << 25, a.len, got, 0), EFAULT);
	CHECK_OK(t_close(afd));
	CHECK_OK(t_close(a.fd));
	munmap(a.shared, a.len);
	no_leaks();
}

/* ---- a device fd from a child -------------------------------------------- */

#define DEV0 "/dev/vfio/devices/vfio0"
#define BAR2_OFF (2ull << 40)	/* VFIO region index 2 at index << 40 */

struct dev_args {
	int dfd;
	uint64_t src, dst, len;
};

static void child_drives_device(struct child *c, void *arg)
{
	struct dev_args *a = arg;
	uint32_t id = 0, cmd = EMU_DMA_CMD_COPY, st = 0;
	char word[8] = "childram", back[8] = { 0 };

	/* uAPI: region access through an inherited device fd, as the owner's. */
	CHECK_EQ(t_pread(a->dfd, &id, 4, EMU_DMA_REG_ID), 4);
	CHECK_EQ(id, EMU_DMA_ID);
	CHECK_EQ(t_pwrite(a->dfd, &a->src, 8, EMU_DMA_REG_SRC), 8);
	CHECK_EQ(t_pwrite(a->dfd, &a->dst, 8, EMU_DMA_REG_DST), 8);
	CHECK_EQ(t_pwrite(a->dfd, &a->len, 8, EMU_DMA_REG_LEN), 8);
	CHECK_EQ(t_pwrite(a->dfd, &cmd, 4, EMU_DMA_REG_CMD), 4);
	CHECK_EQ(t_pread(a->dfd, &st, 4, EMU_DMA_REG_STATUS), 4);
	CHECK_EQ(st, EMU_DMA_STATUS_DONE);
	/* Device RAM (BAR2) written here is what the owner reads. */
	CHECK_EQ(t_pwrite(a->dfd, word, 8, BAR2_OFF + 64), 8);
	CHECK_EQ(t_pread(a->dfd, back, 8, BAR2_OFF + 64), 8);
	CHECK(!memcmp(back, word, 8));
	/* The rules hold from here too. */
	CHECK_ERRNO(t_pread(a->dfd, &id, 4, -1), EINVAL);
	CHECK_ERRNO(t_pread(a->dfd, &id, 3, EMU_DMA_REG_ID), EINVAL);
	CHECK_ERRNO(t_pread(a->dfd, &id, 4, 1ull << 40), EINVAL); /* no BAR1 */
	to_test(c, 1);
}

/*
 * uAPI: a VFIO device fd inherited over fork is the same open file: the
 * child programs the device's DMA engine, which copies through the IOMMU
 * in the parent's context, and the child's region accesses follow the
 * kernel's rules.
 */
TEST(fork_child_uses_the_device_fd)
{
	struct dev_args a = { .len = PAGE_SIZE_T, .src = 1ull << 20,
			      .dst = 2ull << 20 };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char *src = t_buffer(a.len), *dst = t_buffer(a.len), ram[8];
	struct child c;
	uint32_t ioas;
	int ifd = t_open_iommufd();

	fill(src, a.len, 41);
	memset(dst, 0, a.len);
	CHECK_OK(t_ioas_alloc(ifd, &ioas));
	CHECK_OK(t_ioas_map_fixed(ifd, ioas, src, a.len, a.src));
	CHECK_OK(t_ioas_map_fixed(ifd, ioas, dst, a.len, a.dst));
	a.dfd = t_open(DEV0, O_RDWR);
	CHECK_OK(a.dfd);
	bind.iommufd = ifd;
	CHECK_OK(t_ioctl(a.dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	CHECK_OK(t_dev_attach(a.dfd, ioas, NULL));
	child_start(&c, child_drives_device, &a);
	CHECK_EQ(from_child(&c), 1);
	CHECK_EQ(child_wait(&c), 0);
	CHECK(filled(dst, a.len, 41));
	CHECK_EQ(t_pread(a.dfd, ram, 8, BAR2_OFF + 64), 8);
	CHECK(!memcmp(ram, "childram", 8));
	CHECK_OK(t_close(a.dfd));
	CHECK_OK(t_close(ifd));
	no_leaks();
}
