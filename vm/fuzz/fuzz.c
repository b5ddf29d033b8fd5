// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz: random sequences of operations on /dev/zcpool, from several
 * processes and threads, with random, boundary and hostile arguments
 * (`zcbench fuzz`).
 *
 * For each variant (zcbench.fuzz_variants, default all), in a cgroup of its
 * own: ZCB_FUZZ_PROCS worker processes of ZCB_FUZZ_THREADS threads each run
 * for zcbench.fuzz_seconds. Every thread draws its operations from its own
 * xorshift generator seeded from (zcbench.fuzz_seed, variant, process,
 * thread), so a seed names the same operation sequence of every thread; the
 * interleaving is the scheduler's. Operations: open, close, FEED, RECEIVE,
 * STATS, RECLAIM, mmap, munmap, mremap, madvise(MADV_DONTNEED), read() (the
 * copy path), touching mapped pages, fork (the child runs a few operations on
 * what it inherited) and vmsplice into a pipe.
 *
 * The real path's designs (zcbench.fuzz_variants may name them too) are
 * fuzzed the same way, with the zctcp livepatch loaded with the design
 * (none for tcp-unaccounted): their threads draw TCP operations as well
 * (tcp_ops.c: loopback connections, sends, TCP_ZEROCOPY_RECEIVE into the
 * socket's mappings, which the other operations then unmap, remap, touch,
 * fork and vmsplice), and the same checks follow.
 *
 * Then every worker exits and the checks run:
 *   <v>-baseline  the pool's counters (debugfs zcpool/stats: queued, out,
 *                 mapped, sock, charged, double_now, under_now) are 0 after a
 *                 RECLAIM, the cgroup's file_mapped and sock are 0, and once
 *                 the cgroup is removed its parent's memory.current is back
 *                 within FUZZ_CHARGE_SLACK of its baseline;
 *   unload        after the last variant, the livepatch is removed if a
 *                 design loaded it, rmmod succeeds and the fuzz cgroups'
 *                 memory.current drops to baseline; the module is loaded again
 *                 with the variant it had when the scenario started.
 * The console (Oops, BUG, WARNING, bad page, lockdep) is the host's to judge.
 * Metrics: <v>.ops, <v>.ops.<name> per operation, <v>.failed (operations the
 * kernel refused, as the hostile ones should be).
 *
 * When a variant fails, fuzz_minimize() looks for the shortest operation
 * sequence that reproduces it: it replays each thread's operations alone,
 * then the shortest failing prefix of the first thread that fails alone,
 * then removes operations while it still fails (ddmin). It prints that
 * sequence, one "repro <v>: ..." line per operation (ZCB_NOTE_REPRO), and a
 * line "repro-states <v> S,S,..." (ZCB_NOTE_REPRO_STATES) of each
 * operation's generator state: zcbench.fuzz_repro=S,S,... replays exactly
 * those operations instead of the workers (zcbench fuzz --repro).
 *
 * zcbench.fault, which the runner gives every load of the module, injects
 * a bug (to show that the checks and the minimizer catch one).
 *
 * This file is the scenario; its parts are in the other files of fuzz/
 * (fuzz.h): params.c, generator.c, operations.c, workers.c, checks.c,
 * replay.c, minimize.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "fuzz.h"
#include "ktap.h"
#include "memcg.h"
#include "scenario.h"
#include "tcp/tcp.h"
#include "zcpool_util.h"
#include "zctcp_util.h"

/*
 * What may stay charged to the fuzz cgroups' parent after a variant's cgroup
 * is gone: the kernel objects freed after the removal are uncharged from the
 * parent, whose per-cpu charge stock then holds up to a charge batch (64
 * pages per cpu), plus a few partly used slab pages. The module's page
 * charges are checked exactly by the pool's counters; this catches charges
 * it lost track of, a page per page mapped, and a fuzz maps thousands.
 */
#define FUZZ_CHARGE_SLACK	((64 * sysconf(_SC_NPROCESSORS_ONLN) + 16) * 4096L)

/*
 * zcbench.fuzz_thread: instead of the workers, one thread alone, from the
 * seed. Returns whether it ran clean (replays check the kernel's log).
 */
static bool replay_thread(const char *cg, const char *variant, unsigned int v,
			  const struct fuzz_params *fp, const char *prefix)
{
	struct fuzz_replay r = {
		.cg = cg, .trace = prefix, .trace_from = fp->trace_from, .progress = true,
		.seed = fp->seed, .v = v, .proc = fp->proc, .thread = fp->thread,
		.deadline = monotonic_ns() + (int64_t)fp->seconds * 1000000000,
	};
	char why[256];

	if (fp->ops)
		ktap_print_msg("%s: process %u thread %u alone, its first %lu operations%s", variant,
			       fp->proc, fp->thread, fp->ops, fp->trace_from < fp->ops ? ", the last ones printed:" : "");
	else
		ktap_print_msg("%s: process %u thread %u alone, for %u s", variant, fp->proc, fp->thread, fp->seconds);
	if (fuzz_replay(&r, NULL, fp->ops, false, why, sizeof(why)) != REPLAY_CLEAN) {
		ktap_print_msg("%s: %s", variant, why);
		return false;
	}
	return true;
}

/* zcbench.fuzz_repro: instead of the workers, those operations. */
static bool replay_states(const char *cg, const char *variant,
			  const struct fuzz_params *fp, const char *prefix)
{
	struct fuzz_replay r = { .cg = cg, .trace = prefix, .states = (uint64_t *)fp->repro };
	char why[256];

	ktap_print_msg("%s: replaying the %ld operations of " ZCB_PARAM_PREFIX ZCB_KEY_FUZZ_REPRO
		       "; then every descriptor, mapping and pipe is closed:", variant, fp->nrepro);
	switch (fuzz_replay(&r, NULL, fp->nrepro, false, why, sizeof(why))) {
	case REPLAY_FAILED:
		ktap_print_msg("%s: the sequence above reproduces it: %s", variant, why);
		return false;
	case REPLAY_BROKEN:
		ktap_print_msg("%s: the sequence could not be replayed: %s", variant, why);
		return false;
	default:
		ktap_print_msg("%s: the sequence above left everything as it was", variant);
		return true;
	}
}

/* <v>.<name> */
static void variant_metric(const char *variant, const char *name, long value)
{
	char metric[96];

	snprintf(metric, sizeof(metric), "%s.%s", variant, name);
	ktap_metric(metric, value);
}

/*
 * <v>.ops.<operation> of each it draws from, <v>.ops, <v>.failed, and for
 * a real-path design <v>.zc_mapped.
 */
static void print_counts(const char *variant, unsigned int v, const struct fuzz_counts *counts)
{
	unsigned int i, nops = fuzz_target_is_tcp(v) ? NR_OPS : NR_ZCPOOL_OPS;
	unsigned long total = 0;
	char name[64];

	for (i = 0; i < nops; i++) {
		snprintf(name, sizeof(name), "ops.%s", op_names[i]);
		variant_metric(variant, name, counts->ops[i]);
		total += counts->ops[i];
	}
	variant_metric(variant, "ops", total);
	variant_metric(variant, "failed", counts->failed);
	if (fuzz_target_is_tcp(v))
		variant_metric(variant, "zc_mapped", counts->zc_mapped);
}

/* <v>-run and <v>-baseline, numbered n and n + 1, as not run. */
static bool variant_not_run(const char *variant, unsigned int n)
{
	char name[64];

	ktap_print_msg("%s: set-up: %m", variant);
	snprintf(name, sizeof(name), "%s-run", variant);
	ktap_test_result(false, n, name, NULL);
	snprintf(name, sizeof(name), "%s-baseline", variant);
	ktap_test_result(false, n + 1, name, NULL);
	return false;
}

/*
 * What v names, made the one in force: a zcpool variant, the module's
 * (the livepatch removed); a real-path design, the livepatch loaded with
 * it (none for tcp-unaccounted; zcpool's variant stays) and lo up.
 * 0, or -1 with errno set.
 */
static int target_in_force(const char *variant, unsigned int v)
{
	if (v >= FUZZ_NR_TARGETS) {
		errno = EINVAL;
		return -1;
	}
	if (!fuzz_target_is_tcp(v))
		return zct_unload() || zcp_set_variant(variant) ? -1 : 0;
	return zct_switch(variant, NULL) || lo_setup(LO_MTU) ? -1 : 0;
}

/* The number of a variant or a design (fuzz.h), FUZZ_NR_TARGETS if none. */
static unsigned int target_index(const char *name)
{
	unsigned int v = zcp_variant_index(name);

	return v < ZCPOOL_NR_VARIANTS ? v : ZCPOOL_NR_VARIANTS + zct_design_index(name);
}

/*
 * After a variant's run: the pool at rest, the cgroup's file_mapped and
 * sock back to 0, and, once the cgroup is removed, what is left charged to
 * the parent (in *left). Returns whether all is where it was.
 */
static bool variant_at_rest(const char *parent, const char *cg, const char *variant,
			    const long base[NR_POOL_KEYS], const struct zc_config *cfg,
			    const struct memcg_sample *before, struct memcg_sample *left)
{
	struct memcg_sample after = { 0 };
	bool rest = pool_at_rest(variant, base);

	if (memcg_sample(cg, cfg, &after) || after.file_mapped || after.sock) {
		ktap_print_msg("%s: file_mapped %ld, sock %ld after the run, expected 0",
			       variant, after.file_mapped, after.sock);
		rest = false;
	}
	if (cg_destroy(cg) || memcg_sample(parent, cfg, left)) {
		ktap_print_msg("%s: remove %s: %m", variant, cg);
		rest = false;
	} else if (left->memory_current - before->memory_current > FUZZ_CHARGE_SLACK) {
		ktap_print_msg("%s: %ld bytes still charged after the run and the cgroup's removal (slack %ld)",
			       variant, left->memory_current - before->memory_current, (long)FUZZ_CHARGE_SLACK);
		rest = false;
	}
	return rest;
}

/*
 * One variant: workers, then the baseline checks. Prints <v>-run and
 * <v>-baseline. The charge check reads the parent after the variant's cgroup
 * is removed: taking it offline drains memcg's per-cpu charge stock, so what
 * is left is charge nobody holds any more.
 */
static bool fuzz_variant(const char *parent, const char *variant, unsigned int v,
			 const struct fuzz_params *fp, const struct zc_config *cfg,
			 unsigned int n)
{
	struct memcg_sample before = { 0 }, left = { 0 };
	long base[NR_POOL_KEYS];
	struct fuzz_counts *counts;
	char cg[PATH_MAX], name[64], prefix[64];
	bool ran, rest;

	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (snprintf(cg, sizeof(cg), "%s/%s", parent, variant) >= (int)sizeof(cg))
		errno = ENAMETOOLONG;
	if (fp->broken)
		errno = EINVAL;
	if (fp->broken || counts == MAP_FAILED || strlen(cg) != strlen(parent) + 1 + strlen(variant) ||
	    target_in_force(variant, v) || memcg_sample(parent, cfg, &before) || cg_create(cg) ||
	    (reclaim_all(), pool_read(base)))
		return variant_not_run(variant, n);
	repro_prefix(prefix, sizeof(prefix), variant);
	if (fp->alone)
		ran = replay_thread(cg, variant, v, fp, prefix);
	else if (fp->nrepro)
		ran = replay_states(cg, variant, fp, prefix);
	else
		ran = fuzz_workers(cg, variant, v, fp, counts);
	/*
	 * What follows (the checks, the minimizer) goes with the first case
	 * that fails: the host shows a failed case's diagnostics.
	 */
	snprintf(name, sizeof(name), "%s-run", variant);
	if (ran)
		ktap_test_result(true, n, name, NULL);
	rest = variant_at_rest(parent, cg, variant, base, cfg, &before, &left);
	if (!(ran && rest) && !fp->nrepro && !fp->alone)
		fuzz_minimize(parent, variant, v, fp->seed, counts);

	print_counts(variant, v, counts);
	variant_metric(variant, "charge_left", left.memory_current - before.memory_current);
	munmap(counts, sizeof(*counts));

	if (!ran)
		ktap_test_result(false, n, name, NULL);
	snprintf(name, sizeof(name), "%s-baseline", variant);
	ktap_test_result(rest, n + 1, name, NULL);
	return ran && rest;
}

/*
 * The livepatch removed, if a design loaded it; rmmod: the pool's pages go
 * back, the cgroup's charge with them; load it again with params.
 */
static bool fuzz_unload(const char *parent, const char *params)
{
	struct memcg_sample s;
	bool ok = true;

	if (zct_unload())
		return false;
	if (zcp_module_unload()) {
		ktap_print_msg("rmmod zcpool: %m");
		return false;
	}
	if (memcg_read(parent, &s) || s.memory_current > 64 * (long)ZCP_PAGE * sysconf(_SC_NPROCESSORS_ONLN)) {
		ktap_print_msg("after rmmod: %s memory.current %ld", parent, s.memory_current);
		ok = false;
	}
	if (zcp_module_load(params) || zcp_wait_path(ZCPOOL_DEVICE, 5000)) {
		ktap_print_msg("load zcpool again: %m");
		ok = false;
	}
	return ok;
}

int test_zcpool_fuzz(const char *name, const struct zc_config *cfg)
{
	char cg[PATH_MAX], base[NAME_MAX + 1], initial[32], reload[64] = "";
	static struct fuzz_params fp;
	unsigned int i;
	bool all = true;

	/* The variant in force now is the one the module is loaded with again. */
	if (!zcp_get_variant(initial, sizeof(initial)))
		snprintf(reload, sizeof(reload), "variant=%s", initial);
	else
		ktap_print_msg("read the variant in force: %m; the module is reloaded with its default");
	fuzz_params_read(&fp);

	ktap_print_plan(2 * fp.nv + 1);
	if (fp.nrepro > 0)
		ktap_print_msg("replaying %ld operations given by their generator states", fp.nrepro);
	else if (!fp.nrepro && fp.alone)
		ktap_print_msg("seed %llu, process %u thread %u alone", (unsigned long long)fp.seed, fp.proc, fp.thread);
	else if (!fp.nrepro)
		ktap_print_msg("seed %llu, %u s per variant, %d processes x %d threads",
			       (unsigned long long)fp.seed, fp.seconds, ZCB_FUZZ_PROCS, ZCB_FUZZ_THREADS);
	fuzz_fault_check(&fp);
	ktap_metric("seed", (long long)fp.seed);
	ktap_metric("seconds", fp.seconds);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));

	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(cg, base);
	if (cg_create(cg) || cg_write(cg, "cgroup.subtree_control", "+memory"))
		ktap_print_msg("cgroup %s: %m", cg);
	for (i = 0; i < fp.nv; i++)
		all &= fuzz_variant(cg, fp.variants[i], target_index(fp.variants[i]), &fp, cfg, 1 + 2 * i);
	i = fuzz_unload(cg, reload);
	ktap_test_result(i, 2 * fp.nv + 1, "unload", NULL);
	all &= i;
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
	return all ? 0 : 1;
}
