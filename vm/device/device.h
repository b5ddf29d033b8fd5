/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcpool-device's cases (one per check, in device.c's table) and what they
 * share.
 */
#ifndef ZCBENCH_DEVICE_H
#define ZCBENCH_DEVICE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "zcpool_util.h"

#define PAGES(n)		((size_t)(n) * ZCP_PAGE)
#define PATTERN_A		0xa5a5a5a5a5a5a5a5ULL
#define PATTERN_B		0x5b5b5b5b5b5b5b5bULL

struct dev_ctx {
	const struct zc_config *cfg;
	char variant[32];		/* the module's, at the start: kept, restored */
	char cg[PATH_MAX];		/* zc-<name>, no processes */
	char cg_main[PATH_MAX];		/* the scenario's own */
	char cg_limited[PATH_MAX];	/* for the charge failure */
	long tol;			/* bytes: 64 pages per cpu */
	bool module_gone;		/* unloaded and not back */
	/* results of the pinned-pages sequence, reported case by case */
	bool pinned_unload, pinned_payload, pinned_charge, reload;
};

/* ret == -1 with errno err, or print what happened instead. */
bool expect_errno(int ret, int err, const char *what);

/* ret == 0, or print errno. */
bool expect_ok(int ret, const char *what);

/* Run fn in a child process; returns its wait status, -1 if fork failed. */
int run_child(int (*fn)(void *), void *arg);

struct rxq;

/*
 * Run check on a fresh queue with a mapping of pages pages, then close
 * both. Returns false if the queue could not be opened, else what check
 * returned.
 */
bool with_queue(size_t pages, bool (*check)(struct rxq *q));

/* Load the module again with the variant it had; 0 or -1. */
int dev_reload(const struct dev_ctx *c);

/* mapping.c: who may open the device, and what its mappings allow. */
bool t_device_root_only(struct dev_ctx *c);
bool t_open_queue_stats(struct dev_ctx *c);
bool t_mmap_write_eperm(struct dev_ctx *c);
bool t_mmap_exec_eperm(struct dev_ctx *c);
bool t_mmap_private_einval(struct dev_ctx *c);
bool t_mprotect_write_eacces(struct dev_ctx *c);
bool t_feed_receive_payload(struct dev_ctx *c);
bool t_write_to_mapping_sigsegv(struct dev_ctx *c);
bool t_unreceived_page_sigbus(struct dev_ctx *c);

/* calls.c: FEED, RECEIVE, STATS, RECLAIM and read(), each error path. */
bool t_feed_zero_bytes_einval(struct dev_ctx *c);
bool t_feed_unaligned_bytes_einval(struct dev_ctx *c);
bool t_feed_too_large_einval(struct dev_ctx *c);
bool t_feed_unit_pages_einval(struct dev_ctx *c);
bool t_feed_flags_einval(struct dev_ctx *c);
bool t_feed_bad_pointer_efault(struct dev_ctx *c);
bool t_receive_unaligned_address_einval(struct dev_ctx *c);
bool t_receive_unaligned_length_einval(struct dev_ctx *c);
bool t_receive_zero_length_einval(struct dev_ctx *c);
bool t_receive_flags_einval(struct dev_ctx *c);
bool t_receive_outside_mapping_einval(struct dev_ctx *c);
bool t_receive_other_queue_einval(struct dev_ctx *c);
bool t_receive_beyond_mapping_einval(struct dev_ctx *c);
bool t_receive_bad_pointer_efault(struct dev_ctx *c);
bool t_receive_busy_pte_ebusy(struct dev_ctx *c);
bool t_receive_empty_queue(struct dev_ctx *c);
bool t_stats_bad_pointer_efault(struct dev_ctx *c);
bool t_reclaim_bad_pointer_efault(struct dev_ctx *c);
bool t_unknown_ioctl_enotty(struct dev_ctx *c);
bool t_read_copy_fallback(struct dev_ctx *c);
bool t_read_unaligned_einval(struct dev_ctx *c);
bool t_read_bad_buffer_efault(struct dev_ctx *c);

/* pool.c: recycling, charge failure, exhaustion, the variant parameter. */
bool t_reclaim_recycles(struct dev_ctx *c);
bool t_payload_isolation_after_recycling(struct dev_ctx *c);
bool t_receive_charge_failure_skip_hint(struct dev_ctx *c);
bool t_pool_exhausted_enobufs(struct dev_ctx *c);
bool t_variant_switch_busy(struct dev_ctx *c);
bool t_debugfs_stats(struct dev_ctx *c);

/* unload.c: unload refused, or done with pages pinned, and reload. */
bool t_unload_refused_while_open(struct dev_ctx *c);
bool t_unload_refused_while_mapped(struct dev_ctx *c);
bool t_unload_with_pinned_pages(struct dev_ctx *c);
bool t_pinned_payload_intact(struct dev_ctx *c);
bool t_pinned_charge_kept_then_released(struct dev_ctx *c);
bool t_module_reload(struct dev_ctx *c);

/* concurrency.c */
bool t_concurrency_smoke(struct dev_ctx *c);

#endif /* ZCBENCH_DEVICE_H */
