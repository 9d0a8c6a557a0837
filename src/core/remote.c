/*
 * remote.c - serving emulated files to other processes, and calling files
 * that another process serves (docs/remote.md).
 *
 * Owner side.  A server thread, started at the first fork() that hands a
 * file to a child, waits (epoll) on one SEQPACKET connection per client
 * process.  Each connection holds references on the files its client may
 * name, by handle (struct remote_ref); a handle not in that table is
 * -EBADF, so a client reaches only files it was given.  A request runs the
 * file's ufile_ops call on the server thread with a uaccess target: user
 * pointers are the client's (process_vm_readv/writev on the pid the kernel
 * attached with SCM_CREDENTIALS), fd fields are the fds it passed.  Files
 * installed while serving (e.g. an access fd) are handed over: the client
 * gets their kernel fd, the connection a reference, and the owner's own fd
 * is dropped.  A connection's EOF (the client exited or exec'd) drops all
 * its references.
 *
 * Client side.  Every owner record the process knows has the connection
 * made for it at fork.  Calls are serialised per connection.  Struct fields
 * that carry fds are listed in remote_fd_fields[]: inputs are sent along
 * (the kernel fd itself, or the handle of an emulated file), outputs are
 * patched to the number of the fd installed here.  IOMMU_IOAS_MAP of the
 * client's private memory becomes IOMMU_IOAS_MAP_FILE: the range is moved
 * onto this process's arena memfd, where a page at address A lives at file
 * offset A (copy once, then MAP_SHARED|MAP_FIXED over the same addresses
 * with the same protections), so any range is one contiguous piece of one
 * file and the owner's mapping keeps the pages after the client is gone.
 * Shared memory is not moved (that would unshare it): its file is passed
 * when /proc/self/map_files opens it, else the owner maps its own addresses
 * once it has checked that both processes map the same file pages there
 * (REMOTE_REQ_SHARED).  Both forms are "borrowed" (REMOTE_REQ_BORROWED):
 * pages.c refuses pages of an exited client that nothing held (fork_gone).
 *
 * fork.  prepare: the owner part makes the child's connection to this
 * process (socketpair, references for every file of ours in the fd table);
 * for every other owner whose files the table holds, a REMOTE_OP_FORK
 * request gives the owner a new connection with a copy of ours.  The
 * child keeps the client ends and closes everything of the parent's server
 * and connections; the parent closes the child's ends.
 *
 * Sockets and fds received here are never in the fd table, so close(2)
 * (which the shim passes through for them) closes them, and the sanitizers
 * see them go.
 *
 * Locks: serve_lock (the server serving, or a fork in progress) -> the fd
 * table's locks -> owners_lock (the record list, held from prepare to the
 * parent/child handler) -> owner->lock (one call in flight); server_lock
 * guards the connection list and is a leaf.  A connection's references are
 * touched only by the server thread (and by prepare before it is visible).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "core/iommufd_private.h"
#include "core/remote.h"
#include "core/uaccess.h"
#include "iommufd_test.h"
#include "util/compiler.h"
#include "util/fault_inject.h"
#include "util/list.h"
#include "util/sys.h"

struct remote_owner {
	struct remote_owner *next;	/* owners, never removed */
	pid_t pid;
	int conn_fd;		/* our connection to it, -1: none (or us) */
	int fork_fd;		/* prepare..handler: the child's connection */
	bool in_table;		/* prepare: the fd table holds its files */
	pthread_mutex_t lock;	/* one call at a time on conn_fd */
};

struct remote_owner *remote_self;
static struct remote_owner *owners;
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- wire decoding (pure) ------------------------------------------------ */

int remote_req_decode(const void *buf, size_t len, unsigned int nkfds,
		      struct remote_wire_req *req)
{
	unsigned int want = 0, rings = 0;

	if (len < REMOTE_REQ_HDR || len > sizeof(*req))
		return -EPROTO;
	memset(req, 0, sizeof(*req));
	memcpy(req, buf, len);
	if (req->nfds > REMOTE_MAX_FDS ||
	    len != REMOTE_REQ_HDR + req->nfds * sizeof(req->fds[0]))
		return -EPROTO;
	if (req->op < REMOTE_OP_IOCTL || req->op >= REMOTE_OP_MAX ||
	    (req->flags & ~(REMOTE_REQ_BORROWED | REMOTE_REQ_SHARED |
			    REMOTE_REQ_RING_CHARGED)) ||
	    req->__reserved)
		return -EPROTO;
	if ((req->flags & REMOTE_REQ_BORROWED) &&
	    (req->op != REMOTE_OP_IOCTL || (req->cmd != IOMMU_IOAS_MAP_FILE &&
					    req->cmd != VFIO_IOMMU_MAP_DMA)))
		return -EPROTO;
	if ((req->flags & REMOTE_REQ_SHARED) &&
	    (req->op != REMOTE_OP_IOCTL || req->cmd != IOMMU_IOAS_MAP))
		return -EPROTO;
	for (unsigned int i = 0; i < req->nfds; i++) {
		if (req->fds[i].kind == REMOTE_FD_KERNEL)
			want++;
		else if (req->fds[i].kind == REMOTE_FD_RING)
			rings++;
		else if (req->fds[i].kind != REMOTE_FD_FILE)
			return -EPROTO;
	}
	/* A ring, and what it charges, only come with CHANGE_PROCESS. */
	if ((rings || (req->flags & REMOTE_REQ_RING_CHARGED)) &&
	    (rings > 1 || req->op != REMOTE_OP_IOCTL ||
	     req->cmd != IOMMU_IOAS_CHANGE_PROCESS))
		return -EPROTO;
	if (req->op == REMOTE_OP_FORK && req->nfds)
		return -EPROTO;
	if (req->op == REMOTE_OP_FORK)
		want = 1;
	return nkfds == want ? 0 : -EPROTO;
}

int remote_rep_decode(const void *buf, size_t len, unsigned int nkfds,
		      struct remote_wire_rep *rep)
{
	if (len < REMOTE_REP_HDR || len > sizeof(*rep))
		return -EPROTO;
	memset(rep, 0, sizeof(*rep));
	memcpy(rep, buf, len);
	if (rep->nfiles > REMOTE_MAX_FILES ||
	    len != REMOTE_REP_HDR + rep->nfiles * sizeof(rep->files[0]) ||
	    rep->nfiles != nkfds)
		return -EPROTO;
	if (rep->ret < -4095)
		return -EPROTO;
	return 0;
}

/* ---- transport ----------------------------------------------------------- */

static int msg_send(int sock, const void *buf, size_t len, const int *fds,
		    unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (REMOTE_MAX_FDS + 1))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -EPIPE;
}

/*
 * Receive one message: its length, 0 at EOF, or -errno.  Up to @maxfds
 * fds land in @fds (*nfds); more, or a cut message, is -EPROTO with every
 * received fd closed.  @cred gets the sender's pid and uid when the kernel
 * says them.
 */
static ssize_t msg_recv(int sock, void *buf, size_t len, int *fds,
			unsigned int maxfds, unsigned int *nfds,
			struct ucred *cred)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (REMOTE_MAX_FDS + 1)) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	bool bad = false;
	ssize_t n;

	*nfds = 0;
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fd;

			for (size_t i = 0; i < k; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				       sizeof(fd));
				if (*nfds < maxfds)
					fds[(*nfds)++] = fd;
				else {
					close(fd);
					bad = true;
				}
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS && cred) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = true;
	if (bad) {
		while (*nfds)
			close(fds[--*nfds]);
		return -EPROTO;
	}
	return n;
}

static void close_fds(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- shared mappings ----------------------------------------------------- */

struct shared_id {
	dev_t dev;
	ino_t ino;
	uint64_t off;		/* file offset at the range's start */
	uintptr_t vma_start, vma_end;	/* the first mapping, whole */
};

/*
 * Is [start, end) of the process whose maps are at @path covered by
 * MAP_SHARED mappings of one file at contiguous offsets?  0 and @id, or
 * -ENOENT.  Neither a hole nor a private piece qualifies.
 */
static int maps_shared_id(const char *path, uintptr_t start, uintptr_t end,
			  struct shared_id *id)
{
	uintptr_t pos = start;
	char line[512];
	FILE *fp = fopen(path, "re");
	int rc = -ENOENT;

	if (!fp)
		return rc;
	while (pos < end && fgets(line, sizeof(line), fp)) {
		unsigned long s, e, off, inode;
		unsigned int maj, mnr;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &s, &e, perms,
			   &off, &maj, &mnr, &inode) != 7)
			continue;
		if (e <= pos)
			continue;
		if (s > pos || perms[3] != 's' || !inode)
			break;
		if (pos == start) {
			id->dev = makedev(maj, mnr);
			id->ino = inode;
			id->off = off + (pos - s);
			id->vma_start = s;
			id->vma_end = e;
		} else if (id->dev != makedev(maj, mnr) || id->ino != inode ||
			   id->off + (pos - start) != off + (pos - s)) {
			break;
		}
		pos = e;
	}
	fclose(fp);
	if (pos >= end)
		rc = 0;
	return rc;
}

/*
 * Owner side of REMOTE_REQ_SHARED: the caller's range of its
 * IOMMU_IOAS_MAP at @arg is shared memory we map at the same addresses
 * too (inherited over fork), so our addresses name the same pages.
 */
static bool serve_shared_ok(pid_t pid, const void *arg)
{
	struct iommu_ioas_map map;
	struct shared_id mine, theirs;
	size_t page = sysconf(_SC_PAGESIZE);
	uintptr_t s, e;
	char path[64];

	if (copy_from_user(&map, arg, sizeof(map)) || !map.length ||
	    __builtin_add_overflow(map.user_va, map.length + page - 1, &e))
		return false;
	s = map.user_va & ~(uintptr_t)(page - 1);
	e &= ~(uintptr_t)(page - 1);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	return !maps_shared_id(path, s, e, &theirs) &&
	       !maps_shared_id("/proc/self/maps", s, e, &mine) &&
	       mine.dev == theirs.dev && mine.ino == theirs.ino &&
	       mine.off == theirs.off;
}

/* ---- owner side ---------------------------------------------------------- */

struct remote_ref {
	uint64_t handle;
	struct ufile *file;
	unsigned int count;	/* references held on file */
};

struct remote_conn {
	struct list_head link;	/* server_conns */
	int fd;
	struct remote_ref *refs;
	size_t nrefs, cap;
};

static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Held by the server thread while it serves, and by fork() from before the
 * fd table lock until after: a child never inherits the core's locks
 * (ictx->lock, pages.c's) taken by a request in flight.
 */
static pthread_mutex_t serve_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_head server_conns = LIST_HEAD_INIT(server_conns);
static int server_epfd = -1;
static bool server_started;
static pthread_t server_thread;
static sem_t server_running;		/* posted once the thread runs our code */
/* An eventfd in server_epfd: written to make the server thread return. */
static int server_stop_efd = -1;
/* A keeper is being forked: the fork handlers leave the child as it is. */
static bool keeper_forking;
/* This thread holds serve_lock (serving, or reaping): no reaping again. */
static __thread bool in_serve;

static struct remote_ref *conn_ref_find(struct remote_conn *c,
					uint64_t handle)
{
	for (size_t i = 0; i < c->nrefs; i++)
		if (c->refs[i].handle == handle)
			return &c->refs[i];
	return NULL;
}

/* Take @count references on @f for @c: 0 or -ENOMEM. */
static int conn_ref_add(struct remote_conn *c, struct ufile *f,
			unsigned int count)
{
	struct remote_ref *r = conn_ref_find(c, f->handle);

	if (!r) {
		if (c->nrefs == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4;
			struct remote_ref *n =
				ufi_realloc(c->refs, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			c->refs = n;
			c->cap = cap;
		}
		r = &c->refs[c->nrefs++];
		r->handle = f->handle;
		r->file = f;
		r->count = 0;
	}
	r->count += count;
	for (unsigned int i = 0; i < count; i++)
		ufile_hold(f);
	return 0;
}

static void conn_ref_put(struct remote_conn *c, struct remote_ref *r)
{
	struct ufile *f = r->file;

	if (!--r->count)
		*r = c->refs[--c->nrefs];
	ufile_put(f);
}

/* Free @c; with @drop its references go too (the owner's side). */
static void conn_free(struct remote_conn *c, bool drop)
{
	if (drop) {
		while (c->nrefs)
			conn_ref_put(c, &c->refs[c->nrefs - 1]);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->refs);
	free(c);
}

/* Make @c (references taken, fd set) served. */
static int server_add(struct remote_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	int on = 1;

	if (setsockopt(c->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)))
		return -errno;
	pthread_mutex_lock(&server_lock);
	if (epoll_ctl(server_epfd, EPOLL_CTL_ADD, c->fd, &ev)) {
		pthread_mutex_unlock(&server_lock);
		return -errno;
	}
	list_add_tail(&c->link, &server_conns);
	pthread_mutex_unlock(&server_lock);
	return 0;
}

static void server_drop(struct remote_conn *c)
{
	pthread_mutex_lock(&server_lock);
	epoll_ctl(server_epfd, EPOLL_CTL_DEL, c->fd, NULL);
	list_del(&c->link);
	pthread_mutex_unlock(&server_lock);
	conn_free(c, true);
}

/* Hand the files made while serving @t over to @c; fills @rep/@fds. */
static void serve_export(struct remote_conn *c, struct uaccess_target *t,
			 struct remote_wire_rep *rep, int *fds)
{
	for (unsigned int i = 0; i < t->nnew; i++) {
		struct ufile *f = ufile_get(t->new_fds[i]);

		if (!f)
			continue;
		if (ufile_is_remote(f) || ufile_kfd_keep(f) ||
		    conn_ref_add(c, f, 1)) {
			ufile_put(f);
			continue;
		}
		rep->files[rep->nfiles].handle = f->handle;
		rep->files[rep->nfiles].host_fd = t->new_fds[i];
		fds[rep->nfiles++] = t->new_fds[i];
		ufile_put(f);
	}
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Our copy of fd @fd of process @pid (close-on-exec), or -1. */
static int take_fd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), ret;

	if (pidfd < 0)
		return -1;
	ret = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	return ret < 0 ? -1 : ret;
}

static long serve_call(struct remote_conn *c, const struct remote_wire_req *req,
		       const int *kfds, const struct ucred *cred,
		       struct remote_wire_rep *rep, int *out_fds)
{
	struct uaccess_fd map[REMOTE_MAX_FDS];
	struct uaccess_target t = {
		.pid = cred->pid,
		.uid = cred->uid,
		.borrowed = req->flags & (REMOTE_REQ_BORROWED |
					  REMOTE_REQ_SHARED),
		.ring_charged = req->flags & REMOTE_REQ_RING_CHARGED,
		.fds = map,
	};
	pid_t pid = cred->pid;
	int taken = -1;
	struct remote_ref *ref = conn_ref_find(c, req->handle);
	unsigned int k = 0;
	struct ufile *f;
	long ret;

	if (!ref)
		return -EBADF;
	f = ref->file;
	for (unsigned int i = 0; i < req->nfds; i++) {
		struct uaccess_fd *m = &map[t.nfds];

		m->fd = req->fds[i].fd;
		m->host_fd = -1;
		m->file = NULL;
		if (req->fds[i].kind == REMOTE_FD_KERNEL) {
			m->host_fd = kfds[k++];
		} else if (req->fds[i].kind == REMOTE_FD_RING) {
			m->fd = UACCESS_FD_PIN_RING;
			m->host_fd = taken = take_fd(pid, req->fds[i].fd);
		} else {
			struct remote_ref *r =
				conn_ref_find(c, req->fds[i].handle);

			if (!r)
				continue;
			m->file = r->file;
		}
		t.nfds++;
	}
	/* The file may go while we run (a CLOSE cannot: we are the server). */
	ufile_hold(f);
	uaccess_target_set(&t);
	switch (req->op) {
	case REMOTE_OP_IOCTL:
		/* Limit: not pages we can reach; the kernel would map them. */
		if ((req->flags & REMOTE_REQ_SHARED) &&
		    !serve_shared_ok(pid, (const void *)(uintptr_t)req->arg)) {
			ret = -EFAULT;
			break;
		}
		ret = f->ops->ioctl ?
			      f->ops->ioctl(f, req->cmd,
					    (void *)(uintptr_t)req->arg) :
			      -ENOTTY;
		break;
	case REMOTE_OP_READ:
		ret = f->ops->read ? f->ops->read(f, (void *)(uintptr_t)req->arg,
						  req->cmd) :
				     -EINVAL;
		break;
	case REMOTE_OP_PREAD:
		ret = f->ops->pread ?
			      f->ops->pread(f, (void *)(uintptr_t)req->arg,
					    req->cmd, req->off) :
			      -ESPIPE;
		break;
	case REMOTE_OP_PWRITE:
		ret = f->ops->pwrite ?
			      f->ops->pwrite(f, (const void *)(uintptr_t)req->arg,
					     req->cmd, req->off) :
			      -ESPIPE;
		break;
	default:
		ret = f->ops->write ?
			      f->ops->write(f, (const void *)(uintptr_t)req->arg,
					    req->cmd) :
			      -EINVAL;
		break;
	}
	uaccess_target_set(NULL);
	if (taken >= 0)
		close(taken);
	rep->mm_adopt = t.mm_adopt > UINT32_MAX ? UINT32_MAX : t.mm_adopt;
	if (ret >= 0)
		serve_export(c, &t, rep, out_fds);
	ufile_put(f);
	return ret;
}

static int serve_fork(struct remote_conn *c, int fd)
{
	struct remote_conn *n = ufi_calloc(1, sizeof(*n));
	int ret;

	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	n->fd = fd;
	for (size_t i = 0; i < c->nrefs; i++) {
		ret = conn_ref_add(n, c->refs[i].file, c->refs[i].count);
		if (ret)
			goto err_free;
	}
	ret = server_add(n);
	if (ret)
		goto err_free;
	return 0;
err_free:
	conn_free(n, true);
	return ret;
}

/* One request of @c: 0, or -errno when the connection must go. */
static int server_serve(struct remote_conn *c)
{
	unsigned char buf[sizeof(struct remote_wire_req)];
	struct remote_wire_rep rep = {};
	struct remote_wire_req req;
	int kfds[REMOTE_MAX_FDS + 1], out_fds[REMOTE_MAX_FILES];
	struct ucred cred = { .pid = 0 };
	unsigned int nk;
	ssize_t n;
	int ret;

	n = msg_recv(c->fd, buf, sizeof(buf), kfds, REMOTE_MAX_FDS + 1, &nk,
		     &cred);
	if (n <= 0)
		return n ? (int)n : -EPIPE;
	if (remote_req_decode(buf, n, nk, &req) || cred.pid <= 0) {
		close_fds(kfds, nk);
		return -EPROTO;
	}
	switch (req.op) {
	case REMOTE_OP_CLOSE: {
		struct remote_ref *r = conn_ref_find(c, req.handle);

		rep.ret = r ? 0 : -EBADF;
		if (r)
			conn_ref_put(c, r);
		break;
	}
	case REMOTE_OP_FORK:
		rep.ret = serve_fork(c, kfds[0]);
		nk = 0;
		break;
	default:
		rep.ret = serve_call(c, &req, kfds, &cred, &rep, out_fds);
		break;
	}
	close_fds(kfds, nk);
	ret = msg_send(c->fd, &rep,
		       REMOTE_REP_HDR + rep.nfiles * sizeof(rep.files[0]),
		       out_fds, rep.nfiles);
	/* Handed over (or lost with the client): our fds on them go. */
	for (unsigned int i = 0; i < rep.nfiles; i++) {
		ufile_remove_fd(out_fds[i]);
		close(out_fds[i]);
	}
	return ret;
}

void remote_reap_hangups(void)
{
	struct remote_conn *c;

	/* Lock order is serve_lock -> ictx->lock: never wait here holding one. */
	if (!__atomic_load_n(&server_started, __ATOMIC_ACQUIRE) || in_serve ||
	    iommufd_ctx_locks_held)
		return;
	/*
	 * A process that exited has closed its end already; the kernel drops
	 * an exited process's file references before its parent's waitpid()
	 * returns, so drop the references of hung-up connections now rather
	 * than when the server thread gets to them.  The connection itself
	 * stays listed (epoll keeps reporting the hang-up) and the server
	 * frees it, so an event it already fetched never points at freed
	 * memory.
	 */
	pthread_mutex_lock(&serve_lock);
	in_serve = true;
	pthread_mutex_lock(&server_lock);
	list_for_each_entry(c, &server_conns, link) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLRDHUP };

		if (!c->nrefs || poll(&pfd, 1, 0) != 1 ||
		    !(pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			continue;
		while (c->nrefs)
			conn_ref_put(c, &c->refs[c->nrefs - 1]);
	}
	pthread_mutex_unlock(&server_lock);
	in_serve = false;
	pthread_mutex_unlock(&serve_lock);
}

static void *server_main(void *unused)
{
	struct epoll_event ev[16];

	sem_post(&server_running);
	for (;;) {
		int n = epoll_wait(server_epfd, ev, ARRAY_SIZE(ev), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct remote_conn *c = ev[i].data.ptr;

			if (!c)
				return NULL;	/* server_stop() */
			pthread_mutex_lock(&serve_lock);
			in_serve = true;
			if (server_serve(c))
				server_drop(c);
			in_serve = false;
			pthread_mutex_unlock(&serve_lock);
		}
	}
	return NULL;
}

/* Start the server thread once per process: 0 or -errno. */
static int server_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	sigset_t all, old;
	int ret;

	if (server_started)
		return 0;
	if (server_epfd < 0) {
		server_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (server_epfd < 0)
			return -errno;
	}
	if (server_stop_efd < 0) {
		server_stop_efd = eventfd(0, EFD_CLOEXEC);
		if (server_stop_efd < 0)
			return -errno;
		if (epoll_ctl(server_epfd, EPOLL_CTL_ADD, server_stop_efd,
			      &ev)) {
			ret = -errno;
			sys_close(server_stop_efd);
			server_stop_efd = -1;
			return ret;
		}
	}
	/* The program's signal handlers never run on our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sem_init(&server_running, 0, 0);
	ret = pthread_create(&server_thread, NULL, server_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	/*
	 * We are usually inside fork()'s prepare handler: let the new thread
	 * finish starting (the C library's and a sanitizer's allocations
	 * included) before the fork, or the child could inherit their locks
	 * taken.
	 */
	while (sem_wait(&server_running) && errno == EINTR)
		;
	server_started = true;
	return 0;
}

/* ---- owner records ------------------------------------------------------- */

static struct remote_owner *owner_new(pid_t pid)
{
	struct remote_owner *o = ufi_calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->pid = pid;
	o->conn_fd = -1;
	o->fork_fd = -1;
	pthread_mutex_init(&o->lock, NULL);
	return o;
}

struct remote_owner *remote_owner_self(void)
{
	struct remote_owner *o = __atomic_load_n(&remote_self, __ATOMIC_ACQUIRE);

	if (likely(o))
		return o;
	pthread_mutex_lock(&owners_lock);
	o = remote_self;
	if (!o) {
		o = owner_new(getpid());
		if (o) {
			o->next = owners;
			owners = o;
			__atomic_store_n(&remote_self, o, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&owners_lock);
	return o;
}

/* ---- client side --------------------------------------------------------- */

static const struct ufile_ops remote_file_ops = {
	.name = "[uiommu-remote]",
};

/*
 * One call to @o: the owner's answer (>= 0 or -errno); -EBADF once the
 * owner is gone.  New files' kernel fds land in @rfds.
 */
static long remote_call(struct remote_owner *o, struct remote_wire_req *req,
			const int *kfds, unsigned int nk,
			struct remote_wire_rep *rep, int *rfds)
{
	unsigned char buf[sizeof(*rep)];
	unsigned int nr = 0;
	ssize_t n;
	long ret;

	pthread_mutex_lock(&o->lock);
	if (o->conn_fd < 0) {
		ret = -EBADF;
		goto out_unlock;
	}
	if (msg_send(o->conn_fd, req,
		     REMOTE_REQ_HDR + req->nfds * sizeof(req->fds[0]), kfds,
		     nk))
		goto out_dead;
	n = msg_recv(o->conn_fd, buf, sizeof(buf), rfds, REMOTE_MAX_FILES,
		     &nr, NULL);
	if (n <= 0)
		goto out_dead;
	if (remote_rep_decode(buf, n, nr, rep)) {
		close_fds(rfds, nr);
		goto out_dead;
	}
	ret = rep->ret;
	goto out_unlock;
out_dead:
	/* Limit: the owner exited; its files answer EBADF here. */
	close(o->conn_fd);
	o->conn_fd = -1;
	ret = -EBADF;
out_unlock:
	pthread_mutex_unlock(&o->lock);
	return ret;
}

/* A struct field holding an fd: which command, and which way it goes. */
struct remote_fd_field {
	unsigned long cmd;
	uint32_t test_op;	/* IOMMU_TEST_CMD: the op, else 0 */
	uint32_t offset;
	bool out;		/* the owner fills it with a new fd */
};

#define TEST_FD(_op, _field, _out)                                          \
	{ IOMMU_TEST_CMD, _op, offsetof(struct iommu_test_cmd, _field), _out }

static const struct remote_fd_field remote_fd_fields[] = {
	{ IOMMU_IOAS_MAP_FILE, 0, offsetof(struct iommu_ioas_map_file, fd),
	  false },
	{ IOMMU_FAULT_QUEUE_ALLOC, 0,
	  offsetof(struct iommu_fault_alloc, out_fault_fd), true },
	{ IOMMU_VEVENTQ_ALLOC, 0,
	  offsetof(struct iommu_veventq_alloc, out_veventq_fd), true },
	TEST_FD(IOMMU_TEST_OP_CREATE_ACCESS, create_access.out_access_fd, true),
	TEST_FD(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, id, false),
	TEST_FD(IOMMU_TEST_OP_ACCESS_PAGES, id, false),
	TEST_FD(IOMMU_TEST_OP_ACCESS_RW, id, false),
	TEST_FD(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, id, false),
};

static bool fd_field_match(const struct remote_fd_field *ff, unsigned long cmd,
			   void *arg)
{
	uint32_t op;

	if (ff->cmd != cmd)
		return false;
	if (cmd != IOMMU_TEST_CMD)
		return true;
	if (copy_from_user(&op, uptr_add(arg, offsetof(struct iommu_test_cmd, op)),
			   sizeof(op)))
		return false;
	return op == ff->test_op;
}

/* Describe the input fd fields of (@cmd, @arg) in @req; kernel fds in @kfds. */
static unsigned int remote_fds_in(struct ufile *f, unsigned long cmd,
				  void *arg, struct remote_wire_req *req,
				  int *kfds)
{
	unsigned int nk = 0;

	for (size_t i = 0; i < ARRAY_SIZE(remote_fd_fields); i++) {
		const struct remote_fd_field *ff = &remote_fd_fields[i];
		struct remote_wire_fd *w = &req->fds[req->nfds];
		struct ufile *g;
		int32_t v;

		if (ff->out || req->nfds == REMOTE_MAX_FDS ||
		    !fd_field_match(ff, cmd, arg) ||
		    copy_from_user(&v, uptr_add(arg, ff->offset), sizeof(v)))
			continue;
		g = ufile_get(v);
		if (g) {
			/* An emulated file goes by handle, to its own owner. */
			if (g->owner == f->owner) {
				w->fd = v;
				w->kind = REMOTE_FD_FILE;
				w->handle = g->handle;
				req->nfds++;
			}
			ufile_put(g);
		} else if (v >= 0 && syscall(SYS_fcntl, v, F_GETFD) >= 0) {
			w->fd = v;
			w->kind = REMOTE_FD_KERNEL;
			kfds[nk++] = v;
			req->nfds++;
		}
	}
	return nk;
}

/* Install the files of @rep here and patch the output fd fields. */
static void remote_files_in(struct ufile *f, unsigned long cmd, void *arg,
			    const struct remote_wire_rep *rep, int *rfds)
{
	for (unsigned int i = 0; i < rep->nfiles; i++) {
		struct ufile *n = ufi_calloc(1, sizeof(*n));

		if (!n) {
			close(rfds[i]);
			continue;
		}
		n->ops = &remote_file_ops;
		n->owner = f->owner;
		n->handle = rep->files[i].handle;
		n->remote_alloc = true;
		n->flags = O_RDWR | O_CLOEXEC;
		if (ufile_install_at(n, rfds[i])) {
			close(rfds[i]);
			/* Not installed: nobody names it, let the owner know. */
			atomic_init(&n->refs, 1);
			ufile_put(n);
			continue;
		}
		for (size_t j = 0; j < ARRAY_SIZE(remote_fd_fields); j++) {
			const struct remote_fd_field *ff = &remote_fd_fields[j];
			char *field = uptr_add(arg, ff->offset);
			int32_t v;

			if (!ff->out || !fd_field_match(ff, cmd, arg) ||
			    copy_from_user(&v, field, sizeof(v)) ||
			    v != rep->files[i].host_fd)
				continue;
			v = rfds[i];
			copy_to_user(field, &v, sizeof(v));
		}
	}
}

/* ---- the arena: private memory made shareable ---------------------------- */

static int arena_fd = -1;
static uint64_t arena_size;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

struct arena_seg {
	uintptr_t start, end;
	int prot;
	bool anon;
};

/*
 * The mappings over [start, end): -EFAULT on a hole or unreadable memory.
 * Pieces already on the arena at their own offset are left out.
 */
static int arena_segments(uintptr_t start, uintptr_t end,
			  struct arena_seg **out, size_t *nout)
{
	struct arena_seg *segs = NULL;
	size_t n = 0, cap = 0;
	uintptr_t pos = start;
	struct stat ast;
	char line[512];
	FILE *fp;
	int rc = 0;

	if (fstat(arena_fd, &ast))
		return -ENOMEM;
	fp = fopen("/proc/self/maps", "re");
	if (!fp)
		return -ENOMEM;
	while (pos < end && fgets(line, sizeof(line), fp)) {
		unsigned long s, e, off, inode;
		unsigned int maj, mnr;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &s, &e, perms,
			   &off, &maj, &mnr, &inode) != 7)
			continue;
		if (e <= pos)
			continue;
		if (s > pos || perms[0] != 'r') {
			rc = -EFAULT;
			break;
		}
		if (e > end)
			e = end;
		if (perms[3] == 's' && inode == ast.st_ino &&
		    makedev(maj, mnr) == ast.st_dev && off == s) {
			pos = e;
			continue;
		}
		/* Not yet: shared memory mixed with private in one map. */
		if (perms[3] == 's') {
			rc = -EOPNOTSUPP;
			break;
		}
		if (n == cap) {
			struct arena_seg *ns;

			cap = cap ? cap * 2 : 4;
			ns = ufi_realloc(segs, cap * sizeof(*ns));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			segs = ns;
		}
		segs[n].start = pos;
		segs[n].end = e;
		segs[n].prot = PROT_READ | (perms[1] == 'w' ? PROT_WRITE : 0) |
			       (perms[2] == 'x' ? PROT_EXEC : 0);
		segs[n].anon = !inode;
		n++;
		pos = e;
	}
	fclose(fp);
	if (!rc && pos < end)
		rc = -EFAULT;
	if (rc) {
		free(segs);
		return rc;
	}
	*out = segs;
	*nout = n;
	return 0;
}

static bool all_zero(const void *p, size_t len)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < len / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* Copy @seg onto the arena and map the arena over it. */
static int arena_move(const struct arena_seg *seg)
{
	const size_t chunk = 65536;

	for (uintptr_t p = seg->start; p < seg->end; p += chunk) {
		size_t len = seg->end - p < chunk ? seg->end - p : chunk;

		/* Untouched anonymous memory reads as zero: keep it sparse. */
		if (seg->anon && all_zero((void *)p, len))
			continue;
		if (pwrite(arena_fd, (void *)p, len, (off_t)p) != (ssize_t)len)
			return -EFAULT;
	}
	if (sys_mmap((void *)seg->start, seg->end - seg->start, seg->prot,
		     MAP_SHARED | MAP_FIXED, arena_fd,
		     (off_t)seg->start) == MAP_FAILED)
		return -ENOMEM;
	return 0;
}

/*
 * Make [start, end) (page aligned) arena-backed.  The arena fd or -errno.
 * Another thread writing the range while it moves may lose that write.
 */
static int arena_share(uintptr_t start, uintptr_t end)
{
	struct arena_seg *segs;
	size_t n;
	int rc;

	pthread_mutex_lock(&arena_lock);
	if (arena_fd < 0) {
		arena_fd = memfd_create("uiommu-arena", MFD_CLOEXEC);
		if (arena_fd < 0) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		arena_size = 0;
	}
	if (end > arena_size) {
		if (ftruncate(arena_fd, (off_t)end)) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		arena_size = end;
	}
	rc = arena_segments(start, end, &segs, &n);
	if (rc)
		goto out_unlock;
	for (size_t i = 0; i < n && !rc; i++)
		rc = arena_move(&segs[i]);
	free(segs);
	if (!rc)
		rc = arena_fd;
out_unlock:
	pthread_mutex_unlock(&arena_lock);
	return rc;
}

#define IOAS_MAP_FLAGS                                                        \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |               \
	 IOMMU_IOAS_MAP_READABLE)

/*
 * IOMMU_IOAS_MAP of shared memory (MAP_SHARED, e.g. inherited from the
 * owner): the file behind it when /proc/self/map_files lets us open it,
 * else the owner maps its own addresses if they hold the same pages.
 */
static long remote_ioas_map_shared(struct ufile *f, void *arg,
				   const struct iommu_ioas_map *map,
				   uintptr_t start, const struct shared_id *id)
{
	struct remote_wire_req req = {
		.op = REMOTE_OP_IOCTL,
		.handle = f->handle,
	};
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = map->flags,
		.ioas_id = map->ioas_id,
		.start = id->off + (map->user_va - start),
		.length = map->length,
		.iova = map->iova,
	};
	int rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;
	char path[64];
	long ret;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)id->vma_start, (unsigned long)id->vma_end);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && !(map->flags & IOMMU_IOAS_MAP_WRITEABLE))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		req.flags = REMOTE_REQ_SHARED;
		req.cmd = IOMMU_IOAS_MAP;
		req.arg = (uintptr_t)arg;
		ret = remote_call(f->owner, &req, NULL, 0, &rep, rfds);
		if (ret >= 0)
			close_fds(rfds, rep.nfiles);
		return ret;
	}
	mf.fd = fd;
	req.flags = REMOTE_REQ_BORROWED;
	req.cmd = IOMMU_IOAS_MAP_FILE;
	req.arg = (uintptr_t)&mf;
	req.fds[0].fd = fd;
	req.fds[0].kind = REMOTE_FD_KERNEL;
	req.nfds = 1;
	ret = remote_call(f->owner, &req, &fd, 1, &rep, rfds);
	close(fd);
	if (ret >= 0)
		close_fds(rfds, rep.nfiles);
	if (ret)
		return ret;
	if (copy_to_user(&((struct iommu_ioas_map *)arg)->iova, &mf.iova,
			 sizeof(mf.iova)))
		return -EFAULT;
	return 0;
}

/* @req on @f, passing the kernel fd @kfd as the client's fd @number. */
static long remote_call_file(struct ufile *f, struct remote_wire_req *req,
			     int number, int kfd)
{
	int rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;
	long ret;

	req->fds[0].fd = number;
	req->fds[0].kind = REMOTE_FD_KERNEL;
	req->nfds = 1;
	ret = remote_call(f->owner, req, &kfd, 1, &rep, rfds);
	if (ret >= 0)
		close_fds(rfds, rep.nfiles);
	return ret;
}

/* IOMMU_IOAS_MAP from a client: IOMMU_IOAS_MAP_FILE of the arena. */
static long remote_ioas_map(struct ufile *f, void *arg)
{
	const size_t min = offsetof(struct iommu_ioas_map, iova) +
			   sizeof(((struct iommu_ioas_map *)0)->iova);
	struct remote_wire_req req = {
		.op = REMOTE_OP_IOCTL,
		.flags = REMOTE_REQ_BORROWED,
		.handle = f->handle,
		.cmd = IOMMU_IOAS_MAP_FILE,
	};
	struct iommu_ioas_map_file mf = { .size = sizeof(mf) };
	struct iommu_ioas_map map;
	size_t page = sysconf(_SC_PAGESIZE);
	uint64_t end;
	uint32_t size;
	int fd;
	long ret;

	/* uAPI: the dispatcher's size rules, then the handler's order. */
	if (copy_from_user(&size, arg, sizeof(size)))
		return -EFAULT;
	if (size < min)
		return -EINVAL;
	ret = copy_struct_from_user(&map, sizeof(map), arg, size);
	if (ret)
		return ret;
	if ((map.flags & ~IOAS_MAP_FLAGS) || map.__reserved)
		return -EOPNOTSUPP;
	if (map.iova >= UINT64_MAX || map.length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(map.flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	if (map.length && __builtin_add_overflow(map.user_va, map.length, &end))
		return -EOVERFLOW;

	mf.flags = map.flags;
	mf.ioas_id = map.ioas_id;
	mf.start = map.user_va;
	mf.length = map.length;
	mf.iova = map.iova;
	if (map.length) {
		uint64_t s = map.user_va & ~(uint64_t)(page - 1);
		struct shared_id id;

		if (end > UINT64_MAX - page)
			return -EOVERFLOW;
		end = (end + page - 1) & ~(uint64_t)(page - 1);
		if (!maps_shared_id("/proc/self/maps", s, end, &id))
			return remote_ioas_map_shared(f, arg, &map, s, &id);
		fd = arena_share(s, end);
		if (fd < 0)
			return fd;
	} else {
		/* Nothing to move: the owner answers for length 0. */
		pthread_mutex_lock(&arena_lock);
		if (arena_fd < 0)
			arena_fd = memfd_create("uiommu-arena", MFD_CLOEXEC);
		fd = arena_fd;
		pthread_mutex_unlock(&arena_lock);
		if (fd < 0)
			return -ENOMEM;
	}
	mf.fd = fd;
	req.arg = (uintptr_t)&mf;
	ret = remote_call_file(f, &req, fd, fd);
	if (ret)
		return ret;
	if (copy_to_user(&((struct iommu_ioas_map *)arg)->iova, &mf.iova,
			 sizeof(mf.iova)))
		return -EFAULT;
	return 0;
}

/*
 * VFIO_IOMMU_MAP_DMA from a client: the same command on the owner with the
 * memory in file form, as remote_ioas_map() — the range moves onto the
 * arena (private memory) or its file is opened through /proc/self/map_files
 * (shared memory) and passed as UACCESS_FD_TYPE1_SOURCE; vaddr becomes the
 * offset in that file.  Arguments the owner must refuse go as they are.
 */
static long remote_type1_map(struct ufile *f, void *arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct remote_wire_req req = {
		.op = REMOTE_OP_IOCTL,
		.flags = REMOTE_REQ_BORROWED,
		.handle = f->handle,
		.cmd = VFIO_IOMMU_MAP_DMA,
	};
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), start, end;
	struct vfio_iommu_type1_dma_map map;
	int rfds[REMOTE_MAX_FILES], fd, own = -1;
	struct remote_wire_rep rep;
	struct shared_id id;
	long ret;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || !map.size ||
	    __builtin_add_overflow(map.vaddr, map.size, &end) ||
	    end > UINT64_MAX - page) {
		req.flags = 0;
		req.arg = (uintptr_t)arg;
		ret = remote_call(f->owner, &req, NULL, 0, &rep, rfds);
		if (ret >= 0)
			close_fds(rfds, rep.nfiles);
		return ret;
	}
	start = map.vaddr & ~(page - 1);
	end = (end + page - 1) & ~(page - 1);
	if (!maps_shared_id("/proc/self/maps", start, end, &id)) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
			 (unsigned long)id.vma_start,
			 (unsigned long)id.vma_end);
		own = open(path, O_RDWR | O_CLOEXEC);
		if (own < 0 && !(map.flags & VFIO_DMA_MAP_FLAG_WRITE))
			own = open(path, O_RDONLY | O_CLOEXEC);
		/* Limit: without map_files the owner cannot reach it. */
		if (own < 0)
			return -EOPNOTSUPP;
		fd = own;
		map.vaddr = id.off + (map.vaddr - start);
	} else {
		fd = arena_share(start, end);
		if (fd < 0)
			return fd;
	}
	req.arg = (uintptr_t)&map;
	ret = remote_call_file(f, &req, UACCESS_FD_TYPE1_SOURCE, fd);
	if (own >= 0)
		close(own);
	return ret;
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS from a client: with a ring of ours, which the
 * owner takes and registers the pinned pages in, so our mm counts them.
 * Without io_uring the owner counts them alone.
 */
static long remote_change_process(struct ufile *f, void *arg)
{
	struct remote_wire_req req = {
		.op = REMOTE_OP_IOCTL,
		.handle = f->handle,
		.cmd = IOMMU_IOAS_CHANGE_PROCESS,
		.arg = (uintptr_t)arg,
	};
	int rfds[REMOTE_MAX_FILES], ring;
	struct remote_wire_rep rep;
	bool charged = false;
	long ret;

	ring = iopt_pin_ring_make(&charged);
	if (ring >= 0) {
		req.fds[0].fd = ring;
		req.fds[0].kind = REMOTE_FD_RING;
		req.nfds = 1;
		if (charged)
			req.flags |= REMOTE_REQ_RING_CHARGED;
	}
	ret = remote_call(f->owner, &req, NULL, 0, &rep, rfds);
	if (ret >= 0) {
		close_fds(rfds, rep.nfiles);
		/*
		 * Limit: shown once; later unpins at the owner do not lower
		 * our VmLck (docs/compat.md).
		 */
		if (rep.mm_adopt)
			iopt_mm_adopt(rep.mm_adopt);
	}
	if (ring >= 0)
		close(ring);
	return ret;
}

long remote_ioctl(struct ufile *f, unsigned long cmd, void *arg)
{
	struct remote_wire_req req = {
		.op = REMOTE_OP_IOCTL,
		.handle = f->handle,
		.cmd = cmd,
		.arg = (uintptr_t)arg,
	};
	int kfds[REMOTE_MAX_FDS], rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;
	unsigned int nk;
	long ret;

	if (cmd == IOMMU_IOAS_MAP)
		return remote_ioas_map(f, arg);
	if (cmd == VFIO_IOMMU_MAP_DMA)
		return remote_type1_map(f, arg);
	if (cmd == IOMMU_IOAS_CHANGE_PROCESS)
		return remote_change_process(f, arg);
	nk = remote_fds_in(f, cmd, arg, &req, kfds);
	ret = remote_call(f->owner, &req, kfds, nk, &rep, rfds);
	if (ret >= 0)
		remote_files_in(f, cmd, arg, &rep, rfds);
	return ret;
}

/* read/write (@off 0) and pread/pwrite of remote @f. */
static ssize_t remote_rw(struct ufile *f, enum remote_op op,
			 const void *buf, size_t count, uint64_t off)
{
	struct remote_wire_req req = {
		.op = op,
		.handle = f->handle,
		.cmd = count,
		.arg = (uintptr_t)buf,
		.off = off,
	};
	int rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;
	long ret = remote_call(f->owner, &req, NULL, 0, &rep, rfds);

	if (ret >= 0)
		close_fds(rfds, rep.nfiles);
	return ret;
}

ssize_t remote_pread(struct ufile *f, void *buf, size_t count, uint64_t off)
{
	return remote_rw(f, REMOTE_OP_PREAD, buf, count, off);
}

ssize_t remote_pwrite(struct ufile *f, const void *buf, size_t count,
		      uint64_t off)
{
	return remote_rw(f, REMOTE_OP_PWRITE, buf, count, off);
}

ssize_t remote_read(struct ufile *f, void *buf, size_t count)
{
	return remote_rw(f, REMOTE_OP_READ, buf, count, 0);
}

ssize_t remote_write(struct ufile *f, const void *buf, size_t count)
{
	return remote_rw(f, REMOTE_OP_WRITE, buf, count, 0);
}

void remote_file_release(struct ufile *f)
{
	struct remote_wire_req req = {
		.op = REMOTE_OP_CLOSE,
		.handle = f->handle,
	};
	int rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;

	if (remote_call(f->owner, &req, NULL, 0, &rep, rfds) >= 0)
		close_fds(rfds, rep.nfiles);
}

/* ---- fork ---------------------------------------------------------------- */

struct fork_scan {
	struct remote_conn *conn;	/* the child's connection to us */
	int err;
};

static void fork_scan_file(struct ufile *f, void *arg)
{
	struct fork_scan *s = arg;

	if (ufile_is_remote(f)) {
		f->owner->in_table = true;
		return;
	}
	/* One reference per file: the child drops it with its last fd. */
	if (!s->err && s->conn && !conn_ref_find(s->conn, f->handle)) {
		s->err = conn_ref_add(s->conn, f, 1);
		/* Its eventfd must stay signallable if our fds go first. */
		if (!s->err)
			s->err = ufile_kfd_keep_locked(f);
	}
}

/* Ask @o for a connection for the child, with our references. */
static void fork_remote(struct remote_owner *o)
{
	struct remote_wire_req req = { .op = REMOTE_OP_FORK };
	int sp[2], rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;

	if (o->conn_fd < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return;
	if (remote_call(o, &req, &sp[0], 1, &rep, rfds) < 0) {
		close(sp[0]);
		close(sp[1]);
		return;
	}
	close_fds(rfds, rep.nfiles);
	close(sp[0]);
	o->fork_fd = sp[1];
}

void remote_fork_quiesce(void)
{
	pthread_mutex_lock(&serve_lock);
}

bool remote_fork_is_keeper(void)
{
	return keeper_forking;
}

void remote_fork_prepare(void)
{
	struct fork_scan s = {};
	struct remote_owner *o;
	int sp[2];

	if (keeper_forking)
		return;

	pthread_mutex_lock(&owners_lock);
	for (o = owners; o; o = o->next) {
		o->in_table = false;
		o->fork_fd = -1;
	}
	if (remote_self)
		s.conn = ufi_calloc(1, sizeof(*s.conn));
	ufile_for_each_locked(fork_scan_file, &s);
	if (s.conn) {
		s.conn->fd = -1;
		if (s.err || !s.conn->nrefs || server_start() ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
			conn_free(s.conn, true);
		} else {
			s.conn->fd = sp[0];
			if (server_add(s.conn)) {
				conn_free(s.conn, true);
				close(sp[1]);
			} else {
				remote_self->fork_fd = sp[1];
			}
		}
	}
	for (o = owners; o; o = o->next)
		if (o != remote_self && o->in_table)
			fork_remote(o);
}

void remote_fork_parent(void)
{
	if (keeper_forking) {
		pthread_mutex_unlock(&serve_lock);
		return;
	}
	for (struct remote_owner *o = owners; o; o = o->next) {
		if (o->fork_fd >= 0)
			close(o->fork_fd);
		o->fork_fd = -1;
	}
	pthread_mutex_unlock(&owners_lock);
	pthread_mutex_unlock(&serve_lock);
}

void remote_fork_child(void)
{
	struct remote_conn *c, *tmp;

	pthread_mutex_init(&owners_lock, NULL);
	pthread_mutex_init(&server_lock, NULL);
	pthread_mutex_init(&serve_lock, NULL);
	pthread_mutex_init(&arena_lock, NULL);
	if (keeper_forking) {
		/* The keeper takes everything over as it is. */
		for (struct remote_owner *o = owners; o; o = o->next)
			pthread_mutex_init(&o->lock, NULL);
		return;
	}
	/* The parent's server, connections and arena are not ours. */
	list_for_each_entry_safe(c, tmp, &server_conns, link)
		conn_free(c, false);
	INIT_LIST_HEAD(&server_conns);
	if (server_epfd >= 0)
		close(server_epfd);
	server_epfd = -1;
	server_started = false;
	if (arena_fd >= 0)
		close(arena_fd);
	arena_fd = -1;
	for (struct remote_owner *o = owners; o; o = o->next) {
		pthread_mutex_init(&o->lock, NULL);
		if (o->conn_fd >= 0)
			close(o->conn_fd);
		o->conn_fd = o->fork_fd;
		o->fork_fd = -1;
	}
	remote_self = NULL;
}

/* ---- exec ---------------------------------------------------------------- */

/*
 * exec() keeps the fds without FD_CLOEXEC and the open files behind them.
 * A file another process serves stays reachable from the new image if the
 * connection to its owner survives too and the new image learns which fd
 * names which handle: remote_exec_export() writes that down as the value of
 * UIOMMU_EXEC and clears FD_CLOEXEC on the connections that carry a
 * surviving file; remote_exec_import(), in the new image, installs the
 * stand-ins again and sends CLOSE for the files whose every fd was
 * close-on-exec (the kernel closes those at exec).  A connection that
 * carries no surviving file stays close-on-exec: its EOF drops all of its
 * references, as before.
 *
 * Value: "pid=P" (the process that exec'd: the value means nothing to
 * another process, e.g. a child the new image forks before it imports),
 * then per owner "o=OWNERPID:CONNFD" followed by its files, "f=FD:HANDLE:
 * FLAGS" (hex handle and open flags) for each surviving fd and "c=HANDLE"
 * for each file to close.
 *
 * Files this process owns itself cannot cross exec: their state is in the
 * image that exec replaces (docs/remote.md, limits).
 */

struct exec_fd {
	struct ufile *f;	/* a reference taken */
	int fd;
	bool keep;		/* FD_CLOEXEC clear */
};

struct exec_scan {
	struct exec_fd *v;
	size_t n, cap;
	int err;
};

static int remote_handover(bool become_client);

/* Connections whose FD_CLOEXEC export cleared, for remote_exec_abort(). */
static int exec_cleared[16];
static unsigned int exec_ncleared;

static void exec_scan_fd(int fd, struct ufile *f, void *arg)
{
	struct exec_scan *s = arg;
	long fl;

	if (s->err || !ufile_is_remote(f))
		return;
	fl = syscall(SYS_fcntl, fd, F_GETFD);
	if (fl < 0)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct exec_fd *v = ufi_realloc(s->v, cap * sizeof(*v));

		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	ufile_hold(f);
	s->v[s->n++] = (struct exec_fd){ f, fd, !(fl & FD_CLOEXEC) };
}

/* Does any fd of @v[0..n) on @f survive exec? */
static bool exec_file_kept(const struct exec_scan *s, const struct ufile *f)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].f == f && s->v[i].keep)
			return true;
	return false;
}

/* Was @f listed before index @i? */
static bool exec_file_seen(const struct exec_scan *s, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (s->v[j].f == s->v[i].f)
			return true;
	return false;
}

char *remote_exec_export(void)
{
	struct exec_scan s = {};
	struct remote_owner *o;
	char *out = NULL;
	size_t len = 0, cap;

	exec_ncleared = 0;
	/* Our own files that outlive the image go to a keeper first. */
	remote_handover(true);
	ufile_for_each_fd(exec_scan_fd, &s);
	if (s.err || !s.n)
		goto out_put;
	cap = 32 + (s.n + 1) * 64;
	pthread_mutex_lock(&owners_lock);
	for (o = owners; o; o = o->next) {
		bool any = false;

		if (o == remote_self || o->conn_fd < 0)
			continue;
		for (size_t i = 0; i < s.n && !any; i++)
			any = s.v[i].f->owner == o && s.v[i].keep;
		if (!any || exec_ncleared == ARRAY_SIZE(exec_cleared))
			continue;
		if (!out) {
			cap += 64 * ARRAY_SIZE(exec_cleared);
			out = ufi_malloc(cap);
			if (!out)
				break;
			len = (size_t)snprintf(out, cap, "pid=%d", getpid());
		}
		len += (size_t)snprintf(out + len, cap - len, " o=%d:%d",
					(int)o->pid, o->conn_fd);
		for (size_t i = 0; i < s.n; i++) {
			const struct exec_fd *e = &s.v[i];

			if (e->f->owner != o)
				continue;
			if (e->keep)
				len += (size_t)snprintf(out + len, cap - len,
							" f=%d:%llx:%x", e->fd,
							(unsigned long long)e->f->handle,
							(unsigned int)e->f->flags);
			else if (!exec_file_kept(&s, e->f) &&
				 !exec_file_seen(&s, i))
				len += (size_t)snprintf(out + len, cap - len,
							" c=%llx",
							(unsigned long long)e->f->handle);
		}
		if (syscall(SYS_fcntl, o->conn_fd, F_SETFD, 0) == 0)
			exec_cleared[exec_ncleared++] = o->conn_fd;
	}
	pthread_mutex_unlock(&owners_lock);
out_put:
	for (size_t i = 0; i < s.n; i++)
		ufile_put(s.v[i].f);
	free(s.v);
	return out;
}

void remote_exec_abort(void)
{
	for (unsigned int i = 0; i < exec_ncleared; i++)
		syscall(SYS_fcntl, exec_cleared[i], F_SETFD, FD_CLOEXEC);
	exec_ncleared = 0;
}

/*
 * Parse ':'-separated numbers at *@p, one per character of @bases ('d'
 * decimal, 'x' hex), into @v: true when all were there.
 */
static bool exec_nums(const char **p, const char *bases, unsigned long long *v)
{
	for (int i = 0; bases[i]; i++) {
		int base = bases[i] == 'x' ? 16 : 10;
		char *end;

		if (i && *(*p)++ != ':')
			return false;
		if (!(**p >= '0' && **p <= '9') &&
		    !(base == 16 && (**p | 0x20) >= 'a' && (**p | 0x20) <= 'f'))
			return false;
		errno = 0;
		v[i] = strtoull(*p, &end, base);
		if (errno)
			return false;
		*p = end;
	}
	return true;
}

/* Install a stand-in for @handle of @o at @fd; 0 or -errno. */
static int exec_install(struct remote_owner *o, int fd, uint64_t handle,
			int flags)
{
	struct ufile *n = ufi_calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	n->ops = &remote_file_ops;
	n->owner = o;
	n->handle = handle;
	n->remote_alloc = true;
	n->flags = flags;
	ret = ufile_install_at(n, fd);
	if (ret)
		free(n);
	return ret;
}

struct exec_find {
	const struct remote_owner *o;
	uint64_t handle;
	int fd;		/* a slot of the stand-in for them, or -1 */
};

static void exec_find_fd(int fd, struct ufile *f, void *arg)
{
	struct exec_find *q = arg;

	if (q->fd < 0 && f->owner == q->o && f->handle == q->handle)
		q->fd = fd;
}

static void exec_close_handle(struct remote_owner *o, uint64_t handle);

/*
 * Make @fd name @handle of @o: another fd of the stand-in already in the
 * table for it, else a new stand-in.  0 or -errno; a new stand-in that
 * cannot be installed gives our reference back to the owner.
 */
static int exec_attach(struct remote_owner *o, int fd, uint64_t handle,
		       int flags)
{
	struct exec_find q = { o, handle, -1 };
	int ret;

	ufile_for_each_fd(exec_find_fd, &q);
	if (q.fd >= 0)
		return ufile_dup_fd(q.fd, fd);
	ret = exec_install(o, fd, handle, flags);
	if (ret)
		exec_close_handle(o, handle);
	return ret;
}

static void exec_close_handle(struct remote_owner *o, uint64_t handle)
{
	struct remote_wire_req req = { .op = REMOTE_OP_CLOSE, .handle = handle };
	int rfds[REMOTE_MAX_FILES];
	struct remote_wire_rep rep;

	if (remote_call(o, &req, NULL, 0, &rep, rfds) >= 0)
		close_fds(rfds, rep.nfiles);
}

int remote_exec_import(const char *val)
{
	struct remote_owner *o = NULL;
	unsigned long long v[3];
	const char *p = val;
	int installed = 0;

	if (strncmp(p, "pid=", 4))
		return -EINVAL;
	p += 4;
	if (!exec_nums(&p, "d", v) || v[0] != (unsigned long long)getpid())
		return 0;
	while (*p == ' ') {
		p++;
		if (!strncmp(p, "o=", 2)) {
			struct stat st;

			p += 2;
			o = NULL;
			if (!exec_nums(&p, "dd", v) || v[1] > INT_MAX ||
			    fstat((int)v[1], &st) || !S_ISSOCK(st.st_mode))
				continue;
			o = owner_new((pid_t)v[0]);
			if (!o)
				return -ENOMEM;
			o->conn_fd = (int)v[1];
			syscall(SYS_fcntl, o->conn_fd, F_SETFD, FD_CLOEXEC);
			pthread_mutex_lock(&owners_lock);
			o->next = owners;
			owners = o;
			pthread_mutex_unlock(&owners_lock);
		} else if (!strncmp(p, "f=", 2)) {
			int fd;

			p += 2;
			if (!exec_nums(&p, "dxx", v) || !o ||
			    v[0] > INT_MAX)
				continue;
			fd = (int)v[0];
			if (syscall(SYS_fcntl, fd, F_GETFD) < 0)
				continue;
			if (!exec_attach(o, fd, v[1], (int)v[2]))
				installed++;
		} else if (!strncmp(p, "c=", 2)) {
			p += 2;
			if (exec_nums(&p, "x", v) && o)
				exec_close_handle(o, v[0]);
		} else {
			return -EINVAL;
		}
	}
	return *p ? -EINVAL : installed;
}

/* ---- handover: a keeper serves what this process owned ------------------- */

/*
 * The kernel keeps a context while any process holds an fd to it; here a
 * context lives in its owner's memory.  When the owner's memory is about to
 * go while others still need it — it exits while other processes (its
 * forked children) hold its files, or it execs with fds of its own files
 * that survive exec — remote_handover() forks a *keeper*: a copy of the
 * owner that serves the owner's files to everyone who holds them, and
 * exits once no connection is left.  Everything the files hold (pinned
 * pages, page tables, devices) comes along in the copy; fork copies the
 * pinned private pages, so the keeper's IOMMU sees the data the owner had.
 *
 * Order: the owner's server thread is stopped (no request is being served
 * from then on); with exec, a connection for the owner itself is added,
 * holding a reference on each file of its fd table; the keeper is forked
 * (fork handlers in keeper mode: nothing changes in the copy) and detached
 * (double fork, its own session) — it closes the owner's other fds (stdio
 * onto /dev/null, every fd but its connections, epoll and the anonymous
 * inodes uiommu's files and rings use), drops the owner's fd table and
 * serves.  The owner closes its copies of the connections and, with exec,
 * replaces each slot of its table by a stand-in served by the keeper, so it
 * is an ordinary client afterwards (also if exec then fails).  The owner's
 * copies of the files are kept reachable (handed_conns), never released.
 *
 * Limits: a thread of the owner inside an ioctl while it exits or execs
 * leaves its locks taken in the copy; _exit() and death by a signal do not
 * hand over (the files answer EBADF after that, as before).
 */

static struct list_head handed_conns = LIST_HEAD_INIT(handed_conns);

/* Stop the server thread; nothing is served by this process afterwards. */
static void server_stop(void)
{
	uint64_t one = 1;

	if (!server_started)
		return;
	NEVER(sys_write(server_stop_efd, &one, sizeof(one)) != sizeof(one));
	pthread_join(server_thread, NULL);
	NEVER(sys_read(server_stop_efd, &one, sizeof(one)) != sizeof(one));
	server_started = false;
}

static bool server_conns_hold_refs(void)
{
	struct remote_conn *c;
	bool held = false;

	pthread_mutex_lock(&server_lock);
	list_for_each_entry(c, &server_conns, link)
		held |= c->nrefs > 0;
	pthread_mutex_unlock(&server_lock);
	return held;
}

struct handover_scan {
	struct remote_conn *conn;	/* the owner's own connection */
	int *fds;			/* slots of its own files */
	size_t nfds, cap;
	bool survives;			/* one of them lacks FD_CLOEXEC */
	int err;
};

/* Append @fd to @s->fds (s->err on no memory). */
static void handover_push(struct handover_scan *s, int fd)
{
	if (s->err)
		return;
	if (s->nfds == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		int *v = ufi_realloc(s->fds, cap * sizeof(*v));

		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		s->fds = v;
		s->cap = cap;
	}
	s->fds[s->nfds++] = fd;
}

static void handover_scan_fd(int fd, struct ufile *f, void *arg)
{
	struct handover_scan *s = arg;
	long fl;

	if (s->err || ufile_is_remote(f))
		return;
	fl = syscall(SYS_fcntl, fd, F_GETFD);
	if (fl >= 0 && !(fl & FD_CLOEXEC))
		s->survives = true;
	handover_push(s, fd);
	if (!s->err && !conn_ref_find(s->conn, f->handle)) {
		s->err = conn_ref_add(s->conn, f, 1);
		if (!s->err)
			s->err = ufile_kfd_keep(f);
	}
}

static void keeper_slot(int fd, struct ufile *f, void *arg)
{
	handover_push(arg, fd);
}

static bool keeper_fd_needed(int fd)
{
	struct remote_conn *c;
	char path[64], link[64];
	ssize_t n;

	if (fd == server_epfd)
		return true;
	list_for_each_entry(c, &server_conns, link)
		if (c->fd == fd)
			return true;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return true;	/* no /proc: keep what we cannot tell */
	link[n] = 0;
	/* eventfds of files and interrupts, io_uring rings, pidfds ... */
	return !strncmp(link, "anon_inode:", 11);
}

/* Close every fd of the owner's that the keeper does not need. */
static void keeper_close_fds(void)
{
	struct handover_scan all = {};
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end || e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		keeper_slot((int)fd, NULL, &all);
	}
	closedir(d);
	for (size_t i = 0; i < all.nfds; i++)
		if (!keeper_fd_needed(all.fds[i]))
			sys_close(all.fds[i]);
	free(all.fds);
}

/* The keeper: serve the connections until none is left, then exit. */
static __attribute__((noreturn)) void keeper_main(void)
{
	struct handover_scan slots = {};
	struct epoll_event ev[16];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		sys_close(null);
	}
	if (server_stop_efd >= 0) {
		epoll_ctl(server_epfd, EPOLL_CTL_DEL, server_stop_efd, NULL);
		sys_close(server_stop_efd);
		server_stop_efd = -1;
	}
	/* The connections to other owners are the owner's business. */
	for (struct remote_owner *o = owners; o; o = o->next) {
		if (o != remote_self && o->conn_fd >= 0)
			sys_close(o->conn_fd);
		if (o != remote_self)
			o->conn_fd = -1;
	}
	/* The owner's fds are not ours: files nothing else holds go. */
	ufile_for_each_fd(keeper_slot, &slots);
	for (size_t i = 0; i < slots.nfds; i++) {
		ufile_remove_fd(slots.fds[i]);
		sys_close(slots.fds[i]);
	}
	free(slots.fds);
	keeper_close_fds();
	in_serve = true;
	for (;;) {
		int n;

		if (list_empty(&server_conns))
			_exit(0);
		n = epoll_wait(server_epfd, ev, ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR)
			_exit(1);
		for (int i = 0; i < n; i++) {
			struct remote_conn *c = ev[i].data.ptr;

			if (c && server_serve(c))
				server_drop(c);
		}
	}
}

/*
 * Hand this process's files to a keeper (see above); with @become_client
 * (exec), also the ones only our own fd table holds, and we become the
 * keeper's client.  0 (also when there was nothing to hand over) or -errno
 * with nothing changed.
 */
static int remote_handover(bool become_client)
{
	struct handover_scan s = {};
	struct remote_conn *c, *tmp;
	struct remote_owner *k;
	int sp[2] = { -1, -1 }, pfd[2], ret;
	pid_t pid, keeper = -1;
	bool held;

	if (!remote_self)
		return 0;
	server_stop();
	held = server_conns_hold_refs();
	if (become_client) {
		if (server_epfd < 0) {
			server_epfd = epoll_create1(EPOLL_CLOEXEC);
			if (server_epfd < 0) {
				ret = -errno;
				goto err_restart;
			}
		}
		s.conn = ufi_calloc(1, sizeof(*s.conn));
		if (!s.conn) {
			ret = -ENOMEM;
			goto err_restart;
		}
		s.conn->fd = -1;
		ufile_for_each_fd(handover_scan_fd, &s);
		ret = s.err;
		if (ret)
			goto err_conn;
		if (!s.conn->nrefs || (!s.survives && !held)) {
			conn_free(s.conn, true);
			s.conn = NULL;
		} else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
				      0, sp)) {
			ret = -errno;
			goto err_conn;
		} else {
			s.conn->fd = sp[0];
			ret = server_add(s.conn);
			if (ret) {
				sys_close(sp[1]);
				goto err_conn;
			}
		}
	}
	if (!s.conn && !held) {
		ret = 0;
		goto err_restart;	/* nothing to hand over */
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		ret = -errno;
		goto err_drop;
	}
	keeper_forking = true;
	pid = fork();
	keeper_forking = false;
	if (!pid) {
		pid_t kp;

		setsid();
		kp = _Fork();
		if (kp) {
			NEVER(sys_write(pfd[1], &kp, sizeof(kp)) != sizeof(kp));
			_exit(0);
		}
		sys_close(pfd[0]);
		sys_close(pfd[1]);
		if (sp[1] >= 0)
			sys_close(sp[1]);
		keeper_main();
	}
	if (pid > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (sys_read(pfd[0], &keeper, sizeof(keeper)) != sizeof(keeper))
			keeper = -1;
	}
	sys_close(pfd[0]);
	sys_close(pfd[1]);
	if (keeper <= 0) {
		ret = -EAGAIN;
		goto err_drop;
	}
	/* The keeper serves; our copies of the files stay reachable, unused. */
	pthread_mutex_lock(&server_lock);
	list_for_each_entry_safe(c, tmp, &server_conns, link) {
		list_del(&c->link);
		sys_close(c->fd);
		c->fd = -1;
		list_add_tail(&c->link, &handed_conns);
	}
	pthread_mutex_unlock(&server_lock);
	sys_close(server_epfd);
	server_epfd = -1;
	if (!s.conn)
		goto out;
	k = owner_new(keeper);
	if (!k) {
		/* Our files are the keeper's now; without a record, EBADF. */
		sys_close(sp[1]);
		goto out;
	}
	k->conn_fd = sp[1];
	pthread_mutex_lock(&owners_lock);
	k->next = owners;
	owners = k;
	pthread_mutex_unlock(&owners_lock);
	for (size_t i = 0; i < s.nfds; i++) {
		struct ufile *f = ufile_get(s.fds[i]);

		if (!f)
			continue;
		if (exec_attach(k, s.fds[i], f->handle, f->flags))
			ufile_remove_fd(s.fds[i]);
		/* Our copy stays referenced by handed_conns (never released). */
		ufile_put(f);
	}
out:
	free(s.fds);
	return 0;

err_drop:
	if (s.conn)
		server_drop(s.conn);
	if (sp[1] >= 0)
		sys_close(sp[1]);
	s.conn = NULL;
err_conn:
	if (s.conn)
		conn_free(s.conn, true);
err_restart:
	free(s.fds);
	if (!list_empty(&server_conns))
		server_start();
	return ret;
}


void remote_exit(void)
{
	if (remote_self && server_started && server_conns_hold_refs())
		remote_handover(false);
}

/* exit() (and the end of main): others may still hold our files. */
__attribute__((destructor)) static void remote_exit_handover(void)
{
	remote_exit();
}
