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

/* vmsplice-pin: the default pipe-max-size, and at most this many pipes */
#define PIPE_BYTES		(1UL << 20)
#define MAX_PIPES		64

/*
 * vmsplice-pin: receive size, vmsplice the mapping into pipes, munmap,
 * RECLAIM: are pages that user space still pins after the last unmap
 * charged? Then close the pipes and RECLAIM. The pipes are sized before the
 * baseline, so their buffer arrays are in it.
 */
int test_mx_vmsplice_pin(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "vmsplice" };
	int pfd[MAX_PIPES][2];
	size_t pipe_bytes = PIPE_BYTES, npipes, i, pinned = 0;
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	bool ok;

	while (cfg->size / pipe_bytes > MAX_PIPES)
		pipe_bytes *= 2;
	npipes = (cfg->size + pipe_bytes - 1) / pipe_bytes;
	for (i = 0; i < MAX_PIPES; i++)
		pfd[i][0] = pfd[i][1] = -1;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open_copy(&q, cfg->size))
		goto out;
	for (i = 0; i < npipes; i++) {
		if (pipe2(pfd[i], O_CLOEXEC) ||
		    fcntl(pfd[i][1], F_SETPIPE_SZ, (int)pipe_bytes) < 0) {
			ktap_print_msg("pipe of %zu bytes: %m", pipe_bytes);
			goto out;
		}
	}
	if (mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_receive_chunks(&q, cfg->size, PATTERN_A);
	mx_case(&m, ok, cases[0]);
	if (!ok)
		goto out;

	for (i = 0; i < npipes; i++) {
		size_t len = q.off - i * pipe_bytes, n;

		if (len > pipe_bytes)
			len = pipe_bytes;
		n = rxq_vmsplice(&q, i * pipe_bytes, len, pfd[i][1]);
		if (n < len) {
			ktap_print_msg("vmsplice into pipe %zu after %zu bytes: %m",
				       i, n);
			goto out;
		}
		pinned += n;
	}
	ktap_metric("pinned", pinned);
	rxq_unmap(&q);
	if (rxq_reclaim(&q, &rc) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "pinned", NULL) < 0)
		goto out;
	ktap_metric("pool.outstanding", rc.outstanding);
	ktap_metric("mod.charged", st.queue.charged);
	ktap_metric("mod.under_now", st.queue.under_now);
	mx_case(&m, pinned == q.off, cases[1]);

	for (i = 0; i < npipes; i++) {
		close(pfd[i][0]);
		close(pfd[i][1]);
		pfd[i][0] = pfd[i][1] = -1;
	}
	if (rxq_reclaim(&q, &rc) || mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("pool.released_outstanding", rc.outstanding);
out:
	for (i = 0; i < MAX_PIPES; i++) {
		if (pfd[i][0] >= 0) {
			close(pfd[i][0]);
			close(pfd[i][1]);
		}
	}
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
	char c;
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

	pid = fork();
	if (pid < 0) {
		ktap_print_msg("fork: %m");
		goto out;
	}
	if (!pid) {
		/* The child only holds the mapping until the pipe closes. */
		close(sync[1]);
		while (read(sync[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
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

