// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: a concurrency smoke test. Two processes, each with
 * SMOKE_THREADS threads mapping, feeding and receiving on one queue, a
 * thread forking children that read an inherited mapping, and a thread
 * reclaiming all along; every page must carry a valid payload and nothing
 * may stay out at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "ktap.h"
#include "rxq.h"

#define SMOKE_THREADS	4
#define SMOKE_ITERS	40
#define SMOKE_PAGES	32

struct smoke {
	struct rxq q;			/* shared: received at start, read by forks */
	volatile bool stop;
	volatile int errors;
};

static void *smoke_rx_thread(void *arg)
{
	struct smoke *s = arg;
	struct zcpool_receive r;
	int i;

	for (i = 0; i < SMOKE_ITERS; i++) {
		unsigned char *p = zcp_map(s->q.fd, PAGES(SMOKE_PAGES));
		size_t j;

		if (!p || zcp_feed(s->q.fd, PAGES(SMOKE_PAGES / 2),
				   PATTERN_A + i, NULL) ||
		    zcp_receive(s->q.fd, p, PAGES(SMOKE_PAGES), &r)) {
			ktap_print_msg("smoke: map/feed/receive: %m");
			s->errors++;
			if (p)
				munmap(p, PAGES(SMOKE_PAGES));
			continue;
		}
		for (j = 0; j < r.mapped / ZCP_PAGE; j++) {
			uint64_t hdr[4];

			memcpy(hdr, p + PAGES(j), sizeof(hdr));
			if (zcp_page_check(p + PAGES(j), hdr[1], hdr[2],
					   hdr[3]) >= 0 ||
			    hdr[0] != ZCPOOL_PAGE_MAGIC) {
				ktap_print_msg("smoke: bad page");
				s->errors++;
			}
		}
		munmap(p, PAGES(SMOKE_PAGES));
	}
	return NULL;
}

static void *smoke_fork_thread(void *arg)
{
	struct smoke *s = arg;
	int status;

	while (!s->stop) {
		pid_t pid = fork();

		if (!pid) {
			/* The child's copy of the mapping, then exit. */
			_exit(s->q.map[0] == (ZCPOOL_PAGE_MAGIC & 0xff) ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			ktap_print_msg("smoke: fork child status %#x", status);
			s->errors++;
		}
	}
	return NULL;
}

static void *smoke_reclaim_thread(void *arg)
{
	struct smoke *s = arg;
	struct zcpool_reclaim rc;

	while (!s->stop) {
		if (zcp_reclaim(s->q.fd, &rc)) {
			s->errors++;
			break;
		}
		usleep(1000);
	}
	return NULL;
}

/* One process of the smoke test; returns the number of errors. */
static int smoke_run(void)
{
	pthread_t rx[SMOKE_THREADS], forker, reclaimer;
	struct smoke s = { .q = RXQ_INIT };
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	int i;

	if (rxq_open(&s.q, PAGES(4)) ||
	    !rxq_feed_receive(&s.q, PAGES(4), PATTERN_B))
		return 1;
	if (pthread_create(&forker, NULL, smoke_fork_thread, &s) ||
	    pthread_create(&reclaimer, NULL, smoke_reclaim_thread, &s))
		return 1;
	for (i = 0; i < SMOKE_THREADS; i++) {
		if (pthread_create(&rx[i], NULL, smoke_rx_thread, &s))
			return 1;
	}
	for (i = 0; i < SMOKE_THREADS; i++)
		pthread_join(rx[i], NULL);
	s.stop = true;
	pthread_join(forker, NULL);
	pthread_join(reclaimer, NULL);

	rxq_unmap(&s.q);
	if (zcp_reclaim(s.q.fd, &rc) || zcp_stats(s.q.fd, &st))
		return 1;
	if (st.queue.out) {
		ktap_print_msg("smoke: %llu pages still out after munmap and RECLAIM",
			       (unsigned long long)st.queue.out);
		s.errors++;
	}
	rxq_close(&s.q);
	return s.errors;
}

static int child_smoke(void *arg)
{
	(void)arg;
	return smoke_run() ? 1 : 0;
}

bool t_concurrency_smoke(struct dev_ctx *c)
{
	int errors, status;
	pid_t pid;

	(void)c;
	pid = fork();
	if (pid < 0)
		return expect_ok(-1, "fork");
	if (!pid)
		_exit(child_smoke(NULL));
	errors = smoke_run();
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ktap_print_msg("smoke: other process, wait status %#x", status);
		errors++;
	}
	return !errors;
}
