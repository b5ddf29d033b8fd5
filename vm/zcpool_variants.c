// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-variants: a receive of zcbench.size_mib (32 MiB, the default, at
 * least: 8192 pages against a tolerance of 64 per cpu) through each
 * accounting variant of the zcpool module, in the order of the module's own
 * table (ZCPOOL_VARIANT_NAMES).
 *
 * For each variant, in a fresh cgroup zc-<scenario>/<variant>: switch the
 * variant (no queue open), open a queue, FEED and RECEIVE the whole size in
 * chunks of RXQ_CHUNK_PAGES into one mapping, sample the cgroup while
 * mapped, munmap, RECLAIM, sample again. Every figure is printed as a
 * metric <variant>.*: what a variant's design says of them (charged while
 * mapped, file_mapped, the double- and under-charge windows) is for the
 * host to judge, against its expectations file. The guest's own cases, the
 * same for every variant:
 *   <v>-receive        everything received and mapped, nothing copied, the
 *                      payload verified;
 *   <v>-baseline       memory.current and file_mapped back within the
 *                      tolerance after munmap + RECLAIM (<v>.tolerance: 64
 *                      pages per cpu, the memcg charge batch, as test_kmem.c);
 *   <v>-pool-baseline  the module's counters back where they were.
 * The variant in force when the scenario starts is in force again at its end.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "memcg.h"
#include "rxq.h"
#include "scenario.h"

#define MIN_SIZE		(32UL << 20)
#define PATTERN			0x6d656d6367ULL
#define CASES_PER_VARIANT	3

static const char *const case_names[CASES_PER_VARIANT] = {
	"receive", "baseline", "pool-baseline",
};

/* Samples of one variant's cgroup, with the page tables it used. */
struct point {
	struct memcg_sample s;
	long pagetables;
};

/* One variant's receive and what it measured. */
struct run {
	const char *v;
	const struct zc_config *cfg;
	char cg[PATH_MAX];
	size_t size, pages;
	long tol;
	struct zcpool_stats st_before, st_mapped, st_after;
	struct point before, mapped, after;
	size_t received, copied;
	bool verified;
};

static int sample(const char *cg, const struct zc_config *cfg, struct point *p)
{
	int ret = memcg_sample(cg, cfg, &p->s);

	p->pagetables = cg_read_key_long(cg, "memory.stat", "pagetables");
	if (p->pagetables < 0)
		p->pagetables = 0;
	return ret;
}

/* <v>.<name> */
static void metric(const char *v, const char *name, long value)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s.%s", v, name);
	ktap_metric(buf, value);
}

static void print_point(const char *v, const char *when, const struct point *p)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s.%s", v, when);
	memcg_sample_print(buf, &p->s);
	snprintf(buf, sizeof(buf), "%s.pagetables", when);
	metric(v, buf, p->pagetables);
}

static void print_delta(const char *v, const char *when,
			const struct point *a, const struct point *b)
{
	char buf[64];

#define DELTA(field) do { \
		snprintf(buf, sizeof(buf), "%s.delta." #field, when); \
		metric(v, buf, b->s.field - a->s.field); \
	} while (0)
	DELTA(memory_current);
	DELTA(file_mapped);
	DELTA(sock);
	DELTA(kernel);
#undef DELTA
}

/* <v>.module.<when>.<counter> */
static void print_counters(const char *v, const char *when,
			   const struct zcpool_counters *c)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s.module.%s", v, when);
	zcp_print_counters(prefix, c);
}

/* The receive itself, in cgroup r->cg; fills r. Returns 0 or -1. */
static int variant_receive(struct run *r)
{
	struct rxq q = RXQ_INIT;
	int ret = -1;

	/*
	 * Recycle what earlier scenarios left for the periodic worker first,
	 * so the pool baseline is this scenario's own.
	 */
	if (rxq_open_copy(&q, r->size) || rxq_reclaim(&q, NULL) ||
	    rxq_stats(&q, &r->st_before) || sample(r->cg, r->cfg, &r->before))
		goto out;
	if (rxq_receive(&q, r->size, PATTERN, RXQ_CHUNK, RXQ_CHUNK, NULL, NULL)) {
		ktap_print_msg("%s: receive of %zu bytes failed after %zu", r->v,
			       r->size, q.off + q.copied);
		goto out;
	}
	r->received = q.off;
	r->copied = q.copied;
	r->verified = rxq_payload_ok(&q, PATTERN);
	if (rxq_stats(&q, &r->st_mapped) || sample(r->cg, r->cfg, &r->mapped))
		goto out;

	rxq_unmap(&q);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &r->st_after))
		goto out;
	ret = sample(r->cg, r->cfg, &r->after);
out:
	rxq_close(&q);
	return ret;
}

static bool within(long value, long want, long tol)
{
	return value >= want - tol && value <= want + tol;
}

/* Every figure of one variant, as metrics. */
static void variant_metrics(const struct run *r)
{
	const char *v = r->v;

	metric(v, "pages", r->pages);
	metric(v, "received", r->received);
	metric(v, "copied", r->copied);
	metric(v, "tolerance", r->tol);
	print_point(v, "before", &r->before);
	print_point(v, "mapped", &r->mapped);
	print_point(v, "after", &r->after);
	print_delta(v, "mapped", &r->before, &r->mapped);
	print_delta(v, "after", &r->before, &r->after);
	print_counters(v, "mapped", &r->st_mapped.queue);
	print_counters(v, "after", &r->st_after.queue);
	metric(v, "module.pool.before.out", r->st_before.pool.out);
	metric(v, "module.pool.after.out", r->st_after.pool.out);
	metric(v, "module.pool.after.charged", r->st_after.pool.charged);
}

/* The cases of one variant, numbered from n, given ok; all passed? */
static bool variant_cases(const char *v, const bool ok[CASES_PER_VARIANT],
			  unsigned int n)
{
	bool all = true;
	char name[64];
	unsigned int i;

	for (i = 0; i < CASES_PER_VARIANT; i++) {
		snprintf(name, sizeof(name), "%s-%s", v, case_names[i]);
		ktap_test_result(ok[i], n + i, name, NULL);
		all &= ok[i];
	}
	return all;
}

/* Print the metrics and the cases of one variant, numbered from n. */
static bool variant_report(const struct run *r, unsigned int n)
{
	const struct zcpool_counters *qa = &r->st_after.queue;
	const struct zcpool_counters *p0 = &r->st_before.pool;
	const struct zcpool_counters *pa = &r->st_after.pool;
	const char *v = r->v;
	bool ok[CASES_PER_VARIANT];

	variant_metrics(r);
	ok[0] = r->received == r->size && !r->copied && r->verified;
	ok[1] = within(r->after.s.memory_current, r->before.s.memory_current,
		       r->tol) &&
		within(r->after.s.file_mapped, r->before.s.file_mapped, r->tol);
	ok[2] = !qa->out && !qa->queued && !qa->charged && !qa->sock &&
		!qa->double_now && !qa->under_now && pa->out == p0->out &&
		pa->queued == p0->queued && pa->charged == p0->charged &&
		pa->sock == p0->sock && qa->recycles == r->pages;

	if (!ok[0])
		ktap_print_msg("%s: %zu of %zu bytes mapped, %zu copied%s", v,
			       r->received, r->size, r->copied,
			       r->verified ? "" : ", wrong payload");
	if (!ok[1])
		ktap_print_msg("%s: after munmap + RECLAIM memory.current %+ld, file_mapped %+ld bytes",
			       v, r->after.s.memory_current -
			       r->before.s.memory_current,
			       r->after.s.file_mapped - r->before.s.file_mapped);
	if (!ok[2])
		ktap_print_msg("%s: after RECLAIM queue out %llu charged %llu sock %llu recycles %llu; pool out %llu (before %llu) charged %llu (before %llu)",
			       v, (unsigned long long)qa->out,
			       (unsigned long long)qa->charged,
			       (unsigned long long)qa->sock,
			       (unsigned long long)qa->recycles,
			       (unsigned long long)pa->out,
			       (unsigned long long)p0->out,
			       (unsigned long long)pa->charged,
			       (unsigned long long)p0->charged);
	return variant_cases(v, ok, n);
}

/* What each variant receives: zcbench.size_mib, MIN_SIZE at least. */
static size_t receive_size(const struct zc_config *cfg)
{
	return cfg->size < MIN_SIZE ? MIN_SIZE : cfg->size;
}

static bool variant_run(const char *v, const struct zc_config *cfg,
			const char *parent, unsigned int n)
{
	static const bool not_run[CASES_PER_VARIANT];
	struct run r = { .v = v, .cfg = cfg };
	bool ok = false;

	r.size = receive_size(cfg);
	r.pages = r.size / ZCP_PAGE;
	r.tol = 64 * ZCP_PAGE * sysconf(_SC_NPROCESSORS_ONLN);
	if (snprintf(r.cg, sizeof(r.cg), "%s/%s", parent, v) >=
	    (int)sizeof(r.cg)) {
		ktap_print_msg("cgroup path too long");
	} else if (zcp_set_variant(v)) {
		ktap_print_msg("variant %s: %m", v);
	} else if (cg_create(r.cg) || cg_enter(r.cg, 0)) {
		ktap_print_msg("cgroup %s: %m", r.cg);
	} else if (!variant_receive(&r)) {
		ok = true;
	}
	if (cg_enter(CG_ROOT, 0) || cg_destroy(r.cg))
		ktap_print_msg("remove %s: %m", r.cg);

	if (ok)
		return variant_report(&r, n);
	return variant_cases(v, not_run, n);
}

int test_zcpool_variants(const char *name, const struct zc_config *cfg)
{
	char cg[PATH_MAX], base[NAME_MAX + 1], initial[32];
	bool all = true;
	size_t i;

	ktap_print_plan(ZCPOOL_NR_VARIANTS * CASES_PER_VARIANT);
	ktap_metric("size", receive_size(cfg));
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));
	ktap_metric("chunk_pages", RXQ_CHUNK_PAGES);

	if (zcp_get_variant(initial, sizeof(initial))) {
		ktap_print_msg("read the variant in force: %m; it is not restored at the end");
		initial[0] = '\0';
	}
	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(cg, base);
	if (cg_create(cg) || cg_write(cg, "cgroup.subtree_control", "+memory"))
		ktap_print_msg("cgroup %s: %m", cg);

	for (i = 0; i < ZCPOOL_NR_VARIANTS; i++)
		all &= variant_run(zcp_variant_names[i], cfg, cg,
				   1 + i * CASES_PER_VARIANT);

	if (initial[0] && zcp_set_variant(initial))
		ktap_print_msg("restore variant %s: %m", initial);
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
	return all ? 0 : 1;
}
