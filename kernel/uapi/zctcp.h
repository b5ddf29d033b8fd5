/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zctcp: the livepatch of the kernel's own TCP_ZEROCOPY_RECEIVE path
 * (kernel/zctcp/). Its contract with the guest programs (vm/) and the host
 * (zcbench reads the design table below as it is): the designs its
 * parameter "design" takes, and where it reports.
 *
 * The module replaces tcp_zerocopy_vm_insert_batch() (net/ipv4/tcp.c) with
 * a copy that charges the pages it maps, as the design says
 * (kernel/zctcp/README.md). It is a livepatch: loading it patches the
 * running kernel, writing 0 to ZCTCP_SYSFS_ENABLED unpatches it, and only
 * then can it be removed.
 */
#ifndef _UAPI_ZCTCP_H
#define _UAPI_ZCTCP_H

/* Module version, also reported by /sys/module/zctcp/version. */
#define ZCTCP_VERSION "0.1.0"

/*
 * The real-path designs, in this order in every table. tcp-unaccounted is
 * the stock kernel: the module is not loaded for it (it refuses the name).
 */
enum zctcp_design {
	ZCTCP_DESIGN_UNACCOUNTED = 0,	/* "tcp-unaccounted" */
	ZCTCP_DESIGN_V1 = 1,		/* "tcp-v1" */
	ZCTCP_DESIGN_KMEM = 2,		/* "tcp-kmem" */
	ZCTCP_DESIGN_KMEM_BATCHED = 3,	/* "tcp-kmem-batched" */
	ZCTCP_NR_DESIGNS = 4,
};

/* The designs' names, in enum order: an initializer for a name table. */
#define ZCTCP_DESIGN_NAMES {					\
	[ZCTCP_DESIGN_UNACCOUNTED]	= "tcp-unaccounted",	\
	[ZCTCP_DESIGN_V1]		= "tcp-v1",		\
	[ZCTCP_DESIGN_KMEM]		= "tcp-kmem",		\
	[ZCTCP_DESIGN_KMEM_BATCHED]	= "tcp-kmem-batched",	\
}

/* The design loaded without the module: the stock kernel. */
#define ZCTCP_DESIGN_STOCK	ZCTCP_DESIGN_UNACCOUNTED

/* The livepatch's sysfs directory (the module's name). */
#define ZCTCP_SYSFS_PATCH	"/sys/kernel/livepatch/zctcp"
#define ZCTCP_SYSFS_ENABLED	ZCTCP_SYSFS_PATCH "/enabled"
#define ZCTCP_SYSFS_TRANSITION	ZCTCP_SYSFS_PATCH "/transition"

/*
 * debugfs, under its mount point: the patch's counters since it was
 * loaded, one "<name> <value>" line each, in this order.
 */
#define ZCTCP_DEBUGFS_COUNTERS	"zctcp/counters"
#define ZCTCP_COUNTER_NAMES {						\
	"batches",		/* calls of the replaced function */	\
	"pages_mapped",		/* pages it inserted */			\
	"pages_charged",	/* pages given a charge of their own */	\
	"pages_in_use",		/* left alone: charged already, compound, page_pool */ \
	"charge_failures",	/* charges refused (the rest copied) */	\
	"pages_refused",	/* pages not mapped for lack of a charge */ \
	"pages_uncharged",	/* charged, then not mapped: charge undone */ \
}
#define ZCTCP_NR_COUNTERS	7

/*
 * debugfs pause point: write "arm <tgid>" and each batch that process's
 * calls insert stops once inserted and charged (the skbs not yet freed),
 * until "resume" is written or 30 s pass; "off" disarms and lets a stopped
 * call go. Reads "armed <tgid>\nstopped <0|1>\nstops <n>\ninserted
 * <bytes>\n": the stops so far, and the bytes the stopped (or last
 * stopped) call had inserted at its stop.
 */
#define ZCTCP_DEBUGFS_PAUSE	"zctcp/pause"

#endif /* _UAPI_ZCTCP_H */
