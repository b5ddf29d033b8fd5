// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: pages recycled from one cgroup's queue to another's: who
 * pays for them (cross-cgroup).
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

/*
 * cross-cgroup: A receives size, munmap + RECLAIM; B receives size from the
 * recycled pages and keeps them mapped. Who pays for a recycled page? A is
 * sampled with its queue not yet open and closed again, while the process
 * is still in A (leaving would drain A's per-cpu charge stock).
 */
int test_mx_cross_cgroup(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive-a", "receive-b" };
	struct rxq a = RXQ_INIT, b = RXQ_INIT;
	struct zcpool_stats st0, st;
	struct mx m;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, true) || mx_enter(m.cg) ||
	    mx_sample(&m, m.cg, "a.baseline", NULL) < 0)
		goto out;
	ok = rxq_open_receive(&a, cfg->size, PATTERN_A) && !rxq_stats(&a, &st0);
	rxq_unmap(&a);
	if (rxq_reclaim(&a, NULL))
		ok = false;
	rxq_close(&a);
	mx_case(&m, ok, cases[0]);
	if (!ok || mx_sample(&m, m.cg, "a.released", NULL) < 0)
		goto out;

	if (mx_enter(m.cg_b) || rxq_open_copy(&b, cfg->size) ||
	    mx_sample(&m, m.cg_b, "b.baseline", NULL) < 0)
		goto out;
	ok = rxq_receive_chunks(&b, cfg->size, PATTERN_B);
	ktap_metric("mapped", b.off);
	if (rxq_stats(&b, &st) || mx_sample(&m, m.cg_b, "b.mapped", NULL) < 0)
		goto out;
	ktap_metric("mod.recycles", st.pool.recycles - st0.pool.recycles);
	ktap_metric("mod.charged", st.queue.charged);
	mx_case(&m, ok, cases[1]);
out:
	rxq_close(&a);
	rxq_close(&b);
	return mx_finish(&m, 2, cases);
}
