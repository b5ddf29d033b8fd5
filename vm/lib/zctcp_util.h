/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zctcp livepatch (kernel/uapi/zctcp.h) from the guest: load it with a
 * design, unload it, read its counters.
 *
 * Functions returning int give 0 on success and -1 with errno set on
 * failure, like zcpool_util.h.
 */
#ifndef ZCBENCH_ZCTCP_UTIL_H
#define ZCBENCH_ZCTCP_UTIL_H

#include <stdbool.h>

#include <zctcp.h>

/* How long the livepatch's transition may take, each way. */
#define ZCT_TRANSITION_MS	10000

/*
 * The designs' names, in enum zctcp_design order: the livepatch's own
 * table (ZCTCP_DESIGN_NAMES), the only place the guest learns them.
 */
extern const char *const zct_design_names[ZCTCP_NR_DESIGNS];

/* The number of the design named name, ZCTCP_NR_DESIGNS if none is. */
unsigned int zct_design_index(const char *name);

/*
 * The index of the counter named name in ZCTCP_COUNTER_NAMES order,
 * ZCTCP_NR_COUNTERS if none is.
 */
unsigned int zct_counter_index(const char *name);

/* Is zctcp loaded (patched or on its way out)? */
bool zct_loaded(void);

/*
 * The design the kernel itself was built with (zcbench.tcp_kernel: a
 * kernel patched in net/ipv4/tcp.c, patches/), NULL for a stock kernel.
 * That design runs without the livepatch, and the stock kernel's
 * tcp-unaccounted is not there to run.
 */
const char *zct_kernel_design(void);

/* Is design the kernel's own (zct_kernel_design())? */
bool zct_in_kernel(const char *design);

/*
 * Make design the one in force: unload zctcp if loaded, then, unless
 * design is the stock kernel (tcp-unaccounted) or the kernel's own, load
 * it with "design=<design> <params>" and wait for its transition to end.
 * Says what failed (ktap_print_msg()) before returning -1; refuses
 * tcp-unaccounted on a kernel built with a design (EINVAL).
 */
int zct_switch(const char *design, const char *params);

/* finit_module() of the livepatch with params as given. 0 or -1 (errno set). */
int zct_load(const char *params);

/*
 * Unpatch and remove zctcp (0 if it is not loaded): write 0 to enabled,
 * wait for the transition, delete_module until the livepatch core lets
 * go of it. Says what failed before returning -1.
 */
int zct_unload(void);

/* The counters of debugfs zctcp/counters, in ZCTCP_COUNTER_NAMES order. */
int zct_counters(long counters[ZCTCP_NR_COUNTERS]);

/* Print counters as the metrics <prefix>.<name>. */
void zct_print_counters(const char *prefix,
			const long counters[ZCTCP_NR_COUNTERS]);

#endif /* ZCBENCH_ZCTCP_UTIL_H */
