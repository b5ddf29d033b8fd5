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

int memcg_sample(const char *cgroup, unsigned int settle_ms,
		 struct memcg_sample *s)
{
	settle(settle_ms);
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
