/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sampling a cgroup's memory counters, as the scenarios measure them
 * (docs/matrix-protocol.md), and the guest's own memory while they run.
 */
#ifndef ZCBENCH_MEMCG_H
#define ZCBENCH_MEMCG_H

#include "config.h"

/* Memory counters of a cgroup at one point of a scenario, in bytes. */
struct memcg_sample {
	long memory_current;
	long file_mapped;
	long sock;
	long kernel;
};

/*
 * Read cgroup's counters now: memory.current as it is, memory.stat as the
 * last rstat flush left it. Returns 0, or -1 after printing which counter
 * could not be read.
 */
int memcg_read(const char *cgroup, struct memcg_sample *s);

/*
 * Wait cfg->settle_ms, flush memcg's rstat through zcpool if
 * cfg->flush_stats (without the flush, memory.stat is what the last
 * periodic flush, about every 2 s, left), then sample cgroup as memcg_read()
 * does. If the flush is unavailable, say so once and wait
 * FALLBACK_SETTLE_MS before every sample instead.
 */
#define FALLBACK_SETTLE_MS 2500
int memcg_sample(const char *cgroup, const struct zc_config *cfg,
		 struct memcg_sample *s);

/* Print s as the metrics <point>.memory_current, <point>.file_mapped, ... */
void memcg_sample_print(const char *point, const struct memcg_sample *s);

/*
 * The guest's memory while scenarios run: guest_memory_init() (in the runner,
 * before scenarios fork) shares a low-water mark of MemAvailable that every
 * memcg_read() updates; guest_memory_print() prints
 * "# guest memory: total_kb=N min_available_kb=M" (ZCB_LINE_GUEST_MEMORY)
 * at the top level.
 */
void guest_memory_init(void);
void guest_memory_print(void);

#endif /* ZCBENCH_MEMCG_H */
