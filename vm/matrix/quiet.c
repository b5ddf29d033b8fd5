// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: a process (or thread) that allocates nothing of its own
 * while it is measured, so that what its cgroup gains is the module's:
 * its stack faulted in, its memory locked, and, at a memory.max, exempt
 * from the memcg OOM killer.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "matrix.h"
#include "zcpool_util.h"

/* Stack faulted in below the caller: more than any scenario uses. */
#define STACK_PREFAULT		(256UL << 10)

void __attribute__((noinline)) mx_stack_prefault(void)
{
	volatile char buf[STACK_PREFAULT];
	size_t i;

	for (i = 0; i < sizeof(buf); i += ZCP_PAGE)
		buf[i] = 0;
}

int mx_lock_memory(void)
{
	mx_stack_prefault();
	if (mlockall(MCL_CURRENT)) {
		ktap_print_msg("mlockall: %m");
		return -1;
	}
	return 0;
}

int mx_oom_exempt(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || cg_fd_write(fd, "-1000")) {
		ktap_print_msg("oom_score_adj: %m");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
