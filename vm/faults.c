// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios that fail on purpose, so the host's handling of a guest that
 * panics or hangs can be tested against a real kernel:
 *
 *   fault-panic  crashes the kernel through /proc/sysrq-trigger ('c');
 *   fault-hang   never returns (the host's timeout must stop it).
 *
 * Neither is part of `zcbench check`.
 */
#include <fcntl.h>
#include <unistd.h>

#include "ktap.h"
#include "scenario.h"

int test_fault_panic(const char *name, const struct zc_config *cfg)
{
	int fd;

	(void)name;
	(void)cfg;
	ktap_print_plan(1);
	ktap_print_msg("crashing the kernel through /proc/sysrq-trigger");
	sync();
	fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "c", 1) != 1)
		ktap_print_msg("/proc/sysrq-trigger: %m");
	/* Still here: the crash did not happen. */
	ktap_test_result(false, 1, "panicked", NULL);
	return 1;
}

int test_fault_hang(const char *name, const struct zc_config *cfg)
{
	(void)name;
	(void)cfg;
	ktap_print_plan(1);
	ktap_print_msg("hanging until stopped");
	for (;;)
		pause();
	return 1;
}
