/*
 * uaccess.h - reaching the caller's memory the way the kernel's
 * copy_{from,to}_user does: a bad pointer is -EFAULT, never a crash.
 *
 * Caller memory is this process's own memory; access goes through
 * process_vm_readv/writev on ourselves (which the kernel checks page by page)
 * or, where a sandbox forbids that, through a pipe.  Copies are short
 * (ioctl structs, arrays the caller passes); bulk DMA never comes here.
 */
#ifndef UIOMMU_CORE_UACCESS_H
#define UIOMMU_CORE_UACCESS_H

#include <stddef.h>
#include <stdint.h>

/* 0 or -EFAULT. */
int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);
/* 0, -EFAULT, or -E2BIG when bytes past @ksize up to @usize are not zero. */
int copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			  size_t usize);
/* Is [usrc, usrc + len) all zero?  1 yes, 0 no, -EFAULT. */
int check_zeroed_user(const void *usrc, size_t len);
/* Forget cached process facts after fork(). */
void uaccess_after_fork(void);

#endif
