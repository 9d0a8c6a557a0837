/*
 * caps.c - capget(2)-based capability check; asked each time, as the
 * kernel does, because a program may drop capabilities at any point.
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/caps.h"

bool uiommu_capable(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (cap < 0 || cap >= 32 * _LINUX_CAPABILITY_U32S_3)
		return false;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}
