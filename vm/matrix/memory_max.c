// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: a receive into a cgroup at its memory.max (memory-max).
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

static void limit_note(struct rxq *q, void *arg)
{
	(void)q;
	mx_limit_note(arg);
}

/*
 * memory-max: memory.max = baseline + size/4, then FEED and RECEIVE size a
 * unit at a time, as packets arrive. What a RECEIVE cannot map is read():
 * its skip hint, or the unit when the RECEIVE failed with ENOMEM. A FEED
 * refused with ENOMEM (the socket charge failed) is data dropped: nothing
 * the receiver can do frees memory, so it stops.
 *
 * Between setting the limit and lifting it the receiver touches no memory
 * it has not faulted in (mlockall, the stack prefaulted, the page tables of
 * the mapping populated) and opens no file: in a full cgroup those would
 * fail or retry the page fault forever. It is exempt from the memcg OOM
 * killer, so that a NOFAIL charge past the limit is forced rather than
 * killing it. The receiver never unmaps: what it holds mapped at most is
 * what it mapped.
 */
int test_mx_memory_max(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "limit" };
	struct mx_limit l = MX_LIMIT_INIT;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	long baseline;
	bool valid;
	int ret;

	if (mx_setup(&m, name, cfg, 2, false))
		goto out;
	ktap_metric("size", cfg->size);
	if (mx_oom_exempt() || mx_enter(m.cg) || mx_lock_memory() ||
	    rxq_open_copy(&q, cfg->size) || rxq_prefault_tables(&q) ||
	    mx_limit_open(&l, m.cg))
		goto out;
	baseline = mx_sample(&m, m.cg, "baseline", NULL);
	if (baseline < 0 || mx_limit_set(&l, baseline + cfg->size / 4))
		goto out;

	ret = rxq_receive(&q, cfg->size, PATTERN_A, RXQ_UNIT, RXQ_UNIT,
			  limit_note, &l);
	mx_limit_lift(&l);
	ktap_metric("mapped", q.off);
	ktap_metric("max_mapped", q.off);
	ktap_metric("copied", q.copied);
	ktap_metric("dropped", q.dropped);
	ktap_metric("skip_hints", q.skip_hints);
	ktap_metric("receive_enomem", q.receive_enomem);
	if (rxq_stats(&q, &st) || mx_sample(&m, m.cg, "received", NULL) < 0)
		goto out;
	zcp_print_counters("mod.queue", &st.queue);
	valid = ret >= 0 && !q.bad_payload && l.readable &&
		q.off + q.copied + q.dropped == cfg->size;
	if (!valid)
		ktap_print_msg("receive: %zu mapped, %zu copied, %zu dropped%s",
			       q.off, q.copied, q.dropped,
			       q.bad_payload ? ", wrong payload" : "");
	mx_case(&m, valid, cases[0]);
	mx_case(&m, l.lifted, cases[1]);
out:
	mx_limit_close(&l);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}
