/*
 * uapi.h - shared pieces of the uapi behavioural suite.
 *
 * The suite is written against the kernel ABI only.  Calls go through
 * t_open/t_ioctl/t_read/t_write/t_close, which use the library front end
 * (uiommu_*) or plain libc calls caught by the preload shim, as
 * UIOMMU_TEST_FRONTEND says ("lib", the default, or "shim").  Either way they
 * behave like libc: -1 and errno on failure.
 *
 * Fixtures: VARIANT_TEST(name) { ... } registers the body three times, as
 * name@no_domain, name@mock_domain and name@two_domains; inside, `self`
 * holds an open iommufd, an IOAS and 0, 1 or 2 mock devices attached to it
 * (self->stdev_id[i], self->hwpt_id[i], self->device_id[i]).
 */
#ifndef UIOMMU_TESTS_UAPI_H
#define UIOMMU_TESTS_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "harness.h"
#include "iommufd_test.h"

int t_open(const char *path, int flags);
int t_ioctl(int fd, unsigned long cmd, void *arg);
ssize_t t_read(int fd, void *buf, size_t n);
ssize_t t_write(int fd, const void *buf, size_t n);
int t_close(int fd);
/* "lib" or "shim" */
const char *t_frontend(void);

/* The host page size and the mock IOMMU's page size (half of it). */
extern size_t PAGE_SIZE_T;
#define MOCK_PAGE_SIZE_T (PAGE_SIZE_T / 2)

struct fixture {
	int fd;
	uint32_t ioas_id;
	unsigned int mock_domains;
	uint32_t stdev_id[2];
	uint32_t hwpt_id[2];
	uint32_t device_id[2];
};

void fixture_setup(struct fixture *self, unsigned int mock_domains);
void fixture_teardown(struct fixture *self);

#define VARIANT_TEST(tname)                                                  \
	static void vt_body_##tname(struct fixture *self);                   \
	TEST(tname##_no_domain)                                              \
	{                                                                    \
		struct fixture f;                                            \
		fixture_setup(&f, 0);                                        \
		vt_body_##tname(&f);                                         \
		fixture_teardown(&f);                                        \
	}                                                                    \
	TEST(tname##_mock_domain)                                            \
	{                                                                    \
		struct fixture f;                                            \
		fixture_setup(&f, 1);                                        \
		vt_body_##tname(&f);                                         \
		fixture_teardown(&f);                                        \
	}                                                                    \
	TEST(tname##_two_domains)                                            \
	{                                                                    \
		struct fixture f;                                            \
		fixture_setup(&f, 2);                                        \
		vt_body_##tname(&f);                                         \
		fixture_teardown(&f);                                        \
	}                                                                    \
	static void vt_body_##tname(struct fixture *self)

/* Small wrappers used all over the suite. */
int t_ioas_alloc(int fd, uint32_t *ioas_id);
/* IOMMU_IOAS_MAP at a fixed iova (flags FIXED_IOVA|READ|WRITE). */
int t_ioas_map_fixed(int fd, uint32_t ioas_id, void *buf, uint64_t len,
		     uint64_t iova);
/* IOMMU_IOAS_MAP with an allocated iova, returned in *iova. */
int t_ioas_map(int fd, uint32_t ioas_id, void *buf, uint64_t len,
	       uint64_t *iova);
int t_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len,
		 uint64_t *unmapped);
int t_destroy(int fd, uint32_t id);
/* IOMMU_TEST_OP_MOCK_DOMAIN on @ioas_id. */
int t_mock_domain(int fd, uint32_t ioas_id, uint32_t *stdev_id,
		  uint32_t *hwpt_id, uint32_t *device_id);

/* An anonymous mapping of @len bytes (aborts the test on failure). */
void *t_buffer(size_t len);

#endif
