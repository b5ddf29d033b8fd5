/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scenarios run by zcrunner, and the helpers they share.
 */
#ifndef ZCBENCH_SCENARIO_H
#define ZCBENCH_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parameters from the kernel command line (docs/guest-protocol.md). */
struct zc_config {
	size_t size;			/* zcbench.size_mib, in bytes */
	unsigned int settle_ms;		/* zcbench.settle_ms */
	int flush_stats;		/* zcbench.flush_stats */
	const char *variant;		/* matrix scenarios: the variant loaded */
};

/*
 * A scenario runs in its own process, inside its KTAP subtest: it prints the
 * plan, its metrics and its cases, and returns 0 if all of them passed.
 * name is the scenario's name, used for the cgroup it creates (zc-<name>).
 */
struct scenario {
	const char *name;
	int (*run)(const char *name, const struct zc_config *cfg);
};

int test_tcp_zerocopy(const char *name, const struct zc_config *cfg);
int test_zcpool_device(const char *name, const struct zc_config *cfg);
int test_zcpool_variants(const char *name, const struct zc_config *cfg);
int test_zcpool_cost(const char *name, const struct zc_config *cfg);
int test_zcpool_fuzz(const char *name, const struct zc_config *cfg);
/* faults.c: fail on purpose (a kernel panic, a hang) for the host's tests. */
int test_fault_panic(const char *name, const struct zc_config *cfg);
int test_fault_hang(const char *name, const struct zc_config *cfg);

/*
 * The accounting matrix (docs/matrix-protocol.md, zcpool_matrix.c): run once
 * per variant, with cfg->variant the one loaded; name is the scenario's.
 */
int test_mx_steady(const char *name, const struct zc_config *cfg);
int test_mx_release(const char *name, const struct zc_config *cfg);
int test_mx_double_charge(const char *name, const struct zc_config *cfg);
int test_mx_under_charge(const char *name, const struct zc_config *cfg);
int test_mx_memory_max(const char *name, const struct zc_config *cfg);
int test_mx_cross_cgroup(const char *name, const struct zc_config *cfg);
int test_mx_vmsplice_pin(const char *name, const struct zc_config *cfg);
int test_mx_fork(const char *name, const struct zc_config *cfg);
int test_mx_zombie(const char *name, const struct zc_config *cfg);
int test_mx_isolation(const char *name, const struct zc_config *cfg);
int test_mx_unload(const char *name, const struct zc_config *cfg);

/* Memory counters of a cgroup at one point of a scenario, in bytes. */
struct memcg_sample {
	long memory_current;
	long file_mapped;
	long sock;
	long kernel;
};

/* Sleep for ms milliseconds. */
void settle(unsigned int ms);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t monotonic_ns(void);

/*
 * Read cgroup's counters now: memory.current as it is, memory.stat as the
 * last rstat flush left it. Returns 0, or -1 after printing which counter
 * could not be read.
 */
int memcg_read(const char *cgroup, struct memcg_sample *s);

/* Where the guest mounts debugfs. */
#define DEBUGFS "/sys/kernel/debug"

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

/*
 * The guest's memory while scenarios run: guest_memory_init() (in the runner,
 * before scenarios fork) shares a low-water mark of MemAvailable that every
 * memcg_read() updates; guest_memory_print() prints
 * "# guest memory: total_kb=N min_available_kb=M" at the top level.
 */
void guest_memory_init(void);
void guest_memory_print(void);

/* Print s as the metrics <point>.memory_current, <point>.file_mapped, ... */
void memcg_sample_print(const char *point, const struct memcg_sample *s);

#endif /* ZCBENCH_SCENARIO_H */
