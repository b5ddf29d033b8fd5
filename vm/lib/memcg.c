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

/* The memory.stat keys of a sample, in buf (the file's text, "" if unread). */
static int memcg_stat_parse(const char *cgroup, const char *buf,
			    struct memcg_sample *s)
{
	static const char *const keys[] = { "file_mapped", "sock", "kernel",
					    "pagetables" };
	long *vals[] = { &s->file_mapped, &s->sock, &s->kernel,
			 &s->pagetables };
	int ret = 0;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		*vals[i] = cg_key_long(buf, keys[i]);
		if (*vals[i] < 0 && buf[0]) {
			ktap_print_msg("%s/memory.stat: no %s", cgroup, keys[i]);
			ret = -1;
		}
	}
	return ret;
}

int memcg_read(const char *cgroup, struct memcg_sample *s)
{
	char buf[CG_STAT_BYTES];
	int ret = 0;

	guest_memory_note();
	s->memory_peak = -1;
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
	return memcg_stat_parse(cgroup, buf, s) ? -1 : ret;
}

int memcg_flush(void)
{
	int fd = open(DEBUGFS "/" ZCPOOL_DEBUGFS_FLUSH, O_WRONLY | O_CLOEXEC);
	int ret, err;

	if (fd < 0)
		return -1;
	ret = write(fd, "1", 1) == 1 ? 0 : -1;
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* memcg_flush() through f's file; 0, or -1 with errno set. */
static int memcg_files_flush(const struct memcg_files *f)
{
	if (f->flush < 0) {
		errno = f->flush_errno;
		return -1;
	}
	return write(f->flush, "1", 1) == 1 ? 0 : -1;
}

/*
 * What every sample but a "# sample" line does first: wait cfg->settle_ms,
 * then flush through f, or, when that fails (the module may be unloaded
 * for a while), wait FALLBACK_SETTLE_MS instead. Said once per process.
 */
static void memcg_settle(const struct zc_config *cfg,
			 const struct memcg_files *f)
{
	static bool said;

	settle(cfg->settle_ms);
	if (!cfg->flush_stats || !memcg_files_flush(f))
		return;
	if (!said)
		ktap_print_msg("memcg stats: no forced flush through " DEBUGFS "/" ZCPOOL_DEBUGFS_FLUSH
			       " (%m); waiting %d ms before this sample instead", FALLBACK_SETTLE_MS);
	said = true;
	settle(FALLBACK_SETTLE_MS);
}

/*
 * Through files opened and read first: opening a control file, or reading
 * it the first time, allocates, and a charge after the flush drained the
 * per-cpu stock would refill it (a charge batch above what is in use).
 */
int memcg_sample(const char *cgroup, const struct zc_config *cfg,
		 struct memcg_sample *s)
{
	struct memcg_files f;
	int ret;

	guest_memory_note();
	if (memcg_files_open(&f, cgroup))
		return -1;
	ret = memcg_files_sample(&f, cfg, s);
	memcg_files_close(&f);
	s->memory_peak = -1;
	return ret;
}

int memcg_files_open(struct memcg_files *f, const char *cgroup)
{
	struct memcg_sample s;

	f->cgroup = cgroup;
	f->current = cg_open(cgroup, "memory.current", O_RDONLY);
	f->stat = cg_open(cgroup, "memory.stat", O_RDONLY);
	/* Writable where a write resets the peak seen through this file (6.12). */
	f->peak = cg_open(cgroup, "memory.peak", O_RDWR);
	f->peak_resets = f->peak >= 0;
	if (f->peak < 0)
		f->peak = cg_open(cgroup, "memory.peak", O_RDONLY);
	f->flush = open(DEBUGFS "/" ZCPOOL_DEBUGFS_FLUSH, O_WRONLY | O_CLOEXEC);
	f->flush_errno = errno;
	if (f->current < 0 || f->stat < 0) {
		ktap_print_msg("%s/memory.{current,stat}: %m", cgroup);
		memcg_files_close(f);
		return -1;
	}
	if (memcg_files_read(f, &s)) {
		memcg_files_close(f);
		return -1;
	}
	return 0;
}

int memcg_files_read(struct memcg_files *f, struct memcg_sample *s)
{
	char buf[CG_STAT_BYTES];
	int ret = 0;

	s->memory_current = cg_fd_read_long(f->current, NULL);
	s->memory_peak = f->peak >= 0 ? cg_fd_read_long(f->peak, NULL) : -1;
	if (s->memory_current < 0 || (f->peak >= 0 && s->memory_peak < 0)) {
		ktap_print_msg("%s/memory.{current,peak}: %m", f->cgroup);
		ret = -1;
	}
	if (cg_fd_read(f->stat, buf, sizeof(buf)) < 0) {
		ktap_print_msg("%s/memory.stat: %m", f->cgroup);
		buf[0] = '\0';
		ret = -1;
	}
	return memcg_stat_parse(f->cgroup, buf, s) ? -1 : ret;
}

/*
 * A charge anywhere in the cgroup between the drain and the read takes a
 * whole charge batch into the per-cpu stock: memory.current reads up to 63
 * pages above what is in use (seen once in a few hundred samples). So the
 * reading is confirmed: drained again, memory.current must read the same,
 * else everything is read again, at most MEMCG_SAMPLE_TRIES times.
 */
#define MEMCG_SAMPLE_TRIES	4

int memcg_files_sample(struct memcg_files *f, const struct zc_config *cfg,
		       struct memcg_sample *s)
{
	int tries;

	memcg_settle(cfg, f);
	for (tries = 1; ; tries++) {
		if (memcg_files_read(f, s))
			return -1;
		if (!cfg->flush_stats || tries == MEMCG_SAMPLE_TRIES ||
		    memcg_files_flush(f) ||
		    cg_fd_read_long(f->current, NULL) == s->memory_current)
			return 0;
	}
}

int memcg_files_peak_reset(struct memcg_files *f)
{
	/* Drained first, the peak starts from what is in use. */
	memcg_files_flush(f);
	if (!f->peak_resets || cg_fd_write(f->peak, "reset")) {
		f->peak_resets = false;
		return -1;
	}
	return 0;
}

void memcg_files_close(struct memcg_files *f)
{
	int *fds[] = { &f->current, &f->stat, &f->peak, &f->flush };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
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
	memcg_metric(point, "pagetables", s->pagetables);
	memcg_metric(point, "memory_peak", s->memory_peak);
}
