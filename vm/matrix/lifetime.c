// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: what outlives a receiver. Its memcg, once its cgroup is
 * removed while another process still maps the pages (zombie), and
 * charges, once the module is unloaded while pipes still pin the pages
 * (unload).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

/*
 * How long a memcg held by another cgroup's mapping is watched: every design
 * that frees it had done so at the first poll, 20 ms, on the stock and the
 * debug (KASAN, lockdep) 6.1 and 6.12 kernels.
 */
#define HELD_WAIT_MS		500
#define ZOMBIE_WAIT_MS		10000
#define ZOMBIE_POLL_MS		20

/*
 * cg's nr_dying_descendants now. The per-cpu charge stock is drained first
 * where the module can: pages uncharged from a dying memcg may be cached
 * there, with a reference on it that only the next charge of another
 * memcg on that cpu would drop (in a quiet guest, none comes).
 */
static long dying_now(const char *cg)
{
	memcg_flush();
	return cg_read_key_long(cg, "cgroup.stat", "nr_dying_descendants");
}

/*
 * cg's nr_dying_descendants, polled until it is 0 or ms passed; *waited
 * gets how long it waited. -1 if unreadable.
 */
static long dying_wait(const char *cg, long ms, long *waited)
{
	long dying = dying_now(cg);

	for (*waited = 0; dying > 0 && *waited < ms; *waited += ZOMBIE_POLL_MS) {
		settle(ZOMBIE_POLL_MS);
		dying = dying_now(cg);
	}
	return dying;
}

/*
 * zombie's receiver, a process of its own: everything of its own faulted
 * in while in H, where it also opens the queue (the socket's memcg, held
 * by the file as long as any mapping of it lives, is H's); only then does
 * it enter Z, where it receives size, so that Z is charged for nothing but
 * what the design charges to the receiver. Back in H, it forks the holder,
 * which keeps the mapping until hold_rd reaches its end, writes the
 * holder's pid to report, unmaps and closes. Returns its exit status.
 */
static int zombie_receiver(const char *z, const char *h, size_t size,
			   int hold_rd, int hold_wr, int report)
{
	struct rxq q = RXQ_INIT;
	pid_t holder;

	close(hold_wr);
	if (mx_enter(h) || mx_lock_memory() || rxq_open(&q, size) ||
	    rxq_prefault_tables(&q) || mx_enter(z) ||
	    !rxq_receive_chunks(&q, size, PATTERN_A) || mx_enter(h))
		return 1;
	holder = mx_fork();
	if (!holder) {
		close(q.fd);
		mx_hold(hold_rd);
	}
	if (holder < 0)
		return 1;
	if (write(report, &holder, sizeof(holder)) != sizeof(holder))
		return 1;
	rxq_close(&q);
	return 0;
}

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

/*
 * Create m.cg/<name>, which has the memory controller from m.cg, with its
 * path into path (PATH_MAX). 0 or -1 (printed).
 */
static int zombie_cgroup(const struct mx *m, const char *name, char *path)
{
	if (snprintf(path, PATH_MAX, "%s/%s", m->cg, name) >= PATH_MAX ||
	    (cg_create(path) && errno != EEXIST)) {
		ktap_print_msg("%s/%s: %m", m->cg, name);
		*path = '\0';
		return -1;
	}
	return 0;
}

/*
 * zombie: the receiver receives size in cgroup Z and leaves the mapping to
 * a holder in H, a sibling of Z, then exits. Z is removed while the holder
 * still maps the pages: does a page of the design keep the dead memcg
 * around (dying.held)? Then the holder exits: is it gone (dying_final)?
 */
int test_mx_zombie(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "rmdir" };
	char z[PATH_MAX] = "", h[PATH_MAX] = "";
	long dying0, held, dying, held_ms, waited;
	int hold[2] = { -1, -1 }, report[2] = { -1, -1 }, status = 0;
	pid_t pid, holder;
	struct mx m;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false))
		goto out;
	ktap_metric("size", cfg->size);
	if (cg_write(m.cg, "cgroup.subtree_control", "+memory")) {
		ktap_print_msg("%s: +memory: %m", m.cg);
		goto out;
	}
	if (zombie_cgroup(&m, "rx", z) || zombie_cgroup(&m, "holder", h))
		goto out;
	/* The holder, orphaned when the receiver exits, is this process's. */
	if (pipe2(hold, O_CLOEXEC) || pipe2(report, O_CLOEXEC) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		ktap_print_msg("pipe/prctl: %m");
		goto out;
	}
	pid = mx_fork();
	if (!pid)
		_exit(zombie_receiver(z, h, cfg->size, hold[0], hold[1],
				      report[1]));
	if (pid < 0)
		goto out;
	close(report[1]);
	report[1] = -1;
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     !WEXITSTATUS(status) &&
	     read(report[0], &holder, sizeof(holder)) == sizeof(holder);
	mx_case(&m, ok, cases[0]);
	if (!ok)
		goto out;

	if (zcp_reclaim_any(&(struct zcpool_reclaim){ 0 }) ||
	    mx_sample(&m, z, "held", NULL) < 0)
		goto out;
	dying0 = dying_now(m.cg);
	ok = !cg_destroy(z);
	if (!ok)
		ktap_print_msg("rmdir %s: %m", z);
	held = dying_wait(m.cg, HELD_WAIT_MS, &held_ms);

	close(hold[1]);
	hold[1] = -1;
	if (waitpid(holder, &status, 0) != holder)
		ktap_print_msg("holder: %m");
	if (zcp_reclaim_any(&(struct zcpool_reclaim){ 0 }))
		ktap_print_msg("RECLAIM: %m");
	dying = dying_wait(m.cg, ZOMBIE_WAIT_MS, &waited);
	ktap_metric("dying_initial", dying0);
	ktap_metric("dying.held", held);
	ktap_metric("held_ms", held_ms);
	ktap_metric("dying_final", dying);
	ktap_metric("wait_ms", waited);
	mx_case(&m, ok && dying0 >= 0 && held >= 0 && dying >= 0, cases[1]);
out:
	close_pipe(hold);
	close_pipe(report);
	/* The holder, if it is still there, goes with the end of hold. */
	while (waitpid(-1, &status, 0) > 0)
		;
	if ((*h && cg_destroy(h)) || (*z && cg_destroy(z)))
		ktap_print_msg("remove %s/*: %m", m.cg);
	return mx_finish(&m, 2, cases);
}

/*
 * unload: receive size, vmsplice it into pipes, munmap, close, RECLAIM,
 * then rmmod while the pipes still pin the pages and load the module again
 * with the same variant: what stays charged once the module that received
 * the pages is gone (unloaded), and once the pipes let go (released)?
 */
int test_mx_unload(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "reload" };
	struct mx_pipes pipes = { .n = 0 };
	struct zcpool_reclaim rc = { 0 };
	struct mx m;
	struct rxq q = RXQ_INIT;
	char params[64];
	int rmmod_errno;
	int64_t t;
	size_t pinned = 0;
	bool ok;

	/* The pipes come after the baseline: released.* is without them. */
	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open(&q, cfg->size) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0 ||
	    mx_pipes_open(&pipes, cfg->size))
		goto out;
	ok = rxq_receive_chunks(&q, cfg->size, PATTERN_A);
	if (ok)
		pinned = mx_pipes_fill(&pipes, &q);
	rxq_close(&q);
	if (zcp_reclaim_any(&rc)) {
		ktap_print_msg("RECLAIM: %m");
		ok = false;
	}
	ktap_metric("pinned", pinned);
	ktap_metric("pool.outstanding", rc.outstanding);
	mx_case(&m, ok && pinned == q.off, cases[0]);

	/*
	 * The module is loaded again, whatever happened, before the pipes
	 * let go: the new instance knows nothing of the old pool's pages, so
	 * what stays charged is still what outlived the unload, and its
	 * flush_memcg_stats makes the "unloaded" sample exact at once
	 * (without the module a sample waits FALLBACK_SETTLE_MS for memcg's
	 * periodic flush). "released" is taken once the pipes are closed.
	 */
	t = monotonic_ns();
	rmmod_errno = zcp_module_unload() ? errno : 0;
	ktap_metric("rmmod_errno", rmmod_errno);
	ktap_metric("rmmod_ms", ms_since(t));
	if (rmmod_errno) {
		ktap_print_msg("delete_module: %s", strerror(rmmod_errno));
		ok = true;
	} else {
		snprintf(params, sizeof(params), "variant=%s", m.variant);
		t = monotonic_ns();
		ok = !zcp_module_load(params) &&
		     !zcp_wait_path(ZCPOOL_DEVICE, 5000);
		ktap_metric("reload_ms", ms_since(t));
		if (!ok)
			ktap_print_msg("load zcpool.ko %s: %m", params);
	}
	mx_sample(&m, m.cg, "unloaded", NULL);
	mx_pipes_close(&pipes);
	mx_case(&m, ok, cases[1]);
	mx_sample(&m, m.cg, "released", NULL);
out:
	mx_pipes_close(&pipes);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}
