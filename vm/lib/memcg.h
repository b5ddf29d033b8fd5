/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sampling a cgroup's memory counters, as the scenarios measure them
 * (docs/matrix-protocol.md), and the guest's own memory while they run.
 */
#ifndef ZCBENCH_MEMCG_H
#define ZCBENCH_MEMCG_H

#include <stdbool.h>

#include "config.h"

/* Memory counters of a cgroup at one point of a scenario, in bytes. */
struct memcg_sample {
	long memory_current;
	long file_mapped;
	long sock;
	long kernel;
	long pagetables;		/* also in kernel: a mapping's own cost */
	long memory_peak;		/* memcg_files_read() only; -1: none */
};

/*
 * Read cgroup's counters now: memory.current as it is, memory.stat as the
 * last rstat flush left it (memory_peak -1). Returns 0, or -1 after
 * printing which counter could not be read.
 */
int memcg_read(const char *cgroup, struct memcg_sample *s);

/*
 * Wait cfg->settle_ms, flush memcg's rstat through zcpool if
 * cfg->flush_stats (without the flush, memory.stat is what the last
 * periodic flush, about every 2 s, left), then sample cgroup as memcg_read()
 * does, through files opened and read before the flush (memcg_files_*: an
 * allocation after the flush would refill the per-cpu stock it drained).
 * If the flush is unavailable, say so once and wait FALLBACK_SETTLE_MS
 * before every sample instead.
 */
#define FALLBACK_SETTLE_MS 2500
int memcg_sample(const char *cgroup, const struct zc_config *cfg,
		 struct memcg_sample *s);

/*
 * Flush memcg's rstat through zcpool (debugfs ZCPOOL_DEBUGFS_FLUSH), which
 * first drains memcg's per-cpu charge stock where the module can: the
 * stock's pages and its reference on their memcg go back. 0, or -1 with
 * errno set.
 */
int memcg_flush(void);

/* Print s as the metrics <point>.memory_current, <point>.file_mapped, ... */
void memcg_sample_print(const char *point, const struct memcg_sample *s);

/*
 * A cgroup's memory files and zcpool's flush file, opened once and read
 * once, so that a sample through them allocates nothing: for a sample taken
 * inside a charge window. memory.peak where the kernel has it (else -1),
 * opened for writing where a write resets the peak this file shows (6.12).
 */
struct memcg_files {
	const char *cgroup;
	int current, stat, peak, flush;
	int flush_errno;		/* of opening the flush file */
	bool peak_resets;		/* memcg_files_peak_reset() works */
};

#define MEMCG_FILES_INIT { .current = -1, .stat = -1, .peak = -1, .flush = -1 }

/* Open and read them; 0, or -1 (printed) with nothing left open. */
int memcg_files_open(struct memcg_files *f, const char *cgroup);

/*
 * memcg_read() through f, memory_peak included, and without noting the
 * guest's memory (reading /proc/meminfo allocates).
 */
int memcg_files_read(struct memcg_files *f, struct memcg_sample *s);

/*
 * memcg_sample() through f: settle, flush, memcg_files_read(), and, with
 * the flush, drained and read again until memory.current reads the same
 * twice (a charge batch the per-cpu stock took meanwhile is not in use).
 */
int memcg_files_sample(struct memcg_files *f, const struct zc_config *cfg,
		       struct memcg_sample *s);

/*
 * Flush (so drain the per-cpu stock where the module can), then from now
 * on memory.peak through f is the peak since this call. 0, or -1 where the
 * kernel cannot (f->peak_resets false from then on: the peak is the
 * cgroup's since its creation).
 */
int memcg_files_peak_reset(struct memcg_files *f);

void memcg_files_close(struct memcg_files *f);

/*
 * The guest's memory while scenarios run: guest_memory_init() (in the runner,
 * before scenarios fork) shares a low-water mark of MemAvailable that every
 * memcg_read() and memcg_sample() updates; guest_memory_print() prints
 * "# guest memory: total_kb=N min_available_kb=M" (ZCB_LINE_GUEST_MEMORY)
 * at the top level.
 */
void guest_memory_init(void);
void guest_memory_print(void);

#endif /* ZCBENCH_MEMCG_H */
