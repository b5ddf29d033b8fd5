// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: what the cgroup shows for pages received and kept mapped
 * (steady), and what is left once they are unmapped and reclaimed
 * (release).
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

/*
 * steady: FEED size, RECEIVE it all, keep it mapped. What the cgroup shows
 * for pages that stay mapped.
 */
int test_mx_steady(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "payload-verified" };
	struct mx m;
	struct rxq q = RXQ_INIT;
	struct zcpool_stats st;
	bool received;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open_copy(&q, cfg->size))
		goto out;
	ktap_metric("size", cfg->size);
	if (mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	received = rxq_receive_chunks(&q, cfg->size, PATTERN_A);
	ktap_metric("mapped", q.off);
	ktap_metric("copied", q.copied);
	if (rxq_stats(&q, &st) || mx_sample(&m, m.cg, "mapped", NULL) < 0)
		goto out;
	ktap_metric("mod.charged", st.queue.charged);
	ktap_metric("mod.mapped", st.queue.mapped);
	zcp_print_counters("mod.queue", &st.queue);
	mx_case(&m, received, cases[0]);
	mx_case(&m, received && rxq_payload_ok(&q, PATTERN_A), cases[1]);
out:
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/*
 * release: as steady, then munmap and RECLAIM. What is left charged, and
 * whether the pool got its pages back.
 */
int test_mx_release(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "reclaim" };
	struct zcpool_stats st0, st;
	struct zcpool_reclaim rc;
	struct mx m;
	struct rxq q = RXQ_INIT;
	bool received;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open_copy(&q, cfg->size) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0 || rxq_stats(&q, &st0))
		goto out;
	ktap_metric("pool.baseline_free", st0.pool_free);
	received = rxq_receive_chunks(&q, cfg->size, PATTERN_A);
	ktap_metric("mapped", q.off);
	mx_case(&m, received, cases[0]);

	rxq_unmap(&q);
	if (rxq_reclaim(&q, &rc) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("pool.released_free", st.pool_free);
	ktap_metric("pool.outstanding", rc.outstanding);
	ktap_metric("queue.outstanding", st.queue.out);
	ktap_metric("mod.recycled", rc.recycled);
	ktap_metric("mod.uncharged", rc.uncharged);
	zcp_print_counters("mod.queue", &st.queue);
	mx_case(&m, true, cases[1]);
out:
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

