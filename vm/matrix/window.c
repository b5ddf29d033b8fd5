// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: the charge windows of one RECEIVE call (double-charge,
 * under-charge), seen from inside the call. The module stops the call at a
 * pause point and a second thread of the process samples the cgroup there,
 * for calls of 1 to 64 vm_insert_pages() batches: how the window grows
 * with the call is the measurement.
 *
 * One queue, one mapping and one observer thread serve every call: between
 * calls nothing is unmapped, closed or exited, whose memory the kernel
 * frees after an RCU grace period (page tables, files, task structs) - that
 * would be uncharged inside the next call's window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#include "clock.h"
#include "ktap.h"
#include "matrix.h"
#include "protocol.h"
#include "rxq.h"

/* Batches per call, in the order measured. */
static const unsigned int sweep[] = { 1, 2, 8, 32, 64 };
#define SWEEP_MAX_BATCHES	64

#define PAUSE_TIMEOUT_MS	20000

/* A pause point: the flag that asks for it, what PAUSE_WAIT says, its metrics' name. */
struct pause_point {
	uint64_t flag;			/* ZCPOOL_RECEIVE_PAUSE_* */
	uint64_t point;			/* ZCPOOL_PAUSE_* */
	const char *name;
};

/* The sweep: its queue, and the observer thread that samples at the stops. */
struct window {
	const struct zc_config *cfg;
	const struct pause_point *at;
	struct memcg_files files;	/* opened and read before any baseline */
	struct rxq q;
	pthread_t observer;
	sem_t go, done;			/* a call starts; the observer is done with it */
	bool quit;
	/* the call */
	unsigned int n;			/* batches */
	int64_t t0;			/* monotonic_ns() when it starts */
	long expected;			/* memory.current with every page charged once: the baseline */
	bool stopped;			/* PAUSE_WAIT saw it stop at the point */
	bool sampled;
	struct zcpool_pause pause;	/* where it stopped */
	struct memcg_sample s;		/* the cgroup there */
};

/* SIGUSR1 ends the observer's PAUSE_WAIT early (EINTR): nothing else. */
static void wake(int sig)
{
	(void)sig;
}

/*
 * The observer's part of a call: wait for it to stop, sample the cgroup
 * through the files opened before (nothing allocated in the window), print
 * a "# sample" line, and RESUME the call.
 */
static void observe_call(struct window *w)
{
	if (zcp_pause_wait(w->q.fd, PAUSE_TIMEOUT_MS, &w->pause)) {
		ktap_print_msg("%u batches: PAUSE_WAIT: %m", w->n);
		return;
	}
	__atomic_store_n(&w->stopped, w->pause.point == w->at->point,
			 __ATOMIC_RELEASE);
	w->sampled = !memcg_files_sample(&w->files, w->cfg, &w->s);
	if (w->sampled)
		ktap_print_msg(ZCB_LINE_SAMPLE "t_us=%ld batches=%llu mapped=%llu queued=%llu expected=%ld memory_current=%ld sock=%ld kernel=%ld file_mapped=%ld mod_double=%llu mod_under=%llu",
			       us_since(__atomic_load_n(&w->t0, __ATOMIC_ACQUIRE)),
			       (unsigned long long)w->pause.batches,
			       (unsigned long long)(w->pause.mapped * ZCP_PAGE),
			       (unsigned long long)(w->pause.queue.queued * ZCP_PAGE),
			       __atomic_load_n(&w->expected, __ATOMIC_ACQUIRE),
			       w->s.memory_current, w->s.sock, w->s.kernel,
			       w->s.file_mapped,
			       (unsigned long long)w->pause.queue.double_now,
			       (unsigned long long)w->pause.queue.under_now);
	if (zcp_resume(w->q.fd))
		ktap_print_msg("%u batches: RESUME: %m", w->n);
}

/* The observer thread: its stack faulted in once, then one call per go. */
static void *observe(void *arg)
{
	struct window *w = arg;

	mx_stack_prefault();
	sem_post(&w->done);
	for (;;) {
		/* A SIGUSR1 meant for a PAUSE_WAIT that already ended: ignored. */
		while (sem_wait(&w->go) && errno == EINTR)
			;
		if (w->quit)
			return NULL;
		observe_call(w);
		sem_post(&w->done);
	}
}

/* b<n>.<name> */
static void call_metric(unsigned int n, const char *name, long value)
{
	char metric[64];

	snprintf(metric, sizeof(metric), "b%u.%s", n, name);
	ktap_metric(metric, value);
}

/* s as b<n>.<point>.* */
static void call_print(unsigned int n, const char *point,
		       const struct memcg_sample *s)
{
	char name[32];

	snprintf(name, sizeof(name), "b%u.%s", n, point);
	memcg_sample_print(name, s);
}

/* Sample the cgroup and print it as b<n>.<point>.*; its memory.current, or -1. */
static long call_sample(struct window *w, const char *point)
{
	struct memcg_sample s;

	if (memcg_files_sample(&w->files, w->cfg, &s))
		return -1;
	call_print(w->n, point, &s);
	return s.memory_current;
}

/*
 * RECEIVE len bytes in one call, stopped at the pause point, the observer
 * waiting for it. Returns whether the call mapped them all; *r gets its
 * results, w the observer's.
 */
static bool call_observed(struct window *w, size_t len,
			  struct zcpool_receive *r)
{
	uint64_t batch = w->at->flag & ZCPOOL_RECEIVE_PAUSE_INSERTED ? w->n : 0;
	bool ok;

	w->stopped = false;
	w->sampled = false;
	sem_post(&w->go);
	memcg_files_peak_reset(&w->files);
	__atomic_store_n(&w->expected, call_sample(w, "baseline"), __ATOMIC_RELEASE);
	ok = __atomic_load_n(&w->expected, __ATOMIC_RELAXED) >= 0;
	__atomic_store_n(&w->t0, monotonic_ns(), __ATOMIC_RELEASE);
	if (zcp_receive_paused(w->q.fd, w->q.map, len, w->at->flag, batch, r)) {
		ktap_print_msg("%u batches: RECEIVE: %m", w->n);
		ok = false;
	}
	/*
	 * A call that never stopped leaves the observer in PAUSE_WAIT, or
	 * about to enter it: wake it until it is done with the call.
	 */
	while (!__atomic_load_n(&w->stopped, __ATOMIC_ACQUIRE)) {
		struct timespec until;

		pthread_kill(w->observer, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		if (!sem_timedwait(&w->done, &until))
			return false;
	}
	sem_wait(&w->done);
	return ok && r->mapped == len;
}

/*
 * One call of n batches: the pages fed (queued, socket-charged) before the
 * baseline, the call stopped at the pause point. Prints b<n>.*; returns
 * whether the call mapped all, stopped where asked, and every page is
 * right. Then the pages are unmapped (the page tables stay) and recycled.
 */
static bool sweep_call(struct window *w, unsigned int n)
{
	size_t len = (size_t)n * RXQ_BATCH;
	struct zcpool_receive r = { 0 };
	struct zcpool_feed f;
	bool ok;

	w->n = n;
	if (zcp_feed(w->q.fd, len, PATTERN_A, &f) || rxq_reclaim(&w->q, NULL)) {
		ktap_print_msg("FEED %zu bytes: %m", len);
		return false;
	}
	ok = call_observed(w, len, &r);
	if (w->sampled)
		call_print(n, w->at->name, &w->s);
	call_metric(n, "mapped", r.mapped);
	call_metric(n, "stopped", w->stopped);
	if (w->stopped) {
		call_metric(n, "mod.double", w->pause.queue.double_now);
		call_metric(n, "mod.under", w->pause.queue.under_now);
		call_metric(n, "mod.mapped", w->pause.mapped);
	}
	ok &= call_sample(w, "after") >= 0 && w->stopped && w->sampled;
	w->q.off = r.mapped;
	w->q.first_seq = f.first_seq;
	ok &= rxq_payload_ok(&w->q, PATTERN_A);
	if (madvise(w->q.map, len, MADV_DONTNEED) || rxq_reclaim(&w->q, NULL)) {
		ktap_print_msg("MADV_DONTNEED + RECLAIM: %m");
		ok = false;
	}
	return ok;
}

/*
 * double-charge, under-charge: for each size of the sweep, one call
 * stopped at the point, in the scenario's cgroup. Prints the sizes, then
 * b<n>.* per call (docs/matrix-protocol.md).
 */
static int window_run(const char *name, const struct zc_config *cfg,
		      const struct pause_point *at)
{
	static const char *const cases[] = { "receive" };
	struct window w = {
		.cfg = cfg, .at = at, .files = MEMCG_FILES_INIT, .q = RXQ_INIT,
	};
	struct sigaction sa = { .sa_handler = wake };
	bool ok = true, observing = false;
	char metric[32];
	struct mx m;
	size_t i;

	if (mx_setup(&m, name, cfg, 1, false) || mx_enter(m.cg))
		goto out;
	if (sigaction(SIGUSR1, &sa, NULL) || sem_init(&w.go, 0, 0) ||
	    sem_init(&w.done, 0, 0) ||
	    pthread_create(&w.observer, NULL, observe, &w)) {
		ktap_print_msg("observer thread: %m");
		goto out;
	}
	observing = true;
	sem_wait(&w.done);
	if (memcg_files_open(&w.files, m.cg) ||
	    rxq_open(&w.q, SWEEP_MAX_BATCHES * RXQ_BATCH) ||
	    rxq_prefault_tables(&w.q))
		goto out;
	ktap_metric("sizes", ARRAY_SIZE(sweep));
	for (i = 0; i < ARRAY_SIZE(sweep); i++) {
		snprintf(metric, sizeof(metric), "size.%zu", i);
		ktap_metric(metric, sweep[i]);
	}
	for (i = 0; i < ARRAY_SIZE(sweep); i++)
		ok &= sweep_call(&w, sweep[i]);
	ktap_metric("peak_reset", w.files.peak_resets);
	mx_case(&m, ok, cases[0]);
out:
	if (observing) {
		w.quit = true;
		sem_post(&w.go);
		pthread_join(w.observer, NULL);
	}
	memcg_files_close(&w.files);
	rxq_close(&w.q);
	return mx_finish(&m, 1, cases);
}

int test_mx_double_charge(const char *name, const struct zc_config *cfg)
{
	static const struct pause_point inserted = {
		ZCPOOL_RECEIVE_PAUSE_INSERTED, ZCPOOL_PAUSE_INSERTED, "inserted",
	};

	return window_run(name, cfg, &inserted);
}

int test_mx_under_charge(const char *name, const struct zc_config *cfg)
{
	static const struct pause_point released = {
		ZCPOOL_RECEIVE_PAUSE_RELEASED, ZCPOOL_PAUSE_RELEASED, "released",
	};

	return window_run(name, cfg, &released);
}
