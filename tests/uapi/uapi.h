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
/* mmap()/munmap() through the front end (uiommu_mmap/uiommu_munmap). */
void *t_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int t_munmap(void *addr, size_t len);
/* pread/pwrite of a device fd (its VFIO regions), either front end. */
ssize_t t_pread(int fd, void *buf, size_t n, off_t off);
ssize_t t_pwrite(int fd, const void *buf, size_t n, off_t off);
/* VFIO_DEVICE_BIND_IOMMUFD / ATTACH_IOMMUFD_PT / DETACH_IOMMUFD_PT;
 * NULL outputs are skipped. */
int t_dev_bind(int dfd, int ifd, uint32_t *devid);
int t_dev_attach(int dfd, uint32_t pt_id, uint32_t *out);
int t_dev_detach(int dfd);
/* VFIO_DEVICE_SET_IRQS: @efd (-1: none) triggers vector 0 of irq @index. */
int t_dev_set_irq(int dfd, uint32_t index, int32_t efd);
/* The DMA engine (include/uiommu/emu.h): 8-byte register access, checked. */
void t_reg_write(int dfd, uint64_t off, uint64_t v);
uint64_t t_reg_read(int dfd, uint64_t off);
/* One copy command of @len bytes from @src to @dst: the STATUS after it. */
uint32_t t_dma_copy(int dfd, uint64_t src, uint64_t dst, uint64_t len);
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

/*
 * Lose CAP_IPC_LOCK from the effective set, as the kernel selftest does, so
 * that pinned pages are accounted (the test runs forked: it stays there).
 */
void t_drop_ipc_lock(void);
/*
 * A kB field of /proc/@pid/status ("VmPin", "VmLck") in pages, or -1 when
 * the kernel does not show it.
 */
long t_status_pages(pid_t pid, const char *field);

/* Small wrappers used all over the suite. */
int t_ioas_alloc(int fd, uint32_t *ioas_id);
/* IOMMU_IOAS_MAP at a fixed iova (flags FIXED_IOVA|READ|WRITE). */
int t_ioas_map_fixed(int fd, uint32_t ioas_id, void *buf, uint64_t len,
		     uint64_t iova);
/* IOMMU_IOAS_MAP with an allocated iova, returned in *iova. */
int t_ioas_map(int fd, uint32_t ioas_id, void *buf, uint64_t len,
	       uint64_t *iova);
/* IOMMU_IOAS_MAP_FILE (read/write) with an allocated iova, in *iova. */
int t_ioas_map_file(int fd, uint32_t ioas_id, int mfd, uint64_t start,
		    uint64_t len, uint64_t *iova);
int t_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len,
		 uint64_t *unmapped);
int t_destroy(int fd, uint32_t id);
/* IOMMU_TEST_OP_MOCK_DOMAIN on @ioas_id. */
int t_mock_domain(int fd, uint32_t ioas_id, uint32_t *stdev_id,
		  uint32_t *hwpt_id, uint32_t *device_id);

/* An id no object has. */
#define NO_ID 9999u

/* iommufd opened O_RDWR (aborts the test on failure). */
int t_open_iommufd(void);

/* IOMMU_TEST_CMD; sets cmd->size. */
int t_test_cmd(int fd, struct iommu_test_cmd *cmd);
/* IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS on @pt_id; NULL outputs are skipped. */
int t_mock_domain_flags(int fd, uint32_t pt_id, uint32_t flags,
			uint32_t *stdev_id, uint32_t *hwpt_id,
			uint32_t *idev_id);
/* IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE; *hwpt_id (if set) gets the HWPT used. */
int t_mock_replace(int fd, uint32_t stdev_id, uint32_t pt_id,
		   uint32_t *hwpt_id);
/* IOMMU_TEST_OP_MD_CHECK_MAP: @hwpt_id maps [iova, iova + length) to @uptr. */
int t_check_map(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t length,
		const void *uptr);
/* IOMMU_TEST_OP_MD_CHECK_REFS: every page of @uptr has @refs pins. */
int t_check_refs(int fd, const void *uptr, uint64_t length, uint32_t refs);
int t_check_iotlb(int fd, uint32_t hwpt_id, uint32_t iotlb_id,
		  uint32_t iotlb);
int t_check_dev_cache(int fd, uint32_t idev_id, uint32_t cache_id,
		      uint32_t cache);
int t_add_reserved(int fd, uint32_t ioas_id, uint64_t start,
		   uint64_t length);
/* IOMMU_TEST_OP_CREATE_ACCESS; *afd gets the access fd. */
int t_create_access(int fd, uint32_t ioas_id, uint32_t flags, int *afd);
/* IOMMU_TEST_OP_ACCESS_PAGES; *id (if set) gets the pages id. */
int t_access_pages(int fd, int afd, uint64_t iova, uint64_t length,
		   const void *uptr, uint32_t flags, uint32_t *id);
int t_destroy_access_pages(int fd, int afd, uint32_t id);
/* IOMMU_TEST_OP_ACCESS_RW; @flags are MOCK_ACCESS_RW_*. */
int t_access_rw(int fd, int afd, uint64_t iova, uint64_t length, void *uptr,
		uint32_t flags);

/* IOMMU_HWPT_ALLOC with every field; *hwpt_id (if set) gets the id. */
int t_hwpt_alloc_full(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		      uint32_t fault_id, uint32_t data_type, const void *data,
		      uint32_t data_len, uint32_t *hwpt_id);
/* IOMMU_HWPT_ALLOC with driver data and no fault queue. */
int t_hwpt_alloc_data(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		      uint32_t *hwpt_id, uint32_t data_type, const void *data,
		      uint32_t data_len);
/* IOMMU_HWPT_INVALIDATE of @id; *num in: entry_num, out: entries handled. */
int t_hwpt_invalidate(int fd, uint32_t id, const void *reqs,
		      uint32_t data_type, uint32_t entry_len, uint32_t *num);
/* A paging HWPT (IOMMU_HWPT_DATA_NONE). */
int t_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		 uint32_t *hwpt_id);
/* A nested mock HWPT (IOMMU_HWPT_DATA_SELFTEST, IOMMU_TEST_IOTLB_DEFAULT). */
int t_nested_alloc(int fd, uint32_t dev_id, uint32_t parent_id,
		   uint32_t flags, uint32_t *hwpt_id);

/* An anonymous mapping of @len bytes (aborts the test on failure). */
void *t_buffer(size_t len);

#endif
