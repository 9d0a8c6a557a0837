/*
 * gen_corpus.c - writes the committed seed corpus of the fuzz targets
 * (tests/fuzz/corpus/<target>/), so a seed is described by the code that
 * made it rather than by its bytes.  Not part of the build:
 *   cc -I include -I include/uapi -I src tests/fuzz/gen_corpus.c -o gen
 *   ./gen tests/fuzz/corpus
 * Object ids in the ioctl seeds assume the preamble's allocation order
 * (IOAS 1; mock domain: stdev 2, idev 3, hwpt 4; second: stdev 5, idev 6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioctl_cmds.h"
#include "core/remote.h"

static uint8_t out[4096];
static size_t out_len;

static void emit(const void *p, size_t n)
{
	if (out_len + n > sizeof(out))
		abort();
	memcpy(out + out_len, p, n);
	out_len += n;
}

static void save(const char *dir, const char *target, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f)) {
		perror(path);
		exit(1);
	}
	out_len = 0;
}

/* ---- fuzz_ioctl_seq ------------------------------------------------------ */

static uint8_t cmd_index(unsigned long nr)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].nr == nr && cmds[i].kind != ARG_NONE)
			return (uint8_t)i;
	abort();
}

/* size_sel 0 (sizeof), struct in the middle of the sandbox */
static void rec(unsigned long nr, uint8_t ptr_sel, const void *s, size_t n)
{
	uint8_t hdr[5] = { cmd_index(nr), 0, ptr_sel, 0, (uint8_t)n };

	emit(hdr, 5);
	emit(s, n);
}

static void rec_int(unsigned long nr, uint8_t v)
{
	uint8_t hdr[6] = { cmd_index(nr), 0, 0, 0, 1, v };

	emit(hdr, 6);
}

static void rec_read(uint8_t count8)
{
	uint8_t hdr[7] = { (uint8_t)(NCMDS - 6), 0, 0, 0, 2, count8, 0 };

	emit(hdr, 7);
}

static void test_cmd(struct iommu_test_cmd *t, uint8_t ptr_sel)
{
	t->size = sizeof(*t);
	rec(IOMMU_TEST_CMD, ptr_sel, t, sizeof(*t));
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA
#define PRE(mask) do { uint8_t m = (mask); emit(&m, 1); } while (0)

static void ioctl_seeds(const char *dir)
{
	const char *t = "fuzz_ioctl_seq";

	{	/* map, ranges, unmap, destroy a busy IOAS */
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW,
			.ioas_id = 1, .user_va = 4, .length = 2 * PAGE };
		struct iommu_ioas_iova_ranges r = { .size = sizeof(r),
			.ioas_id = 1, .num_iovas = 4, .allowed_iovas = 0x9000 };
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = 1,
			.length = ~0ull };
		struct iommu_destroy d = { .size = sizeof(d), .id = 1 };

		PRE(0x0f);
		rec(IOMMU_IOAS_ALLOC, 0, &a, sizeof(a));
		rec(IOMMU_IOAS_MAP, 1, &m, sizeof(m));
		rec(IOMMU_IOAS_IOVA_RANGES, 0, &r, sizeof(r));
		rec(IOMMU_IOAS_UNMAP, 0, &u, sizeof(u));
		rec(IOMMU_DESTROY, 0, &d, sizeof(d));
		save(dir, t, "map_unmap");
	}
	{	/* access object: rw and pages through a mapped IOAS */
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS,
			.id = 1 };
		PRE(0x07);
		test_cmd(&c, 0);
		for (uint32_t fd = 3; fd < 8; fd++) {
			struct iommu_test_cmd rw = { .op = IOMMU_TEST_OP_ACCESS_RW,
				.id = fd };
			struct iommu_test_cmd p = { .op = IOMMU_TEST_OP_ACCESS_PAGES,
				.id = fd };

			rw.access_rw.iova = 1 << 20;
			rw.access_rw.length = 64;
			rw.access_rw.uptr = 5;
			rw.access_rw.flags = MOCK_ACCESS_RW_WRITE;
			test_cmd(&rw, 1);
			p.access_pages.iova = 1 << 20;
			p.access_pages.length = PAGE;
			p.access_pages.uptr = 0;
			test_cmd(&p, 1);
		}
		save(dir, t, "access");
	}
	{	/* dirty tracking on a new hwpt */
		struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = 3,
			.pt_id = 1, .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
		struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
			.hwpt_id = 5, .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
		struct iommu_test_cmd d = { .op = IOMMU_TEST_OP_DIRTY, .id = 5 };
		struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g),
			.hwpt_id = 5, .iova = 1 << 20, .length = 4 * PAGE,
			.page_size = PAGE, .data = 0x9000 };

		d.dirty.iova = 1 << 20;
		d.dirty.length = 4 * PAGE;
		d.dirty.page_size = PAGE;
		d.dirty.uptr = 0x9000;
		PRE(0x07);
		rec(IOMMU_HWPT_ALLOC, 0, &h, sizeof(h));
		rec(IOMMU_HWPT_SET_DIRTY_TRACKING, 0, &s, sizeof(s));
		test_cmd(&d, 0);
		rec(IOMMU_HWPT_GET_DIRTY_BITMAP, 0, &g, sizeof(g));
		save(dir, t, "dirty");
	}
	{	/* nesting: parent, nested, invalidate, viommu, vdevice, veventq */
		struct iommu_hwpt_alloc p = { .size = sizeof(p), .dev_id = 3,
			.pt_id = 1, .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
		struct iommu_hwpt_alloc n = { .size = sizeof(n), .dev_id = 3,
			.pt_id = 5, .data_type = IOMMU_HWPT_DATA_SELFTEST,
			.data_len = 4, .data_uptr = 0x9000 };
		struct iommu_hwpt_invalidate inv = { .size = sizeof(inv),
			.hwpt_id = 6, .data_uptr = 0x9000,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			.entry_len = 12, .entry_num = 1 };
		struct iommu_viommu_alloc v = { .size = sizeof(v),
			.type = IOMMU_VIOMMU_TYPE_SELFTEST, .dev_id = 3,
			.hwpt_id = 5 };
		struct iommu_vdevice_alloc vd = { .size = sizeof(vd),
			.viommu_id = 7, .dev_id = 3, .virt_id = 0x10 };
		struct iommu_veventq_alloc q = { .size = sizeof(q),
			.viommu_id = 7, .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
			.veventq_depth = 4 };
		struct iommu_test_cmd ev = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT,
			.id = 3 };

		ev.trigger_vevent.dev_id = 3;
		PRE(0x07);
		rec(IOMMU_HWPT_ALLOC, 0, &p, sizeof(p));
		rec(IOMMU_HWPT_ALLOC, 0, &n, sizeof(n));
		rec(IOMMU_HWPT_INVALIDATE, 0, &inv, sizeof(inv));
		rec(IOMMU_VIOMMU_ALLOC, 0, &v, sizeof(v));
		rec(IOMMU_VDEVICE_ALLOC, 0, &vd, sizeof(vd));
		rec(IOMMU_VEVENTQ_ALLOC, 0, &q, sizeof(q));
		test_cmd(&ev, 0);
		rec_read(8);
		rec_read(16);
		save(dir, t, "nested_viommu");
	}
	{	/* fault queue, a faultable nested hwpt, an IOPF, read it */
		struct iommu_fault_alloc f = { .size = sizeof(f) };
		struct iommu_hwpt_alloc p = { .size = sizeof(p), .dev_id = 3,
			.pt_id = 1, .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
		struct iommu_hwpt_alloc n = { .size = sizeof(n), .dev_id = 3,
			.pt_id = 6, .data_type = IOMMU_HWPT_DATA_SELFTEST,
			.data_len = 4, .data_uptr = 0x9000, .fault_id = 5,
			.flags = IOMMU_HWPT_FAULT_ID_VALID };
		struct iommu_test_cmd r = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
			.id = 2 };
		struct iommu_test_cmd iopf = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };

		r.mock_domain_replace.pt_id = 7;
		iopf.trigger_iopf.dev_id = 3;
		iopf.trigger_iopf.grpid = 1;
		iopf.trigger_iopf.perm = 1;
		iopf.trigger_iopf.addr = 1 << 20;
		PRE(0x03);
		rec(IOMMU_FAULT_QUEUE_ALLOC, 0, &f, sizeof(f));
		rec(IOMMU_HWPT_ALLOC, 0, &p, sizeof(p));
		rec(IOMMU_HWPT_ALLOC, 0, &n, sizeof(n));
		test_cmd(&r, 0);
		test_cmd(&iopf, 0);
		rec_read(8);
		save(dir, t, "fault");
	}
	{	/* VFIO type1 compatibility */
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = 4, .iova = 1 << 20, .size = 2 * PAGE };
		struct vfio_iommu_type1_info i = { .argsz = sizeof(i) };
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
			.iova = 1 << 20, .size = 2 * PAGE };

		PRE(0x00);
		rec_int(VFIO_GET_API_VERSION, 0);
		rec_int(VFIO_CHECK_EXTENSION, 3);
		rec_int(VFIO_SET_IOMMU, 3);
		rec(VFIO_IOMMU_MAP_DMA, 1, &m, sizeof(m));
		rec(VFIO_IOMMU_GET_INFO, 0, &i, sizeof(i));
		rec(VFIO_IOMMU_UNMAP_DMA, 0, &u, sizeof(u));
		save(dir, t, "vfio_compat");
	}
	{	/* MAP_FILE of the memfd, COPY to a second IOAS, options */
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW,
			.ioas_id = 1, .length = 4 * PAGE };
		struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW,
			.dst_ioas_id = 2, .src_ioas_id = 1, .length = 2 * PAGE };
		struct iommu_option o = { .size = sizeof(o),
			.option_id = IOMMU_OPTION_HUGE_PAGES,
			.op = IOMMU_OPTION_OP_SET, .object_id = 1 };
		struct iommu_option g = { .size = sizeof(g),
			.option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_GET };

		PRE(0x01);
		rec(IOMMU_IOAS_ALLOC, 0, &a, sizeof(a));
		rec(IOMMU_OPTION, 0, &o, sizeof(o));
		rec(IOMMU_OPTION, 0, &g, sizeof(g));
		rec(IOMMU_IOAS_MAP_FILE, 0, &mf, sizeof(mf));
		rec(IOMMU_IOAS_COPY, 0, &c, sizeof(c));
		save(dir, t, "map_file_copy");
	}
	{	/* hw info, then malformed calls: sizes, places, numbers */
		struct iommu_hw_info h = { .size = sizeof(h), .dev_id = 3,
			.data_len = 64, .data_uptr = 0x9000 };
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		uint8_t hdr[5];

		PRE(0x03);
		rec(IOMMU_GET_HW_INFO, 0, &h, sizeof(h));
		for (uint8_t sel = 1; sel < 5; sel++) {
			hdr[0] = cmd_index(IOMMU_IOAS_ALLOC);
			hdr[1] = sel;
			hdr[2] = 0;
			hdr[3] = sel % 3;
			hdr[4] = sizeof(a);
			emit(hdr, 5);
			emit(&a, sizeof(a));
		}
		for (size_t i = NCMDS - 4; i < NCMDS; i++) {
			hdr[0] = (uint8_t)i;
			hdr[1] = 0;
			hdr[2] = 0;
			hdr[3] = 0;
			hdr[4] = sizeof(a);
			emit(hdr, 5);
			emit(&a, sizeof(a));
		}
		save(dir, t, "hw_info_malformed");
	}
}

/* ---- fuzz_pt_walk ------------------------------------------------------- */

static void pt_rec(uint8_t op, uint64_t a, uint64_t b, uint8_t sel)
{
	emit(&op, 1);
	emit(&a, 8);
	emit(&b, 8);
	emit(&sel, 1);
}

static void pt_seeds(const char *dir)
{
	char name[64];

	for (uint8_t f = 0; f < 16; f++) {
		uint8_t hdr[2] = { f, 0 };

		emit(hdr, 2);
		pt_rec(0, 0x200000, 0x400000, 0xc0);	/* 4 KiB, RW */
		pt_rec(0, 0x40000000, 0x80000000, 0xc9); /* big, aligned */
		pt_rec(0, 0x10000000, 0x20000000, 0x44); /* 64 KiB, R */
		pt_rec(2, 0x40001000, 0x123, 0);
		pt_rec(3, 0x40000000, 0, 0);
		pt_rec(4, 0, 0, 0x1f);
		pt_rec(1, 0x40003000, 0, 0x01);		/* split a big leaf */
		pt_rec(5, 0x40000000, 0, 0x09);
		pt_rec(6, 0x10002000, 0, 0);
		pt_rec(1, 0, 0, 0x2f);			/* raw, out of range */
		snprintf(name, sizeof(name), "ops_fmt%02u", f);
		save(dir, "fuzz_pt_walk", name);
	}
	for (uint8_t f = 0; f < 16; f += 3) {
		uint8_t hdr[2] = { f, 0x80 };
		uint64_t mem[64] = { 0 };

		/* root entry 0 -> offset 0x100, a few plausible entries */
		mem[0] = 0x100 | 0x3;
		mem[1] = 0x200 | 0x7 | (1ull << 7);
		mem[32] = 0x100 | 0x1;
		mem[33] = 0xfff0000000000003ull;
		mem[40] = 0x1000 | 0x63;
		emit(hdr, 2);
		emit(mem, sizeof(mem));
		snprintf(name, sizeof(name), "raw_fmt%02u", f);
		save(dir, "fuzz_pt_walk", name);
	}
}

/* ---- fuzz_remote_proto ------------------------------------------------- */

static void remote_seeds(const char *dir)
{
	const char *t = "fuzz_remote_proto";
	struct remote_wire_req req = { .op = REMOTE_OP_IOCTL, .handle = 1,
		.cmd = IOMMU_IOAS_MAP, .arg = 0x1000 };
	struct remote_wire_rep rep = { .ret = 0 };
	uint8_t sel;

	sel = 0;
	emit(&sel, 1);
	emit(&req, REMOTE_REQ_HDR);
	save(dir, t, "req_ioctl");

	req.nfds = 2;
	req.fds[0] = (struct remote_wire_fd){ .fd = 7, .kind = REMOTE_FD_KERNEL };
	req.fds[1] = (struct remote_wire_fd){ .fd = 9, .kind = REMOTE_FD_FILE,
					      .handle = 3 };
	sel = 1 << 1;
	emit(&sel, 1);
	emit(&req, REMOTE_REQ_HDR + 2 * sizeof(req.fds[0]));
	save(dir, t, "req_fds");

	memset(&req, 0, sizeof(req));
	req.op = REMOTE_OP_FORK;
	emit(&sel, 1);
	emit(&req, REMOTE_REQ_HDR);
	save(dir, t, "req_fork");

	req.op = REMOTE_OP_IOCTL;
	req.flags = REMOTE_REQ_BORROWED;
	req.cmd = IOMMU_IOAS_MAP_FILE;
	req.nfds = 1;
	req.fds[0] = (struct remote_wire_fd){ .fd = 5, .kind = REMOTE_FD_KERNEL };
	emit(&sel, 1);
	emit(&req, REMOTE_REQ_HDR + sizeof(req.fds[0]));
	save(dir, t, "req_borrowed");

	sel = 1;
	rep.ret = -22;
	emit(&sel, 1);
	emit(&rep, REMOTE_REP_HDR);
	save(dir, t, "rep_err");

	sel = 1 | (2 << 1);
	rep.ret = 5;
	rep.nfiles = 2;
	rep.files[0] = (struct remote_wire_file){ .handle = 4, .host_fd = 8 };
	rep.files[1] = (struct remote_wire_file){ .handle = 5, .host_fd = 9 };
	emit(&sel, 1);
	emit(&rep, REMOTE_REP_HDR + 2 * sizeof(rep.files[0]));
	save(dir, t, "rep_files");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	ioctl_seeds(argv[1]);
	pt_seeds(argv[1]);
	remote_seeds(argv[1]);
	return 0;
}
