// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: a receive into a cgroup at its memory.max (memory-max).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

#define UNIT_BYTES		(ZCPOOL_UNIT_PAGES * ZCP_PAGE)
/* Stack touched before mlockall(), so that none faults later. */
#define STACK_PREFAULT		(256UL << 10)

/* Fault in stack below the caller, so that using it never faults later. */
static void __attribute__((noinline)) stack_prefault(void)
{
	volatile char buf[STACK_PREFAULT];
	size_t i;

	for (i = 0; i < sizeof(buf); i += ZCP_PAGE)
		buf[i] = 0;
}

/* Open control of cgroup, like cg_read() and cg_write() do. */
static int cg_open(const char *cgroup, const char *control, int flags)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", cgroup, control) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, flags | O_CLOEXEC);
}

static int write_str(int fd, const char *s)
{
	size_t len = strlen(s);

	return pwrite(fd, s, len, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * Read an open control file from its start: the number it holds (key
 * NULL) or the value of its line "key value". Once read, a control file
 * has its buffer: reading it again allocates nothing.
 */
static long fd_read_long(int fd, const char *key)
{
	char buf[4096];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return key ? cg_key_long(buf, key) : strtol(buf, NULL, 10);
}

/*
 * memory-max: memory.max = baseline + size/4, then FEED and RECEIVE size a
 * unit at a time, as packets arrive; what cannot be mapped is read() as the
 * skip hints say. A FEED refused with ENOMEM (the socket charge failed) is
 * data dropped: nothing the receiver can do frees memory, so it stops.
 *
 * Between setting the limit and lifting it the receiver touches no memory
 * it has not faulted in (mlockall, the stack prefaulted, the page tables of
 * the mapping populated) and opens no file: in a full cgroup those would
 * fail or retry the page fault forever. It is exempt from the memcg OOM
 * killer, so that a NOFAIL charge past the limit is forced rather than
 * killing it; memory.max is lifted through the file that set it.
 */
int test_mx_memory_max(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "limit" };
	long events0, events, oom, limit, baseline, peak;
	int maxfd = -1, peakfd = -1, eventsfd = -1, ret = -1, adj;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	bool valid, lifted;
	char buf[32];

	if (mx_setup(&m, name, cfg, 2, false))
		goto out;
	ktap_metric("size", cfg->size);
	adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (adj < 0 || write_str(adj, "-1000")) {
		ktap_print_msg("oom_score_adj: %m");
		if (adj >= 0)
			close(adj);
		goto out;
	}
	close(adj);
	if (mx_enter(m.cg))
		goto out;
	stack_prefault();
	if (mlockall(MCL_CURRENT)) {
		ktap_print_msg("mlockall: %m");
		goto out;
	}
	if (rxq_open_copy(&q, cfg->size) || rxq_prefault_tables(&q))
		goto out;
	maxfd = cg_open(m.cg, "memory.max", O_WRONLY);
	peakfd = cg_open(m.cg, "memory.peak", O_RDONLY);
	eventsfd = cg_open(m.cg, "memory.events", O_RDONLY);
	if (maxfd < 0 || peakfd < 0 || eventsfd < 0 ||
	    fd_read_long(peakfd, NULL) < 0) {
		ktap_print_msg("%s/memory.{max,peak,events}: %m", m.cg);
		goto out;
	}
	baseline = mx_sample(&m, m.cg, "baseline", NULL);
	events0 = fd_read_long(eventsfd, "max");
	if (baseline < 0 || events0 < 0)
		goto out;
	limit = baseline + cfg->size / 4;
	snprintf(buf, sizeof(buf), "%ld", limit);
	if (write_str(maxfd, buf)) {
		ktap_print_msg("memory.max %s: %m", buf);
		goto out;
	}

	ret = rxq_receive(&q, cfg->size, PATTERN_A, UNIT_BYTES, UNIT_BYTES,
			  NULL, NULL);
	/* Before the limit goes: what comes after may well exceed it. */
	peak = fd_read_long(peakfd, NULL);
	events = fd_read_long(eventsfd, "max");
	oom = fd_read_long(eventsfd, "oom");

	lifted = !write_str(maxfd, "max");
	if (!lifted)
		ktap_print_msg("memory.max max: %m");
	ktap_metric("memory_max", limit);
	ktap_metric("mapped", q.off);
	ktap_metric("copied", q.copied);
	ktap_metric("dropped", q.dropped);
	ktap_metric("skip_hints", q.skip_hints);
	ktap_metric("peak.memory_peak", peak);
	ktap_metric("events.max", events - events0);
	ktap_metric("events.oom", oom);
	if (rxq_stats(&q, &st) || mx_sample(&m, m.cg, "received", NULL) < 0)
		goto out;
	zcp_print_counters("mod.queue", &st.queue);
	valid = ret >= 0 && !q.bad_payload && peak > 0 && events >= 0 &&
		q.off + q.copied + q.dropped == cfg->size;
	if (!valid)
		ktap_print_msg("receive: %zu mapped, %zu copied, %zu dropped%s",
			       q.off, q.copied, q.dropped,
			       q.bad_payload ? ", wrong payload" : "");
	mx_case(&m, valid, cases[0]);
	mx_case(&m, lifted, cases[1]);
out:
	if (maxfd >= 0)
		close(maxfd);
	if (peakfd >= 0)
		close(peakfd);
	if (eventsfd >= 0)
		close(eventsfd);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

