/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the zcpool scenarios: the device, its ioctls, its module
 * parameters and the payload it stamps (kernel/uapi/zcpool.h).
 *
 * Functions returning int give 0 on success and -1 with errno set on
 * failure, like cgroup_util.h.
 */
#ifndef ZCBENCH_ZCPOOL_UTIL_H
#define ZCBENCH_ZCPOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <zcpool.h>

#define ZCP_PARAM_DIR		"/sys/module/zcpool/parameters"
#define ZCP_PAGE		4096UL
/* Where the guest mounts debugfs: ZCPOOL_DEBUGFS_* are below it. */
#define DEBUGFS			"/sys/kernel/debug"

/* Open a queue of /dev/zcpool. Returns the fd or -1. */
int zcp_open(void);

/* FEED bytes stamped with pattern, in default units; f may be NULL. */
int zcp_feed(int fd, size_t bytes, uint64_t pattern, struct zcpool_feed *f);

/* RECEIVE len bytes at addr; r (required) gets the results. */
int zcp_receive(int fd, void *addr, size_t len, struct zcpool_receive *r);

/*
 * RECEIVE as zcp_receive() does, stopping at the pause points of flags
 * (ZCPOOL_RECEIVE_PAUSE_*) until another thread's zcp_resume().
 */
int zcp_receive_paused(int fd, void *addr, size_t len, uint64_t flags,
		       uint64_t pause_batch, struct zcpool_receive *r);

/* PAUSE_WAIT up to timeout_ms for a RECEIVE of fd's queue to stop; p gets where. */
int zcp_pause_wait(int fd, unsigned int timeout_ms, struct zcpool_pause *p);

/* RESUME the stopped RECEIVE of fd's queue. */
int zcp_resume(int fd);

int zcp_stats(int fd, struct zcpool_stats *st);
int zcp_reclaim(int fd, struct zcpool_reclaim *rc);

/* RECLAIM through a queue opened for it alone (one pool serves every queue). */
int zcp_reclaim_any(struct zcpool_reclaim *rc);

/* mmap len bytes of fd read-only and shared; NULL (errno set) on failure. */
void *zcp_map(int fd, size_t len);

/*
 * Check the page at addr against (queue_id, seq, pattern). Returns -1 if
 * every word matches, else the index of the first wrong word.
 */
long zcp_page_check(const void *addr, uint64_t queue_id, uint64_t seq,
		    uint64_t pattern);

/*
 * Check n consecutive pages from seq on; returns the index of the first bad
 * page or -1, printing what differs.
 */
long zcp_pages_check(const void *addr, size_t n, uint64_t queue_id,
		     uint64_t seq, uint64_t pattern);

/* Read the first line of path into buf, without the newline. 0 or -1. */
int zcp_read_line(const char *path, char *buf, size_t len);

/* Write value to path (a sysfs or debugfs file) in one write(). 0 or -1. */
int zcp_write_file(const char *path, const char *value);

/* Module parameters in /sys/module/zcpool/parameters. */
int zcp_param_set(const char *name, const char *value);
int zcp_param_get(const char *name, char *buf, size_t len);

/*
 * The variants' names (the module parameter's values), in enum zcpool_variant
 * order: the module's own table (ZCPOOL_VARIANT_NAMES), the only place the
 * guest learns which designs exist.
 */
extern const char *const zcp_variant_names[ZCPOOL_NR_VARIANTS];

/* The number of the variant named name, ZCPOOL_NR_VARIANTS if none is. */
unsigned int zcp_variant_index(const char *name);

/* The variant queues get from now on (only while no queue is open). */
int zcp_set_variant(const char *name);

/* The variant the module gives queues now, into buf. 0 or -1. */
int zcp_get_variant(char *buf, size_t len);

/* Print the counters of c as the metrics <prefix>.<counter>. */
void zcp_print_counters(const char *prefix, const struct zcpool_counters *c);

/* delete_module("zcpool", O_NONBLOCK) and finit_module() of the .ko. */
int zcp_module_unload(void);
int zcp_module_load(const char *params);

/*
 * Parameters every later zcp_module_load() passes before its own (which
 * win over them), in this process and the processes it forks: what the run
 * needs of every load of the module, whoever reloads it. "" for none.
 */
void zcp_module_defaults(const char *params);

/* Wait up to ms for path to exist. */
int zcp_wait_path(const char *path, unsigned int ms);

#endif /* ZCBENCH_ZCPOOL_UTIL_H */
