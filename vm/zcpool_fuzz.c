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

static void fuzz_run(struct fuzz_thread *t, unsigned int budget);

static void do_op(struct fuzz_thread *t, enum fuzz_op op)
{
	struct fuzz_map *m = &t->maps[below(t, FUZZ_MAPS)];
	int slot = below(t, FUZZ_FDS), ret = 0;

	switch (op) {
	case OP_OPEN:
		if (t->fds[slot] < 0)
			t->fds[slot] = open(ZCPOOL_DEVICE, below(t, 8) ? O_RDWR : O_RDONLY);
		ret = t->fds[slot] < 0 ? -1 : 0;
		break;
	case OP_CLOSE:
		if (t->fds[slot] >= 0) {
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

		ret = ioctl(pick_fd(t), ZCPOOL_IOC_FEED, below(t, 32) ? (void *)&f : (void *)1);
		break;
	}
	case OP_RECEIVE: {
		struct zcpool_receive r = {
			.address = fuzz_addr(t), .length = fuzz_len(t),
			.flags = below(t, 16) ? 0 : next(t),
		};

		ret = ioctl(pick_fd(t), ZCPOOL_IOC_RECEIVE, below(t, 32) ? (void *)&r : (void *)8);
		break;
	}
	case OP_STATS: {
		struct zcpool_stats st;

		ret = ioctl(pick_fd(t), ZCPOOL_IOC_STATS, below(t, 16) ? (void *)&st : (void *)16);
		break;
	}
	case OP_RECLAIM: {
		struct zcpool_reclaim rc;

		ret = ioctl(pick_fd(t), ZCPOOL_IOC_RECLAIM, below(t, 16) ? (void *)&rc : NULL);
		break;
	}
	case OP_MMAP: {
		size_t len = fuzz_len(t);
		int prot = below(t, 8) ? PROT_READ : PROT_READ | PROT_WRITE;
		int flags = below(t, 8) ? MAP_SHARED : MAP_PRIVATE;
		void *p;

		if (m->addr)
			break;
		p = mmap(NULL, len, prot, flags, pick_fd(t), below(t, 16) ? 0 : ZCP_PAGE * below(t, 4));
		if (p == MAP_FAILED) {
			ret = -1;
		} else {
			m->addr = p;
			m->len = len;
		}
		break;
	}
	case OP_MUNMAP:
		if (!m->addr)
			break;
		if (below(t, 4)) {
			ret = munmap(m->addr, m->len);
			m->addr = NULL;
		} else if (m->len > ZCP_PAGE) {
			/* The last page only: the mapping splits. */
			ret = munmap(m->addr + m->len - ZCP_PAGE, ZCP_PAGE);
			m->len -= ZCP_PAGE;
		}
		break;
	case OP_MREMAP: {
		size_t len = (1 + below(t, FUZZ_MAX_PAGES)) * ZCP_PAGE;
		void *p;

		if (!m->addr)
			break;
		p = mremap(m->addr, m->len, len, below(t, 2) ? MREMAP_MAYMOVE : 0);
		if (p == MAP_FAILED) {
			ret = -1;
		} else {
			m->addr = p;
			m->len = len;
		}
		break;
	}
	case OP_MADVISE:
		if (m->addr)
			ret = madvise(m->addr, (1 + below(t, m->len / ZCP_PAGE)) * ZCP_PAGE, MADV_DONTNEED);
		break;
	case OP_READ: {
		char buf[2 * ZCP_PAGE];

		ret = read(pick_fd(t), buf, below(t, sizeof(buf) + 1)) < 0 ? -1 : 0;
		break;
	}
	case OP_TOUCH: {
		volatile unsigned char sink = 0;
		size_t i;

		if (!m->addr)
			break;
		touching = 1;
		if (!sigsetjmp(touch_jmp, 1)) {
			for (i = 0; i < m->len; i += ZCP_PAGE)
				sink ^= m->addr[i];
		} else {
			ret = -1;	/* SIGBUS or SIGSEGV: not received, or gone */
		}
		touching = 0;
		(void)sink;
		break;
	}
	case OP_FORK: {
		pid_t pid = fork();

		if (pid == 0) {
			fuzz_run(t, FUZZ_CHILD_OPS);
			_exit(0);
		}
		ret = pid < 0 ? -1 : (waitpid(pid, NULL, 0) == pid ? 0 : -1);
		break;
	}
	case OP_VMSPLICE: {
		int (*p)[2] = &t->pipes[below(t, FUZZ_PIPES)];
		struct iovec iov;

		if ((*p)[0] >= 0 && below(t, 2)) {
			close((*p)[0]);
			close((*p)[1]);
			(*p)[0] = (*p)[1] = -1;
			break;
		}
		if ((*p)[0] < 0 && pipe2(*p, O_NONBLOCK | O_CLOEXEC)) {
			ret = -1;
			break;
		}
		if (!m->addr)
			break;
		iov.iov_base = m->addr;
		iov.iov_len = (1 + below(t, m->len / ZCP_PAGE)) * ZCP_PAGE;
		ret = vmsplice((*p)[1], &iov, 1, 0) < 0 ? -1 : 0;
		break;
	}
	default:
		break;
	}
	__atomic_add_fetch(&t->counts->ops[op], 1, __ATOMIC_RELAXED);
	if (ret < 0)
		__atomic_add_fetch(&t->counts->failed, 1, __ATOMIC_RELAXED);
}

/* Run operations until the deadline, or budget of them if budget is not 0. */
static void fuzz_run(struct fuzz_thread *t, unsigned int budget)
{
	unsigned int n;

	for (n = 0; budget ? n < budget : monotonic_ns() < t->deadline_ns; n++) {
		/* fork is rarer than the rest: it copies every mapping. */
		enum fuzz_op op = below(t, NR_OPS * 4);

		if (op >= NR_OPS || (op == OP_FORK && below(t, 8)))
			op = below(t, OP_FORK);
		do_op(t, op);
	}
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

	fuzz_run(t, 0);
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
}

/* One worker process: FUZZ_THREADS threads until the deadline. */
static int fuzz_worker(uint64_t seed, unsigned int v, unsigned int proc,
		       struct fuzz_counts *counts, int64_t deadline)
{
	struct fuzz_thread threads[FUZZ_THREADS];
	pthread_t ids[FUZZ_THREADS];
	unsigned int i;

	signal(SIGBUS, touch_fault);
	signal(SIGSEGV, touch_fault);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < FUZZ_THREADS; i++) {
		fuzz_init_thread(&threads[i], seed, v, proc, i, counts, deadline);
		if (pthread_create(&ids[i], NULL, fuzz_thread_main, &threads[i]))
			return 1;
	}
	for (i = 0; i < FUZZ_THREADS; i++)
		pthread_join(ids[i], NULL);
	return 0;
}

/* The pool's counters from debugfs; false (after saying why) if any is not 0. */
static bool pool_at_rest(const char *when)
{
	static const char *const keys[] = {
		"queued", "out", "mapped", "sock", "charged", "double_now", "under_now",
	};
	char buf[2048];
	bool ok = true;
	size_t i;

	if (cg_read(DEBUGFS, ZCPOOL_DEBUGFS_STATS, buf, sizeof(buf)) < 0) {
		ktap_print_msg("%s: read " ZCPOOL_DEBUGFS_STATS ": %m", when);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		long value = cg_key_long(buf, keys[i]);

		if (value != 0) {
			ktap_print_msg("%s: pool %s = %ld, expected 0 (leaked pages)", when, keys[i], value);
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

/*
 * One variant: workers, then the baseline checks. Prints <v>-run and
 * <v>-baseline. The charge check reads the parent after the variant's cgroup
 * is removed: taking it offline drains memcg's per-cpu charge stock, so what
 * is left is charge nobody holds any more.
 */
static bool fuzz_variant(const char *parent, const char *variant, unsigned int v,
			 uint64_t seed, unsigned int seconds, const struct zc_config *cfg,
			 unsigned int n)
{
	struct memcg_sample before = { 0 }, after = { 0 }, left = { 0 };
	struct fuzz_counts *counts;
	char cg[PATH_MAX], name[64], metric[96];
	bool ran = true, rest;
	pid_t pids[FUZZ_PROCS];
	unsigned long total = 0;
	int64_t deadline;
	unsigned int i;

	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (snprintf(cg, sizeof(cg), "%s/%s", parent, variant) >= (int)sizeof(cg))
		errno = ENAMETOOLONG;
	if (counts == MAP_FAILED || strlen(cg) != strlen(parent) + 1 + strlen(variant) ||
	    zcp_set_variant(variant) || memcg_sample(parent, cfg, &before) || cg_create(cg)) {
		ktap_print_msg("%s: set-up: %m", variant);
		snprintf(name, sizeof(name), "%s-run", variant);
		ktap_test_result(false, n, name, NULL);
		snprintf(name, sizeof(name), "%s-baseline", variant);
		ktap_test_result(false, n + 1, name, NULL);
		return false;
	}
	deadline = monotonic_ns() + (int64_t)seconds * 1000000000;
	for (i = 0; i < FUZZ_PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			if (cg_enter(cg, 0))
				_exit(2);
			_exit(fuzz_worker(seed, v, i, counts, deadline));
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
	rest = pool_at_rest(variant);
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

	snprintf(name, sizeof(name), "%s-run", variant);
	ktap_test_result(ran, n, name, NULL);
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
	char cg[PATH_MAX], base[NAME_MAX + 1], list[256] = "";
	const char *variants[ZCPOOL_NR_VARIANTS];
	long seconds = cmdline_get_long("fuzz_seconds", DEFAULT_FUZZ_SECONDS);
	uint64_t seed = (uint64_t)cmdline_get_long("fuzz_seed", 0);
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

	ktap_print_plan(2 * nv + 1);
	ktap_print_msg("seed %llu, %ld s per variant, %d processes x %d threads",
		       (unsigned long long)seed, seconds, FUZZ_PROCS, FUZZ_THREADS);
	ktap_metric("seed", (long long)seed);
	ktap_metric("seconds", seconds);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));

	snprintf(base, sizeof(base), "zc-%s", name);
	cg_name(cg, base);
	if (cg_create(cg) || cg_write(cg, "cgroup.subtree_control", "+memory"))
		ktap_print_msg("cgroup %s: %m", cg);
	for (i = 0; i < nv; i++)
		all &= fuzz_variant(cg, variants[i], i, seed, seconds, cfg, 1 + 2 * i);
	i = fuzz_unload(cg, cfg);
	ktap_test_result(i, 2 * nv + 1, "unload", NULL);
	all &= i;
	if (cg_destroy(cg))
		ktap_print_msg("remove %s: %m", cg);
	return all ? 0 : 1;
}
