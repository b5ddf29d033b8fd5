// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-cost: what each real-path design costs in the kernel's own
 * TCP_ZEROCOPY_RECEIVE (`zcbench bench`, bench/RESULTS.md).
 *
 * In rounds, each design of the livepatch's table in turn (the stock
 * kernel for tcp-unaccounted, zctcp loaded with design=<d> for the others;
 * the order rotates every round, so no design always follows the same
 * one): for each call size (pages per getsockopt: 8, and 128 as
 * tcp_mmap.c's default 512 KiB chunk), a loopback transfer of COST_SIZE
 * bytes as in the real-path matrix (a MSG_ZEROCOPY sender in cgroup
 * zc-<scenario>-b, the receiver in zc-<scenario>), all of it queued before
 * the receiver starts (its SO_RCVBUF lets it in; rmem_max raised for the
 * scenario), so that every call maps as many pages as it asks for, however
 * fast the design: its getsockopt() calls are timed, and the munmap() after
 * it (where the charging designs'
 * pages are uncharged: the free path). Rounds repeat until COST_BUDGET_NS
 * went by, at least COST_MIN_ROUNDS and at most COST_MAX_ROUNDS times; the
 * metrics, of the median round by time per mapped page, are
 *
 *   <design>.b<pages>.ns_per_page	getsockopt() + munmap() time per
 *					page mapped
 *   <design>.b<pages>.receive_ns_per_page	of that, getsockopt() alone
 *   <design>.b<pages>.mapped_pct	of the bytes received, mapped (%)
 *   <design>.b<pages>.calls		getsockopt() calls
 *   <design>.b<pages>.charged_pct	pages the livepatch charged, of those
 *					it mapped (%; patched designs)
 *   <design>.b<pages>.rounds
 *
 * One case per design: every round received the payload intact, mapped
 * some of it, and, patched, charged every page it mapped (or the time is
 * not the design's). Absolute times under TCG mean little; the host
 * reports each design's ratio to tcp-unaccounted. The stock kernel is in
 * force again at the end.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "scenario.h"
#include "tcp.h"
#include "zctcp_util.h"

#define COST_SIZE		(16UL << 20)
#define COST_MIN_ROUNDS		3
#define COST_MAX_ROUNDS		15
#define COST_BUDGET_NS		(30 * 1000 * 1000 * 1000LL)
#define COST_PAGE		4096UL
#define COST_RCVBUF		(int)(2 * COST_SIZE)
#define COST_QUEUE_MS		30000

static const unsigned int call_pages[] = { 8, 32, 128 };

#define NR_CALLS	ARRAY_SIZE(call_pages)

/* One transfer: time per mapped page, and what it did. */
struct tcp_cost {
	int64_t ns_per_page, receive_ns_per_page;
	long mapped_pct, calls, charged_pct;
};

static int cmp_cost(const void *a, const void *b)
{
	int64_t x = ((const struct tcp_cost *)a)->ns_per_page;
	int64_t y = ((const struct tcp_cost *)b)->ns_per_page;

	return (x > y) - (x < y);
}

/*
 * One transfer of COST_SIZE received in calls of pages pages, sender in
 * tx_cg; the caller is in the receiver's cgroup. False (said) if it did
 * not arrive intact or mapped nothing.
 */
static bool cost_transfer(const char *tx_cg, unsigned int pages, bool patched,
			  unsigned char *copybuf, struct tcp_cost *c)
{
	struct zc_rx_stats st = ZC_RX_STATS_INIT;
	struct zc_link link = ZC_LINK_INIT;
	long before[ZCTCP_NR_COUNTERS], after[ZCTCP_NR_COUNTERS];
	unsigned char *region = MAP_FAILED;
	bool ok = false;
	long mapped_pages;
	unsigned int i;
	int64_t t0;

	if (patched && zct_counters(before)) {
		ktap_print_msg("read %s: %m", ZCTCP_DEBUGFS_COUNTERS);
		return false;
	}
	if (zc_link_start(&link, tx_cg, COST_SIZE) || zc_link_listen(&link) ||
	    zc_link_rcvbuf(&link, COST_RCVBUF) || zc_link_accept(&link) ||
	    zc_wait_queued(link.fd, COST_SIZE, COST_QUEUE_MS))
		goto out;
	region = mmap(NULL, COST_SIZE, PROT_READ, MAP_SHARED, link.fd, 0);
	if (region == MAP_FAILED) {
		ktap_print_msg("mmap of the socket: %m");
		goto out;
	}
	ok = !zc_receive(link.fd, region, COST_SIZE, pages * COST_PAGE, copybuf,
			 &st);
	ok = zc_link_finish(&link, ok) && ok;
	if (st.bad_offset >= 0) {
		ktap_print_msg("payload differs at stream offset %ld",
			       st.bad_offset);
		ok = false;
	}
	mapped_pages = st.mapped / COST_PAGE;
	if (ok && !mapped_pages) {
		ktap_print_msg("%u-page calls mapped nothing", pages);
		ok = false;
	}
	if (!ok)
		goto out;
	t0 = monotonic_ns();
	munmap(region, COST_SIZE);
	region = MAP_FAILED;
	c->ns_per_page = (st.zc_ns + monotonic_ns() - t0) / mapped_pages;
	c->receive_ns_per_page = st.zc_ns / mapped_pages;
	c->mapped_pct = st.mapped * 100 / COST_SIZE;
	c->calls = st.zc_calls;
	c->charged_pct = -1;
	if (patched) {
		if (zct_counters(after)) {
			ktap_print_msg("read %s: %m", ZCTCP_DEBUGFS_COUNTERS);
			ok = false;
			goto out;
		}
		i = zct_counter_index("pages_charged");
		c->charged_pct = (after[i] - before[i]) * 100 / mapped_pages;
	}
out:
	if (region != MAP_FAILED)
		munmap(region, COST_SIZE);
	zc_link_close(&link);
	return ok;
}

static void cost_metric(const char *design, unsigned int pages,
			const char *what, long long value)
{
	char metric[96];

	snprintf(metric, sizeof(metric), "%s.b%u.%s", design, pages, what);
	ktap_metric(metric, value);
}

/*
 * Design d in force, then one transfer per call size into its rounds'
 * slot r. False (said) if the design could not be put in force or a
 * transfer failed or, patched, did not charge every page it mapped.
 */
static bool cost_design_round(unsigned int d, const char *tx_cg,
			      unsigned char *copybuf, struct tcp_cost *c)
{
	const char *design = zct_design_names[d];
	unsigned int i;
	bool patched;

	if (zct_switch(design, NULL))
		return false;
	patched = zct_loaded();
	for (i = 0; i < NR_CALLS; i++) {
		if (!cost_transfer(tx_cg, call_pages[i], patched, copybuf,
				   &c[i * COST_MAX_ROUNDS]))
			return false;
		if (patched && c[i * COST_MAX_ROUNDS].charged_pct != 100) {
			ktap_print_msg("%s charged %ld%% of the pages it mapped",
				       design, c[i * COST_MAX_ROUNDS].charged_pct);
			return false;
		}
	}
	return true;
}

int test_tcp_cost(const char *name, const struct zc_config *cfg)
{
	/* [design][call size][round] */
	static struct tcp_cost cost[ZCTCP_NR_DESIGNS][NR_CALLS][COST_MAX_ROUNDS];
	char rx_cg[PATH_MAX], tx_cg[PATH_MAX], base[NAME_MAX + 1];
	char rmem_max[32] = "";
	unsigned char *copybuf = MAP_FAILED;
	bool ok[ZCTCP_NR_DESIGNS], all = true;
	unsigned int d, i, rounds = 0;
	int64_t start;

	(void)cfg;
	ktap_print_plan(ZCTCP_NR_DESIGNS);
	ktap_metric("size", COST_SIZE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));
	for (d = 0; d < ZCTCP_NR_DESIGNS; d++)
		ok[d] = true;

	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(rx_cg, base);
	snprintf(base, sizeof(base), "zc-%s-b", name);
	cg_name(tx_cg, base);
	if (cg_create(rx_cg) || cg_create(tx_cg) || cg_enter(rx_cg, 0)) {
		ktap_print_msg("cgroups %s, %s: %m", rx_cg, tx_cg);
		for (d = 0; d < ZCTCP_NR_DESIGNS; d++)
			ok[d] = false;
		goto out;
	}
	if (zc_rmem_max_raise(COST_RCVBUF, rmem_max, sizeof(rmem_max))) {
		for (d = 0; d < ZCTCP_NR_DESIGNS; d++)
			ok[d] = false;
		goto out;
	}
	copybuf = mmap(NULL, ZC_COPY_BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copybuf == MAP_FAILED) {
		ktap_print_msg("mmap copy buffer: %m");
		for (d = 0; d < ZCTCP_NR_DESIGNS; d++)
			ok[d] = false;
		goto out;
	}

	start = monotonic_ns();
	while (rounds < COST_MAX_ROUNDS &&
	       (rounds < COST_MIN_ROUNDS ||
		monotonic_ns() - start < COST_BUDGET_NS)) {
		for (i = 0; i < ZCTCP_NR_DESIGNS; i++) {
			d = (rounds + i) % ZCTCP_NR_DESIGNS;
			if (ok[d] && !cost_design_round(d, tx_cg, copybuf,
						       &cost[d][0][rounds]))
				ok[d] = false;
		}
		rounds++;
	}
	for (d = 0; d < ZCTCP_NR_DESIGNS; d++) {
		for (i = 0; ok[d] && i < NR_CALLS; i++) {
			struct tcp_cost *mine = cost[d][i], *mid;

			qsort(mine, rounds, sizeof(*mine), cmp_cost);
			mid = &mine[rounds / 2];
			cost_metric(zct_design_names[d], call_pages[i],
				    "ns_per_page", mid->ns_per_page);
			cost_metric(zct_design_names[d], call_pages[i],
				    "receive_ns_per_page",
				    mid->receive_ns_per_page);
			cost_metric(zct_design_names[d], call_pages[i],
				    "mapped_pct", mid->mapped_pct);
			cost_metric(zct_design_names[d], call_pages[i],
				    "calls", mid->calls);
			if (mid->charged_pct >= 0)
				cost_metric(zct_design_names[d], call_pages[i],
					    "charged_pct", mid->charged_pct);
			cost_metric(zct_design_names[d], call_pages[i],
				    "rounds", rounds);
		}
	}
out:
	if (zct_unload()) {
		ktap_print_msg("zctcp stays loaded");
		all = false;
	}
	if (copybuf != MAP_FAILED)
		munmap(copybuf, ZC_COPY_BUF_SIZE);
	zc_rmem_max_restore(rmem_max);
	if (cg_enter(CG_ROOT, 0) || cg_destroy(rx_cg) || cg_destroy(tx_cg))
		ktap_print_msg("remove cgroups: %m");
	for (d = 0; d < ZCTCP_NR_DESIGNS; d++) {
		ktap_test_result(ok[d], d + 1, zct_design_names[d], NULL);
		all &= ok[d];
	}
	return all ? 0 : 1;
}
