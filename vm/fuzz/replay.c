// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's replays: one thread's operations alone, in a process of
 * their own, judged by what they leave behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "fuzz.h"
#include "zcpool_util.h"

void repro_prefix(char *buf, size_t len, const char *variant)
{
	snprintf(buf, len, ZCB_NOTE_REPRO "%s", variant);
}

/* In the replaying child: run the operations, release, exit. */
static void __attribute__((noreturn))
replay_child(const struct fuzz_replay *r, const uint32_t *idx, unsigned long n, bool record)
{
	static struct fuzz_counts counts;
	struct fuzz_thread t;
	unsigned long k;

	if (cg_enter(r->cg, 0))
		_exit(2);
	fuzz_signals();
	fuzz_init_thread(&t, r->seed, r->v, r->proc, r->thread, &counts, r->deadline);
	t.trace_prefix = r->trace;
	t.trace_from = r->trace_from;
	t.progress = r->progress;
	if (record || !r->states) {
		t.record = record ? r->states : NULL;
		fuzz_run(&t, n);
	} else {
		for (k = 0; k < n; k++) {
			t.rng = r->states[idx ? idx[k] : k];
			fuzz_step(&t, k);
		}
	}
	fuzz_release(&t);
	_exit(0);
}

/*
 * fuzz_replay() - run operations of one thread alone, then judge what they left
 * @r: the thread and its recorded states
 * @idx: the operations to run, by number, or NULL for the first @n
 * @n: how many
 * @record: run the thread's first @n operations from its seed, recording
 *	their states into r->states (@idx must be NULL). Without states, the
 *	first @n operations from the seed are run, recording nothing, or if
 *	@n is 0 as many as fit before r->deadline.
 * @why: what went wrong, if something did
 *
 * A child process in r->cg runs the operations, then releases everything
 * it holds (descriptors, mappings, pipes) and exits; the pool is reclaimed.
 *
 * Return: REPLAY_FAILED if the pool's counters ended above where they were,
 * the kernel logged trouble or the child was killed; REPLAY_CLEAN if none
 * of that; REPLAY_BROKEN (with @why) if the replay could not run.
 */
enum replay_verdict fuzz_replay(const struct fuzz_replay *r, const uint32_t *idx, unsigned long n,
				bool record, char *why, size_t len)
{
	long before[NR_POOL_KEYS], after[NR_POOL_KEYS];
	int status = 0, kmsg;
	size_t i;
	pid_t pid;

	reclaim_all();
	if (pool_read(before)) {
		snprintf(why, len, "read " ZCPOOL_DEBUGFS_STATS ": %s", strerror(errno));
		return REPLAY_BROKEN;
	}
	kmsg = kmsg_open();
	pid = fork();
	if (pid == 0)
		replay_child(r, idx, n, record);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		snprintf(why, len, "fork or wait: %s", strerror(errno));
		close(kmsg);
		return REPLAY_BROKEN;
	}
	reclaim_all();
	if (kmsg_trouble(kmsg, why, len)) {
		close(kmsg);
		return REPLAY_FAILED;
	}
	close(kmsg);
	if (WIFSIGNALED(status)) {
		snprintf(why, len, "the replaying process was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		return REPLAY_FAILED;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, len, "the replaying process could not enter %s", r->cg);
		return REPLAY_BROKEN;
	}
	if (pool_read(after)) {
		snprintf(why, len, "read " ZCPOOL_DEBUGFS_STATS ": %s", strerror(errno));
		return REPLAY_BROKEN;
	}
	for (i = 0; i < NR_POOL_KEYS; i++) {
		if (after[i] > before[i]) {
			snprintf(why, len, "pool %s %ld -> %ld after the replay (leaked pages)",
				 pool_keys[i], before[i], after[i]);
			return REPLAY_FAILED;
		}
	}
	return REPLAY_CLEAN;
}
