/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The matrix scenarios (docs/matrix-protocol.md) and what they share: each
 * one's cgroups, its KTAP cases and its samples.
 */
#ifndef ZCBENCH_MATRIX_H
#define ZCBENCH_MATRIX_H

#include <limits.h>
#include <stdbool.h>

#include "config.h"
#include "memcg.h"
#include "scenario.h"

#define PATTERN_A		0x4141414141414141ULL
#define PATTERN_B		0x4242424242424242ULL

/* One matrix scenario: its cgroups and its KTAP cases. */
struct mx {
	const struct zc_config *cfg;
	const char *variant;
	char cg[PATH_MAX];		/* zc-<variant>-<scenario> */
	char cg_b[PATH_MAX];		/* zc-<variant>-<scenario>-b */
	unsigned int ncase;		/* cases printed */
	bool all;			/* every case passed */
};

/*
 * Create zc-<variant>-<name> (and the -b one if two), print the plan and
 * the metrics every scenario has. Returns 0 or -1 (printed).
 */
int mx_setup(struct mx *m, const char *name, const struct zc_config *cfg,
	     unsigned int cases, bool two);

/*
 * Print the cases not reached as failed, leave and remove the cgroups.
 * Returns the scenario's exit status.
 */
int mx_finish(struct mx *m, unsigned int cases, const char *const *names);

/* The next case. */
void mx_case(struct mx *m, bool ok, const char *name);

/* Move the calling process into cg; 0 or -1 (printed). */
int mx_enter(const char *cg);

/*
 * Wait settle_ms, sample cg and print it as <point>.*; s may be NULL.
 * Returns memory.current, -1 if unreadable.
 */
long mx_sample(struct mx *m, const char *cg, const char *point,
	       struct memcg_sample *s);

#endif /* ZCBENCH_MATRIX_H */
