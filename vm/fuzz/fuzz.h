/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcpool-fuzz's parts (fuzz.c describes the scenario): the parameters, the
 * generator, the operations, the worker threads, the checks of what a run
 * left, and the replays with their minimizer.
 */
#ifndef ZCBENCH_FUZZ_H
#define ZCBENCH_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zcpool.h>
#include <zctcp.h>

#include "kmsg.h"
#include "protocol.h"

#define FUZZ_FDS		4
#define FUZZ_MAPS		6
#define FUZZ_PIPES		2
#define FUZZ_CHILD_OPS		16
#define FUZZ_MAX_PAGES		64
#define FUZZ_TCP		2

/*
 * The operations. A zcpool variant's threads draw from the first
 * NR_ZCPOOL_OPS (so that a seed names the sequence it always did); a
 * real-path design's threads draw from all, the TCP ones as well: a
 * loopback connection opened or closed, a send, TCP_ZEROCOPY_RECEIVE.
 */
enum fuzz_op {
	OP_OPEN, OP_CLOSE, OP_FEED, OP_RECEIVE, OP_STATS, OP_RECLAIM, OP_MMAP,
	OP_MUNMAP, OP_MREMAP, OP_MADVISE, OP_READ, OP_TOUCH, OP_FORK,
	OP_VMSPLICE, OP_TCP_CONNECT, OP_TCP_SEND, OP_TCP_ZC_RECEIVE, NR_OPS,
};

#define NR_ZCPOOL_OPS		(OP_VMSPLICE + 1)

/*
 * What the fuzz runs, by number: zcpool's variants in their table's order,
 * then the livepatch's designs (ZCPOOL_NR_VARIANTS + the design's number).
 */
#define FUZZ_NR_TARGETS		(ZCPOOL_NR_VARIANTS + ZCTCP_NR_DESIGNS)

static inline bool fuzz_target_is_tcp(unsigned int v)
{
	return v >= ZCPOOL_NR_VARIANTS;
}

/* The operations' names, for their metrics <v>.ops.<name>. */
extern const char *const op_names[NR_OPS];

/* Counts shared by every worker process of one variant. */
struct fuzz_counts {
	unsigned long ops[NR_OPS];
	unsigned long failed;
	unsigned long zc_mapped;	/* TCP_ZEROCOPY_RECEIVEs that mapped a page */
	/* top-level operations of each thread, for replaying it */
	unsigned long thread_ops[ZCB_FUZZ_PROCS][ZCB_FUZZ_THREADS];
};

struct fuzz_map {
	unsigned char *addr;
	size_t len;
};

/* A loopback connection: the receiving and the sending socket, or -1. */
struct fuzz_conn {
	int rx, tx;
};

/* One thread's state; a forked child gets a copy. */
struct fuzz_thread {
	uint64_t rng;
	int fds[FUZZ_FDS];
	struct fuzz_map maps[FUZZ_MAPS];
	int pipes[FUZZ_PIPES][2];
	bool tcp;		/* a real-path design's thread: TCP operations too */
	struct fuzz_conn conns[FUZZ_TCP];
	struct fuzz_counts *counts;
	int64_t deadline_ns;
	unsigned int proc, thread;	/* which worker thread */
	/* Replays (fuzz_replay()): */
	uint64_t *record;	/* gets each operation's generator state, or NULL */
	const char *trace_prefix; /* print operations after this prefix, or NULL */
	unsigned long trace_from; /* from this one on */
	bool progress;		/* print ZCB_NOTE_FUZZ_PROGRESS every ZCB_FUZZ_PROGRESS_OPS */
	const char *trace;	/* the operation running is printed, after this */
	bool child;		/* in a fork of the traced thread */
	char what[200];		/* the traced operation */
};

/* What zcpool-fuzz runs, from the command line (params.c). */
struct fuzz_params {
	uint64_t seed;
	unsigned int seconds;
	uint64_t repro[ZCB_FUZZ_REPRO_MAX];	/* zcbench.fuzz_repro, if given */
	long nrepro;			/* how many, -1: malformed */
	/* zcbench.fuzz_thread=P.K: that thread alone, from the seed */
	bool alone;
	unsigned int proc, thread;
	unsigned long ops;		/* zcbench.fuzz_ops: how many, 0: for the time */
	unsigned long trace_from;	/* zcbench.fuzz_trace_from: print from this one */
	bool broken;			/* a parameter could not be applied */
	/*
	 * zcbench.fuzz_variants (default: every variant of the module, then
	 * every design of the livepatch)
	 */
	const char *variants[FUZZ_NR_TARGETS];
	unsigned int nv;
	char list[256];			/* the names in variants point into it */
};

/* params.c: read the zcbench.fuzz_* parameters into fp. */
void fuzz_params_read(struct fuzz_params *fp);

/*
 * params.c: zcbench.fault, which the runner gave every load of the module:
 * say that it is injected, or mark fp broken if the module does not have it.
 */
void fuzz_fault_check(struct fuzz_params *fp);

/* xorshift64*: small, and the same sequence for the same seed everywhere. */
static inline uint64_t fuzz_next(struct fuzz_thread *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t fuzz_below(struct fuzz_thread *t, uint64_t n)
{
	return n ? fuzz_next(t) % n : 0;
}

/* generator.c: the arguments, the thread's seed and its operations. */
uint64_t fuzz_len(struct fuzz_thread *t);
int pick_fd(struct fuzz_thread *t);
uint64_t fuzz_addr(struct fuzz_thread *t);
void fuzz_init_thread(struct fuzz_thread *t, uint64_t seed, unsigned int v,
		      unsigned int proc, unsigned int thread,
		      struct fuzz_counts *counts, int64_t deadline);
void fuzz_step(struct fuzz_thread *t, unsigned long i);
unsigned long fuzz_run(struct fuzz_thread *t, unsigned long budget);

/* What every operation drew first: a mapping and a descriptor slot. */
struct op_args {
	int mi;
	struct fuzz_map *m;
	int slot;
};

/* Describe the operation being traced (a no-op when not tracing). */
#define TRACE(t, ...) \
	do { if ((t)->trace) snprintf((t)->what, sizeof((t)->what), __VA_ARGS__); } while (0)

/* operations.c */
void fuzz_do_op(struct fuzz_thread *t, enum fuzz_op op);
/* An address as a traced operation shows it: in which mapping, if any. */
const char *where(const struct fuzz_thread *t, uint64_t addr, char *buf, size_t len);

/* tcp_ops.c: the TCP operations, and closing a thread's connections. */
int op_tcp_connect(struct fuzz_thread *t, const struct op_args *a);
int op_tcp_send(struct fuzz_thread *t, const struct op_args *a);
int op_tcp_zc_receive(struct fuzz_thread *t, const struct op_args *a);
void fuzz_tcp_release(struct fuzz_thread *t);
/* A fuzzing process: touching a page not mapped is an operation that fails. */
void fuzz_signals(void);

/* workers.c */
void fuzz_release(struct fuzz_thread *t);
/*
 * ZCB_FUZZ_PROCS worker processes in cgroup cg, until fp->seconds are up,
 * counting into counts. Returns whether all ran and the kernel logged no
 * trouble meanwhile (else says why).
 */
bool fuzz_workers(const char *cg, const char *variant, unsigned int v,
		  const struct fuzz_params *fp, struct fuzz_counts *counts);

/* checks.c: the pool's counters (debugfs), the kernel's log. */
#define NR_POOL_KEYS		7
extern const char *const pool_keys[];
int pool_read(long values[NR_POOL_KEYS]);
bool pool_at_rest(const char *when, const long base[NR_POOL_KEYS]);
void reclaim_all(void);
bool kmsg_trouble(int fd, char *buf, size_t len);

/* replay.c */
enum replay_verdict { REPLAY_CLEAN, REPLAY_FAILED, REPLAY_BROKEN };

/* One thread's operations, to replay alone (fuzz_replay()). */
struct fuzz_replay {
	const char *cg;			/* the cgroup the replay runs in */
	const char *trace;		/* prefix of traced operations, or NULL */
	unsigned long trace_from;	/* the first operation traced */
	bool progress;			/* print how far it got */
	uint64_t seed;			/* the thread: seed and coordinates */
	unsigned int v, proc, thread;
	uint64_t *states;		/* each operation's generator state, or NULL */
	int64_t deadline;		/* when the operations are not counted */
};

enum replay_verdict fuzz_replay(const struct fuzz_replay *r, const uint32_t *idx, unsigned long n,
				bool record, char *why, size_t len);

/* The prefix of a variant's traced operations: ZCB_NOTE_REPRO "<variant>". */
void repro_prefix(char *buf, size_t len, const char *variant);

/* minimize.c */
void fuzz_minimize(const char *parent, const char *variant, unsigned int v, uint64_t seed,
		   const struct fuzz_counts *counts);

#endif /* ZCBENCH_FUZZ_H */
