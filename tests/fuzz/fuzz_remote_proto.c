/*
 * fuzz_remote_proto.c - libFuzzer target for the remote wire protocol
 * decoders (src/core/remote.h): remote_req_decode and remote_rep_decode
 * on arbitrary bytes with an arbitrary count of received kernel fds.
 *
 * Input: byte 0 picks the decoder (bit 0) and the fd count (bits 1..3,
 * 0..7, beyond REMOTE_MAX_FDS + 1 on purpose); the rest is the message.
 * Besides "no crash, no sanitizer report", a successful decode must leave
 * a message the servers can trust: counts within their arrays, the
 * length matching the count, entries past the count zeroed, and the
 * kernel fd count matching what the message names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "core/remote.h"

static const struct remote_wire_fd zero_fd;
static const struct remote_wire_file zero_file;

static void check_req(const uint8_t *buf, size_t len, unsigned int nkfds)
{
	struct remote_wire_req req;
	unsigned int want = 0;

	if (remote_req_decode(buf, len, nkfds, &req))
		return;
	if (req.nfds > REMOTE_MAX_FDS ||
	    len != REMOTE_REQ_HDR + req.nfds * sizeof(req.fds[0]) ||
	    memcmp(&req, buf, len))
		abort();
	if (req.op < REMOTE_OP_IOCTL || req.op >= REMOTE_OP_MAX || req.__reserved)
		abort();
	for (unsigned int i = 0; i < REMOTE_MAX_FDS; i++) {
		if (i >= req.nfds) {
			if (memcmp(&req.fds[i], &zero_fd, sizeof(zero_fd)))
				abort();
			continue;
		}
		if (req.fds[i].kind == REMOTE_FD_KERNEL)
			want++;
		else if (req.fds[i].kind != REMOTE_FD_FILE)
			abort();
	}
	if (req.op == REMOTE_OP_FORK)
		want = 1;
	if (want != nkfds)
		abort();
}

static void check_rep(const uint8_t *buf, size_t len, unsigned int nkfds)
{
	struct remote_wire_rep rep;

	if (remote_rep_decode(buf, len, nkfds, &rep))
		return;
	if (rep.nfiles > REMOTE_MAX_FILES || rep.nfiles != nkfds ||
	    len != REMOTE_REP_HDR + rep.nfiles * sizeof(rep.files[0]) ||
	    memcmp(&rep, buf, len) || rep.ret < -4095)
		abort();
	for (unsigned int i = rep.nfiles; i < REMOTE_MAX_FILES; i++)
		if (memcmp(&rep.files[i], &zero_file, sizeof(zero_file)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nkfds;
	uint8_t *buf;

	if (size < 1)
		return 0;
	nkfds = (data[0] >> 1) & 7;
	/* An exact-size copy, so a read past the message is caught. */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		check_rep(buf, size - 1, nkfds);
	else
		check_req(buf, size - 1, nkfds);
	free(buf);
	return 0;
}
