/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scenarios zcrunner runs: each directory or file of vm/ defines one
 * or more of them, runner.c lists them.
 */
#ifndef ZCBENCH_SCENARIO_H
#define ZCBENCH_SCENARIO_H

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A scenario runs in its own process, inside its KTAP subtest: it prints the
 * plan, its metrics and its cases, and returns 0 if all of them passed.
 * name is the scenario's name, used for the cgroup it creates (zc-<name>).
 */
struct scenario {
	const char *name;
	int (*run)(const char *name, const struct zc_config *cfg);
};

/* tcp/ */
int test_tcp_zerocopy(const char *name, const struct zc_config *cfg);
/* device/ */
int test_zcpool_device(const char *name, const struct zc_config *cfg);
/* zcpool_variants.c */
int test_zcpool_variants(const char *name, const struct zc_config *cfg);
/* zcpool_cost.c */
int test_zcpool_cost(const char *name, const struct zc_config *cfg);
/* tcp/cost.c */
int test_tcp_cost(const char *name, const struct zc_config *cfg);
/* fuzz/ */
int test_zcpool_fuzz(const char *name, const struct zc_config *cfg);
/* ibt_check.c */
int test_module_ibt_check(const char *name, const struct zc_config *cfg);
/* tcp/safety.c */
int test_livepatch_safety(const char *name, const struct zc_config *cfg);
/* exec.c: the user's program (zcbench exec) in a cgroup of its own. */
int test_exec(const char *name, const struct zc_config *cfg);
/* faults.c: fail on purpose (a kernel panic, a hang) for the host's tests. */
int test_fault_panic(const char *name, const struct zc_config *cfg);
int test_fault_hang(const char *name, const struct zc_config *cfg);

/*
 * The accounting matrix (docs/matrix-protocol.md, matrix/): run once per
 * variant, with cfg->variant the one loaded; name is the scenario's.
 */
int test_mx_steady(const char *name, const struct zc_config *cfg);
int test_mx_release(const char *name, const struct zc_config *cfg);
int test_mx_double_charge(const char *name, const struct zc_config *cfg);
int test_mx_under_charge(const char *name, const struct zc_config *cfg);
int test_mx_memory_max(const char *name, const struct zc_config *cfg);
int test_mx_nofail_overshoot(const char *name, const struct zc_config *cfg);
int test_mx_cross_cgroup(const char *name, const struct zc_config *cfg);
int test_mx_vmsplice_pin(const char *name, const struct zc_config *cfg);
int test_mx_fork(const char *name, const struct zc_config *cfg);
int test_mx_zombie(const char *name, const struct zc_config *cfg);
int test_mx_unload(const char *name, const struct zc_config *cfg);

/*
 * The real-path matrix (tcp/designs.c): run once per design of
 * zcbench.tcp_designs, with cfg->variant the design in force.
 */
int test_tcpmx_steady(const char *name, const struct zc_config *cfg);
int test_tcpmx_release(const char *name, const struct zc_config *cfg);
int test_tcpmx_double_charge(const char *name, const struct zc_config *cfg);
int test_tcpmx_memory_max(const char *name, const struct zc_config *cfg);
int test_tcpmx_vmsplice_pin(const char *name, const struct zc_config *cfg);
int test_tcpmx_fork(const char *name, const struct zc_config *cfg);
int test_tcpmx_unload(const char *name, const struct zc_config *cfg);

#endif /* ZCBENCH_SCENARIO_H */
