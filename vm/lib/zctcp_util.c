// SPDX-License-Identifier: GPL-2.0
/*
 * The zctcp livepatch from the guest (zctcp_util.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "ktap.h"
#include "protocol.h"
#include "zcpool_util.h"
#include "zctcp_util.h"

#define ZCT_MODULE_DIR		"/sys/module/zctcp"
#define ZCT_TICK_MS		10

const char *const zct_design_names[ZCTCP_NR_DESIGNS] = ZCTCP_DESIGN_NAMES;
static const char *const zct_counter_names[ZCTCP_NR_COUNTERS] =
	ZCTCP_COUNTER_NAMES;

unsigned int zct_design_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < ZCTCP_NR_DESIGNS; i++)
		if (!strcmp(name, zct_design_names[i]))
			return i;
	return ZCTCP_NR_DESIGNS;
}

unsigned int zct_counter_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < ZCTCP_NR_COUNTERS; i++)
		if (!strcmp(name, zct_counter_names[i]))
			return i;
	return ZCTCP_NR_COUNTERS;
}

bool zct_loaded(void)
{
	return !access(ZCT_MODULE_DIR, F_OK);
}

const char *zct_kernel_design(void)
{
	static char design[32];
	static bool read;

	if (!read) {
		read = true;
		if (!cmdline_get(ZCB_KEY_TCP_KERNEL, design, sizeof(design)))
			design[0] = '\0';
	}
	return design[0] ? design : NULL;
}

bool zct_in_kernel(const char *design)
{
	const char *own = zct_kernel_design();

	return own && !strcmp(design, own);
}

static void zct_sleep_tick(void)
{
	const struct timespec tick = { .tv_nsec = ZCT_TICK_MS * 1000 * 1000 };

	nanosleep(&tick, NULL);
}

/* Wait for the patch's transition to end (or the patch to be gone). */
static int zct_wait_transition(void)
{
	unsigned int waited;
	char state[8];

	for (waited = 0; waited < ZCT_TRANSITION_MS; waited += ZCT_TICK_MS) {
		/*
		 * Gone: ENOENT, or ENODEV while its kobject is being
		 * removed (seen on the debug 6.12 kernel).
		 */
		if (zcp_read_line(ZCTCP_SYSFS_TRANSITION, state, sizeof(state)))
			return errno == ENOENT || errno == ENODEV ? 0 : -1;
		if (!strcmp(state, "0"))
			return 0;
		zct_sleep_tick();
	}
	errno = ETIMEDOUT;
	return -1;
}

int zct_unload(void)
{
	unsigned int waited;

	if (!zct_loaded())
		return 0;
	if (!access(ZCTCP_SYSFS_ENABLED, F_OK) &&
	    zcp_write_file(ZCTCP_SYSFS_ENABLED, "0") && errno != EINVAL) {
		/* EINVAL: already disabled. */
		ktap_print_msg("write 0 to %s: %m", ZCTCP_SYSFS_ENABLED);
		return -1;
	}
	if (zct_wait_transition()) {
		ktap_print_msg("zctcp: unpatching did not finish: %m");
		return -1;
	}
	/* The livepatch core drops its module reference from a work item. */
	for (waited = 0; waited < ZCT_TRANSITION_MS; waited += ZCT_TICK_MS) {
		if (!syscall(SYS_delete_module, "zctcp", O_NONBLOCK) ||
		    errno == ENOENT)
			return 0;
		if (errno != EBUSY && errno != EAGAIN) {
			ktap_print_msg("delete_module(zctcp): %m");
			return -1;
		}
		zct_sleep_tick();
	}
	ktap_print_msg("delete_module(zctcp): still in use after %d ms",
		       ZCT_TRANSITION_MS);
	errno = EBUSY;
	return -1;
}

int zct_load(const char *params)
{
	int fd, ret, err;

	fd = open(ZCB_PATH_LIVEPATCH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret ? -1 : 0;
}

int zct_switch(const char *design, const char *params)
{
	char all[256], loaded[32];

	if (zct_design_index(design) == ZCTCP_NR_DESIGNS) {
		ktap_print_msg("unknown real-path design '%s'", design);
		errno = EINVAL;
		return -1;
	}
	if (zct_kernel_design() &&
	    zct_design_index(design) == ZCTCP_DESIGN_STOCK) {
		ktap_print_msg("the kernel is built with %s in net/ipv4/tcp.c "
			       "(" ZCB_PARAM_PREFIX ZCB_KEY_TCP_KERNEL "): "
			       "%s, the stock kernel, is not there to run",
			       zct_kernel_design(), design);
		errno = EINVAL;
		return -1;
	}
	if (zct_unload())
		return -1;
	if (zct_design_index(design) == ZCTCP_DESIGN_STOCK ||
	    zct_in_kernel(design))
		return 0;

	snprintf(all, sizeof(all), "design=%s%s%s", design,
		 params && *params ? " " : "", params ? params : "");
	if (zct_load(all)) {
		ktap_print_msg("finit_module(%s, \"%s\"): %m (errno %d)",
			       ZCB_PATH_LIVEPATCH, all, errno);
		return -1;
	}
	if (zct_wait_transition()) {
		ktap_print_msg("zctcp: patching did not finish: %m");
		return -1;
	}
	if (zcp_read_line(ZCT_MODULE_DIR "/parameters/design", loaded,
			  sizeof(loaded)) || strcmp(loaded, design)) {
		ktap_print_msg("zctcp's design parameter is \"%s\", not %s",
			       loaded, design);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int zct_counters(long counters[ZCTCP_NR_COUNTERS])
{
	char name[64];
	unsigned int i;
	long value;
	FILE *f;
	int ret = 0;

	f = fopen(DEBUGFS "/" ZCTCP_DEBUGFS_COUNTERS, "re");
	if (!f)
		return -1;
	for (i = 0; i < ZCTCP_NR_COUNTERS; i++) {
		if (fscanf(f, "%63s %ld", name, &value) != 2 ||
		    strcmp(name, zct_counter_names[i])) {
			errno = EPROTO;
			ret = -1;
			break;
		}
		counters[i] = value;
	}
	fclose(f);
	return ret;
}

void zct_print_counters(const char *prefix,
			const long counters[ZCTCP_NR_COUNTERS])
{
	char name[128];
	unsigned int i;

	for (i = 0; i < ZCTCP_NR_COUNTERS; i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix,
			 zct_counter_names[i]);
		ktap_metric(name, counters[i]);
	}
}
