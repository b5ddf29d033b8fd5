// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's generator: each thread's xorshift generator, seeded from
 * (zcbench.fuzz_seed, the variant's module number - a real-path design's
 * is ZCPOOL_NR_VARIANTS + its number -, process, thread), draws its
 * operations and their arguments, so a seed names the same operation
 * sequence of every thread. Nothing here may change what a seed draws:
 * printed generator states replay operations (zcbench.fuzz_repro).
 */
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "fuzz.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

/* A length: mostly whole pages, sometimes a boundary or a hostile value. */
uint64_t fuzz_len(struct fuzz_thread *t)
{
	static const uint64_t hostile[] = {
		0, 1, ZCP_PAGE - 1, ZCP_PAGE + 1, ZCPOOL_MAX_IO_BYTES,
		ZCPOOL_MAX_IO_BYTES + ZCP_PAGE, 1ULL << 40, UINT64_MAX,
		UINT64_MAX - ZCP_PAGE + 1,
	};

	if (fuzz_below(t, 8))
		return (1 + fuzz_below(t, FUZZ_MAX_PAGES)) * ZCP_PAGE;
	return hostile[fuzz_below(t, ARRAY_SIZE(hostile))];
}

int pick_fd(struct fuzz_thread *t)
{
	int fd;

	/* A real-path design's thread: half the time a receiving socket. */
	if (t->tcp && fuzz_below(t, 2))
		return t->conns[fuzz_below(t, FUZZ_TCP)].rx;
	fd = t->fds[fuzz_below(t, FUZZ_FDS)];

	if (fuzz_below(t, 16))
		return fd;
	/*
	 * Now and then one that is not a queue: not open, or a pipe (never a
	 * terminal or anything else a read() could wait on for ever).
	 */
	switch (fuzz_below(t, 3)) {
	case 0: return -1;
	case 1: return 1000;
	default: return t->pipes[fuzz_below(t, FUZZ_PIPES)][fuzz_below(t, 2)];
	}
}

/* A RECEIVE or madvise address: mostly inside a mapping, else hostile. */
uint64_t fuzz_addr(struct fuzz_thread *t)
{
	struct fuzz_map *m = &t->maps[fuzz_below(t, FUZZ_MAPS)];

	if (m->addr && fuzz_below(t, 8))
		return (uintptr_t)m->addr + fuzz_below(t, m->len / ZCP_PAGE + 1) * ZCP_PAGE +
		       (fuzz_below(t, 16) ? 0 : fuzz_below(t, ZCP_PAGE));
	switch (fuzz_below(t, 4)) {
	case 0: return 0;
	case 1: return (uintptr_t)&t->rng;	/* our own stack or heap */
	case 2: return 0xffff800000000000ULL;	/* kernel space */
	default: return fuzz_next(t) & ~(uint64_t)(ZCP_PAGE - 1);
	}
}

void fuzz_init_thread(struct fuzz_thread *t, uint64_t seed, unsigned int v,
		      unsigned int proc, unsigned int thread,
		      struct fuzz_counts *counts, int64_t deadline)
{
	int i;

	memset(t, 0, sizeof(*t));
	/* splitmix64 of the coordinates: never 0, different for each thread. */
	t->rng = seed + 0x9e3779b97f4a7c15ULL * (1 + v * 64 + proc * 8 + thread);
	t->rng = (t->rng ^ (t->rng >> 30)) * 0xbf58476d1ce4e5b9ULL;
	t->rng = (t->rng ^ (t->rng >> 27)) * 0x94d049bb133111ebULL;
	t->rng ^= t->rng >> 31;
	if (!t->rng)
		t->rng = 1;
	for (i = 0; i < FUZZ_FDS; i++)
		t->fds[i] = -1;
	for (i = 0; i < FUZZ_PIPES; i++)
		t->pipes[i][0] = t->pipes[i][1] = -1;
	for (i = 0; i < FUZZ_TCP; i++)
		t->conns[i].rx = t->conns[i].tx = -1;
	t->tcp = fuzz_target_is_tcp(v);
	t->counts = counts;
	t->deadline_ns = deadline;
	t->proc = proc;
	t->thread = thread;
}

/*
 * One operation, drawn from the thread's generator; the generator's state
 * before it goes to record[i] if recording.
 */
void fuzz_step(struct fuzz_thread *t, unsigned long i)
{
	/*
	 * What a real-path design's threads draw more often: the socket's
	 * side of a mapping.
	 */
	static const enum fuzz_op tcp_ops[] = {
		OP_TCP_CONNECT, OP_TCP_SEND, OP_TCP_SEND, OP_TCP_ZC_RECEIVE,
		OP_TCP_ZC_RECEIVE, OP_TCP_ZC_RECEIVE, OP_MMAP, OP_MUNMAP,
		OP_MREMAP, OP_MADVISE, OP_READ, OP_TOUCH, OP_VMSPLICE,
	};
	unsigned int nops = t->tcp ? NR_OPS : NR_ZCPOOL_OPS;
	enum fuzz_op op;

	if (t->record)
		t->record[i] = t->rng;
	if (!t->child)
		t->trace = t->trace_prefix && i >= t->trace_from ? t->trace_prefix : NULL;
	/* fork is rarer than the rest: it copies every mapping. */
	op = fuzz_below(t, nops * 4);
	if (op >= nops || (op == OP_FORK && fuzz_below(t, 8)))
		op = t->tcp ? tcp_ops[fuzz_below(t, ARRAY_SIZE(tcp_ops))] : fuzz_below(t, OP_FORK);
	fuzz_do_op(t, op);
}

/*
 * Run operations until the deadline, or budget of them if budget is not 0.
 * Returns how many ran.
 */
unsigned long fuzz_run(struct fuzz_thread *t, unsigned long budget)
{
	unsigned long n;

	for (n = 0; budget ? n < budget : monotonic_ns() < t->deadline_ns; n++) {
		if (t->progress && !t->child && n && n % ZCB_FUZZ_PROGRESS_OPS == 0)
			ktap_print_msg(ZCB_NOTE_FUZZ_PROGRESS "%lu", n);
		fuzz_step(t, n);
	}
	return n;
}
