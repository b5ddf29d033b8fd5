// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the scenarios.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <zcpool.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "scenario.h"

void settle(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int memcg_read(const char *cgroup, struct memcg_sample *s)
{
	static const char *const keys[] = { "file_mapped", "sock", "kernel" };
	long *vals[] = { &s->file_mapped, &s->sock, &s->kernel };
	char buf[16384];
	int ret = 0;
	size_t i;

	s->memory_current = cg_read_long(cgroup, "memory.current");
	if (s->memory_current < 0) {
		ktap_print_msg("%s/memory.current: %m", cgroup);
		ret = -1;
	}
	if (cg_read(cgroup, "memory.stat", buf, sizeof(buf)) < 0) {
		ktap_print_msg("%s/memory.stat: %m", cgroup);
		buf[0] = '\0';
		ret = -1;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		*vals[i] = cg_key_long(buf, keys[i]);
		if (*vals[i] < 0 && buf[0]) {
			ktap_print_msg("%s/memory.stat: no %s", cgroup, keys[i]);
			ret = -1;
		}
	}
	return ret;
}

/* Flush memcg's rstat through zcpool; 0, or -1 with errno set. */
static int memcg_flush_stats(void)
{
	int fd = open(DEBUGFS "/" ZCPOOL_DEBUGFS_FLUSH, O_WRONLY | O_CLOEXEC);
	ssize_t ret;

	if (fd < 0)
		return -1;
	ret = write(fd, "1", 1);
	close(fd);
	return ret == 1 ? 0 : -1;
}

int memcg_sample(const char *cgroup, const struct zc_config *cfg,
		 struct memcg_sample *s)
{
	static bool unavailable;

	settle(cfg->settle_ms);
	if (cfg->flush_stats && !unavailable && memcg_flush_stats()) {
		ktap_print_msg("memcg stats: no forced flush through " DEBUGFS "/" ZCPOOL_DEBUGFS_FLUSH
			       " (%m); waiting %d ms before each sample instead", FALLBACK_SETTLE_MS);
		unavailable = true;
	}
	if (cfg->flush_stats && unavailable)
		settle(FALLBACK_SETTLE_MS);
	return memcg_read(cgroup, s);
}

static void memcg_metric(const char *point, const char *name, long value)
{
	char metric[64];

	if (value < 0)
		return;
	snprintf(metric, sizeof(metric), "%s.%s", point, name);
	ktap_metric(metric, value);
}

void memcg_sample_print(const char *point, const struct memcg_sample *s)
{
	memcg_metric(point, "memory_current", s->memory_current);
	memcg_metric(point, "file_mapped", s->file_mapped);
	memcg_metric(point, "sock", s->sock);
	memcg_metric(point, "kernel", s->kernel);
}
