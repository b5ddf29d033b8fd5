// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-cost: what each accounting variant costs in the data path
 * (`zcbench bench`, bench/RESULTS.md).
 *
 * In a cgroup of its own, for each batch size (pages per RECEIVE call: 1, 8,
 * 32), each receive size (4 KiB to 64 MiB) and each variant (the module
 * parameter, taken by a queue at open, so each round opens a queue): FEED the
 * size and mmap it (the NIC's and the application's set-up, not timed), then
 * time RECEIVE in batch-page calls until everything is mapped, munmap and
 * RECLAIM. Rounds interleave the variants and repeat until COST_MIN_PAGES
 * pages were timed or COST_BUDGET_NS per variant went by, and at least
 * COST_MIN_ROUNDS times; the metric is the median round's time per page:
 *
 *   <variant>.b<batch>.<size>k.ns_per_page
 *
 * and of that round, the RECEIVE calls alone (.receive_ns_per_page).
 *
 * One case per variant: every round mapped everything and RECLAIM left no
 * page outstanding. Absolute times under TCG mean little; the host reports
 * the variants' ratios to one another. The variants are the module's table
 * (ZCPOOL_VARIANT_NAMES); the one in force at the start is restored.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

#define COST_MIN_PAGES	2048
#define COST_MIN_ROUNDS	3
#define COST_BUDGET_NS	(400 * 1000 * 1000LL)
#define COST_PATTERN	0xc05755ULL

static const unsigned int batches[] = { 1, 8, 32 };
static const size_t sizes_kib[] = { 4, 64, 1024, 16384, 65536 };

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The time of one round, and of its RECEIVE calls. */
struct cost {
	int64_t ns;
	int64_t receive_ns;
};

static int cmp_cost(const void *a, const void *b)
{
	return cmp_i64(&((const struct cost *)a)->ns, &((const struct cost *)b)->ns);
}

/*
 * One round: FEED size bytes, map them, then the timed part. Returns the
 * timed nanoseconds (in c), or -1 after saying what went wrong.
 */
static int cost_round(int fd, size_t size, unsigned int batch, struct cost *c)
{
	struct zcpool_reclaim rc;
	size_t mapped = 0;
	unsigned char *map;
	int64_t start;

	if (zcp_feed(fd, size, COST_PATTERN, NULL)) {
		ktap_print_msg("FEED %zu: %m", size);
		return -1;
	}
	map = zcp_map(fd, size);
	if (!map) {
		ktap_print_msg("mmap %zu: %m", size);
		return -1;
	}
	start = monotonic_ns();
	while (mapped < size) {
		struct zcpool_receive r;
		size_t len = (size_t)batch * ZCP_PAGE;

		if (len > size - mapped)
			len = size - mapped;
		errno = 0;
		if (zcp_receive(fd, map + mapped, len, &r) || !r.mapped) {
			ktap_print_msg("RECEIVE at %zu of %zu: %s (stop_errno %llu)",
				       mapped, size, errno ? strerror(errno) : "nothing mapped",
				       (unsigned long long)r.stop_errno);
			munmap(map, size);
			return -1;
		}
		mapped += r.mapped;
	}
	c->receive_ns = monotonic_ns() - start;
	munmap(map, size);
	if (zcp_reclaim(fd, &rc)) {
		ktap_print_msg("RECLAIM: %m");
		return -1;
	}
	c->ns = monotonic_ns() - start;
	if (rc.outstanding) {
		ktap_print_msg("RECLAIM left %llu pages outstanding",
			       (unsigned long long)rc.outstanding);
		return -1;
	}
	return 0;
}

/* One round of variant v, on a queue of its own (a queue takes the variant at open). */
static int variant_round(size_t v, size_t size, unsigned int batch, struct cost *c)
{
	int fd, ret;

	if (zcp_set_variant(zcp_variant_names[v])) {
		ktap_print_msg("variant %s: %m", zcp_variant_names[v]);
		return -1;
	}
	fd = zcp_open();
	if (fd < 0) {
		ktap_print_msg("open " ZCPOOL_DEVICE ": %m");
		return -1;
	}
	ret = cost_round(fd, size, batch, c);
	close(fd);
	return ret;
}

static void cost_metric(const char *variant, unsigned int batch, size_t size_kib,
			const char *what, long long value)
{
	char metric[96];

	snprintf(metric, sizeof(metric), "%s.b%u.%zuk.%s", variant, batch, size_kib, what);
	ktap_metric(metric, value);
}

/*
 * One (batch, size) for every variant still ok. The rounds interleave the
 * variants, so a slow spell of the host falls on all of them alike.
 */
static void cost_cell(unsigned int batch, size_t size_kib, bool ok[ZCPOOL_NR_VARIANTS])
{
	size_t size = size_kib << 10, pages = size / ZCP_PAGE;
	size_t rounds = COST_MIN_PAGES / pages, done = 0, i, v;
	int64_t start = monotonic_ns();
	struct cost *cost;

	if (rounds < COST_MIN_ROUNDS)
		rounds = COST_MIN_ROUNDS;
	cost = calloc(rounds * ZCPOOL_NR_VARIANTS, sizeof(*cost));
	if (!cost) {
		ktap_print_msg("calloc: %m");
		for (v = 0; v < ZCPOOL_NR_VARIANTS; v++)
			ok[v] = false;
		return;
	}
	for (i = 0; i < rounds; i++) {
		for (v = 0; v < ZCPOOL_NR_VARIANTS; v++) {
			if (ok[v] && variant_round(v, size, batch, &cost[v * rounds + i]))
				ok[v] = false;
		}
		done = i + 1;
		if (done >= COST_MIN_ROUNDS &&
		    monotonic_ns() - start > COST_BUDGET_NS * (int64_t)ZCPOOL_NR_VARIANTS)
			break;
	}
	for (v = 0; v < ZCPOOL_NR_VARIANTS; v++) {
		struct cost *mine = &cost[v * rounds], *mid = &mine[done / 2];

		if (!ok[v])
			continue;
		qsort(mine, done, sizeof(*mine), cmp_cost);
		cost_metric(zcp_variant_names[v], batch, size_kib, "ns_per_page", mid->ns / (int64_t)pages);
		cost_metric(zcp_variant_names[v], batch, size_kib, "receive_ns_per_page",
			    mid->receive_ns / (int64_t)pages);
		cost_metric(zcp_variant_names[v], batch, size_kib, "rounds", done);
	}
	free(cost);
}

int test_zcpool_cost(const char *name, const struct zc_config *cfg)
{
	char cg[PATH_MAX], base[NAME_MAX + 1], initial[32];
	bool all = true, ok[ZCPOOL_NR_VARIANTS];
	size_t i, b, s;

	(void)cfg;
	/* Each round switches the variant: the one in force now is restored. */
	if (zcp_get_variant(initial, sizeof(initial))) {
		ktap_print_msg("read the variant in force: %m; it is not restored at the end");
		initial[0] = '\0';
	}
	for (i = 0; i < ZCPOOL_NR_VARIANTS; i++)
		ok[i] = true;
	ktap_print_plan(ZCPOOL_NR_VARIANTS);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));
	ktap_metric("min_pages", COST_MIN_PAGES);

	/* Charges need a memcg: the root cgroup counts as none. */
	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(cg, base);
	if (cg_create(cg) || cg_enter(cg, 0)) {
		ktap_print_msg("cgroup %s: %m", cg);
		for (i = 0; i < ZCPOOL_NR_VARIANTS; i++)
			ktap_test_result(false, i + 1, zcp_variant_names[i], NULL);
		return 1;
	}
	for (b = 0; b < ARRAY_SIZE(batches); b++) {
		for (s = 0; s < ARRAY_SIZE(sizes_kib); s++)
			cost_cell(batches[b], sizes_kib[s], ok);
	}
	for (i = 0; i < ZCPOOL_NR_VARIANTS; i++) {
		ktap_test_result(ok[i], i + 1, zcp_variant_names[i], NULL);
		all &= ok[i];
	}
	if (initial[0] && zcp_set_variant(initial))
		ktap_print_msg("restore variant %s: %m", initial);
	if (cg_enter(CG_ROOT, 0) || cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
	return all ? 0 : 1;
}
