/*
 * remote.h - emulated files served to other processes (docs/remote.md).
 *
 * The process that installs a file owns it (its owner record) and serves it
 * to every other process holding an fd to it.  Today those are its forked
 * descendants: at fork() the parent makes one SOCK_SEQPACKET connection per
 * owner for the child, with the child's references already taken, so no
 * window exists in which the owner could drop a file the child holds.
 *
 * Wire protocol (one request, one reply, per connection in turn):
 *   request  struct remote_wire_req, cut after fds[nfds]; SCM_RIGHTS carries
 *            one kernel fd per REMOTE_FD_KERNEL entry (in order) and, for
 *            REMOTE_OP_FORK, the new connection; SCM_CREDENTIALS (added by
 *            the kernel, SO_PASSCRED) names the client's pid.
 *   reply    struct remote_wire_rep, cut after files[nfiles]; SCM_RIGHTS
 *            carries each new file's kernel fd, in order.
 * Both sides decode with the pure functions below, which take a byte
 * buffer (fuzzable without a transport).
 */
#ifndef UIOMMU_CORE_REMOTE_H
#define UIOMMU_CORE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/file.h"

enum remote_op {
	REMOTE_OP_IOCTL = 1,	/* cmd: ioctl number, arg: its argument */
	REMOTE_OP_READ,		/* cmd: count, arg: buffer */
	REMOTE_OP_WRITE,	/* cmd: count, arg: buffer */
	REMOTE_OP_CLOSE,	/* the client's last fd on handle is gone */
	REMOTE_OP_FORK,		/* a new connection with all our references */
	REMOTE_OP_PREAD,	/* cmd: count, arg: buffer, off: offset */
	REMOTE_OP_PWRITE,	/* cmd: count, arg: buffer, off: offset */
	REMOTE_OP_MAX,
};

enum remote_fd_kind {
	REMOTE_FD_KERNEL = 1,	/* a kernel fd, passed with SCM_RIGHTS */
	REMOTE_FD_FILE,		/* an emulated file of the same owner */
	/*
	 * The io_uring of the client's IOMMU_IOAS_CHANGE_PROCESS: the owner
	 * takes it with pidfd_getfd() (SCM_RIGHTS refuses io_uring files).
	 */
	REMOTE_FD_RING,
};

#define REMOTE_MAX_FDS 4
#define REMOTE_MAX_FILES 4

struct remote_wire_fd {
	int32_t fd;		/* the number in the client's struct */
	uint32_t kind;		/* enum remote_fd_kind */
	uint64_t handle;	/* REMOTE_FD_FILE: its handle */
};

/* IOMMU_IOAS_MAP_FILE standing for the client's IOMMU_IOAS_MAP, or its
 * VFIO_IOMMU_MAP_DMA with the memory in file form (UACCESS_FD_TYPE1_SOURCE) */
#define REMOTE_REQ_BORROWED (1u << 0)
/* IOMMU_IOAS_MAP of shared memory the owner maps at the same addresses */
#define REMOTE_REQ_SHARED (1u << 1)
/* The REMOTE_FD_RING ring charges the client's user (no CAP_IPC_LOCK) */
#define REMOTE_REQ_RING_CHARGED (1u << 2)

struct remote_wire_req {
	uint32_t op;		/* enum remote_op */
	uint32_t nfds;		/* entries of fds[] sent */
	uint32_t flags;		/* REMOTE_REQ_* */
	uint32_t __reserved;
	uint64_t handle;	/* the file the call is on */
	uint64_t cmd;
	uint64_t arg;
	uint64_t off;		/* REMOTE_OP_PREAD/PWRITE: the file offset */
	struct remote_wire_fd fds[REMOTE_MAX_FDS];
};

struct remote_wire_file {
	uint64_t handle;
	int32_t host_fd;	/* the number the owner wrote in the struct */
	uint32_t __reserved;
};

struct remote_wire_rep {
	int64_t ret;		/* >= 0 or -errno */
	uint32_t nfiles;	/* entries of files[] sent */
	/* IOMMU_IOAS_CHANGE_PROCESS: MM-mode pages the client now pays for */
	uint32_t mm_adopt;
	struct remote_wire_file files[REMOTE_MAX_FILES];
};

#define REMOTE_REQ_HDR offsetof(struct remote_wire_req, fds)
#define REMOTE_REP_HDR offsetof(struct remote_wire_rep, files)

/*
 * Check @len bytes of @buf, received with @nkfds kernel fds, as a request
 * and copy it to @req (entries past nfds zeroed).  0 or -EPROTO.
 */
int remote_req_decode(const void *buf, size_t len, unsigned int nkfds,
		      struct remote_wire_req *req);
/* The same for a reply. */
int remote_rep_decode(const void *buf, size_t len, unsigned int nkfds,
		      struct remote_wire_rep *rep);

struct remote_owner;
extern struct remote_owner *remote_self;

/* This process's owner record (made on first use), or NULL for -ENOMEM. */
struct remote_owner *remote_owner_self(void);

/* Is @f served by another process? */
static inline bool ufile_is_remote(const struct ufile *f)
{
	return f->owner != remote_self;
}

/* The calls of the library front end on a remote file: as ufile_ops. */
long remote_ioctl(struct ufile *f, unsigned long cmd, void *arg);
ssize_t remote_read(struct ufile *f, void *buf, size_t count);
ssize_t remote_write(struct ufile *f, const void *buf, size_t count);
/* pread/pwrite (device regions) of a remote file, at @off. */
ssize_t remote_pread(struct ufile *f, void *buf, size_t count, uint64_t off);
ssize_t remote_pwrite(struct ufile *f, const void *buf, size_t count,
		      uint64_t off);
/* Our last fd on remote @f is gone: drop our reference at the owner. */
void remote_file_release(struct ufile *f);

/*
 * exec (the shim's exec wrappers).  Before exec: the value of UIOMMU_EXEC
 * naming every remote file that survives exec (FD_CLOEXEC clear) and the
 * connection carrying it (its FD_CLOEXEC cleared; files this process owns
 * are handed to a keeper first, so they are remote too), or NULL when there is
 * none (or no memory); the caller frees it.  If exec fails, undo with
 * remote_exec_abort().  In the new image: remote_exec_import() installs
 * those files again from the value (ignored unless written by this very
 * process) and drops the references of files exec closed; the number of
 * fds installed, or -errno for a malformed value.
 */
/*
 * The process is exiting (exit() calls this from a destructor, the shim's
 * _exit() wrappers directly): if other processes hold files it owns, a
 * keeper process takes them over and serves them (remote.c, "handover").
 * Exec does the same from remote_exec_export() for files whose fds
 * survive exec.
 */
void remote_exit(void);
char *remote_exec_export(void);
void remote_exec_abort(void);
int remote_exec_import(const char *val);

/* From file.c's fork handlers: quiesce before the fd table is locked. */
/*
 * Drop the references held by connections whose client has gone (called
 * when an fd is closed, so a parent that reaped its child sees the child's
 * references gone, as with the kernel).  No-op until a child was served.
 */
void remote_reap_hangups(void);
void remote_fork_quiesce(void);
/* Is this fork the one that makes a keeper (see remote_handover())? */
bool remote_fork_is_keeper(void);
/* The rest with the fd table locked; parent/child end the quiesce. */
void remote_fork_prepare(void);
void remote_fork_parent(void);
void remote_fork_child(void);

#endif
