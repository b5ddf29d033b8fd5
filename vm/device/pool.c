// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: the pool behind the queues. RECLAIM recycles what is
 * unmapped, a recycled page shows only its new queue's payload, a charge
 * that fails stops RECEIVE with a skip hint, an empty pool refuses FEED,
 * the variant switches only with no queue open, debugfs shows the pool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "device.h"
#include "ktap.h"
#include "rxq.h"

/* 32 pages received stay out while mapped, and are recycled once unmapped. */
static bool recycle_32(struct rxq *q)
{
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	bool ok;

	if (!rxq_feed_receive(q, PAGES(32), PATTERN_A))
		return false;
	if (zcp_reclaim(q->fd, &rc) || zcp_stats(q->fd, &st)) {
		ktap_print_msg("RECLAIM/STATS: %m");
		return false;
	}
	if (st.queue.out != 32 || rc.outstanding < 32) {
		ktap_print_msg("while mapped: out %llu outstanding %llu",
			       (unsigned long long)st.queue.out,
			       (unsigned long long)rc.outstanding);
		return false;
	}
	rxq_unmap(q);
	if (zcp_reclaim(q->fd, &rc) || zcp_stats(q->fd, &st)) {
		ktap_print_msg("RECLAIM/STATS: %m");
		return false;
	}
	ok = st.queue.out == 0 && st.queue.recycles == 32 &&
	     st.queue.charged == 0 && rc.recycled >= 32;
	if (!ok)
		ktap_print_msg("after munmap: out %llu recycles %llu charged %llu recycled %llu",
			       (unsigned long long)st.queue.out,
			       (unsigned long long)st.queue.recycles,
			       (unsigned long long)st.queue.charged,
			       (unsigned long long)rc.recycled);
	return ok;
}

bool t_reclaim_recycles(struct dev_ctx *c)
{
	(void)c;
	return with_queue(32, recycle_32);
}

/*
 * Queue A receives pages with pattern A, unmaps them and recycles; queue B
 * then gets the same pages (the pool does not grow) and must see only its
 * own payload.
 */
bool t_payload_isolation_after_recycling(struct dev_ctx *c)
{
	struct zcpool_stats before, after;
	struct zcpool_reclaim rc;
	struct rxq a = RXQ_INIT, b = RXQ_INIT;
	bool ok = false;

	(void)c;
	if (rxq_open(&a, PAGES(128)) ||
	    !rxq_feed_receive(&a, PAGES(128), PATTERN_A))
		goto out;
	rxq_unmap(&a);
	if (zcp_reclaim(a.fd, &rc) || zcp_stats(a.fd, &before)) {
		ktap_print_msg("RECLAIM/STATS: %m");
		goto out;
	}
	rxq_close(&a);
	if (before.pool_free < 128) {
		ktap_print_msg("only %llu pages free after recycling",
			       (unsigned long long)before.pool_free);
		goto out;
	}
	if (rxq_open(&b, PAGES(128)) ||
	    !rxq_feed_receive(&b, PAGES(128), PATTERN_B) ||
	    zcp_stats(b.fd, &after))
		goto out;
	ok = after.pool_total == before.pool_total;
	if (!ok)
		ktap_print_msg("pool grew from %llu to %llu pages: nothing was recycled",
			       (unsigned long long)before.pool_total,
			       (unsigned long long)after.pool_total);
out:
	rxq_close(&a);
	rxq_close(&b);
	return ok;
}

struct limited_args {
	const char *cg;
	const char *variant;
	size_t pages;
};

/* In cgroup a->cg: exit 0 if RECEIVE stops on a charge failure properly. */
static int child_charge_failure(void *arg)
{
	const struct limited_args *a = arg;
	size_t region = 2UL << 20, pages = a->pages;
	unsigned char *map, *aligned, *buf;
	struct zcpool_receive r;
	struct zcpool_stats st;
	struct zcpool_feed f;
	char max[32];
	long cur;
	int fd, ret = 1;

	buf = mmap(NULL, PAGES(pages), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || cg_enter(a->cg, 0))
		return 10;
	if (zcp_set_variant(a->variant) && errno != EBUSY)
		return 11;
	fd = zcp_open();
	if (fd < 0)
		return 12;
	map = zcp_map(fd, 2 * region);
	if (!map)
		return 13;
	/* One page first, so the page table is there before the limit. */
	aligned = (unsigned char *)(((uintptr_t)map + region - 1) &
				    ~(region - 1));
	if (zcp_feed(fd, ZCP_PAGE, PATTERN_A, NULL) ||
	    zcp_receive(fd, aligned, ZCP_PAGE, &r) || r.mapped != ZCP_PAGE)
		return 14;
	if (zcp_feed(fd, PAGES(pages), PATTERN_A, &f) || zcp_stats(fd, &st))
		return 15;

	cur = cg_read_long(a->cg, "memory.current");
	snprintf(max, sizeof(max), "%ld", cur + (long)PAGES(8));
	if (cur < 0 || cg_write(a->cg, "memory.max", max))
		return 16;
	if (zcp_receive(fd, aligned + ZCP_PAGE, PAGES(pages), &r))
		ret = 17;
	cg_write(a->cg, "memory.max", "max");
	if (ret != 1)
		return ret;

	ktap_print_msg("limited to memory.current + 8 pages: mapped %llu of %zu pages, stop errno %llu, skip hint %llu",
		       (unsigned long long)(r.mapped / ZCP_PAGE), pages,
		       (unsigned long long)r.stop_errno,
		       (unsigned long long)r.skip_hint);
	if (r.stop_errno != ENOMEM || r.mapped >= PAGES(pages) ||
	    !r.skip_hint || r.skip_hint % ZCP_PAGE)
		return 18;
	if (zcp_pages_check(aligned + ZCP_PAGE, r.mapped / ZCP_PAGE,
			    st.queue_id, f.first_seq, PATTERN_A) >= 0)
		return 19;
	/* The copy fallback takes what could not be mapped. */
	if (read(fd, buf, r.skip_hint) != (ssize_t)r.skip_hint)
		return 20;
	if (zcp_pages_check(buf, r.skip_hint / ZCP_PAGE, st.queue_id,
			    f.first_seq + r.mapped / ZCP_PAGE, PATTERN_A) >= 0)
		return 21;
	if (zcp_stats(fd, &st) || st.queue.charge_failures != 1)
		return 22;
	return 0;
}

bool t_receive_charge_failure_skip_hint(struct dev_ctx *c)
{
	struct limited_args a = {
		.cg = c->cg_limited, .variant = c->variant, .pages = 256,
	};
	int status = run_child(child_charge_failure, &a);

	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	ktap_print_msg("charge-failure child: wait status %#x (exit code = step)",
		       status);
	return false;
}

bool t_pool_exhausted_enobufs(struct dev_ctx *c)
{
	struct zcpool_stats st;
	char before[32];
	bool ok = false;
	int fd;

	(void)c;
	if (zcp_param_get("pool_pages", before, sizeof(before)))
		return expect_ok(-1, "read pool_pages");
	if (zcp_param_set("pool_pages", "64"))
		return expect_ok(-1, "set pool_pages=64");
	fd = zcp_open();
	if (fd < 0) {
		ktap_print_msg("open: %m");
		goto out;
	}
	if (zcp_feed(fd, PAGES(64), PATTERN_A, NULL)) {
		ktap_print_msg("FEED of 64 pages into a 64-page pool: %m");
		goto out;
	}
	ok = expect_errno(zcp_feed(fd, PAGES(16), PATTERN_A, NULL), ENOBUFS,
			  "FEED beyond pool_pages");
	if (!zcp_stats(fd, &st) && (st.pool_total > 64 || st.queue.fed != 64)) {
		ktap_print_msg("pool total %llu fed %llu",
			       (unsigned long long)st.pool_total,
			       (unsigned long long)st.queue.fed);
		ok = false;
	}
out:
	if (fd >= 0)
		close(fd);
	if (zcp_param_set("pool_pages", before))
		ok = expect_ok(-1, "restore pool_pages");
	return ok;
}

/* Switch to another variant of the module's table, and back. */
bool t_variant_switch_busy(struct dev_ctx *c)
{
	const char *other = zcp_variant_names[(zcp_variant_index(c->variant) + 1) %
					      ZCPOOL_NR_VARIANTS];
	char v[32];
	bool ok;
	int fd;

	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	ok = expect_errno(zcp_set_variant(other), EBUSY,
			  "switch variant with a queue open");
	close(fd);
	ok &= expect_errno(zcp_set_variant("no-such-variant"), EINVAL,
			   "switch to an unknown variant");
	ok &= expect_ok(zcp_set_variant(other), "switch with no queue open");
	ok &= !zcp_get_variant(v, sizeof(v)) && !strcmp(v, other);
	ok &= expect_ok(zcp_set_variant(c->variant), "switch back");
	return ok;
}

bool t_debugfs_stats(struct dev_ctx *c)
{
	char buf[2048], variant[64];
	ssize_t n;
	int fd;

	fd = open(DEBUGFS "/" ZCPOOL_DEBUGFS_STATS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return expect_ok(-1, "open " DEBUGFS "/" ZCPOOL_DEBUGFS_STATS);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return expect_ok(-1, "read debugfs stats");
	buf[n] = '\0';
	snprintf(variant, sizeof(variant), "variant %s\n", c->variant);
	if (!strstr(buf, "pool_total ") || !strstr(buf, "double_peak ") ||
	    !strstr(buf, variant)) {
		ktap_print_msg("debugfs stats: %s", buf);
		return false;
	}
	return true;
}
