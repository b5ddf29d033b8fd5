// SPDX-License-Identifier: GPL-2.0
/*
 * Sampling a cgroup's memory counters, and the guest's own memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "memcg.h"
#include "protocol.h"
#include "zcpool_util.h"

/* Shared with every scenario process: MemTotal and the lowest MemAvailable. */
static struct guest_memory {
	long total_kb;
	long min_available_kb;
} *guest_memory;

/* MemTotal and MemAvailable from /proc/meminfo, in kB; 0 or -1. */
static int meminfo(long *total_kb, long *available_kb)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");
	int found = 0;

	if (!f)
		return -1;
	while (found < 2 && fgets(line, sizeof(line), f))
		found += sscanf(line, "MemTotal: %ld kB", total_kb) == 1 ||
			 sscanf(line, "MemAvailable: %ld kB", available_kb) == 1;
	fclose(f);
	return found == 2 ? 0 : -1;
}

void guest_memory_init(void)
{
	long total, available;

	guest_memory = mmap(NULL, sizeof(*guest_memory), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (guest_memory == MAP_FAILED || meminfo(&total, &available)) {
		guest_memory = NULL;
		return;
	}
	guest_memory->total_kb = total;
	guest_memory->min_available_kb = available;
}

static void guest_memory_note(void)
{
	long total, available;

	if (guest_memory && !meminfo(&total, &available) &&
	    available < guest_memory->min_available_kb)
		guest_memory->min_available_kb = available;
}

void guest_memory_print(void)
{
	if (guest_memory)
		ktap_print_msg(ZCB_LINE_GUEST_MEMORY "total_kb=%ld min_available_kb=%ld",
			       guest_memory->total_kb,
			       guest_memory->min_available_kb);
}

int memcg_read(const char *cgroup, struct memcg_sample *s)
{
	static const char *const keys[] = { "file_mapped", "sock", "kernel" };
	long *vals[] = { &s->file_mapped, &s->sock, &s->kernel };
	char buf[16384];
	int ret = 0;
	size_t i;

	guest_memory_note();
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
