// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-variants: a receive of zcbench.size_mib (64 MiB by default for
 * this scenario) through each accounting variant of the zcpool module.
 *
 * For each variant, in a fresh cgroup zc-<scenario>/<variant>: switch the
 * variant (no queue open), open a queue, FEED and RECEIVE the whole size in
 * chunks of CHUNK_PAGES into one mapping, sample the cgroup while mapped,
 * munmap, RECLAIM, sample again. The module's own counters are exact; the
 * cgroup files are compared with the tolerance of test_kmem.c (64 pages per
 * cpu, the memcg charge batch) plus the page tables the mapping needed.
 */
#define _GNU_SOURCE
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
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

#define CHUNK_PAGES		64
#define MIN_SIZE		(64UL << 20)
#define PATTERN			0x6d656d6367ULL
#define CASES_PER_VARIANT	6

/* What a variant's design says; windows are in pages, -1: not asserted. */
struct design {
	const char *name;
	bool charged;		/* the mapped pages are charged to the memcg */
	long double_peak_min, double_peak_max;
	long under_peak_min, under_peak_max;
};

static const struct design designs[] = {
	/* under-charged: every page from consumption to recycling */
	{ "unaccounted", false, 0, 0, -2, -2 },
	/* charged before insert, the units' sock held to the end of a call */
	{ "v1", true, CHUNK_PAGES, CHUNK_PAGES, 0, 0 },
	/* sock released first, charged after the batch */
	{ "v2", true, 0, 0, 1, ZCPOOL_BATCH_PAGES },
	{ "pool-free", true, CHUNK_PAGES, CHUNK_PAGES, 0, 0 },
	{ "batch", true, 1, ZCPOOL_BATCH_PAGES, 0, 0 },
	{ "steal", true, 0, 0, 0, 0 },
};

/* Samples of one variant's cgroup, with the page tables it used. */
struct point {
	struct memcg_sample s;
	long pagetables;
};

static int sample(const char *cg, const struct zc_config *cfg, struct point *p)
{
	int ret = memcg_sample(cg, cfg, &p->s);

	p->pagetables = cg_read_key_long(cg, "memory.stat", "pagetables");
	if (p->pagetables < 0)
		p->pagetables = 0;
	return ret;
}

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

static void print_counters(const char *v, const char *when,
			   const struct zcpool_counters *c)
{
	char buf[64];

#define COUNTER(field) do { \
		snprintf(buf, sizeof(buf), "module.%s." #field, when); \
		metric(v, buf, c->field); \
	} while (0)
	COUNTER(queued);
	COUNTER(out);
	COUNTER(mapped);
	COUNTER(sock);
	COUNTER(charged);
	COUNTER(double_peak);
	COUNTER(under_peak);
	COUNTER(recycles);
	COUNTER(copied);
#undef COUNTER
}

struct run {
	const struct design *d;
	const struct zc_config *cfg;
	char cg[PATH_MAX];
	size_t size, pages;
	long tol;
	struct zcpool_stats st_before, st_mapped, st_after;
	struct point before, mapped, after;
	size_t received, copied;
	bool verified;
};

/*
 * FEED and RECEIVE the whole size into map, chunk by chunk; what a RECEIVE
 * cannot map is read() as its skip hint says. Returns 0 or -1.
 */
static int receive_all(struct run *r, int fd, unsigned char *map,
		       unsigned char *copybuf)
{
	size_t off = 0;

	r->verified = true;
	while (off < r->size) {
		size_t chunk = r->size - off < CHUNK_PAGES * ZCP_PAGE ?
			       r->size - off : CHUNK_PAGES * ZCP_PAGE;
		struct zcpool_receive rx;
		struct zcpool_feed f;

		if (zcp_feed(fd, chunk, PATTERN, &f) ||
		    zcp_receive(fd, map + off, chunk, &rx)) {
			ktap_print_msg("%s: feed/receive at %zu: %m", r->d->name,
				       off);
			return -1;
		}
		if (zcp_pages_check(map + off, rx.mapped / ZCP_PAGE,
				    r->st_before.queue_id, f.first_seq,
				    PATTERN) >= 0)
			r->verified = false;
		if (rx.mapped < chunk) {
			size_t left = chunk - rx.mapped;

			if (rx.skip_hint != left ||
			    read(fd, copybuf, left) != (ssize_t)left) {
				ktap_print_msg("%s: copy of %zu bytes (skip hint %llu, stop errno %llu): %m",
					       r->d->name, left,
					       (unsigned long long)rx.skip_hint,
					       (unsigned long long)rx.stop_errno);
				return -1;
			}
			r->copied += left;
		}
		r->received += rx.mapped;
		off += chunk;
	}
	return 0;
}

/* The receive itself, in cgroup r->cg; fills r. Returns 0 or -1. */
static int variant_receive(struct run *r)
{
	unsigned char *map = NULL, *copybuf;
	struct zcpool_reclaim rc;
	int fd, ret = -1;

	copybuf = mmap(NULL, CHUNK_PAGES * ZCP_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copybuf == MAP_FAILED) {
		ktap_print_msg("mmap copy buffer: %m");
		return -1;
	}
	fd = zcp_open();
	/*
	 * Recycle what earlier scenarios left for the periodic worker first,
	 * so the pool baseline is this scenario's own.
	 */
	if (fd < 0 || zcp_reclaim(fd, &rc) || !(map = zcp_map(fd, r->size)) ||
	    zcp_stats(fd, &r->st_before)) {
		ktap_print_msg("%s: open/mmap/stats: %m", r->d->name);
		goto out;
	}
	if (sample(r->cg, r->cfg, &r->before) ||
	    receive_all(r, fd, map, copybuf) || zcp_stats(fd, &r->st_mapped) ||
	    sample(r->cg, r->cfg, &r->mapped))
		goto out;

	munmap(map, r->size);
	map = NULL;
	if (zcp_reclaim(fd, &rc) || zcp_stats(fd, &r->st_after)) {
		ktap_print_msg("%s: RECLAIM/STATS: %m", r->d->name);
		goto out;
	}
	ret = sample(r->cg, r->cfg, &r->after);
out:
	if (map)
		munmap(map, r->size);
	if (fd >= 0)
		close(fd);
	munmap(copybuf, CHUNK_PAGES * ZCP_PAGE);
	return ret;
}

static bool within(long value, long want, long tol)
{
	return value >= want - tol && value <= want + tol;
}

static bool in_window(long value, long min, long max)
{
	if (min == -2)		/* every page */
		return true;
	return value >= min && value <= max;
}

/* Print the cases of one variant, numbered from n. Returns all passed. */
static bool variant_report(struct run *r, unsigned int n)
{
	const struct zcpool_counters *qm = &r->st_mapped.queue;
	const struct zcpool_counters *qa = &r->st_after.queue;
	const struct zcpool_counters *p0 = &r->st_before.pool;
	const struct zcpool_counters *pa = &r->st_after.pool;
	const char *v = r->d->name;
	long pt = r->mapped.pagetables - r->before.pagetables;
	long slack = r->tol + (pt > 0 ? pt : 0);
	long cur = r->mapped.s.memory_current - r->before.s.memory_current;
	long fm = r->mapped.s.file_mapped - r->before.s.file_mapped;
	long want = r->d->charged ? (long)r->received : 0;
	long under_min = r->d->under_peak_min, under_max = r->d->under_peak_max;
	bool ok[CASES_PER_VARIANT], all = true;
	char name[64];
	unsigned int i;

	metric(v, "received", r->received);
	metric(v, "copied", r->copied);
	metric(v, "tolerance", r->tol);
	print_point(v, "before", &r->before);
	print_point(v, "mapped", &r->mapped);
	print_point(v, "after", &r->after);
	print_delta(v, "mapped", &r->before, &r->mapped);
	print_delta(v, "after", &r->before, &r->after);
	print_counters(v, "mapped", qm);
	print_counters(v, "after", qa);
	metric(v, "module.pool.before.out", p0->out);
	metric(v, "module.pool.after.out", pa->out);
	metric(v, "module.pool.after.charged", pa->charged);

	ok[0] = r->received == r->size && !r->copied && r->verified;
	/* The design, as the module saw it, and memory.current/file_mapped. */
	ok[1] = qm->charged == (r->d->charged ? r->pages : 0) &&
		within(cur, want, slack);
	ok[2] = within(fm, want, r->tol);
	if (under_min == -2)
		under_min = under_max = r->pages;
	ok[3] = in_window(qm->double_peak, r->d->double_peak_min,
			  r->d->double_peak_max) &&
		in_window(qm->under_peak, under_min, under_max);
	ok[4] = within(r->after.s.memory_current, r->before.s.memory_current,
		       r->tol) &&
		within(r->after.s.file_mapped, r->before.s.file_mapped, r->tol);
	ok[5] = !qa->out && !qa->queued && !qa->charged && !qa->sock &&
		!qa->double_now && !qa->under_now && pa->out == p0->out &&
		pa->queued == p0->queued && pa->charged == p0->charged &&
		pa->sock == p0->sock && qa->recycles == r->pages;

	if (!ok[1])
		ktap_print_msg("%s: module charged %llu pages; memory.current %+ld bytes while %zu mapped (tolerance %ld)",
			       v, (unsigned long long)qm->charged, cur,
			       r->received, slack);
	if (!ok[2])
		ktap_print_msg("%s: file_mapped %+ld bytes, expected %ld", v,
			       fm, want);
	if (!ok[3])
		ktap_print_msg("%s: double-charge peak %llu, under-charge peak %llu pages",
			       v, (unsigned long long)qm->double_peak,
			       (unsigned long long)qm->under_peak);
	if (!ok[4])
		ktap_print_msg("%s: after munmap + RECLAIM memory.current %+ld, file_mapped %+ld bytes",
			       v, r->after.s.memory_current -
			       r->before.s.memory_current,
			       r->after.s.file_mapped - r->before.s.file_mapped);
	if (!ok[5])
		ktap_print_msg("%s: after RECLAIM queue out %llu charged %llu sock %llu recycles %llu; pool out %llu (before %llu) charged %llu (before %llu)",
			       v, (unsigned long long)qa->out,
			       (unsigned long long)qa->charged,
			       (unsigned long long)qa->sock,
			       (unsigned long long)qa->recycles,
			       (unsigned long long)pa->out,
			       (unsigned long long)p0->out,
			       (unsigned long long)pa->charged,
			       (unsigned long long)p0->charged);

	for (i = 0; i < CASES_PER_VARIANT; i++) {
		static const char *const suffix[CASES_PER_VARIANT] = {
			"receive", "charged-while-mapped",
			"file-mapped-while-mapped", "charge-windows",
			"baseline", "pool-baseline",
		};

		snprintf(name, sizeof(name), "%s-%s", v, suffix[i]);
		ktap_test_result(ok[i], n + i, name, NULL);
		all &= ok[i];
	}
	return all;
}

static bool variant_run(const struct design *d, const struct zc_config *cfg,
			const char *parent, unsigned int n)
{
	struct run r = { .d = d, .cfg = cfg };
	bool ok = false;
	unsigned int i;

	r.size = cfg->size < MIN_SIZE ? MIN_SIZE : cfg->size;
	r.pages = r.size / ZCP_PAGE;
	r.tol = 64 * ZCP_PAGE * sysconf(_SC_NPROCESSORS_ONLN);
	if (snprintf(r.cg, sizeof(r.cg), "%s/%s", parent, d->name) >=
	    (int)sizeof(r.cg)) {
		ktap_print_msg("cgroup path too long");
	} else if (zcp_set_variant(d->name)) {
		ktap_print_msg("variant %s: %m", d->name);
	} else if (cg_create(r.cg) || cg_enter(r.cg, 0)) {
		ktap_print_msg("cgroup %s: %m", r.cg);
	} else if (!variant_receive(&r)) {
		ok = true;
	}
	if (cg_enter(CG_ROOT, 0) || cg_destroy(r.cg))
		ktap_print_msg("remove %s: %m", r.cg);

	if (ok)
		return variant_report(&r, n);
	for (i = 0; i < CASES_PER_VARIANT; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s-%s", d->name,
			 i ? "not-run" : "receive");
		ktap_test_result(false, n + i, name, NULL);
	}
	return false;
}

int test_zcpool_variants(const char *name, const struct zc_config *cfg)
{
	size_t i, nv = sizeof(designs) / sizeof(designs[0]);
	char cg[PATH_MAX], base[NAME_MAX + 1];
	bool all = true;

	ktap_print_plan(nv * CASES_PER_VARIANT);
	ktap_metric("size", cfg->size < MIN_SIZE ? MIN_SIZE : cfg->size);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));
	ktap_metric("chunk_pages", CHUNK_PAGES);

	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(cg, base);
	if (cg_create(cg) || cg_write(cg, "cgroup.subtree_control", "+memory"))
		ktap_print_msg("cgroup %s: %m", cg);

	for (i = 0; i < nv; i++)
		all &= variant_run(&designs[i], cfg, cg,
				   1 + i * CASES_PER_VARIANT);

	if (zcp_set_variant("pool-free"))
		ktap_print_msg("restore variant pool-free: %m");
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
	return all ? 0 : 1;
}
