/*
 * fuzz_ioctl_seq.c - libFuzzer target: sequences of iommufd ioctls (and
 * read/write on the fds they hand out) against a fresh context through the
 * library front end (uiommu_open / uiommu_ioctl / uiommu_close), including
 * the IOMMU_TEST_CMD mock ops and the VFIO type1 compatibility calls.
 *
 * Input: byte 0 is a preamble mask (bit 0: IOMMU_IOAS_ALLOC, bit 1: a mock
 * domain on it, bit 2: IOMMU_IOAS_MAP of sandbox pages, bit 3: a second
 * mock domain).  Then records: cmd, size_sel, ptr_sel, place, len, and
 * len bytes of the struct.
 *   cmd       index into cmds[] (valid commands, then a few invalid ones);
 *   size_sel  the struct's size field: sizeof, as sent, 0, 4, sizeof + 8;
 *   ptr_sel   2 bits per pointer field of the struct: an offset into the
 *             sandbox, a sandbox page, or a bad address (fd fields the
 *             same way: our memfd, the iommufd, -1, a closed number);
 *   place     where the struct goes: the middle of the sandbox, flush
 *             against its end (reads past the struct fault), or a bad
 *             address.
 * Every user pointer the core can see points into the sandbox, a mapping
 * with inaccessible guard pages on both sides, or at an unmapped address,
 * so what the core writes through them cannot corrupt the fuzzer.  Every
 * emulated fd is closed at the end of the input; LeakSanitizer checks that
 * nothing stays behind.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommu/uiommu.h>

#include "ioctl_cmds.h"

static uint8_t *sandbox;	/* SANDBOX bytes between two guard pages */
static int memfd = -1;
static int iommufd;
static int newest_fd = -1;

/* Addresses nothing is mapped at. */
static uint64_t bad_addr(uint64_t v)
{
	static const uint64_t bad[] = { 0, 1, PAGE - 8, 0x800000000000ull,
					0xffff800000000000ull, ~0ull };

	if (v & 1)
		return (uintptr_t)sandbox - PAGE + (v >> 1) % PAGE;
	return bad[(v >> 1) % (sizeof(bad) / sizeof(bad[0]))];
}

static uint64_t pick_ptr(unsigned int mode, uint64_t v)
{
	switch (mode & 3) {
	case 0:
		return (uintptr_t)sandbox + v % SANDBOX;
	case 1:
		return (uintptr_t)sandbox + PAGE * (v % DATA_PAGES);
	case 2:
		return (uintptr_t)sandbox + (v & 0x7f);
	}
	return bad_addr(v);
}

static int32_t pick_fd(unsigned int mode)
{
	switch (mode & 3) {
	case 0:
		return memfd;
	case 1:
		return iommufd;
	case 2:
		return -1;
	}
	return MAX_FD - 1;
}

static void setup_once(void)
{
	uint8_t *p;

	if (sandbox)
		return;
	p = mmap(NULL, SANDBOX + 2 * PAGE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED ||
	    mprotect(p + PAGE, SANDBOX, PROT_READ | PROT_WRITE))
		abort();
	sandbox = p + PAGE;
	memfd = memfd_create("fuzz_ioctl_seq", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, SANDBOX))
		abort();
}

static void preamble(uint8_t mask)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)sandbox,
		.length = 4 * PAGE,
		.iova = 1ul << 20,
	};

	if (!(mask & 1) || uiommu_ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return;
	mock.id = map.ioas_id = alloc.out_ioas_id;
	if (mask & 2)
		uiommu_ioctl(iommufd, IOMMU_TEST_CMD, &mock);
	if (mask & 4)
		uiommu_ioctl(iommufd, IOMMU_IOAS_MAP, &map);
	if (mask & 8) {
		mock.id = alloc.out_ioas_id;
		uiommu_ioctl(iommufd, IOMMU_TEST_CMD, &mock);
	}
}

static void put_u64(uint8_t *buf, int off, unsigned int size, uint64_t v)
{
	if (off >= 0 && (unsigned int)off + 8 <= size)
		memcpy(buf + off, &v, 8);
}

static uint64_t get_u64(const uint8_t *buf, int off)
{
	uint64_t v;

	memcpy(&v, buf + off, 8);
	return v;
}

static void run_rw(const struct cmd *c, const uint8_t *rec, const uint8_t *body,
		   size_t len)
{
	size_t count = len ? body[0] * 8ul : 0;
	uint8_t *buf = (uint8_t *)(uintptr_t)pick_ptr(rec[2], len > 1 ? body[1] : 0);

	if (newest_fd < 0)
		return;
	if (c->nr == 0) {
		uiommu_read(newest_fd, buf, count);
	} else {
		memcpy(sandbox + 2 * PAGE, body, len);
		uiommu_write(newest_fd, sandbox + 2 * PAGE, count);
	}
}

/*
 * Limits on what the test mock allocates for one call, as the kernel's
 * kmalloc limits do (see README.md, "Known limits"): the DIRTY op's
 * bitmap of length / page_size bits (walked bit by bit) and a selftest
 * invalidation array of entry_num entries, allocated before it is read.
 */
static void limit_cmd(unsigned long nr, uint8_t *buf)
{
	struct iommu_test_cmd *t = (struct iommu_test_cmd *)buf;
	struct iommu_hwpt_invalidate *inv = (struct iommu_hwpt_invalidate *)buf;
	uint64_t ps = t->dirty.page_size;

	if (nr == IOMMU_TEST_CMD && t->op == IOMMU_TEST_OP_DIRTY && ps &&
	    t->dirty.length / ps > 1u << 24)
		t->dirty.length = ps << 24;
	if (nr == IOMMU_HWPT_INVALIDATE && inv->entry_num > 1u << 16)
		inv->entry_num = 1u << 16;
}

/* One record; returns the bytes it used, 0 at the end of the input. */
static size_t run_record(const uint8_t *data, size_t size)
{
	uint8_t buf[512] = { 0 };
	const struct cmd *c;
	const uint8_t *body;
	unsigned int ssize;
	size_t len;
	uint8_t *arg;

	if (size < 5)
		return 0;
	c = &cmds[data[0] % NCMDS];
	body = data + 5;
	len = data[4];
	if (len > size - 5)
		len = size - 5;
	if (c->kind == ARG_NONE) {
		run_rw(c, data, body, len);
		return 5 + len;
	}
	if (c->kind == ARG_INT) {
		uiommu_ioctl(iommufd, c->nr,
			     (void *)(uintptr_t)(len ? body[0] : 0));
		return 5 + len;
	}
	memcpy(buf, body, len);
	ssize = c->size;
	switch (data[1] % 5) {
	case 0:
		memcpy(buf, &ssize, 4);
		break;
	case 1:
		memcpy(&ssize, buf, 4);
		if (ssize > sizeof(buf))
			ssize = sizeof(buf);
		break;
	case 2:
		memset(buf, 0, 4);
		ssize = 8;
		break;
	case 3:
		memset(buf, 0, 4);
		buf[0] = 4;
		ssize = 8;
		break;
	case 4:
		ssize = c->size + 8;
		memcpy(buf, &ssize, 4);
		break;
	}
	if (ssize < 8)
		ssize = 8;
	for (int i = 0; i < 2; i++) {
		int off = c->ptr_off[i];

		if (c->nr == IOMMU_TEST_CMD && i == 0)
			off = test_ptr_off(((struct iommu_test_cmd *)buf)->op);
		if (off >= 0)
			put_u64(buf, off, sizeof(buf),
				pick_ptr(data[2] >> (2 * i), get_u64(buf, off)));
	}
	limit_cmd(c->nr, buf);
	if (c->fd_off >= 0) {
		int32_t fd = pick_fd(data[2] >> 4);

		memcpy(buf + c->fd_off, &fd, 4);
	}
	/* argsz-style structs (VFIO) have no size-first rule beyond argsz. */
	switch (data[3] % 3) {
	case 0:
		arg = sandbox + 10 * PAGE;
		break;
	case 1:
		arg = sandbox + SANDBOX - ssize;
		break;
	default:
		arg = (uint8_t *)(uintptr_t)bad_addr(data[3] / 3);
		break;
	}
	if (arg >= sandbox && arg < sandbox + SANDBOX)
		memcpy(arg, buf, ssize);
	if (uiommu_ioctl(iommufd, c->nr, arg) >= 0 && arg >= sandbox &&
	    arg < sandbox + SANDBOX) {
		uint32_t fd;

		switch (c->nr) {
		case IOMMU_FAULT_QUEUE_ALLOC:
			memcpy(&fd, arg + offsetof(struct iommu_fault_alloc,
						   out_fault_fd), 4);
			newest_fd = fd;
			break;
		case IOMMU_VEVENTQ_ALLOC:
			memcpy(&fd, arg + offsetof(struct iommu_veventq_alloc,
						   out_veventq_fd), 4);
			newest_fd = fd;
			break;
		}
	}
	return 5 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t used;

	if (size < 1)
		return 0;
	setup_once();
	memset(sandbox, 0, SANDBOX);
	iommufd = uiommu_open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		abort();
	newest_fd = -1;
	preamble(data[0]);
	for (data++, size--; (used = run_record(data, size)); data += used,
							       size -= used)
		;
	for (int fd = 0; fd < MAX_FD; fd++)
		if (fd != iommufd && uiommu_is_fd(fd))
			uiommu_close(fd);
	if (uiommu_close(iommufd))
		abort();
	return 0;
}
