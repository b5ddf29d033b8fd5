// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: pages that someone besides the receiver still holds after
 * it unmaps them: pipes they were vmspliced into (vmsplice-pin), a forked
 * child that inherited the mapping (fork).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

/*
 * vmsplice-pin: receive size, vmsplice the mapping into pipes, munmap,
 * RECLAIM: are pages that user space still pins after the last unmap
 * charged? Then close the pipes and RECLAIM. The pipes are sized before the
 * baseline, so their buffer arrays are in it.
 */
int test_mx_vmsplice_pin(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "vmsplice" };
	struct mx_pipes pipes = { .n = 0 };
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	size_t pinned;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open_copy(&q, cfg->size) || mx_pipes_open(&pipes, cfg->size) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_receive_chunks(&q, cfg->size, PATTERN_A);
	mx_case(&m, ok, cases[0]);
	if (!ok)
		goto out;

	pinned = mx_pipes_fill(&pipes, &q);
	ktap_metric("pinned", pinned);
	rxq_unmap(&q);
	if (rxq_reclaim(&q, &rc) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "pinned", NULL) < 0)
		goto out;
	ktap_metric("pool.outstanding", rc.outstanding);
	ktap_metric("mod.charged", st.queue.charged);
	ktap_metric("mod.under_now", st.queue.under_now);
	mx_case(&m, pinned == q.off, cases[1]);

	mx_pipes_close(&pipes);
	if (rxq_reclaim(&q, &rc) || mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("pool.released_outstanding", rc.outstanding);
out:
	mx_pipes_close(&pipes);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/*
 * fork: receive size, fork; the parent unmaps, the child keeps the mapping
 * until told to exit. Is the charge held until the last unmap?
 */
int test_mx_fork(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "fork" };
	int sync[2] = { -1, -1 }, status = 0;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	pid_t pid = -1;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open_copy(&q, cfg->size) || pipe2(sync, O_CLOEXEC) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_receive_chunks(&q, cfg->size, PATTERN_A);
	ktap_metric("mapped", q.off);
	mx_case(&m, ok, cases[0]);
	if (!ok)
		goto out;

	pid = mx_fork();
	if (!pid) {
		/* The child only holds the mapping until the pipe closes. */
		close(sync[1]);
		mx_hold(sync[0]);
	}
	if (pid < 0)
		goto out;
	close(sync[0]);
	sync[0] = -1;
	rxq_unmap(&q);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "child_holds", NULL) < 0)
		goto out;
	ktap_metric("mod.mapped", st.queue.mapped);
	ktap_metric("mod.charged", st.queue.charged);

	close(sync[1]);
	sync[1] = -1;
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	pid = -1;
	if (!ok)
		ktap_print_msg("child: wait status %#x (%m)", status);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("mod.charged_after", st.queue.charged);
	mx_case(&m, ok, cases[1]);
out:
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

