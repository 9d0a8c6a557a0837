/*
 * uaccess.h - reaching the caller's memory the way the kernel's
 * copy_{from,to}_user does: a bad pointer is -EFAULT, never a crash.
 *
 * The caller is normally this process: access goes through
 * process_vm_readv/writev on ourselves (which the kernel checks page by page)
 * or, where a sandbox forbids that, through a pipe.  While a request of
 * another process is served (src/core/remote.c), the calling thread has a
 * target: user pointers then name that process's memory, and fd numbers in
 * ioctl structs name the files it passed with the request (uaccess_fd(),
 * ufile_get()).  Copies are short (ioctl structs, arrays the caller passes);
 * bulk DMA never comes here.
 *
 * Host memory (uiommu's "physical" addresses, see src/iommu/domain.h) is
 * this process's whatever the target: copy_{from,to}_host.
 */
#ifndef UIOMMU_CORE_UACCESS_H
#define UIOMMU_CORE_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ufile;

/*
 * A caller address @off bytes past @uptr.  Caller pointers may hold any
 * value (NULL, the top of the address space), so the sum is done on
 * integers, where wrapping is defined, never as C pointer arithmetic.
 */
static inline void *uptr_add(const void *uptr, uint64_t off)
{
	return (void *)((uintptr_t)uptr + (uintptr_t)off);
}

/* 0 or -EFAULT. */
int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);
/*
 * Can one byte at @usrc be read?  0 or -EFAULT.  The kernel's
 * get_user_pages() of a page, which is no failure injection point (unlike
 * the two copies above).
 */
int probe_user(const void *usrc);
/* 0, -EFAULT, or -E2BIG when bytes past @ksize up to @usize are not zero. */
int copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			  size_t usize);
/* Is [usrc, usrc + len) all zero?  1 yes, 0 no, -EFAULT. */
int check_zeroed_user(const void *usrc, size_t len);
/* Checked copies in this process's own memory (host addresses). */
int copy_from_host(void *dst, const void *hsrc, size_t len);
int copy_to_host(void *hdst, const void *src, size_t len);
/* Forget cached process facts after fork(). */
void uaccess_after_fork(void);

/* A file descriptor the remote caller named in a struct field. */
struct uaccess_fd {
	int fd;			/* the number in the caller's struct */
	int host_fd;		/* our kernel fd for the same file, or -1 */
	struct ufile *file;	/* or the emulated file it names, or NULL */
};

#define UACCESS_MAX_NEW 4

/*
 * The caller of the request this thread serves.  Set by the server around
 * one ufile_ops call; owned by it (lives on its stack).
 */
struct uaccess_target {
	pid_t pid;			/* whose memory user pointers name */
	uid_t uid;			/* its uid (SCM_CREDENTIALS) */
	/* The ring passed as UACCESS_FD_PIN_RING charges the caller's user. */
	bool ring_charged;
	/* Out: MM-mode pages IOAS_CHANGE_PROCESS moved to the caller. */
	uint64_t mm_adopt;
	/*
	 * IOMMU_IOAS_MAP_FILE standing for the caller's IOMMU_IOAS_MAP of its
	 * private memory: pages not pinned while the caller lives cannot be
	 * had after it exits (the kernel's user pages of a dead mm).
	 */
	bool borrowed;
	const struct uaccess_fd *fds;
	unsigned int nfds;
	/* fds ufile_install_new() made while serving (to hand over) */
	int new_fds[UACCESS_MAX_NEW];
	unsigned int nnew;
};

/*
 * The fd number a client passes for the file standing for the memory of
 * its VFIO_IOMMU_MAP_DMA (remote.c); no program's fd has it.  While
 * serving that, uaccess_fd() of it is the file, and the map's vaddr an
 * offset in it; otherwise uaccess_fd() answers a negative number.
 */
#define UACCESS_FD_TYPE1_SOURCE (-2)
/*
 * Likewise for the io_uring a client makes for its IOMMU_IOAS_CHANGE_PROCESS:
 * pinned pages move into it, so its mm counts them (pages.c).
 */
#define UACCESS_FD_PIN_RING (-3)

/* Serve as @t (NULL: this process again).  Per thread. */
void uaccess_target_set(struct uaccess_target *t);
/* The target of this thread, or NULL when serving this process. */
struct uaccess_target *uaccess_target_get(void);
/*
 * The kernel fd of ours behind the caller's fd number @fd: @fd itself when
 * the caller is this process, else the fd it passed, or -1 (-EBADF).
 */
int uaccess_fd(int fd);

#endif
