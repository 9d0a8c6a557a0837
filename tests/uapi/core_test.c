/*
 * core_test.c - the context and the dispatcher: the kernel's struct-size
 * rules, unknown commands, object ids, IOMMU_DESTROY, IOMMU_OPTION's
 * context part, and close.  Every expectation here was checked against a
 * real kernel (Linux 6.12 with /dev/iommu).
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "uapi.h"

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

TEST(core_open_close)
{
	int fd = t_open_iommufd();

	CHECK_OK(t_close(fd));
	/* uAPI: the fd is gone after close. */
	struct iommu_destroy d = { .size = sizeof(d), .id = 1 };
	CHECK_ERRNO(t_ioctl(fd, IOMMU_DESTROY, &d), EBADF);
}

TEST(core_ids_start_at_one_and_reuse_lowest)
{
	int fd = t_open_iommufd();
	uint32_t id[3], again;

	for (int i = 0; i < 3; i++) {
		CHECK_OK(t_ioas_alloc(fd, &id[i]));
		CHECK_EQ(id[i], i + 1);
	}
	CHECK_OK(t_destroy(fd, id[1]));
	CHECK_OK(t_ioas_alloc(fd, &again));
	CHECK_EQ(again, id[1]);
	t_close(fd);
}

TEST(core_destroy_unknown_ids)
{
	int fd = t_open_iommufd();
	uint32_t id;

	CHECK_ERRNO(t_destroy(fd, 0), ENOENT);
	CHECK_ERRNO(t_destroy(fd, 99), ENOENT);
	CHECK_ERRNO(t_destroy(fd, UINT32_MAX), ENOENT);
	CHECK_OK(t_ioas_alloc(fd, &id));
	CHECK_OK(t_destroy(fd, id));
	CHECK_ERRNO(t_destroy(fd, id), ENOENT);
	t_close(fd);
}

TEST(core_size_below_minimum_is_einval)
{
	int fd = t_open_iommufd();
	struct iommu_destroy d = { .size = 4, .id = 1 };
	struct iommu_ioas_alloc a = { .size = offsetof(struct iommu_ioas_alloc,
						       out_ioas_id) };

	CHECK_ERRNO(t_ioctl(fd, IOMMU_DESTROY, &d), EINVAL);
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOC, &a), EINVAL);
	d.size = 0;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_DESTROY, &d), EINVAL);
	t_close(fd);
}

TEST(core_longer_struct_needs_zero_tail)
{
	int fd = t_open_iommufd();
	struct {
		struct iommu_ioas_alloc a;
		uint64_t tail;
	} big = { .a = { .size = sizeof(big) } };

	/* uAPI: unknown trailing bytes that are zero are accepted... */
	CHECK_OK(t_ioctl(fd, IOMMU_IOAS_ALLOC, &big));
	CHECK_EQ(big.a.out_ioas_id, 1);
	/* ...and non-zero ones are E2BIG, with nothing created. */
	big.tail = 1;
	big.a.out_ioas_id = 0;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOC, &big), E2BIG);
	CHECK_EQ(big.a.out_ioas_id, 0);
	CHECK_ERRNO(t_destroy(fd, 2), ENOENT);
	t_close(fd);
}

TEST(core_response_respects_caller_size)
{
	int fd = t_open_iommufd();
	/* A caller that knows only size+flags+out_ioas_id (12 bytes) and
	 * keeps its own data right after: it must come back untouched. */
	struct {
		uint32_t size, flags, out_ioas_id, mine;
	} s = { 12, 0, 0, 0xabcd1234 };

	CHECK_OK(t_ioctl(fd, IOMMU_IOAS_ALLOC, &s));
	CHECK_EQ(s.out_ioas_id, 1);
	CHECK_EQ(s.mine, 0xabcd1234);
	t_close(fd);
}

TEST(core_bad_pointers_are_efault)
{
	int fd = t_open_iommufd();
	char *p = mmap(NULL, 2 * PAGE_SIZE_T, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_alloc *edge;

	CHECK(p != MAP_FAILED);
	CHECK_OK(munmap(p + PAGE_SIZE_T, PAGE_SIZE_T));
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOC, NULL), EFAULT);
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOC, (void *)16), EFAULT);
	/* A struct that ends at the last mapped byte works; a size that
	 * reaches into the unmapped page is EFAULT. */
	edge = (void *)(p + PAGE_SIZE_T - sizeof(*edge));
	memset(edge, 0, sizeof(*edge));
	edge->size = 64;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_IOAS_ALLOC, edge), EFAULT);
	edge->size = sizeof(*edge);
	CHECK_OK(t_ioctl(fd, IOMMU_IOAS_ALLOC, edge));
	CHECK_EQ(edge->out_ioas_id, 1);
	t_close(fd);
}

TEST(core_unknown_commands_are_enotty)
{
	int fd = t_open_iommufd();
	struct iommu_destroy d = { .size = sizeof(d), .id = 1 };

	CHECK_ERRNO(t_ioctl(fd, _IO(IOMMUFD_TYPE, 0xff), &d), ENOTTY);
	/* Right number, wrong direction/size bits. */
	CHECK_ERRNO(t_ioctl(fd, _IOW(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY, int), &d),
		    ENOTTY);
	CHECK_ERRNO(t_ioctl(fd, _IO('x', IOMMUFD_CMD_DESTROY), &d), ENOTTY);
	/* Below the iommufd range: the VFIO compat range, not a VFIO cmd. */
	CHECK_ERRNO(t_ioctl(fd, _IO(IOMMUFD_TYPE, 0x10), &d), ENOTTY);
	t_close(fd);
}

TEST(core_read_write_are_einval)
{
	int fd = t_open_iommufd();
	char buf[8] = { 0 };

	CHECK_ERRNO(t_read(fd, buf, sizeof(buf)), EINVAL);
	CHECK_ERRNO(t_write(fd, buf, sizeof(buf)), EINVAL);
	t_close(fd);
}

TEST(core_option_checks)
{
	int fd = t_open_iommufd();
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};

	CHECK_OK(t_ioctl(fd, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 0);
	o.__reserved = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EOPNOTSUPP);
	o.__reserved = 0;
	o.op = 2;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EOPNOTSUPP);
	o.op = IOMMU_OPTION_OP_GET;
	o.option_id = 77;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EOPNOTSUPP);
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.object_id = 1;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EOPNOTSUPP);
	t_close(fd);
}

TEST(core_option_rlimit_mode_set)
{
	int fd = t_open_iommufd();
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	uint32_t id;

	if (!has_cap(CAP_SYS_RESOURCE)) {
		/* uAPI: changing the accounting mode needs CAP_SYS_RESOURCE. */
		CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EPERM);
		t_close(fd);
		return;
	}
	o.val64 = 2;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EINVAL);
	o.val64 = 1;
	CHECK_OK(t_ioctl(fd, IOMMU_OPTION, &o));
	o.op = IOMMU_OPTION_OP_GET;
	o.val64 = 7;
	CHECK_OK(t_ioctl(fd, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 1);
	/* uAPI: only an empty context may change its mode. */
	CHECK_OK(t_ioas_alloc(fd, &id));
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 0;
	CHECK_ERRNO(t_ioctl(fd, IOMMU_OPTION, &o), EBUSY);
	t_close(fd);
}

TEST(core_contexts_are_independent)
{
	int a = t_open_iommufd(), b = t_open_iommufd();
	uint32_t ida, idb;

	CHECK_OK(t_ioas_alloc(a, &ida));
	CHECK_OK(t_ioas_alloc(b, &idb));
	CHECK_EQ(ida, 1);
	CHECK_EQ(idb, 1);
	CHECK_OK(t_destroy(a, ida));
	CHECK_OK(t_destroy(b, idb));
	t_close(a);
	t_close(b);
}

TEST(core_close_destroys_everything)
{
	/* Many contexts with objects left in them: ASan reports any leak. */
	for (int i = 0; i < 64; i++) {
		int fd = t_open_iommufd();
		uint32_t id;

		for (int j = 0; j < 8; j++)
			CHECK_OK(t_ioas_alloc(fd, &id));
		CHECK_OK(t_close(fd));
	}
}

TEST(core_test_mock_runtime_switch)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	int fd;

	/* The switch is read once per process; this test runs forked. */
	setenv("UIOMMU_TEST_MOCK", "0", 1);
	fd = t_open_iommufd();
	CHECK_ERRNO(t_ioctl(fd, IOMMU_TEST_CMD, &cmd), ENOTTY);
	t_close(fd);
}
