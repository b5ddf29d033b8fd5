/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scenarios run by zcrunner, and the helpers they share.
 */
#ifndef ZCBENCH_SCENARIO_H
#define ZCBENCH_SCENARIO_H

#include <stddef.h>

/* Parameters from the kernel command line (docs/guest-protocol.md). */
struct zc_config {
	size_t size;			/* zcbench.size_mib, in bytes */
	unsigned int settle_ms;		/* zcbench.settle_ms */
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

/* Memory counters of a cgroup at one point of a scenario, in bytes. */
struct memcg_sample {
	long memory_current;
	long file_mapped;
	long sock;
	long kernel;
};

/* Sleep for ms milliseconds. */
void settle(unsigned int ms);

/*
 * Wait settle_ms (so the periodic memcg stats flush has run), then sample
 * cgroup. Returns 0, or -1 after printing which counter could not be read.
 */
int memcg_sample(const char *cgroup, unsigned int settle_ms,
		 struct memcg_sample *s);

/* Print s as the metrics <point>.memory_current, <point>.file_mapped, ... */
void memcg_sample_print(const char *point, const struct memcg_sample *s);

#endif /* ZCBENCH_SCENARIO_H */
