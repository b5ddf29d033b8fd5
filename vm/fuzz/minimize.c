// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's minimizer: when a variant fails, the shortest operation
 * sequence that reproduces it. Each thread's operations are replayed alone
 * until one fails, then the shortest failing prefix of that thread's is
 * found by bisection and shortened by ddmin. The sequence is printed, one
 * ZCB_NOTE_REPRO line per operation, with a ZCB_NOTE_REPRO_STATES line of
 * their generator states for zcbench.fuzz_repro.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cgroup_util.h"
#include "clock.h"
#include "fuzz.h"
#include "ktap.h"

/*
 * fuzz_ddmin() - remove operations while the replay still fails (Zeller's
 * ddmin, its complement steps)
 * @r: the thread
 * @idx: the operations, a failing sequence; shortened in place
 * @n: how many
 * @deadline: give up then (the sequence fails, but may not be minimal)
 * @replays: incremented per replay
 * @minimal: set when no single operation can be removed any more
 *
 * A replay that cannot run counts as one that does not fail.
 *
 * Return: the new length.
 */
static unsigned long fuzz_ddmin(const struct fuzz_replay *r, uint32_t *idx, unsigned long n,
				int64_t deadline, unsigned long *replays, bool *minimal)
{
	uint32_t *cand = malloc(n * sizeof(*cand));
	unsigned long parts = 2, chunk, start, i, m;
	char why[256];
	bool reduced;

	*minimal = false;
	if (!cand)
		return n;
	while (n >= 2 && monotonic_ns() < deadline) {
		chunk = (n + parts - 1) / parts;
		reduced = false;
		for (start = 0; start < n && !reduced && monotonic_ns() < deadline; start += chunk) {
			for (i = 0, m = 0; i < n; i++)
				if (i < start || i >= start + chunk)
					cand[m++] = idx[i];
			(*replays)++;
			if (fuzz_replay(r, cand, m, false, why, sizeof(why)) == REPLAY_FAILED) {
				memcpy(idx, cand, m * sizeof(*idx));
				n = m;
				reduced = true;
			}
		}
		if (reduced) {
			parts = parts > 2 ? parts - 1 : 2;
		} else if (parts >= n) {
			*minimal = true;
			break;
		} else {
			parts = parts * 2 < n ? parts * 2 : n;
		}
	}
	*minimal |= n == 1;
	free(cand);
	return n;
}

/* The generator states of idx[0..n) as zcbench.fuzz_repro takes them. */
static void print_states(const char *variant, const uint64_t *states, const uint32_t *idx, unsigned long n)
{
	char line[ZCB_FUZZ_REPRO_MAX * 17 + 1];
	size_t used = 0;
	unsigned long i;

	line[0] = '\0';
	for (i = 0; i < n && i < ZCB_FUZZ_REPRO_MAX; i++)
		used += snprintf(line + used, sizeof(line) - used, "%s%llx", i ? "," : "",
				 (unsigned long long)states[idx ? idx[i] : i]);
	ktap_print_msg(ZCB_NOTE_REPRO_STATES "%s %s", variant, line);
}

/*
 * Replay each thread alone, in order, recording its states into r->states,
 * until one fails before deadline. Returns REPLAY_FAILED with r set to that
 * thread and *n to its operations (r->states stays mapped), or the verdict
 * of the last replay otherwise (after saying why it cannot go on).
 */
static enum replay_verdict failing_thread(struct fuzz_replay *r, const char *variant,
					  const struct fuzz_counts *counts, int64_t deadline,
					  unsigned long *n, unsigned long *replays, char *why, size_t len)
{
	enum replay_verdict verdict = REPLAY_CLEAN;
	unsigned long k;

	for (k = 0; k < ZCB_FUZZ_PROCS * ZCB_FUZZ_THREADS && monotonic_ns() < deadline; k++) {
		r->proc = k / ZCB_FUZZ_THREADS;
		r->thread = k % ZCB_FUZZ_THREADS;
		*n = counts->thread_ops[r->proc][r->thread];
		if (!*n)
			continue;
		r->states = mmap(NULL, *n * sizeof(*r->states), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r->states == MAP_FAILED) {
			ktap_print_msg("%s: cannot minimize: %lu states: %m", variant, *n);
			return REPLAY_BROKEN;
		}
		(*replays)++;
		verdict = fuzz_replay(r, NULL, *n, true, why, len);
		if (verdict == REPLAY_FAILED)
			return verdict;
		munmap(r->states, *n * sizeof(*r->states));
		if (verdict == REPLAY_BROKEN) {
			ktap_print_msg("%s: cannot minimize: %s", variant, why);
			return verdict;
		}
	}
	ktap_print_msg("%s: no thread's operations reproduce the failure alone%s: it takes their interleaving (seed %llu)",
		       variant, monotonic_ns() >= deadline ? " within the time for minimizing" : "",
		       (unsigned long long)r->seed);
	return verdict;
}

static int64_t minimize_deadline;

/*
 * fuzz_minimize() - the shortest operation sequence that reproduces a
 * variant's failure, printed
 * @parent: the fuzz cgroups' parent
 * @variant: the variant that failed
 * @v, @seed: the thread generators' coordinates
 * @counts: how many operations each thread ran
 *
 * Each thread is replayed alone, in order, until one fails; then the
 * shortest failing prefix of its operations is found by bisection and
 * shortened by fuzz_ddmin(), all within ZCB_FUZZ_MIN_SECONDS for the whole
 * run. The result is replayed once more with every operation printed.
 */
void fuzz_minimize(const char *parent, const char *variant, unsigned int v, uint64_t seed,
		   const struct fuzz_counts *counts)
{
	struct fuzz_replay r = { .seed = seed, .v = v };
	char cg[PATH_MAX], why[256], prefix[64], metric[96];
	unsigned long n = 0, lo, hi, mid, replays = 0, i;
	uint32_t *idx = NULL;
	enum replay_verdict verdict;
	bool minimal = false;
	int64_t deadline;

	if (!minimize_deadline)
		minimize_deadline = monotonic_ns() + ZCB_FUZZ_MIN_SECONDS * 1000000000LL;
	deadline = minimize_deadline;
	snprintf(cg, sizeof(cg), "%s/%s-min", parent, variant);
	if (cg_create(cg)) {
		ktap_print_msg("%s: cannot minimize: create %s: %m", variant, cg);
		return;
	}
	r.cg = cg;
	ktap_print_msg("%s: minimizing: replaying each thread's operations alone", variant);
	if (failing_thread(&r, variant, counts, deadline, &n, &replays, why, sizeof(why)) != REPLAY_FAILED)
		goto out;
	ktap_print_msg("%s: process %u thread %u alone reproduces it in %lu operations (%s); minimizing",
		       variant, r.proc, r.thread, n, why);

	/* The shortest failing prefix, then the fewest operations of it. */
	for (lo = 0, hi = n; hi - lo > 1 && monotonic_ns() < deadline; replays++) {
		mid = lo + (hi - lo) / 2;
		if (fuzz_replay(&r, NULL, mid, false, why, sizeof(why)) == REPLAY_FAILED)
			hi = mid;
		else
			lo = mid;
	}
	idx = malloc(hi * sizeof(*idx));
	if (!idx) {
		ktap_print_msg("%s: cannot minimize: %m", variant);
		goto unmap;
	}
	for (i = 0; i < hi; i++)
		idx[i] = i;
	n = fuzz_ddmin(&r, idx, hi, deadline, &replays, &minimal);

	repro_prefix(prefix, sizeof(prefix), variant);
	ktap_print_msg("%s: %s sequence: %lu of process %u thread %u's operations (first failing prefix %lu), %lu replays; then every descriptor, mapping and pipe is closed:",
		       variant, minimal ? "shortest" : "shortened (the time for minimizing ran out)",
		       n, r.proc, r.thread, hi, replays);
	r.trace = prefix;
	verdict = fuzz_replay(&r, idx, n, false, why, sizeof(why));
	if (verdict == REPLAY_FAILED)
		ktap_print_msg("%s: the sequence above reproduces it: %s", variant, why);
	else if (verdict == REPLAY_CLEAN)
		ktap_print_msg("%s: the sequence above did not reproduce it once more (flaky)", variant);
	else
		ktap_print_msg("%s: the sequence above could not be replayed once more: %s", variant, why);
	if (n <= ZCB_FUZZ_REPRO_MAX)
		print_states(variant, r.states, idx, n);
	else
		ktap_print_msg("%s: %lu operations: too many to replay from the command line (at most %d)",
			       variant, n, ZCB_FUZZ_REPRO_MAX);
	snprintf(metric, sizeof(metric), "%s.repro_ops", variant);
	ktap_metric(metric, n);
	free(idx);
unmap:
	munmap(r.states, counts->thread_ops[r.proc][r.thread] * sizeof(*r.states));
out:
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
}
