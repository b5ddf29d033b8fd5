/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every scenario is given: the parameters of the kernel command line
 * (docs/guest-protocol.md) that the runner read, and the variant loaded.
 */
#ifndef ZCBENCH_CONFIG_H
#define ZCBENCH_CONFIG_H

#include <stddef.h>

struct zc_config {
	size_t size;			/* zcbench.size_mib, in bytes */
	unsigned int settle_ms;		/* zcbench.settle_ms */
	int flush_stats;		/* zcbench.flush_stats */
	const char *variant;		/* matrix scenarios: the variant (or
					 * real-path design) in force */
};

#endif /* ZCBENCH_CONFIG_H */
