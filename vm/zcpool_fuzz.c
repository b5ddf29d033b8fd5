// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz: random sequences of operations on /dev/zcpool, from several
 * processes and threads, with random, boundary and hostile arguments
 * (`zcbench fuzz`).
 *
 * For each variant (zcbench.fuzz_variants, default all), in a cgroup of its
 * own: FUZZ_PROCS worker processes of FUZZ_THREADS threads each run for
 * zcbench.fuzz_seconds. Every thread draws its operations from its own
 * xorshift generator seeded from (zcbench.fuzz_seed, variant, process,
 * thread), so a seed names the same operation sequence of every thread; the
 * interleaving is the scheduler's. Operations: open, close, FEED, RECEIVE,
 * STATS, RECLAIM, mmap, munmap, mremap, madvise(MADV_DONTNEED), read() (the
 * copy path), touching mapped pages, fork (the child runs a few operations on
 * what it inherited) and vmsplice into a pipe.
 *
 * Then every worker exits and the checks run:
 *   <v>-baseline  the pool's counters (debugfs zcpool/stats: queued, out,
 *                 mapped, sock, charged, double_now, under_now) are 0 after a
 *                 RECLAIM, the cgroup's file_mapped and sock are 0, and once
 *                 the cgroup is removed its parent's memory.current is back
 *                 within FUZZ_CHARGE_SLACK of its baseline;
 *   unload        after the last variant, rmmod succeeds and the fuzz cgroups'
 *                 memory.current drops to baseline; the module is loaded again.
 * The console (Oops, BUG, WARNING, bad page, lockdep) is the host's to judge.
 * Metrics: <v>.ops, <v>.ops.<name> per operation, <v>.failed (operations the
 * kernel refused, as the hostile ones should be).
 *
 * When a variant fails, fuzz_minimize() looks for the shortest operation
 * sequence that reproduces it: it replays each thread's operations alone,
 * then the shortest failing prefix of the first thread that fails alone,
 * then removes operations while it still fails (ddmin). It prints that
 * sequence, one "repro <v>: ..." line per operation, and a line
 * "repro-states <v> S,S,..." of each operation's generator state:
 * zcbench.fuzz_repro=S,S,... replays exactly those operations instead of
 * the workers (zcbench fuzz --repro).
 *
 * zcbench.fuzz_fault sets the module's "fault" parameter (an injected bug,
 * to show that the checks and the minimizer catch one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "cmdline.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

#define FUZZ_PROCS		2
#define FUZZ_THREADS		2
#define FUZZ_FDS		4
#define FUZZ_MAPS		6
#define FUZZ_PIPES		2
#define FUZZ_CHILD_OPS		16
#define FUZZ_MAX_PAGES		64
#define DEFAULT_FUZZ_SECONDS	10
#define MAX_FUZZ_SECONDS	3600
/* Time for minimizing, all variants of a run together. */
#define FUZZ_MIN_SECONDS	120
/* Most operations zcbench.fuzz_repro takes (the command line is 2 KiB). */
#define FUZZ_REPRO_MAX		48
/* A thread replayed alone (zcbench.fuzz_thread) says how far it got this often. */
#define FUZZ_PROGRESS_OPS	256
/*
 * What may stay charged to the fuzz cgroups' parent after a variant's cgroup
 * is gone: the kernel objects freed after the removal are uncharged from the
 * parent, whose per-cpu charge stock then holds up to a charge batch (64
 * pages per cpu), plus a few partly used slab pages. The module's page
 * charges are checked exactly by the pool's counters; this catches charges
 * it lost track of, a page per page mapped, and a fuzz maps thousands.
 */
#define FUZZ_CHARGE_SLACK	((64 * sysconf(_SC_NPROCESSORS_ONLN) + 16) * 4096L)

enum fuzz_op {
	OP_OPEN, OP_CLOSE, OP_FEED, OP_RECEIVE, OP_STATS, OP_RECLAIM, OP_MMAP,
	OP_MUNMAP, OP_MREMAP, OP_MADVISE, OP_READ, OP_TOUCH, OP_FORK,
	OP_VMSPLICE, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"open", "close", "feed", "receive", "stats", "reclaim", "mmap",
	"munmap", "mremap", "madvise", "read", "touch", "fork", "vmsplice",
};

/* Counts shared by every worker process of one variant. */
struct fuzz_counts {
	unsigned long ops[NR_OPS];
	unsigned long failed;
	/* top-level operations of each thread, for replaying it */
	unsigned long thread_ops[FUZZ_PROCS][FUZZ_THREADS];
};

struct fuzz_map {
	unsigned char *addr;
	size_t len;
};

/* One thread's state; a forked child gets a copy. */
struct fuzz_thread {
	uint64_t rng;
	int fds[FUZZ_FDS];
	struct fuzz_map maps[FUZZ_MAPS];
	int pipes[FUZZ_PIPES][2];
	struct fuzz_counts *counts;
	int64_t deadline_ns;
	unsigned int proc, thread;	/* which worker thread */
	/* Replays (fuzz_replay()): */
	uint64_t *record;	/* gets each operation's generator state, or NULL */
	const char *trace_prefix; /* print operations after this prefix, or NULL */
	unsigned long trace_from; /* from this one on */
	bool progress;		/* print "fuzz-progress N" every FUZZ_PROGRESS_OPS */
	const char *trace;	/* the operation running is printed, after this */
	bool child;		/* in a fork of the traced thread */
	char what[200];		/* the traced operation */
};

static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t touching;

static void touch_fault(int sig)
{
	if (touching)
		siglongjmp(touch_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* xorshift64*: small, and the same sequence for the same seed everywhere. */
static uint64_t next(struct fuzz_thread *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct fuzz_thread *t, uint64_t n)
{
	return n ? next(t) % n : 0;
}

/* A length: mostly whole pages, sometimes a boundary or a hostile value. */
static uint64_t fuzz_len(struct fuzz_thread *t)
{
	static const uint64_t hostile[] = {
		0, 1, ZCP_PAGE - 1, ZCP_PAGE + 1, ZCPOOL_MAX_IO_BYTES,
		ZCPOOL_MAX_IO_BYTES + ZCP_PAGE, 1ULL << 40, UINT64_MAX,
		UINT64_MAX - ZCP_PAGE + 1,
	};

	if (below(t, 8))
		return (1 + below(t, FUZZ_MAX_PAGES)) * ZCP_PAGE;
	return hostile[below(t, ARRAY_SIZE(hostile))];
}

static int pick_fd(struct fuzz_thread *t)
{
	int fd = t->fds[below(t, FUZZ_FDS)];

	if (below(t, 16))
		return fd;
	/*
	 * Now and then one that is not a queue: not open, or a pipe (never a
	 * terminal or anything else a read() could wait on for ever).
	 */
	switch (below(t, 3)) {
	case 0: return -1;
	case 1: return 1000;
	default: return t->pipes[below(t, FUZZ_PIPES)][below(t, 2)];
	}
}

/* A RECEIVE or madvise address: mostly inside a mapping, else hostile. */
static uint64_t fuzz_addr(struct fuzz_thread *t)
{
	struct fuzz_map *m = &t->maps[below(t, FUZZ_MAPS)];

	if (m->addr && below(t, 8))
		return (uintptr_t)m->addr + below(t, m->len / ZCP_PAGE + 1) * ZCP_PAGE +
		       (below(t, 16) ? 0 : below(t, ZCP_PAGE));
	switch (below(t, 4)) {
	case 0: return 0;
	case 1: return (uintptr_t)&t->rng;	/* our own stack or heap */
	case 2: return 0xffff800000000000ULL;	/* kernel space */
	default: return next(t) & ~(uint64_t)(ZCP_PAGE - 1);
	}
}

static unsigned long fuzz_run(struct fuzz_thread *t, unsigned long budget);

/* Describe the operation being traced (a no-op when not tracing). */
#define TRACE(t, ...) \
	do { if ((t)->trace) snprintf((t)->what, sizeof((t)->what), __VA_ARGS__); } while (0)

/* What mmap() or mremap() returned becomes m, if it worked: 0, else -1. */
static int map_result(struct fuzz_map *m, void *p, size_t len)
{
	if (p == MAP_FAILED)
		return -1;
	m->addr = p;
	m->len = len;
	return 0;
}

/* Read a byte of every page of m: 0, or -1 (EFAULT) on SIGBUS or SIGSEGV. */
static int touch_pages(const struct fuzz_map *m)
{
	volatile unsigned char sink = 0;
	int ret = 0;
	size_t i;

	touching = 1;
	if (!sigsetjmp(touch_jmp, 1)) {
		for (i = 0; i < m->len; i += ZCP_PAGE)
			sink ^= m->addr[i];
	} else {
		ret = -1;	/* not received, or gone */
		errno = EFAULT;
	}
	touching = 0;
	(void)sink;
	return ret;
}

/* An address as a traced operation shows it: in which mapping, if any. */
static const char *where(const struct fuzz_thread *t, uint64_t addr, char *buf, size_t len)
{
	int i;

	for (i = 0; i < FUZZ_MAPS; i++) {
		const struct fuzz_map *m = &t->maps[i];

		if (m->addr && addr >= (uintptr_t)m->addr && addr < (uintptr_t)m->addr + m->len) {
			snprintf(buf, len, "map%d+%#llx", i, (unsigned long long)(addr - (uintptr_t)m->addr));
			return buf;
		}
	}
	snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return buf;
}

static void do_op(struct fuzz_thread *t, enum fuzz_op op)
{
	int mi = below(t, FUZZ_MAPS);
	struct fuzz_map *m = &t->maps[mi];
	int slot = below(t, FUZZ_FDS), ret = 0, err;
	char a[40];

	TRACE(t, "%s: nothing to do", op_names[op]);
	switch (op) {
	case OP_OPEN:
		if (t->fds[slot] < 0) {
			int flags = below(t, 8) ? O_RDWR : O_RDONLY;

			t->fds[slot] = open(ZCPOOL_DEVICE, flags);
			TRACE(t, "open(%s) -> fd %d (slot %d)", flags == O_RDWR ? "O_RDWR" : "O_RDONLY", t->fds[slot], slot);
		}
		ret = t->fds[slot] < 0 ? -1 : 0;
		break;
	case OP_CLOSE:
		if (t->fds[slot] >= 0) {
			TRACE(t, "close(fd %d)", t->fds[slot]);
			ret = close(t->fds[slot]);
			t->fds[slot] = -1;
		}
		break;
	case OP_FEED: {
		struct zcpool_feed f = {
			.bytes = fuzz_len(t), .pattern = next(t),
			.unit_pages = below(t, 4) ? below(t, ZCPOOL_MAX_UNIT_PAGES + 2) : 0,
			.flags = below(t, 16) ? 0 : next(t),
		};
		int fd = pick_fd(t);
		bool bad = !below(t, 32);

		TRACE(t, "FEED(fd %d, %sbytes %#llx, unit_pages %llu, flags %#llx)", fd, bad ? "bad pointer," : "",
		      (unsigned long long)f.bytes, (unsigned long long)f.unit_pages, (unsigned long long)f.flags);
		ret = ioctl(fd, ZCPOOL_IOC_FEED, bad ? (void *)1 : (void *)&f);
		break;
	}
	case OP_RECEIVE: {
		struct zcpool_receive r = {
			.address = fuzz_addr(t), .length = fuzz_len(t),
			.flags = below(t, 16) ? 0 : next(t),
		};
		int fd = pick_fd(t);
		bool bad = !below(t, 32);

		TRACE(t, "RECEIVE(fd %d, %saddress %s, length %#llx, flags %#llx)", fd, bad ? "bad pointer," : "",
		      where(t, r.address, a, sizeof(a)), (unsigned long long)r.length, (unsigned long long)r.flags);
		ret = ioctl(fd, ZCPOOL_IOC_RECEIVE, bad ? (void *)8 : (void *)&r);
		if (!ret && t->trace)
			snprintf(t->what + strlen(t->what), sizeof(t->what) - strlen(t->what),
				 ", mapped %#llx", (unsigned long long)r.mapped);
		break;
	}
	case OP_STATS: {
		struct zcpool_stats st;
		int fd = pick_fd(t);
		bool bad = !below(t, 16);

		TRACE(t, "STATS(fd %d%s)", fd, bad ? ", bad pointer" : "");
		ret = ioctl(fd, ZCPOOL_IOC_STATS, bad ? (void *)16 : (void *)&st);
		break;
	}
	case OP_RECLAIM: {
		struct zcpool_reclaim rc;
		int fd = pick_fd(t);
		bool null = !below(t, 16);

		TRACE(t, "RECLAIM(fd %d%s)", fd, null ? ", NULL" : "");
		ret = ioctl(fd, ZCPOOL_IOC_RECLAIM, null ? NULL : &rc);
		break;
	}
	case OP_MMAP: {
		size_t len = fuzz_len(t);
		int prot = below(t, 8) ? PROT_READ : PROT_READ | PROT_WRITE;
		int flags = below(t, 8) ? MAP_SHARED : MAP_PRIVATE;
		int fd;
		off_t off;

		if (m->addr)
			break;
		fd = pick_fd(t);
		off = below(t, 16) ? 0 : ZCP_PAGE * below(t, 4);
		TRACE(t, "map%d = mmap(length %#zx, %s, %s, fd %d, offset %#llx)", mi, len,
		      prot & PROT_WRITE ? "PROT_READ|PROT_WRITE" : "PROT_READ",
		      flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE", fd, (unsigned long long)off);
		ret = map_result(m, mmap(NULL, len, prot, flags, fd, off), len);
		break;
	}
	case OP_MUNMAP:
		if (!m->addr)
			break;
		if (below(t, 4)) {
			TRACE(t, "munmap(map%d, length %#zx)", mi, m->len);
			ret = munmap(m->addr, m->len);
			m->addr = NULL;
		} else if (m->len > ZCP_PAGE) {
			/* The last page only: the mapping splits. */
			TRACE(t, "munmap(map%d+%#zx, length %#lx): its last page", mi, m->len - ZCP_PAGE, ZCP_PAGE);
			ret = munmap(m->addr + m->len - ZCP_PAGE, ZCP_PAGE);
			m->len -= ZCP_PAGE;
		}
		break;
	case OP_MREMAP: {
		size_t len = (1 + below(t, FUZZ_MAX_PAGES)) * ZCP_PAGE;
		int flags;

		if (!m->addr)
			break;
		flags = below(t, 2) ? MREMAP_MAYMOVE : 0;
		TRACE(t, "mremap(map%d, %#zx, %#zx, %s)", mi, m->len, len, flags ? "MREMAP_MAYMOVE" : "0");
		ret = map_result(m, mremap(m->addr, m->len, len, flags), len);
		break;
	}
	case OP_MADVISE:
		if (m->addr) {
			size_t len = (1 + below(t, m->len / ZCP_PAGE)) * ZCP_PAGE;

			TRACE(t, "madvise(map%d, %#zx, MADV_DONTNEED)", mi, len);
			ret = madvise(m->addr, len, MADV_DONTNEED);
		}
		break;
	case OP_READ: {
		char buf[2 * ZCP_PAGE];
		int fd = pick_fd(t);
		size_t len = below(t, sizeof(buf) + 1);

		TRACE(t, "read(fd %d, %#zx bytes)", fd, len);
		ret = read(fd, buf, len) < 0 ? -1 : 0;
		break;
	}
	case OP_TOUCH:
		if (!m->addr)
			break;
		TRACE(t, "read every page of map%d (%#zx bytes)", mi, m->len);
		ret = touch_pages(m);
		break;
	case OP_FORK: {
		pid_t pid;

		TRACE(t, "fork, the child runs %d operations", FUZZ_CHILD_OPS);
		if (t->trace)
			ktap_print_msg("%s: %s", t->trace, t->what);
		pid = fork();
		if (pid == 0) {
			t->record = NULL;	/* the parent's states, not the child's */
			t->child = true;
			fuzz_run(t, FUZZ_CHILD_OPS);
			_exit(0);
		}
		ret = pid < 0 ? -1 : (waitpid(pid, NULL, 0) == pid ? 0 : -1);
		TRACE(t, "fork: the child is done");
		break;
	}
	case OP_VMSPLICE: {
		int pi = below(t, FUZZ_PIPES);
		int (*p)[2] = &t->pipes[pi];
		struct iovec iov;

		if ((*p)[0] >= 0 && below(t, 2)) {
			TRACE(t, "close(pipe%d)", pi);
			close((*p)[0]);
			close((*p)[1]);
			(*p)[0] = (*p)[1] = -1;
			break;
		}
		if ((*p)[0] < 0 && pipe2(*p, O_NONBLOCK | O_CLOEXEC)) {
			ret = -1;
			break;
		}
		if (!m->addr) {
			TRACE(t, "pipe2(pipe%d)", pi);
			break;
		}
		iov.iov_base = m->addr;
		iov.iov_len = (1 + below(t, m->len / ZCP_PAGE)) * ZCP_PAGE;
		TRACE(t, "vmsplice(pipe%d, map%d, %#zx bytes, SPLICE_F_NONBLOCK)", pi, mi, iov.iov_len);
		/*
		 * vmsplice() waits for room in a full pipe unless told not
		 * to: the pipe's own O_NONBLOCK does not count.
		 */
		ret = vmsplice((*p)[1], &iov, 1, SPLICE_F_NONBLOCK) < 0 ? -1 : 0;
		break;
	}
	default:
		break;
	}
	err = errno;
	__atomic_add_fetch(&t->counts->ops[op], 1, __ATOMIC_RELAXED);
	if (ret < 0)
		__atomic_add_fetch(&t->counts->failed, 1, __ATOMIC_RELAXED);
	if (t->trace)
		ktap_print_msg("%s: %s%s%s%s", t->trace, t->child ? "  child: " : "", t->what,
			       ret < 0 ? " = -1 " : "", ret < 0 ? strerrorname_np(err) ?: "?" : "");
}

/*
 * One operation, drawn from the thread's generator; the generator's state
 * before it goes to record[i] if recording.
 */
static void fuzz_step(struct fuzz_thread *t, unsigned long i)
{
	enum fuzz_op op;

	if (t->record)
		t->record[i] = t->rng;
	if (!t->child)
		t->trace = t->trace_prefix && i >= t->trace_from ? t->trace_prefix : NULL;
	/* fork is rarer than the rest: it copies every mapping. */
	op = below(t, NR_OPS * 4);
	if (op >= NR_OPS || (op == OP_FORK && below(t, 8)))
		op = below(t, OP_FORK);
	do_op(t, op);
}

/*
 * Run operations until the deadline, or budget of them if budget is not 0.
 * Returns how many ran.
 */
static unsigned long fuzz_run(struct fuzz_thread *t, unsigned long budget)
{
	unsigned long n;

	for (n = 0; budget ? n < budget : monotonic_ns() < t->deadline_ns; n++) {
		if (t->progress && !t->child && n && n % FUZZ_PROGRESS_OPS == 0)
			ktap_print_msg("fuzz-progress %lu", n);
		fuzz_step(t, n);
	}
	return n;
}

static void fuzz_release(struct fuzz_thread *t)
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
}

static void *fuzz_thread_main(void *arg)
{
	struct fuzz_thread *t = arg;

	t->counts->thread_ops[t->proc][t->thread] = fuzz_run(t, 0);
	fuzz_release(t);
	return NULL;
}

static void fuzz_init_thread(struct fuzz_thread *t, uint64_t seed, unsigned int v,
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
	t->counts = counts;
	t->deadline_ns = deadline;
	t->proc = proc;
	t->thread = thread;
}

/* A fuzzing process: touching a page not mapped is an operation that fails. */
static void fuzz_signals(void)
{
	signal(SIGBUS, touch_fault);
	signal(SIGSEGV, touch_fault);
	signal(SIGPIPE, SIG_IGN);
}

/* One worker process: FUZZ_THREADS threads until the deadline. */
static int fuzz_worker(uint64_t seed, unsigned int v, unsigned int proc,
		       struct fuzz_counts *counts, int64_t deadline)
{
	struct fuzz_thread threads[FUZZ_THREADS];
	pthread_t ids[FUZZ_THREADS];
	unsigned int i;

	fuzz_signals();
	for (i = 0; i < FUZZ_THREADS; i++) {
		fuzz_init_thread(&threads[i], seed, v, proc, i, counts, deadline);
		if (pthread_create(&ids[i], NULL, fuzz_thread_main, &threads[i]))
			return 1;
	}
	for (i = 0; i < FUZZ_THREADS; i++)
		pthread_join(ids[i], NULL);
	return 0;
}

static const char *const pool_keys[] = {
	"queued", "out", "mapped", "sock", "charged", "double_now", "under_now",
};

/* The pool's counters from debugfs, in pool_keys order; 0 or -1. */
static int pool_read(long values[ARRAY_SIZE(pool_keys)])
{
	char buf[2048];
	size_t i;

	if (cg_read(DEBUGFS, ZCPOOL_DEBUGFS_STATS, buf, sizeof(buf)) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(pool_keys); i++)
		values[i] = cg_key_long(buf, pool_keys[i]);
	return 0;
}

/*
 * The pool's counters; false (after saying why) if any is not where it was
 * before the variant ran (0, unless an earlier variant leaked).
 */
static bool pool_at_rest(const char *when, const long base[ARRAY_SIZE(pool_keys)])
{
	long values[ARRAY_SIZE(pool_keys)];
	bool ok = true;
	size_t i;

	if (pool_read(values)) {
		ktap_print_msg("%s: read " ZCPOOL_DEBUGFS_STATS ": %m", when);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(pool_keys); i++) {
		if (values[i] != base[i]) {
			ktap_print_msg("%s: pool %s = %ld, expected %ld (leaked pages)", when, pool_keys[i],
				       values[i], base[i]);
			ok = false;
		}
	}
	return ok;
}

/* RECLAIM until nothing is outstanding (pipes closing may lag a little). */
static void reclaim_all(void)
{
	struct zcpool_reclaim rc;
	int i, fd = zcp_open();

	if (fd < 0)
		return;
	for (i = 0; i < 50; i++) {
		if (zcp_reclaim(fd, &rc) || !rc.outstanding)
			break;
		settle(20);
	}
	close(fd);
}

/* /dev/kmsg from its end on: what the kernel says from now. -1 if unavailable. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The first kernel message since kmsg_open() that shows a kernel in trouble
 * (the host's console markers), copied into buf. False if none.
 */
static bool kmsg_trouble(int fd, char *buf, size_t len)
{
	static const char *const markers[] = {
		"Kernel panic", "BUG:", "kernel BUG at", "Oops:", "general protection fault",
		"WARNING:", "Bad page state", "possible circular locking dependency",
	};
	char rec[1024];
	ssize_t n;
	size_t i;

	while (fd >= 0) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on with the next */
		if (n <= 0)
			break;
		rec[n] = '\0';
		rec[strcspn(rec, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(markers); i++) {
			if (strstr(rec, markers[i])) {
				snprintf(buf, len, "kernel: %.200s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				return true;
			}
		}
	}
	return false;
}

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
static enum replay_verdict fuzz_replay(const struct fuzz_replay *r, const uint32_t *idx, unsigned long n,
				       bool record, char *why, size_t len)
{
	long before[ARRAY_SIZE(pool_keys)], after[ARRAY_SIZE(pool_keys)];
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
	if (pid == 0) {
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
	for (i = 0; i < ARRAY_SIZE(pool_keys); i++) {
		if (after[i] > before[i]) {
			snprintf(why, len, "pool %s %ld -> %ld after the replay (leaked pages)",
				 pool_keys[i], before[i], after[i]);
			return REPLAY_FAILED;
		}
	}
	return REPLAY_CLEAN;
}

/*
 * fuzz_ddmin() - remove operations while the replay still fails (Zeller's
 * ddmin, its complement steps)
 * @r: the thread
 * @idx: the operations, a failing sequence; shortened in place
 * @n: how many
 * @deadline: give up then (the sequence fails, but may not be minimal)
 * @replays: incremented per replay
 * @minimal: set when no single operation can be removed any more
 *
 * A replay that cannot run counts as one that does not fail.
 *
 * Return: the new length.
 */
static unsigned long fuzz_ddmin(const struct fuzz_replay *r, uint32_t *idx, unsigned long n,
				int64_t deadline, unsigned long *replays, bool *minimal)
{
	uint32_t *cand = malloc(n * sizeof(*cand));
	unsigned long parts = 2, chunk, start, i, m;
	char why[256];
	bool reduced;

	*minimal = false;
	if (!cand)
		return n;
	while (n >= 2 && monotonic_ns() < deadline) {
		chunk = (n + parts - 1) / parts;
		reduced = false;
		for (start = 0; start < n && !reduced && monotonic_ns() < deadline; start += chunk) {
			for (i = 0, m = 0; i < n; i++)
				if (i < start || i >= start + chunk)
					cand[m++] = idx[i];
			(*replays)++;
			if (fuzz_replay(r, cand, m, false, why, sizeof(why)) == REPLAY_FAILED) {
				memcpy(idx, cand, m * sizeof(*idx));
				n = m;
				reduced = true;
			}
		}
		if (reduced) {
			parts = parts > 2 ? parts - 1 : 2;
		} else if (parts >= n) {
			*minimal = true;
			break;
		} else {
			parts = parts * 2 < n ? parts * 2 : n;
		}
	}
	*minimal |= n == 1;
	free(cand);
	return n;
}

/* The generator states of idx[0..n) as zcbench.fuzz_repro takes them. */
static void print_states(const char *variant, const uint64_t *states, const uint32_t *idx, unsigned long n)
{
	char line[FUZZ_REPRO_MAX * 17 + 1];
	size_t used = 0;
	unsigned long i;

	line[0] = '\0';
	for (i = 0; i < n && i < FUZZ_REPRO_MAX; i++)
		used += snprintf(line + used, sizeof(line) - used, "%s%llx", i ? "," : "",
				 (unsigned long long)states[idx ? idx[i] : i]);
	ktap_print_msg("repro-states %s %s", variant, line);
}

static int64_t minimize_deadline;

/* What zcpool-fuzz runs, from the command line. */
struct fuzz_params {
	uint64_t seed;
	unsigned int seconds;
	uint64_t repro[FUZZ_REPRO_MAX];	/* zcbench.fuzz_repro, if given */
	long nrepro;			/* how many, -1: malformed */
	/* zcbench.fuzz_thread=P.K: that thread alone, from the seed */
	bool alone;
	unsigned int proc, thread;
	unsigned long ops;		/* zcbench.fuzz_ops: how many, 0: for the time */
	unsigned long trace_from;	/* zcbench.fuzz_trace_from: print from this one */
	bool broken;			/* a parameter could not be applied */
};

/*
 * fuzz_minimize() - the shortest operation sequence that reproduces a
 * variant's failure, printed
 * @parent: the fuzz cgroups' parent
 * @variant: the variant that failed
 * @v, @seed: the thread generators' coordinates
 * @counts: how many operations each thread ran
 *
 * Each thread is replayed alone, in order, until one fails; then the
 * shortest failing prefix of its operations is found by bisection and
 * shortened by fuzz_ddmin(), all within FUZZ_MIN_SECONDS for the whole run.
 * The result is replayed once more with every operation printed.
 */
static void fuzz_minimize(const char *parent, const char *variant, unsigned int v, uint64_t seed,
			  const struct fuzz_counts *counts)
{
	struct fuzz_replay r = { .seed = seed, .v = v };
	char cg[PATH_MAX], why[256], prefix[64], metric[96];
	unsigned long n = 0, lo, hi, mid, replays = 0, i, k;
	uint32_t *idx = NULL;
	enum replay_verdict verdict = REPLAY_CLEAN;
	bool minimal = false;
	int64_t deadline;

	if (!minimize_deadline)
		minimize_deadline = monotonic_ns() + FUZZ_MIN_SECONDS * 1000000000LL;
	deadline = minimize_deadline;
	snprintf(cg, sizeof(cg), "%s/%s-min", parent, variant);
	if (cg_create(cg)) {
		ktap_print_msg("%s: cannot minimize: create %s: %m", variant, cg);
		return;
	}
	r.cg = cg;
	ktap_print_msg("%s: minimizing: replaying each thread's operations alone", variant);
	for (k = 0; k < FUZZ_PROCS * FUZZ_THREADS && monotonic_ns() < deadline; k++) {
		r.proc = k / FUZZ_THREADS;
		r.thread = k % FUZZ_THREADS;
		n = counts->thread_ops[r.proc][r.thread];
		if (!n)
			continue;
		r.states = mmap(NULL, n * sizeof(*r.states), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r.states == MAP_FAILED) {
			ktap_print_msg("%s: cannot minimize: %lu states: %m", variant, n);
			goto out;
		}
		replays++;
		verdict = fuzz_replay(&r, NULL, n, true, why, sizeof(why));
		if (verdict == REPLAY_FAILED)
			break;
		munmap(r.states, n * sizeof(*r.states));
		if (verdict == REPLAY_BROKEN) {
			ktap_print_msg("%s: cannot minimize: %s", variant, why);
			goto out;
		}
	}
	if (verdict != REPLAY_FAILED) {
		ktap_print_msg("%s: no thread's operations reproduce the failure alone%s: it takes their interleaving (seed %llu)",
			       variant, monotonic_ns() >= deadline ? " within the time for minimizing" : "",
			       (unsigned long long)seed);
		goto out;
	}
	ktap_print_msg("%s: process %u thread %u alone reproduces it in %lu operations (%s); minimizing",
		       variant, r.proc, r.thread, n, why);

	/* The shortest failing prefix, then the fewest operations of it. */
	for (lo = 0, hi = n; hi - lo > 1 && monotonic_ns() < deadline; replays++) {
		mid = lo + (hi - lo) / 2;
		if (fuzz_replay(&r, NULL, mid, false, why, sizeof(why)) == REPLAY_FAILED)
			hi = mid;
		else
			lo = mid;
	}
	idx = malloc(hi * sizeof(*idx));
	if (!idx) {
		ktap_print_msg("%s: cannot minimize: %m", variant);
		goto unmap;
	}
	for (i = 0; i < hi; i++)
		idx[i] = i;
	n = fuzz_ddmin(&r, idx, hi, deadline, &replays, &minimal);

	snprintf(prefix, sizeof(prefix), "repro %s", variant);
	ktap_print_msg("%s: %s sequence: %lu of process %u thread %u's operations (first failing prefix %lu), %lu replays; then every descriptor, mapping and pipe is closed:",
		       variant, minimal ? "shortest" : "shortened (the time for minimizing ran out)",
		       n, r.proc, r.thread, hi, replays);
	r.trace = prefix;
	verdict = fuzz_replay(&r, idx, n, false, why, sizeof(why));
	if (verdict == REPLAY_FAILED)
		ktap_print_msg("%s: the sequence above reproduces it: %s", variant, why);
	else if (verdict == REPLAY_CLEAN)
		ktap_print_msg("%s: the sequence above did not reproduce it once more (flaky)", variant);
	else
		ktap_print_msg("%s: the sequence above could not be replayed once more: %s", variant, why);
	if (n <= FUZZ_REPRO_MAX)
		print_states(variant, r.states, idx, n);
	else
		ktap_print_msg("%s: %lu operations: too many to replay from the command line (at most %d)",
			       variant, n, FUZZ_REPRO_MAX);
	snprintf(metric, sizeof(metric), "%s.repro_ops", variant);
	ktap_metric(metric, n);
	free(idx);
unmap:
	munmap(r.states, counts->thread_ops[r.proc][r.thread] * sizeof(*r.states));
out:
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
}

/*
 * zcbench.fuzz_thread=P.K, zcbench.fuzz_ops=N, zcbench.fuzz_trace_from=M:
 * one thread's operations alone. Returns 0, or -1 (after saying why).
 */
static int thread_parse(struct fuzz_params *fp)
{
	char buf[32], end;
	long ops = cmdline_get_long("fuzz_ops", 0);
	long from = cmdline_get_long("fuzz_trace_from", LONG_MAX);

	if (!cmdline_get("fuzz_thread", buf, sizeof(buf)))
		return 0;
	if (sscanf(buf, "%u.%u%c", &fp->proc, &fp->thread, &end) != 2 ||
	    fp->proc >= FUZZ_PROCS || fp->thread >= FUZZ_THREADS) {
		ktap_print_msg("zcbench.fuzz_thread=%s: expected process.thread, below %d.%d", buf,
			       FUZZ_PROCS, FUZZ_THREADS);
		return -1;
	}
	if (ops < 0 || from < 0)
		return -1;
	fp->alone = true;
	fp->ops = ops;
	fp->trace_from = from;
	return 0;
}

/*
 * The number of a variant in the thread generators' coordinates: its
 * module number, so that a thread's sequence does not depend on which other
 * variants run.
 */
static unsigned int variant_number(const char *variant)
{
	unsigned int i;

	for (i = 0; i < ZCPOOL_NR_VARIANTS; i++)
		if (!strcmp(variant, zcp_variant_names[i]))
			return i;
	return ZCPOOL_NR_VARIANTS;	/* zcp_set_variant() refuses it */
}

/*
 * zcbench.fuzz_repro: the generator states of the operations to replay
 * (hexadecimal, comma-separated), parsed into states. Returns how many, 0
 * if the parameter is absent, -1 (after saying why) if it is malformed.
 */
static long repro_parse(uint64_t states[FUZZ_REPRO_MAX])
{
	char buf[FUZZ_REPRO_MAX * 17 + 2], *tok, *save, *end;
	long n = 0;

	if (!cmdline_get("fuzz_repro", buf, sizeof(buf)))
		return 0;
	if (strlen(buf) >= sizeof(buf) - 1) {
		ktap_print_msg("zcbench.fuzz_repro: more than %d states", FUZZ_REPRO_MAX);
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == FUZZ_REPRO_MAX) {
			ktap_print_msg("zcbench.fuzz_repro: more than %d states", FUZZ_REPRO_MAX);
			return -1;
		}
		errno = 0;
		states[n] = strtoull(tok, &end, 16);
		if (errno || end == tok || *end || !states[n]) {
			ktap_print_msg("zcbench.fuzz_repro: '%s' is not a generator state (non-zero hexadecimal)", tok);
			return -1;
		}
		n++;
	}
	return n;
}

/*
 * One variant: workers, then the baseline checks. Prints <v>-run and
 * <v>-baseline. The charge check reads the parent after the variant's cgroup
 * is removed: taking it offline drains memcg's per-cpu charge stock, so what
 * is left is charge nobody holds any more.
 */
static bool fuzz_variant(const char *parent, const char *variant, unsigned int v,
			 const struct fuzz_params *fp, const struct zc_config *cfg,
			 unsigned int n)
{
	struct memcg_sample before = { 0 }, after = { 0 }, left = { 0 };
	long base[ARRAY_SIZE(pool_keys)];
	struct fuzz_counts *counts;
	char cg[PATH_MAX], name[64], metric[96], why[256], prefix[64];
	bool ran = true, rest;
	pid_t pids[FUZZ_PROCS];
	unsigned long total = 0;
	int64_t deadline;
	unsigned int i;
	int kmsg;

	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (snprintf(cg, sizeof(cg), "%s/%s", parent, variant) >= (int)sizeof(cg))
		errno = ENAMETOOLONG;
	if (fp->broken)
		errno = EINVAL;
	if (fp->broken || counts == MAP_FAILED || strlen(cg) != strlen(parent) + 1 + strlen(variant) ||
	    zcp_set_variant(variant) || memcg_sample(parent, cfg, &before) || cg_create(cg) ||
	    (reclaim_all(), pool_read(base))) {
		ktap_print_msg("%s: set-up: %m", variant);
		snprintf(name, sizeof(name), "%s-run", variant);
		ktap_test_result(false, n, name, NULL);
		snprintf(name, sizeof(name), "%s-baseline", variant);
		ktap_test_result(false, n + 1, name, NULL);
		return false;
	}
	/* Replays check the kernel's log themselves; the workers' run is checked below. */
	snprintf(prefix, sizeof(prefix), "repro %s", variant);
	if (fp->alone) {
		struct fuzz_replay r = {
			.cg = cg, .trace = prefix, .trace_from = fp->trace_from, .progress = true,
			.seed = fp->seed, .v = v, .proc = fp->proc, .thread = fp->thread,
			.deadline = monotonic_ns() + (int64_t)fp->seconds * 1000000000,
		};

		if (fp->ops)
			ktap_print_msg("%s: process %u thread %u alone, its first %lu operations%s", variant,
				       fp->proc, fp->thread, fp->ops, fp->trace_from < fp->ops ? ", the last ones printed:" : "");
		else
			ktap_print_msg("%s: process %u thread %u alone, for %u s", variant, fp->proc, fp->thread, fp->seconds);
		if (fuzz_replay(&r, NULL, fp->ops, false, why, sizeof(why)) != REPLAY_CLEAN) {
			ktap_print_msg("%s: %s", variant, why);
			ran = false;
		}
	} else if (fp->nrepro) {
		struct fuzz_replay r = { .cg = cg, .trace = prefix, .states = (uint64_t *)fp->repro };

		ktap_print_msg("%s: replaying the %ld operations of zcbench.fuzz_repro; then every descriptor, mapping and pipe is closed:",
			       variant, fp->nrepro);
		switch (fuzz_replay(&r, NULL, fp->nrepro, false, why, sizeof(why))) {
		case REPLAY_FAILED:
			ktap_print_msg("%s: the sequence above reproduces it: %s", variant, why);
			ran = false;
			break;
		case REPLAY_BROKEN:
			ktap_print_msg("%s: the sequence could not be replayed: %s", variant, why);
			ran = false;
			break;
		default:
			ktap_print_msg("%s: the sequence above left everything as it was", variant);
		}
	} else {
		kmsg = kmsg_open();
		deadline = monotonic_ns() + (int64_t)fp->seconds * 1000000000;
		for (i = 0; i < FUZZ_PROCS; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				if (cg_enter(cg, 0))
					_exit(2);
				_exit(fuzz_worker(fp->seed, v, i, counts, deadline));
			}
		}
		for (i = 0; i < FUZZ_PROCS; i++) {
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
	}
	/*
	 * What follows (the checks, the minimizer) goes with the first case
	 * that fails: the host shows a failed case's diagnostics.
	 */
	snprintf(name, sizeof(name), "%s-run", variant);
	if (ran)
		ktap_test_result(true, n, name, NULL);
	rest = pool_at_rest(variant, base);
	if (memcg_sample(cg, cfg, &after) || after.file_mapped || after.sock) {
		ktap_print_msg("%s: file_mapped %ld, sock %ld after the run, expected 0",
			       variant, after.file_mapped, after.sock);
		rest = false;
	}
	if (cg_destroy(cg) || memcg_sample(parent, cfg, &left)) {
		ktap_print_msg("%s: remove %s: %m", variant, cg);
		rest = false;
	} else if (left.memory_current - before.memory_current > FUZZ_CHARGE_SLACK) {
		ktap_print_msg("%s: %ld bytes still charged after the run and the cgroup's removal (slack %ld)",
			       variant, left.memory_current - before.memory_current, (long)FUZZ_CHARGE_SLACK);
		rest = false;
	}
	if (!(ran && rest) && !fp->nrepro && !fp->alone)
		fuzz_minimize(parent, variant, v, fp->seed, counts);

	for (i = 0; i < NR_OPS; i++) {
		snprintf(metric, sizeof(metric), "%s.ops.%s", variant, op_names[i]);
		ktap_metric(metric, counts->ops[i]);
		total += counts->ops[i];
	}
	snprintf(metric, sizeof(metric), "%s.ops", variant);
	ktap_metric(metric, total);
	snprintf(metric, sizeof(metric), "%s.failed", variant);
	ktap_metric(metric, counts->failed);
	snprintf(metric, sizeof(metric), "%s.charge_left", variant);
	ktap_metric(metric, left.memory_current - before.memory_current);
	munmap(counts, sizeof(*counts));

	if (!ran)
		ktap_test_result(false, n, name, NULL);
	snprintf(name, sizeof(name), "%s-baseline", variant);
	ktap_test_result(rest, n + 1, name, NULL);
	return ran && rest;
}

/* rmmod: the pool's pages go back, the cgroup's charge with them; load it again. */
static bool fuzz_unload(const char *parent, const struct zc_config *cfg)
{
	struct memcg_sample s;
	bool ok = true;

	if (zcp_module_unload()) {
		ktap_print_msg("rmmod zcpool: %m");
		return false;
	}
	if (memcg_read(parent, &s) || s.memory_current > 64 * (long)ZCP_PAGE * sysconf(_SC_NPROCESSORS_ONLN)) {
		ktap_print_msg("after rmmod: %s memory.current %ld", parent, s.memory_current);
		ok = false;
	}
	(void)cfg;
	if (zcp_module_load("variant=pool-free") || zcp_wait_path(ZCPOOL_DEVICE, 5000)) {
		ktap_print_msg("load zcpool again: %m");
		ok = false;
	}
	return ok;
}

int test_zcpool_fuzz(const char *name, const struct zc_config *cfg)
{
	char cg[PATH_MAX], base[NAME_MAX + 1], list[256] = "", fault[32];
	const char *variants[ZCPOOL_NR_VARIANTS];
	long seconds = cmdline_get_long("fuzz_seconds", DEFAULT_FUZZ_SECONDS);
	uint64_t seed = (uint64_t)cmdline_get_long("fuzz_seed", 0);
	static struct fuzz_params fp;
	unsigned int nv = 0, i;
	bool all = true;

	if (cmdline_get("fuzz_variants", list, sizeof(list))) {
		char *save, *tok;

		for (tok = strtok_r(list, ",", &save); tok && nv < ZCPOOL_NR_VARIANTS;
		     tok = strtok_r(NULL, ",", &save))
			variants[nv++] = tok;
	} else {
		for (nv = 0; nv < ZCPOOL_NR_VARIANTS; nv++)
			variants[nv] = zcp_variant_names[nv];
	}
	if (!seed)
		seed = (uint64_t)monotonic_ns();
	seed &= INT64_MAX;	/* printed as a metric, a signed integer */
	if (!seed)
		seed = 1;
	if (seconds < 1 || seconds > MAX_FUZZ_SECONDS)
		seconds = DEFAULT_FUZZ_SECONDS;
	fp.seed = seed;
	fp.seconds = seconds;
	fp.nrepro = repro_parse(fp.repro);
	if (thread_parse(&fp))
		fp.broken = true;

	ktap_print_plan(2 * nv + 1);
	if (fp.nrepro < 0)
		fp.broken = true;
	else if (fp.nrepro)
		ktap_print_msg("replaying %ld operations given by their generator states", fp.nrepro);
	else if (fp.alone)
		ktap_print_msg("seed %llu, process %u thread %u alone", (unsigned long long)seed, fp.proc, fp.thread);
	else
		ktap_print_msg("seed %llu, %ld s per variant, %d processes x %d threads",
			       (unsigned long long)seed, seconds, FUZZ_PROCS, FUZZ_THREADS);
	if (cmdline_get("fuzz_fault", fault, sizeof(fault))) {
		if (zcp_param_set("fault", fault)) {
			ktap_print_msg("inject fault %s: " ZCP_PARAM_DIR "/fault: %m", fault);
			fp.broken = true;
		} else {
			ktap_print_msg("fault %s injected into zcpool", fault);
		}
	}
	ktap_metric("seed", (long long)seed);
	ktap_metric("seconds", seconds);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));

	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(cg, base);
	if (cg_create(cg) || cg_write(cg, "cgroup.subtree_control", "+memory"))
		ktap_print_msg("cgroup %s: %m", cg);
	for (i = 0; i < nv; i++)
		all &= fuzz_variant(cg, variants[i], variant_number(variants[i]), &fp, cfg, 1 + 2 * i);
	i = fuzz_unload(cg, cfg);
	ktap_test_result(i, 2 * nv + 1, "unload", NULL);
	all &= i;
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
	return all ? 0 : 1;
}
