// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's checks of what a run left: the pool's counters back where
 * they were (debugfs zcpool/stats), and the kernel's log free of the
 * console markers of a kernel in trouble (ZCB_CONSOLE_MARKERS, the host's
 * own list).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "fuzz.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

const char *const pool_keys[] = {
	"queued", "out", "mapped", "sock", "charged", "double_now", "under_now",
};
_Static_assert(ARRAY_SIZE(pool_keys) == NR_POOL_KEYS, "one name per pool counter checked");

static const struct {
	const char *kind, *text;
} markers[] = ZCB_CONSOLE_MARKERS;

/* The pool's counters from debugfs, in pool_keys order; 0 or -1. */
int pool_read(long values[NR_POOL_KEYS])
{
	char buf[2048];
	size_t i;

	if (cg_read(DEBUGFS, ZCPOOL_DEBUGFS_STATS, buf, sizeof(buf)) < 0)
		return -1;
	for (i = 0; i < NR_POOL_KEYS; i++)
		values[i] = cg_key_long(buf, pool_keys[i]);
	return 0;
}

/*
 * The pool's counters; false (after saying why) if any is not where it was
 * before the variant ran (0, unless an earlier variant leaked).
 */
bool pool_at_rest(const char *when, const long base[NR_POOL_KEYS])
{
	long values[NR_POOL_KEYS];
	bool ok = true;
	size_t i;

	if (pool_read(values)) {
		ktap_print_msg("%s: read " ZCPOOL_DEBUGFS_STATS ": %m", when);
		return false;
	}
	for (i = 0; i < NR_POOL_KEYS; i++) {
		if (values[i] != base[i]) {
			ktap_print_msg("%s: pool %s = %ld, expected %ld (leaked pages)", when, pool_keys[i],
				       values[i], base[i]);
			ok = false;
		}
	}
	return ok;
}

/* RECLAIM until nothing is outstanding (pipes closing may lag a little). */
void reclaim_all(void)
{
	struct zcpool_reclaim rc;
	int i;

	for (i = 0; i < 50; i++) {
		if (zcp_reclaim_any(&rc) || !rc.outstanding)
			break;
		settle(20);
	}
}

/*
 * The first kernel message since kmsg_open() that shows a kernel in trouble
 * (the host's console markers), copied into buf. False if none.
 */
bool kmsg_trouble(int fd, char *buf, size_t len)
{
	const char *text;
	char rec[1024];
	size_t i;

	while ((text = kmsg_next(fd, rec, sizeof(rec)))) {
		for (i = 0; i < ARRAY_SIZE(markers); i++) {
			if (strstr(text, markers[i].text)) {
				snprintf(buf, len, "kernel: %.200s", text);
				return true;
			}
		}
	}
	return false;
}
