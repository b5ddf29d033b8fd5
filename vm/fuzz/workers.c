// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's workers: ZCB_FUZZ_PROCS processes of ZCB_FUZZ_THREADS
 * threads each, every thread running its generator's operations until the
 * deadline, then releasing what it holds.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "fuzz.h"
#include "ktap.h"

void fuzz_release(struct fuzz_thread *t)
{
	int i;

	for (i = 0; i < FUZZ_FDS; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	for (i = 0; i < FUZZ_MAPS; i++)
		if (t->maps[i].addr)
			munmap(t->maps[i].addr, t->maps[i].len);
	for (i = 0; i < FUZZ_PIPES; i++)
		if (t->pipes[i][0] >= 0) {
			close(t->pipes[i][0]);
			close(t->pipes[i][1]);
		}
	fuzz_tcp_release(t);
}

static void *fuzz_thread_main(void *arg)
{
	struct fuzz_thread *t = arg;

	t->counts->thread_ops[t->proc][t->thread] = fuzz_run(t, 0);
	fuzz_release(t);
	return NULL;
}

/* One worker process: ZCB_FUZZ_THREADS threads until the deadline. */
static int fuzz_worker(uint64_t seed, unsigned int v, unsigned int proc,
		       struct fuzz_counts *counts, int64_t deadline)
{
	struct fuzz_thread threads[ZCB_FUZZ_THREADS];
	pthread_t ids[ZCB_FUZZ_THREADS];
	unsigned int i;

	fuzz_signals();
	for (i = 0; i < ZCB_FUZZ_THREADS; i++) {
		fuzz_init_thread(&threads[i], seed, v, proc, i, counts, deadline);
		if (pthread_create(&ids[i], NULL, fuzz_thread_main, &threads[i]))
			return 1;
	}
	for (i = 0; i < ZCB_FUZZ_THREADS; i++)
		pthread_join(ids[i], NULL);
	return 0;
}

bool fuzz_workers(const char *cg, const char *variant, unsigned int v,
		  const struct fuzz_params *fp, struct fuzz_counts *counts)
{
	pid_t pids[ZCB_FUZZ_PROCS];
	int kmsg = kmsg_open();
	int64_t deadline = monotonic_ns() + (int64_t)fp->seconds * 1000000000;
	char why[256];
	bool ran = true;
	unsigned int i;

	for (i = 0; i < ZCB_FUZZ_PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			if (cg_enter(cg, 0))
				_exit(2);
			_exit(fuzz_worker(fp->seed, v, i, counts, deadline));
		}
	}
	for (i = 0; i < ZCB_FUZZ_PROCS; i++) {
		int status = 0;

		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			ktap_print_msg("%s: worker %u: wait status %#x", variant, i, status);
			ran = false;
		}
	}
	reclaim_all();
	if (kmsg_trouble(kmsg, why, sizeof(why))) {
		ktap_print_msg("%s: %s", variant, why);
		ran = false;
	}
	close(kmsg);
	return ran;
}
