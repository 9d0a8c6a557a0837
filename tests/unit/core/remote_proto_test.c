/*
 * remote_proto_test.c - the remote protocol's pure decoders
 * (src/core/remote.h): each rule of a request and a reply, accepted and
 * refused, from byte buffers as a fuzzer would feed them.
 */
#include <linux/iommufd.h>
#include <string.h>

#include "core/remote.h"
#include "harness.h"

static size_t req_len(unsigned int nfds)
{
	return REMOTE_REQ_HDR + nfds * sizeof(struct remote_wire_fd);
}

static struct remote_wire_req ioctl_req(void)
{
	struct remote_wire_req r = {
		.op = REMOTE_OP_IOCTL,
		.handle = 0x1234,
		.cmd = IOMMU_IOAS_ALLOC,
		.arg = 0x1000,
	};

	return r;
}

TEST(remote_req_decode_accepts_well_formed)
{
	struct remote_wire_req in = ioctl_req(), out;

	memset(&out, 0xa5, sizeof(out));
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), 0);
	CHECK_EQ(out.op, REMOTE_OP_IOCTL);
	CHECK_EQ(out.handle, 0x1234);
	/* Entries past nfds read as zero. */
	CHECK_EQ(out.fds[0].kind, 0);
	in.nfds = 2;
	in.fds[0].kind = REMOTE_FD_KERNEL;
	in.fds[1].kind = REMOTE_FD_FILE;
	CHECK_EQ(remote_req_decode(&in, req_len(2), 1, &out), 0);
	CHECK_EQ(out.nfds, 2);
	/* pread/pwrite carry their offset. */
	in = ioctl_req();
	in.op = REMOTE_OP_PWRITE;
	in.off = 2ull << 40;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), 0);
	CHECK_EQ(out.op, REMOTE_OP_PWRITE);
	CHECK_EQ(out.off, 2ull << 40);
}

TEST(remote_req_decode_refuses_bad_lengths)
{
	struct remote_wire_req in = ioctl_req(), out;
	unsigned char big[sizeof(in) + 8] = { 0 };

	CHECK_EQ(remote_req_decode(&in, 0, 0, &out), -EPROTO);
	CHECK_EQ(remote_req_decode(&in, REMOTE_REQ_HDR - 1, 0, &out),
		 -EPROTO);
	/* The length must be exactly the header plus nfds entries. */
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), -EPROTO);
	in.nfds = REMOTE_MAX_FDS + 1;
	CHECK_EQ(remote_req_decode(&in, sizeof(in), 0, &out), -EPROTO);
	memcpy(big, &in, sizeof(in));
	CHECK_EQ(remote_req_decode(big, sizeof(big), 0, &out), -EPROTO);
}

TEST(remote_req_decode_refuses_bad_fields)
{
	struct remote_wire_req in = ioctl_req(), out;

	in.op = 0;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in.op = REMOTE_OP_MAX;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in = ioctl_req();
	in.flags = 1u << 7;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in.flags = 0;
	in.__reserved = 1;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in = ioctl_req();
	in.nfds = 1;
	in.fds[0].kind = 7;
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), -EPROTO);
}

TEST(remote_req_decode_counts_passed_fds)
{
	struct remote_wire_req in = ioctl_req(), out;

	in.nfds = 1;
	in.fds[0].kind = REMOTE_FD_KERNEL;
	CHECK_EQ(remote_req_decode(&in, req_len(1), 1, &out), 0);
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), -EPROTO);
	CHECK_EQ(remote_req_decode(&in, req_len(1), 2, &out), -EPROTO);
	in.fds[0].kind = REMOTE_FD_FILE;
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), 0);
	CHECK_EQ(remote_req_decode(&in, req_len(1), 1, &out), -EPROTO);
	/* FORK carries exactly its connection, and no entries. */
	in = ioctl_req();
	in.op = REMOTE_OP_FORK;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 1, &out), 0);
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in.nfds = 1;
	in.fds[0].kind = REMOTE_FD_FILE;
	CHECK_EQ(remote_req_decode(&in, req_len(1), 1, &out), -EPROTO);
}

TEST(remote_req_decode_map_flags_belong_to_maps)
{
	struct remote_wire_req in = ioctl_req(), out;

	in.flags = REMOTE_REQ_BORROWED;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in.cmd = IOMMU_IOAS_MAP_FILE;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), 0);
	in.flags = REMOTE_REQ_SHARED;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in.cmd = IOMMU_IOAS_MAP;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), 0);
	in.op = REMOTE_OP_READ;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
}

TEST(remote_req_decode_a_ring_only_with_change_process)
{
	struct remote_wire_req in = ioctl_req(), out;

	in.nfds = 1;
	in.fds[0].kind = REMOTE_FD_RING;
	in.fds[0].fd = 5;
	/* Not SCM_RIGHTS: the owner takes the ring by number. */
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), -EPROTO);
	in.cmd = IOMMU_IOAS_CHANGE_PROCESS;
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), 0);
	CHECK_EQ(remote_req_decode(&in, req_len(1), 1, &out), -EPROTO);
	in.flags = REMOTE_REQ_RING_CHARGED;
	CHECK_EQ(remote_req_decode(&in, req_len(1), 0, &out), 0);
	/* One ring at most. */
	in.nfds = 2;
	in.fds[1] = in.fds[0];
	CHECK_EQ(remote_req_decode(&in, req_len(2), 0, &out), -EPROTO);
	/* The charged flag goes with CHANGE_PROCESS alone. */
	in = ioctl_req();
	in.flags = REMOTE_REQ_RING_CHARGED;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
	in.cmd = IOMMU_IOAS_CHANGE_PROCESS;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), 0);
	in.op = REMOTE_OP_WRITE;
	CHECK_EQ(remote_req_decode(&in, req_len(0), 0, &out), -EPROTO);
}

TEST(remote_rep_decode_rules)
{
	struct remote_wire_rep in = { .ret = -ENOENT }, out;
	size_t hdr = REMOTE_REP_HDR, ent = sizeof(in.files[0]);

	CHECK_EQ(remote_rep_decode(&in, hdr, 0, &out), 0);
	CHECK_EQ(out.ret, -ENOENT);
	CHECK_EQ(remote_rep_decode(&in, hdr - 1, 0, &out), -EPROTO);
	CHECK_EQ(remote_rep_decode(&in, hdr, 1, &out), -EPROTO);
	in.nfiles = 1;
	CHECK_EQ(remote_rep_decode(&in, hdr + ent, 1, &out), 0);
	CHECK_EQ(remote_rep_decode(&in, hdr, 1, &out), -EPROTO);
	in.nfiles = REMOTE_MAX_FILES + 1;
	CHECK_EQ(remote_rep_decode(&in, sizeof(in), REMOTE_MAX_FILES + 1,
				   &out), -EPROTO);
	/* Not an errno. */
	in.nfiles = 0;
	in.ret = -100000;
	CHECK_EQ(remote_rep_decode(&in, hdr, 0, &out), -EPROTO);
}
