/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The matrix scenarios (docs/matrix-protocol.md) and what they share: each
 * one's cgroups, its KTAP cases and its samples.
 */
#ifndef ZCBENCH_MATRIX_H
#define ZCBENCH_MATRIX_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "memcg.h"
#include "scenario.h"

#define PATTERN_A		0x4141414141414141ULL
#define PATTERN_B		0x4242424242424242ULL

/* One matrix scenario: its cgroups and its KTAP cases. */
struct mx {
	const struct zc_config *cfg;
	const char *variant;
	char cg[PATH_MAX];		/* zc-<variant>-<scenario> */
	char cg_b[PATH_MAX];		/* zc-<variant>-<scenario>-b */
	unsigned int ncase;		/* cases printed */
	bool all;			/* every case passed */
};

/*
 * Create zc-<variant>-<name> (and the -b one if two), print the plan and
 * the metrics every scenario has. Returns 0 or -1 (printed).
 */
int mx_setup(struct mx *m, const char *name, const struct zc_config *cfg,
	     unsigned int cases, bool two);

/*
 * Print the cases not reached as failed, leave and remove the cgroups.
 * Returns the scenario's exit status.
 */
int mx_finish(struct mx *m, unsigned int cases, const char *const *names);

/* The next case. */
void mx_case(struct mx *m, bool ok, const char *name);

/* Move the calling process into cg; 0 or -1 (printed). */
int mx_enter(const char *cg);

/*
 * Wait settle_ms, sample cg and print it as <point>.*; s may be NULL.
 * Returns memory.current, -1 if unreadable.
 */
long mx_sample(struct mx *m, const char *cg, const char *point,
	       struct memcg_sample *s);

/* fork(), saying why it failed. */
pid_t mx_fork(void);

/*
 * In a child: hold what the process maps (its copy of the parent's
 * mapping) until rd, a pipe's read end, reaches its end; then exit.
 */
void __attribute__((noreturn)) mx_hold(int rd);

/* quiet.c: allocating nothing of one's own while measured. */
/* Fault in the stack below the caller, more than a scenario uses. */
void mx_stack_prefault(void);

/* mx_stack_prefault() and mlockall(MCL_CURRENT); 0 or -1 (printed). */
int mx_lock_memory(void);

/*
 * oom_score_adj -1000: at a memory.max, a charge that may not fail is then
 * forced rather than the receiver killed. 0 or -1 (printed).
 */
int mx_oom_exempt(void);

/* limit.c: a cgroup's memory.max, through files opened before it is set. */
#define MX_EVENTS		3	/* memory.events: max, oom, oom_kill */
struct mx_limit {
	const char *cg;
	const char *prefix;		/* of the metrics mx_limit_lift() prints */
	int max, events, current, peak;	/* peak -1: none */
	long limit;
	long events0[MX_EVENTS];	/* when the limit was set */
	long largest;			/* memory.current, most seen */
	bool readable, lifted;		/* by mx_limit_lift() */
};

#define MX_LIMIT_INIT { .max = -1, .events = -1, .current = -1, .peak = -1 }

/* Open and read cg's files; 0, or -1 (printed) with none left open. */
int mx_limit_open(struct mx_limit *l, const char *cg);

/* Set memory.max to limit; 0 or -1 (printed). */
int mx_limit_set(struct mx_limit *l, long limit);

/* Read memory.current, for the largest seen (where there is no memory.peak). */
void mx_limit_note(struct mx_limit *l);

/*
 * Read memory.peak (or the largest memory.current seen) and memory.events,
 * then lift the limit: l->readable, l->lifted say how it went. Prints
 * memory_max, peak.memory_peak and events.<key> (the change since the limit
 * was set), each after l->prefix if set.
 */
void mx_limit_lift(struct mx_limit *l);

void mx_limit_close(struct mx_limit *l);

/* pipes.c: pipes to vmsplice() received pages into. */
#define MX_PIPES_MAX		64
struct mx_pipes {
	int fd[MX_PIPES_MAX][2];
	size_t n;			/* open */
	size_t bytes;			/* each holds */
};

struct rxq;

/*
 * Enough pipes, each sized, for size bytes (their buffer arrays are
 * charged now). 0 or -1 (printed); mx_pipes_close() closes what was opened
 * either way.
 */
int mx_pipes_open(struct mx_pipes *p, size_t size);

/* vmsplice() all q mapped into the pipes; the bytes they took (printed if fewer). */
size_t mx_pipes_fill(struct mx_pipes *p, const struct rxq *q);

/* The same for size bytes mapped at addr. */
size_t mx_pipes_fill_range(struct mx_pipes *p, const void *addr, size_t size);

void mx_pipes_close(struct mx_pipes *p);

#endif /* ZCBENCH_MATRIX_H */
