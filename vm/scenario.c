// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the scenarios.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

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

static int memcg_read_stat(const char *cgroup, const char *key, long *val)
{
	*val = cg_read_key_long(cgroup, "memory.stat", key);
	if (*val < 0) {
		ktap_print_msg("%s/memory.stat: no %s: %m", cgroup, key);
		return -1;
	}
	return 0;
}

int memcg_sample(const char *cgroup, unsigned int settle_ms,
		 struct memcg_sample *s)
{
	int ret = 0;

	settle(settle_ms);

	s->memory_current = cg_read_long(cgroup, "memory.current");
	if (s->memory_current < 0) {
		ktap_print_msg("%s/memory.current: %m", cgroup);
		ret = -1;
	}
	ret |= memcg_read_stat(cgroup, "file_mapped", &s->file_mapped);
	ret |= memcg_read_stat(cgroup, "sock", &s->sock);
	ret |= memcg_read_stat(cgroup, "kernel", &s->kernel);
	return ret;
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
