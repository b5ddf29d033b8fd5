// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: the charge windows of a receive (double-charge,
 * under-charge), as a timeline of samples after every RECEIVE call and as
 * the module's exact peaks.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "ktap.h"
#include "matrix.h"
#include "protocol.h"
#include "rxq.h"

/*
 * RECEIVE two vm_insert_pages() batches per call, as an application asks
 * for more than one batch at a time (what tells a per-batch release of the
 * socket charge from a per-call one) ...
 */
#define WINDOW_CALL		(2 * ZCPOOL_BATCH_PAGES * ZCP_PAGE)
/* ... of at most this much in all: 32 calls, enough to show the window */
#define WINDOW_MAX_SIZE		(8UL << 20)

/* The timeline of a window scenario, sampled after every RECEIVE. */
struct window {
	const char *cg;
	long baseline;
	int64_t t0;			/* monotonic_ns() at the first call */
	long samples;
	long peak_excess;		/* memory.current - baseline - mapped - queued */
	long min_margin;		/* memory.current - baseline - mapped */
	bool failed;
};

static void window_sample(struct rxq *q, void *arg)
{
	struct window *w = arg;
	struct zcpool_stats st;
	struct memcg_sample s;
	long queued, margin;

	if (w->failed || memcg_read(w->cg, &s) || rxq_stats(q, &st)) {
		w->failed = true;
		return;
	}
	queued = st.queue.queued * ZCP_PAGE;
	margin = s.memory_current - w->baseline - (long)q->off;
	if (!w->samples || margin - queued > w->peak_excess)
		w->peak_excess = margin - queued;
	if (!w->samples || margin < w->min_margin)
		w->min_margin = margin;
	w->samples++;
	ktap_print_msg(ZCB_LINE_SAMPLE "t_us=%ld mapped=%zu queued=%ld memory_current=%ld sock=%ld kernel=%ld file_mapped=%ld mod_double=%llu mod_under=%llu",
		       us_since(w->t0), q->off, queued, s.memory_current,
		       s.sock, s.kernel, s.file_mapped,
		       (unsigned long long)st.queue.double_now,
		       (unsigned long long)st.queue.under_now);
}

/*
 * double-charge, under-charge: FEED size in units of ZCPOOL_UNIT_PAGES,
 * RECEIVE WINDOW_CALL per call, a "# sample" after every call. The
 * module's peaks are exact; the samples see memory.current between calls
 * only. The page tables of the mapping are populated before the baseline.
 */
static int window_run(const char *name, const struct zc_config *cfg,
		      bool under)
{
	static const char *const cases[] = { "receive" };
	size_t size = cfg->size < WINDOW_MAX_SIZE ? cfg->size : WINDOW_MAX_SIZE;
	struct window w = { 0 };
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	int ret;

	if (mx_setup(&m, name, cfg, 1, false) || mx_enter(m.cg) ||
	    rxq_open_copy(&q, size) || rxq_prefault_tables(&q))
		goto out;
	ktap_metric("size", size);
	w.cg = m.cg;
	w.baseline = mx_sample(&m, m.cg, "baseline", NULL);
	if (w.baseline < 0)
		goto out;
	w.t0 = monotonic_ns();
	ret = rxq_receive(&q, size, PATTERN_A, size, WINDOW_CALL,
			  window_sample, &w);
	ktap_metric("mapped", q.off);
	ktap_metric("calls", w.samples);
	if (rxq_stats(&q, &st))
		goto out;
	if (under) {
		ktap_metric("min_margin", w.min_margin);
		ktap_metric("mod.under_peak", st.queue.under_peak);
	} else {
		ktap_metric("peak_excess", w.peak_excess);
		ktap_metric("mod.double_peak", st.queue.double_peak);
	}
	zcp_print_counters("mod.queue", &st.queue);
	mx_case(&m, rxq_all_mapped(&q, ret, size) && !w.failed && w.samples,
		cases[0]);
out:
	rxq_close(&q);
	return mx_finish(&m, 1, cases);
}

int test_mx_double_charge(const char *name, const struct zc_config *cfg)
{
	return window_run(name, cfg, false);
}

int test_mx_under_charge(const char *name, const struct zc_config *cfg)
{
	return window_run(name, cfg, true);
}

