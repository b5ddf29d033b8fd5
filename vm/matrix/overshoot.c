// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: can a charge forced past memory.max take the receiver's
 * cgroup above it (nofail-overshoot)?
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

/* The feeder gives up after this long without a FEED taken. */
#define FEED_GIVE_UP_MS		10000
#define POLL_MS			1

/* Shared by the receiver and the feeder, each field written by one. */
struct feed_state {
	int go;			/* receiver: the limit is set, feed */
	int done;		/* feeder: fed all it will */
	long fed;		/* feeder: bytes FEED took */
};

/*
 * The feeder, a process in S (the queue's cgroup, so its socket's): once
 * told to go, FEED size a unit at a time; a FEED refused for want of pool
 * pages or socket memory is retried after a RECLAIM. Returns the exit
 * status: 0, or 1 if a FEED failed otherwise.
 */
static int feeder(struct rxq *q, size_t size, struct feed_state *fs)
{
	struct zcpool_reclaim rc;
	int64_t since = 0;
	long fed = 0;
	int ret = 0;

	while (!__atomic_load_n(&fs->go, __ATOMIC_ACQUIRE))
		settle(POLL_MS);
	while ((size_t)fed < size) {
		if (!zcp_feed(q->fd, RXQ_UNIT, PATTERN_A, NULL)) {
			fed += RXQ_UNIT;
			__atomic_store_n(&fs->fed, fed, __ATOMIC_RELEASE);
			since = 0;
			continue;
		}
		if (errno != ENOBUFS && errno != ENOMEM) {
			ktap_print_msg("feeder: FEED: %m");
			ret = 1;
			break;
		}
		if (!since)
			since = monotonic_ns();
		else if (ms_since(since) > FEED_GIVE_UP_MS)
			break;
		zcp_reclaim(q->fd, &rc);
		settle(POLL_MS);
	}
	__atomic_store_n(&fs->done, 1, __ATOMIC_RELEASE);
	return ret;
}

/*
 * The receiver: RECEIVE what is queued, a batch at most per call (a call
 * that fails with ENOMEM then maps nothing), until size arrived or the
 * feeder is done (or gone: reaped into *status, *feeder then -1) and the
 * queue empty. Returns false (printed) on an error.
 */
static bool receive_fed(struct rxq *q, size_t size, struct mx_limit *l,
			const struct feed_state *fs, pid_t *feeder, int *status)
{
	while (q->off + q->copied < size) {
		size_t left = size - q->off - q->copied;
		/* Read first: all it fed is queued if it was done then. */
		int done = __atomic_load_n(&fs->done, __ATOMIC_ACQUIRE);

		/* A feeder that died without saying so is done too. */
		if (!done && *feeder > 0 && waitpid(*feeder, status, WNOHANG) == *feeder) {
			*feeder = -1;
			done = 1;
		}
		long n = rxq_receive_once(q, left < RXQ_BATCH ? left : RXQ_BATCH,
					  PATTERN_A);

		mx_limit_note(l);
		if (n < 0)
			return false;
		if (!n && done)
			break;
		if (!n)
			settle(POLL_MS);
	}
	return true;
}

/*
 * nofail-overshoot: two cgroups, S (zc-<variant>-nofail-overshoot) for
 * the queue and its feeder, R (its -b) for the receiver. The receiver,
 * exempt from the OOM killer, opens the queue in S (the socket's memcg is
 * S), forks the feeder, moves to R and there locks its memory (the pages
 * it shares with the feeder copied now, charged to R before the baseline),
 * populates the page tables of the mapping and sets R's memory.max to its
 * memory.current + size/4. Then the feeder FEEDs size while the receiver
 * RECEIVEs it, unmapping nothing: whatever charges R, charges R at its
 * limit, and socket memory is S's. A charge that fails there is answered
 * as memory-max does (skip hints and ENOMEM failures read()); one that
 * cannot fail takes R past memory.max.
 */
int test_mx_nofail_overshoot(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive" };
	struct mx_limit l = MX_LIMIT_INIT;
	struct feed_state *fs = MAP_FAILED;
	struct mx m;
	struct rxq q = RXQ_INIT;
	int status = 0;
	long baseline;
	pid_t pid = -1;
	bool ok;

	if (mx_setup(&m, name, cfg, 1, true))
		goto out;
	ktap_metric("size", cfg->size);
	fs = mmap(NULL, sizeof(*fs), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fs == MAP_FAILED) {
		ktap_print_msg("mmap: %m");
		goto out;
	}
	memset(fs, 0, sizeof(*fs));
	if (mx_oom_exempt() || mx_enter(m.cg) || rxq_open_copy(&q, cfg->size))
		goto out;
	pid = mx_fork();
	if (!pid)
		_exit(feeder(&q, cfg->size, fs));
	if (pid < 0)
		goto out;

	if (mx_enter(m.cg_b) || mx_lock_memory() || rxq_prefault_tables(&q) ||
	    mx_limit_open(&l, m.cg_b))
		goto out;
	baseline = mx_sample(&m, m.cg_b, "baseline", NULL);
	if (baseline < 0 || mx_limit_set(&l, baseline + cfg->size / 4))
		goto out;
	__atomic_store_n(&fs->go, 1, __ATOMIC_RELEASE);
	ok = receive_fed(&q, cfg->size, &l, fs, &pid, &status);
	mx_limit_lift(&l);

	if (pid > 0)
		ok &= waitpid(pid, &status, 0) == pid;
	ok &= WIFEXITED(status) && !WEXITSTATUS(status);
	pid = -1;
	ktap_metric("fed", fs->fed);
	ktap_metric("mapped", q.off);
	ktap_metric("copied", q.copied);
	ktap_metric("skip_hints", q.skip_hints);
	ktap_metric("receive_enomem", q.receive_enomem);
	ok &= l.readable && !q.bad_payload &&
	      q.off + q.copied == (size_t)fs->fed;
	if (!ok)
		ktap_print_msg("receive: %ld fed, %zu mapped, %zu copied%s (feeder status %#x)",
			       fs->fed, q.off, q.copied,
			       q.bad_payload ? ", wrong payload" : "", status);
	mx_case(&m, ok, cases[0]);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	mx_limit_close(&l);
	rxq_close(&q);
	if (fs != MAP_FAILED)
		munmap(fs, sizeof(*fs));
	return mx_finish(&m, 1, cases);
}
