// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting matrix (docs/matrix-protocol.md): scenarios the runner runs
 * once per variant of zcbench.variants, each as the KTAP subtest
 * <variant>/<scenario>, with the module loaded as variant=<variant>.
 *
 * Each scenario runs in its own process and in fresh cgroups
 * zc-<variant>-<scenario> (and zc-<variant>-<scenario>-b), removed at the
 * end. It measures and prints raw numbers as "# metric" lines; the host
 * judges them. The guest's own cases only say whether a measurement is
 * valid (the receive worked, the pipes took the pages, ...), never whether
 * the accounting is right. Every named cgroup sample waits zcbench.settle_ms
 * for memcg's periodic rstat flush; the "# sample" timeline lines of
 * double-charge and under-charge do not. The module's own counters (STATS)
 * are exact and reported as mod.<counter>, in pages.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

/* FEED and RECEIVE per call when a scenario only needs the pages mapped. */
#define CHUNK_PAGES		64
/*
 * double-charge, under-charge: RECEIVE two vm_insert_pages() batches per
 * call, as an application asks for more than one batch at a time (what
 * tells a per-batch release of the socket charge from a per-call one) ...
 */
#define WINDOW_CALL		(2 * ZCPOOL_BATCH_PAGES * ZCP_PAGE)
/* ... of at most this much in all: 32 calls, enough to show the window */
#define WINDOW_MAX_SIZE		(8UL << 20)
#define UNIT_BYTES		(ZCPOOL_UNIT_PAGES * ZCP_PAGE)
#define PMD_BYTES		(2UL << 20)
/* vmsplice-pin: the default pipe-max-size, and at most this many pipes */
#define PIPE_BYTES		(1UL << 20)
#define MAX_PIPES		64
/* memory-max: stack touched before mlockall(), so that none faults later */
#define STACK_PREFAULT		(256UL << 10)
#define ZOMBIE_WAIT_MS		10000
#define ZOMBIE_POLL_MS		20
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

/* A receive queue with its mapping, and what was received through it. */
struct rxq {
	int fd;
	unsigned char *map;
	size_t len;			/* of the mapping */
	unsigned char *copybuf;		/* CHUNK_PAGES pages, for read() */
	uint64_t id;
	uint64_t first_seq;		/* of the first page fed */
	size_t fed;			/* bytes FEED took */
	size_t off;			/* bytes mapped, from map on */
	size_t copied;			/* bytes read() as skip hints said */
	size_t dropped;			/* bytes FEED refused with ENOMEM */
	long skip_hints;
	bool bad_payload;		/* a page did not carry its header */
};

#define RXQ_INIT { .fd = -1 }

/* Called after every RECEIVE of rxq_receive(). */
typedef void (*rx_hook)(struct rxq *q, void *arg);

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void mx_case(struct mx *m, bool ok, const char *name)
{
	ktap_test_result(ok, ++m->ncase, name, NULL);
	m->all &= ok;
}

static void mx_metric(const char *prefix, const char *name, long value)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s%s%s", prefix, *prefix ? "." : "",
		 name);
	ktap_metric(buf, value);
}

/*
 * Create zc-<variant>-<name> (and the -b one if two), print the plan and
 * the metrics every scenario has. Returns 0 or -1 (printed).
 */
static int mx_setup(struct mx *m, const char *name,
		    const struct zc_config *cfg, unsigned int cases, bool two)
{
	char base[NAME_MAX + 1];

	m->cfg = cfg;
	m->variant = cfg->variant;
	m->ncase = 0;
	m->all = true;
	ktap_print_plan(cases);
	ktap_metric("page_size", ZCP_PAGE);
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));

	snprintf(base, sizeof(base), "zc-%s-%s", m->variant, name);
	cg_name(m->cg, base);
	snprintf(base, sizeof(base), "zc-%s-%s-b", m->variant, name);
	cg_name(m->cg_b, base);
	if ((cg_create(m->cg) && errno != EEXIST) ||
	    (two && cg_create(m->cg_b) && errno != EEXIST)) {
		ktap_print_msg("create %s: %m", m->cg);
		return -1;
	}
	return 0;
}

/* Print the cases not reached as failed, leave and remove the cgroups. */
static int mx_finish(struct mx *m, unsigned int cases, const char *const *names)
{
	while (m->ncase < cases)
		mx_case(m, false, names[m->ncase]);
	if (cg_enter(CG_ROOT, 0))
		ktap_print_msg("back to %s: %m", CG_ROOT);
	if (cg_destroy(m->cg_b) || cg_destroy(m->cg))
		ktap_print_msg("remove %s: %m", m->cg);
	return m->all ? 0 : 1;
}

static int mx_enter(const char *cg)
{
	if (cg_enter(cg, 0)) {
		ktap_print_msg("enter %s: %m", cg);
		return -1;
	}
	return 0;
}

/* Wait settle_ms, sample cg and print it as <point>.*; -1 if unreadable. */
static long mx_sample(struct mx *m, const char *cg, const char *point,
		      struct memcg_sample *s)
{
	struct memcg_sample tmp;

	if (!s)
		s = &tmp;
	if (memcg_sample(cg, m->cfg, s))
		return -1;
	memcg_sample_print(point, s);
	return s->memory_current;
}

/* Print the queue's or the pool's counters as <prefix>.<counter>. */
static void print_counters(const char *prefix,
			   const struct zcpool_counters *c)
{
#define COUNTER(field) mx_metric(prefix, #field, c->field)
	COUNTER(queued);
	COUNTER(out);
	COUNTER(mapped);
	COUNTER(sock);
	COUNTER(charged);
	COUNTER(double_peak);
	COUNTER(under_peak);
	COUNTER(received);
	COUNTER(copied);
	COUNTER(charge_failures);
	COUNTER(recycles);
#undef COUNTER
}

/* Open a queue (bound to the caller's memcg now) mapping len bytes. */
static int rxq_open(struct rxq *q, size_t len)
{
	struct zcpool_stats st;

	q->copybuf = mmap(NULL, CHUNK_PAGES * ZCP_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->copybuf == MAP_FAILED) {
		q->copybuf = NULL;
		ktap_print_msg("mmap copy buffer: %m");
		return -1;
	}
	q->fd = zcp_open();
	if (q->fd < 0 || !(q->map = zcp_map(q->fd, len)) ||
	    zcp_stats(q->fd, &st)) {
		ktap_print_msg("open/mmap/STATS of %s: %m", ZCPOOL_DEVICE);
		return -1;
	}
	q->len = len;
	q->id = st.queue_id;
	return 0;
}

static void rxq_unmap(struct rxq *q)
{
	if (q->map)
		munmap(q->map, q->len);
	q->map = NULL;
}

static void rxq_close(struct rxq *q)
{
	rxq_unmap(q);
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	if (q->copybuf)
		munmap(q->copybuf, CHUNK_PAGES * ZCP_PAGE);
	q->copybuf = NULL;
}

static int rxq_stats(struct rxq *q, struct zcpool_stats *st)
{
	if (zcp_stats(q->fd, st)) {
		ktap_print_msg("STATS: %m");
		return -1;
	}
	return 0;
}

static int rxq_reclaim(struct rxq *q, struct zcpool_reclaim *rc)
{
	struct zcpool_reclaim tmp;

	if (zcp_reclaim(q->fd, rc ? rc : &tmp)) {
		ktap_print_msg("RECLAIM: %m");
		return -1;
	}
	return 0;
}

/* Do the n pages at p carry the headers of (id, seq on, pattern)? */
static bool headers_ok(const unsigned char *p, size_t n, uint64_t id,
		       uint64_t seq, uint64_t pattern)
{
	size_t i, w;

	for (i = 0; i < n; i++) {
		uint64_t hdr[ZCPOOL_HDR_WORDS];

		memcpy(hdr, p + i * ZCP_PAGE, sizeof(hdr));
		for (w = 0; w < ZCPOOL_HDR_WORDS; w++) {
			if (le64toh(hdr[w]) !=
			    zcpool_payload_word(id, seq + i, pattern, w)) {
				ktap_print_msg("page seq %llu: header word %zu is %#llx",
					       (unsigned long long)(seq + i), w,
					       (unsigned long long)le64toh(hdr[w]));
				return false;
			}
		}
	}
	return true;
}

/*
 * A RECEIVE stopped short: read() its skip hint, the rest of the unit it
 * could not map, at most left bytes. Returns the bytes copied, or -1
 * (printed) if it stopped for another reason than a failed charge.
 */
static int rxq_copy(struct rxq *q, const struct zcpool_receive *r,
		    uint64_t pattern, size_t left)
{
	ssize_t n;

	if (r->stop_errno != ENOMEM || !r->skip_hint || r->skip_hint > left ||
	    r->skip_hint > CHUNK_PAGES * ZCP_PAGE) {
		ktap_print_msg("RECEIVE stopped: errno %llu, skip hint %llu",
			       (unsigned long long)r->stop_errno,
			       (unsigned long long)r->skip_hint);
		return -1;
	}
	n = read(q->fd, q->copybuf, r->skip_hint);
	if (n != (ssize_t)r->skip_hint) {
		ktap_print_msg("read() of a %llu-byte skip hint: %zd (%m)",
			       (unsigned long long)r->skip_hint, n);
		return -1;
	}
	if (!headers_ok(q->copybuf, n / ZCP_PAGE, q->id,
			r->first_seq + r->mapped / ZCP_PAGE, pattern))
		q->bad_payload = true;
	q->copied += n;
	q->skip_hints++;
	return n;
}

/*
 * FEED bytes stamped with pattern, feed bytes per call (in units of
 * ZCPOOL_UNIT_PAGES), and RECEIVE each FEED at the end of what is mapped,
 * call bytes per call; what a RECEIVE cannot map is read() as its skip hint
 * says. Every page's header is checked. hook, if set, runs after each
 * RECEIVE. Returns 0; 1 if a FEED was refused with ENOMEM (the bytes not fed
 * are in q->dropped); -1 on any other error (printed).
 */
static int rxq_receive(struct rxq *q, size_t bytes, uint64_t pattern,
		       size_t feed, size_t call, rx_hook hook, void *arg)
{
	size_t done;

	for (done = 0; done < bytes; ) {
		size_t left = min_size(feed, bytes - done);
		struct zcpool_feed f;

		if (zcp_feed(q->fd, left, pattern, &f)) {
			if (errno == ENOMEM) {
				q->dropped += bytes - done;
				return 1;
			}
			ktap_print_msg("FEED %zu bytes: %m", left);
			return -1;
		}
		if (!q->fed)
			q->first_seq = f.first_seq;
		q->fed += left;
		done += left;

		while (left) {
			size_t len = min_size(call, left);
			struct zcpool_receive r;
			int n = 0;

			if (q->off + len > q->len) {
				ktap_print_msg("mapping of %zu bytes full", q->len);
				return -1;
			}
			if (zcp_receive(q->fd, q->map + q->off, len, &r)) {
				ktap_print_msg("RECEIVE %zu bytes: %m", len);
				return -1;
			}
			if (!headers_ok(q->map + q->off, r.mapped / ZCP_PAGE,
					q->id, r.first_seq, pattern))
				q->bad_payload = true;
			q->off += r.mapped;
			left -= r.mapped;
			if (r.mapped < len) {
				n = rxq_copy(q, &r, pattern, left);
				if (n < 0)
					return -1;
				left -= n;
			}
			if (hook)
				hook(q, arg);
		}
	}
	return 0;
}

/* The whole size mapped, nothing copied, every header right. */
static bool rxq_all_mapped(const struct rxq *q, int ret, size_t size)
{
	if (!ret && q->off == size && !q->copied && !q->bad_payload)
		return true;
	ktap_print_msg("receive of %zu bytes: %zu mapped, %zu copied, %zu dropped%s",
		       size, q->off, q->copied, q->dropped,
		       q->bad_payload ? ", wrong payload" : "");
	return false;
}

/* Open a queue of size bytes, and FEED and RECEIVE it all in chunks. */
static bool rxq_open_receive(struct rxq *q, size_t size, uint64_t pattern)
{
	if (rxq_open(q, size))
		return false;
	return rxq_all_mapped(q, rxq_receive(q, size, pattern,
					     CHUNK_PAGES * ZCP_PAGE,
					     CHUNK_PAGES * ZCP_PAGE, NULL, NULL),
			      size);
}

/*
 * Populate the page tables of q's whole mapping, so that no later RECEIVE
 * allocates (and charges) one: map a page in every 2 MiB of it, zap them
 * with MADV_DONTNEED (which keeps the tables) and recycle them.
 */
static int rxq_prefault_tables(struct rxq *q)
{
	uintptr_t start = (uintptr_t)q->map, a;
	struct zcpool_receive r;
	size_t n = 1;

	for (a = (start | (PMD_BYTES - 1)) + 1; a < start + q->len;
	     a += PMD_BYTES)
		n++;
	if (zcp_feed(q->fd, n * ZCP_PAGE, 0, NULL)) {
		ktap_print_msg("FEED of %zu pages: %m", n);
		return -1;
	}
	for (a = start; a < start + q->len;
	     a = (a | (PMD_BYTES - 1)) + 1) {
		if (zcp_receive(q->fd, (void *)a, ZCP_PAGE, &r) ||
		    r.mapped != ZCP_PAGE) {
			ktap_print_msg("RECEIVE of a page at +%#lx: %m",
				       (unsigned long)(a - start));
			return -1;
		}
	}
	if (madvise(q->map, q->len, MADV_DONTNEED)) {
		ktap_print_msg("MADV_DONTNEED: %m");
		return -1;
	}
	return rxq_reclaim(q, NULL);
}

/*
 * steady: FEED size, RECEIVE it all, keep it mapped. What the cgroup shows
 * for pages that stay mapped.
 */
int test_mx_steady(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "payload-verified" };
	struct mx m;
	struct rxq q = RXQ_INIT;
	struct zcpool_stats st;
	bool received;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open(&q, cfg->size))
		goto out;
	ktap_metric("size", cfg->size);
	if (mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	received = rxq_all_mapped(&q, rxq_receive(&q, cfg->size, PATTERN_A,
						  CHUNK_PAGES * ZCP_PAGE,
						  CHUNK_PAGES * ZCP_PAGE,
						  NULL, NULL),
				  cfg->size);
	ktap_metric("mapped", q.off);
	ktap_metric("copied", q.copied);
	if (rxq_stats(&q, &st) || mx_sample(&m, m.cg, "mapped", NULL) < 0)
		goto out;
	ktap_metric("mod.charged", st.queue.charged);
	ktap_metric("mod.mapped", st.queue.mapped);
	print_counters("mod.queue", &st.queue);
	mx_case(&m, received, cases[0]);
	mx_case(&m, received &&
		zcp_pages_check(q.map, q.off / ZCP_PAGE, q.id, q.first_seq,
				PATTERN_A) < 0, cases[1]);
out:
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/*
 * release: as steady, then munmap and RECLAIM. What is left charged, and
 * whether the pool got its pages back.
 */
int test_mx_release(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "reclaim" };
	struct zcpool_stats st0, st;
	struct zcpool_reclaim rc;
	struct mx m;
	struct rxq q = RXQ_INIT;
	bool received;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open(&q, cfg->size) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0 || rxq_stats(&q, &st0))
		goto out;
	ktap_metric("pool.baseline_free", st0.pool_free);
	received = rxq_all_mapped(&q, rxq_receive(&q, cfg->size, PATTERN_A,
						  CHUNK_PAGES * ZCP_PAGE,
						  CHUNK_PAGES * ZCP_PAGE,
						  NULL, NULL),
				  cfg->size);
	ktap_metric("mapped", q.off);
	mx_case(&m, received, cases[0]);

	rxq_unmap(&q);
	if (rxq_reclaim(&q, &rc) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("pool.released_free", st.pool_free);
	ktap_metric("pool.outstanding", rc.outstanding);
	ktap_metric("queue.outstanding", st.queue.out);
	ktap_metric("mod.recycled", rc.recycled);
	ktap_metric("mod.uncharged", rc.uncharged);
	print_counters("mod.queue", &st.queue);
	mx_case(&m, true, cases[1]);
out:
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/* The timeline of a window scenario, sampled after every RECEIVE. */
struct window {
	const char *cg;
	long baseline;
	struct timespec t0;
	long samples;
	long peak_excess;		/* memory.current - baseline - mapped - queued */
	long min_margin;		/* memory.current - baseline - mapped */
	bool failed;
};

static long us_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000000L +
	       (now.tv_nsec - t0->tv_nsec) / 1000;
}

static void window_sample(struct rxq *q, void *arg)
{
	struct window *w = arg;
	struct zcpool_stats st;
	struct memcg_sample s;
	long queued, margin;

	if (w->failed || memcg_read(w->cg, &s) || rxq_stats(q, &st)) {
		w->failed = true;
		return;
	}
	queued = st.queue.queued * ZCP_PAGE;
	margin = s.memory_current - w->baseline - (long)q->off;
	if (!w->samples || margin - queued > w->peak_excess)
		w->peak_excess = margin - queued;
	if (!w->samples || margin < w->min_margin)
		w->min_margin = margin;
	w->samples++;
	ktap_print_msg("sample t_us=%ld mapped=%zu queued=%ld memory_current=%ld sock=%ld kernel=%ld file_mapped=%ld mod_double=%llu mod_under=%llu",
		       us_since(&w->t0), q->off, queued, s.memory_current,
		       s.sock, s.kernel, s.file_mapped,
		       (unsigned long long)st.queue.double_now,
		       (unsigned long long)st.queue.under_now);
}

/*
 * double-charge, under-charge: FEED size in units of ZCPOOL_UNIT_PAGES,
 * RECEIVE WINDOW_CALL per call, a "# sample" after every call. The
 * module's peaks are exact; the samples see memory.current between calls
 * only. The page tables of the mapping are populated before the baseline.
 */
static int window_run(const char *name, const struct zc_config *cfg,
		      bool under)
{
	static const char *const cases[] = { "receive" };
	size_t size = min_size(cfg->size, WINDOW_MAX_SIZE);
	struct window w = { 0 };
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	int ret;

	if (mx_setup(&m, name, cfg, 1, false) || mx_enter(m.cg) ||
	    rxq_open(&q, size) || rxq_prefault_tables(&q))
		goto out;
	ktap_metric("size", size);
	w.cg = m.cg;
	w.baseline = mx_sample(&m, m.cg, "baseline", NULL);
	if (w.baseline < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &w.t0);
	ret = rxq_receive(&q, size, PATTERN_A, size, WINDOW_CALL,
			  window_sample, &w);
	ktap_metric("mapped", q.off);
	ktap_metric("calls", w.samples);
	if (rxq_stats(&q, &st))
		goto out;
	if (under) {
		ktap_metric("min_margin", w.min_margin);
		ktap_metric("mod.under_peak", st.queue.under_peak);
	} else {
		ktap_metric("peak_excess", w.peak_excess);
		ktap_metric("mod.double_peak", st.queue.double_peak);
	}
	print_counters("mod.queue", &st.queue);
	mx_case(&m, rxq_all_mapped(&q, ret, size) && !w.failed && w.samples,
		cases[0]);
out:
	rxq_close(&q);
	return mx_finish(&m, 1, cases);
}

int test_mx_double_charge(const char *name, const struct zc_config *cfg)
{
	return window_run(name, cfg, false);
}

int test_mx_under_charge(const char *name, const struct zc_config *cfg)
{
	return window_run(name, cfg, true);
}

/* Fault in stack below the caller, so that using it never faults later. */
static void __attribute__((noinline)) stack_prefault(void)
{
	volatile char buf[STACK_PREFAULT];
	size_t i;

	for (i = 0; i < sizeof(buf); i += ZCP_PAGE)
		buf[i] = 0;
}

/* Open control of cgroup, like cg_read() and cg_write() do. */
static int cg_open(const char *cgroup, const char *control, int flags)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", cgroup, control) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, flags | O_CLOEXEC);
}

static int write_str(int fd, const char *s)
{
	size_t len = strlen(s);

	return pwrite(fd, s, len, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * Read an open control file from its start: the number it holds (key
 * NULL) or the value of its line "key value". Once read, a control file
 * has its buffer: reading it again allocates nothing.
 */
static long fd_read_long(int fd, const char *key)
{
	char buf[4096];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return key ? cg_key_long(buf, key) : strtol(buf, NULL, 10);
}

/*
 * memory-max: memory.max = baseline + size/4, then FEED and RECEIVE size a
 * unit at a time, as packets arrive; what cannot be mapped is read() as the
 * skip hints say. A FEED refused with ENOMEM (the socket charge failed) is
 * data dropped: nothing the receiver can do frees memory, so it stops.
 *
 * Between setting the limit and lifting it the receiver touches no memory
 * it has not faulted in (mlockall, the stack prefaulted, the page tables of
 * the mapping populated) and opens no file: in a full cgroup those would
 * fail or retry the page fault forever. It is exempt from the memcg OOM
 * killer, so that a NOFAIL charge past the limit is forced rather than
 * killing it; memory.max is lifted through the file that set it.
 */
int test_mx_memory_max(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "limit" };
	long events0, events, oom, limit, baseline, peak;
	int maxfd = -1, peakfd = -1, eventsfd = -1, ret = -1, adj;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	bool valid, lifted;
	char buf[32];

	if (mx_setup(&m, name, cfg, 2, false))
		goto out;
	ktap_metric("size", cfg->size);
	adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (adj < 0 || write_str(adj, "-1000")) {
		ktap_print_msg("oom_score_adj: %m");
		if (adj >= 0)
			close(adj);
		goto out;
	}
	close(adj);
	if (mx_enter(m.cg))
		goto out;
	stack_prefault();
	if (mlockall(MCL_CURRENT)) {
		ktap_print_msg("mlockall: %m");
		goto out;
	}
	if (rxq_open(&q, cfg->size) || rxq_prefault_tables(&q))
		goto out;
	maxfd = cg_open(m.cg, "memory.max", O_WRONLY);
	peakfd = cg_open(m.cg, "memory.peak", O_RDONLY);
	eventsfd = cg_open(m.cg, "memory.events", O_RDONLY);
	if (maxfd < 0 || peakfd < 0 || eventsfd < 0 ||
	    fd_read_long(peakfd, NULL) < 0) {
		ktap_print_msg("%s/memory.{max,peak,events}: %m", m.cg);
		goto out;
	}
	baseline = mx_sample(&m, m.cg, "baseline", NULL);
	events0 = fd_read_long(eventsfd, "max");
	if (baseline < 0 || events0 < 0)
		goto out;
	limit = baseline + cfg->size / 4;
	snprintf(buf, sizeof(buf), "%ld", limit);
	if (write_str(maxfd, buf)) {
		ktap_print_msg("memory.max %s: %m", buf);
		goto out;
	}

	ret = rxq_receive(&q, cfg->size, PATTERN_A, UNIT_BYTES, UNIT_BYTES,
			  NULL, NULL);
	/* Before the limit goes: what comes after may well exceed it. */
	peak = fd_read_long(peakfd, NULL);
	events = fd_read_long(eventsfd, "max");
	oom = fd_read_long(eventsfd, "oom");

	lifted = !write_str(maxfd, "max");
	if (!lifted)
		ktap_print_msg("memory.max max: %m");
	ktap_metric("memory_max", limit);
	ktap_metric("mapped", q.off);
	ktap_metric("copied", q.copied);
	ktap_metric("dropped", q.dropped);
	ktap_metric("skip_hints", q.skip_hints);
	ktap_metric("peak.memory_peak", peak);
	ktap_metric("events.max", events - events0);
	ktap_metric("events.oom", oom);
	if (rxq_stats(&q, &st) || mx_sample(&m, m.cg, "received", NULL) < 0)
		goto out;
	print_counters("mod.queue", &st.queue);
	valid = ret >= 0 && !q.bad_payload && peak > 0 && events >= 0 &&
		q.off + q.copied + q.dropped == cfg->size;
	if (!valid)
		ktap_print_msg("receive: %zu mapped, %zu copied, %zu dropped%s",
			       q.off, q.copied, q.dropped,
			       q.bad_payload ? ", wrong payload" : "");
	mx_case(&m, valid, cases[0]);
	mx_case(&m, lifted, cases[1]);
out:
	if (maxfd >= 0)
		close(maxfd);
	if (peakfd >= 0)
		close(peakfd);
	if (eventsfd >= 0)
		close(eventsfd);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/*
 * cross-cgroup: A receives size, munmap + RECLAIM; B receives size from the
 * recycled pages and keeps them mapped. Who pays for a recycled page? A is
 * sampled with its queue not yet open and closed again, while the process
 * is still in A (leaving would drain A's per-cpu charge stock).
 */
int test_mx_cross_cgroup(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive-a", "receive-b" };
	struct rxq a = RXQ_INIT, b = RXQ_INIT;
	struct zcpool_stats st0, st;
	struct mx m;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, true) || mx_enter(m.cg) ||
	    mx_sample(&m, m.cg, "a.baseline", NULL) < 0)
		goto out;
	ok = rxq_open_receive(&a, cfg->size, PATTERN_A) && !rxq_stats(&a, &st0);
	rxq_unmap(&a);
	if (rxq_reclaim(&a, NULL))
		ok = false;
	rxq_close(&a);
	mx_case(&m, ok, cases[0]);
	if (!ok || mx_sample(&m, m.cg, "a.released", NULL) < 0)
		goto out;

	if (mx_enter(m.cg_b) || rxq_open(&b, cfg->size) ||
	    mx_sample(&m, m.cg_b, "b.baseline", NULL) < 0)
		goto out;
	ok = rxq_all_mapped(&b, rxq_receive(&b, cfg->size, PATTERN_B,
					    CHUNK_PAGES * ZCP_PAGE,
					    CHUNK_PAGES * ZCP_PAGE, NULL, NULL),
			    cfg->size);
	ktap_metric("mapped", b.off);
	if (rxq_stats(&b, &st) || mx_sample(&m, m.cg_b, "b.mapped", NULL) < 0)
		goto out;
	ktap_metric("mod.recycles", st.pool.recycles - st0.pool.recycles);
	ktap_metric("mod.charged", st.queue.charged);
	mx_case(&m, ok, cases[1]);
out:
	rxq_close(&a);
	rxq_close(&b);
	return mx_finish(&m, 2, cases);
}

/*
 * vmsplice-pin: receive size, vmsplice the mapping into pipes, munmap,
 * RECLAIM: are pages that user space still pins after the last unmap
 * charged? Then close the pipes and RECLAIM. The pipes are sized before the
 * baseline, so their buffer arrays are in it.
 */
int test_mx_vmsplice_pin(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "vmsplice" };
	int pfd[MAX_PIPES][2];
	size_t pipe_bytes = PIPE_BYTES, npipes, i, pinned = 0;
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	bool ok;

	while (cfg->size / pipe_bytes > MAX_PIPES)
		pipe_bytes *= 2;
	npipes = (cfg->size + pipe_bytes - 1) / pipe_bytes;
	for (i = 0; i < MAX_PIPES; i++)
		pfd[i][0] = pfd[i][1] = -1;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open(&q, cfg->size))
		goto out;
	for (i = 0; i < npipes; i++) {
		if (pipe2(pfd[i], O_CLOEXEC) ||
		    fcntl(pfd[i][1], F_SETPIPE_SZ, (int)pipe_bytes) < 0) {
			ktap_print_msg("pipe of %zu bytes: %m", pipe_bytes);
			goto out;
		}
	}
	if (mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_all_mapped(&q, rxq_receive(&q, cfg->size, PATTERN_A,
					    CHUNK_PAGES * ZCP_PAGE,
					    CHUNK_PAGES * ZCP_PAGE, NULL, NULL),
			    cfg->size);
	mx_case(&m, ok, cases[0]);
	if (!ok)
		goto out;

	for (i = 0; i < npipes; i++) {
		size_t off = 0, len = min_size(pipe_bytes,
					       q.off - i * pipe_bytes);

		while (off < len) {
			struct iovec iov = {
				.iov_base = q.map + i * pipe_bytes + off,
				.iov_len = len - off,
			};
			ssize_t n = vmsplice(pfd[i][1], &iov, 1,
					     SPLICE_F_NONBLOCK);

			if (n <= 0) {
				ktap_print_msg("vmsplice into pipe %zu after %zu bytes: %m",
					       i, off);
				goto out;
			}
			off += n;
		}
		pinned += off;
	}
	ktap_metric("pinned", pinned);
	rxq_unmap(&q);
	if (rxq_reclaim(&q, &rc) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "pinned", NULL) < 0)
		goto out;
	ktap_metric("pool.outstanding", rc.outstanding);
	ktap_metric("mod.charged", st.queue.charged);
	ktap_metric("mod.under_now", st.queue.under_now);
	mx_case(&m, pinned == q.off, cases[1]);

	for (i = 0; i < npipes; i++) {
		close(pfd[i][0]);
		close(pfd[i][1]);
		pfd[i][0] = pfd[i][1] = -1;
	}
	if (rxq_reclaim(&q, &rc) || mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("pool.released_outstanding", rc.outstanding);
out:
	for (i = 0; i < MAX_PIPES; i++) {
		if (pfd[i][0] >= 0) {
			close(pfd[i][0]);
			close(pfd[i][1]);
		}
	}
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/*
 * fork: receive size, fork; the parent unmaps, the child keeps the mapping
 * until told to exit. Is the charge held until the last unmap?
 */
int test_mx_fork(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "fork" };
	int sync[2] = { -1, -1 }, status = 0;
	struct zcpool_stats st;
	struct mx m;
	struct rxq q = RXQ_INIT;
	pid_t pid = -1;
	char c;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    rxq_open(&q, cfg->size) || pipe2(sync, O_CLOEXEC) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_all_mapped(&q, rxq_receive(&q, cfg->size, PATTERN_A,
					    CHUNK_PAGES * ZCP_PAGE,
					    CHUNK_PAGES * ZCP_PAGE, NULL, NULL),
			    cfg->size);
	ktap_metric("mapped", q.off);
	mx_case(&m, ok, cases[0]);
	if (!ok)
		goto out;

	pid = fork();
	if (pid < 0) {
		ktap_print_msg("fork: %m");
		goto out;
	}
	if (!pid) {
		/* The child only holds the mapping until the pipe closes. */
		close(sync[1]);
		while (read(sync[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sync[0]);
	sync[0] = -1;
	rxq_unmap(&q);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "child_holds", NULL) < 0)
		goto out;
	ktap_metric("mod.mapped", st.queue.mapped);
	ktap_metric("mod.charged", st.queue.charged);

	close(sync[1]);
	sync[1] = -1;
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	pid = -1;
	if (!ok)
		ktap_print_msg("child: wait status %#x (%m)", status);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &st) ||
	    mx_sample(&m, m.cg, "released", NULL) < 0)
		goto out;
	ktap_metric("mod.charged_after", st.queue.charged);
	mx_case(&m, ok, cases[1]);
out:
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}

/* zombie's receiver, in its own cgroup: receive size and exit, no cleanup. */
static int zombie_receiver(const char *cg, size_t size)
{
	struct rxq q = RXQ_INIT;

	if (mx_enter(cg) || !rxq_open_receive(&q, size, PATTERN_A))
		return 1;
	return 0;
}

/*
 * zombie: receive size in a child cgroup and exit (the mapping and the
 * queue go with the process), RECLAIM, rmdir the cgroup, then poll the
 * parent's nr_dying_descendants: does anything of the module keep the dead
 * memcg around?
 */
int test_mx_zombie(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "rmdir" };
	long dying0 = -1, dying = -1, waited;
	char child[PATH_MAX] = "";
	int fd = -1, status = 0;
	struct mx m;
	pid_t pid;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false))
		goto out;
	if (snprintf(child, sizeof(child), "%s/rx", m.cg) >=
	    (int)sizeof(child)) {
		ktap_print_msg("cgroup path too long");
		*child = '\0';
		goto out;
	}
	if (cg_write(m.cg, "cgroup.subtree_control", "+memory") ||
	    (cg_create(child) && errno != EEXIST)) {
		ktap_print_msg("%s: %m", child);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ktap_print_msg("fork: %m");
		goto out;
	}
	if (!pid)
		_exit(zombie_receiver(child, cfg->size));
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	mx_case(&m, ok, cases[0]);

	/* A queue of the root cgroup, for RECLAIM only. */
	fd = zcp_open();
	if (fd < 0 || zcp_reclaim(fd, &(struct zcpool_reclaim){ 0 })) {
		ktap_print_msg("RECLAIM: %m");
		goto out;
	}
	ok = !cg_destroy(child);
	if (!ok)
		ktap_print_msg("rmdir %s: %m", child);
	dying0 = cg_read_key_long(m.cg, "cgroup.stat", "nr_dying_descendants");
	for (waited = 0, dying = dying0; dying > 0 && waited < ZOMBIE_WAIT_MS;
	     waited += ZOMBIE_POLL_MS) {
		settle(ZOMBIE_POLL_MS);
		dying = cg_read_key_long(m.cg, "cgroup.stat",
					 "nr_dying_descendants");
	}
	ktap_metric("size", cfg->size);
	ktap_metric("dying_initial", dying0);
	ktap_metric("dying_final", dying);
	ktap_metric("wait_ms", waited);
	mx_case(&m, ok && dying0 >= 0 && dying >= 0, cases[1]);
out:
	if (fd >= 0)
		close(fd);
	if (*child && cg_destroy(child))
		ktap_print_msg("remove %s: %m", child);
	return mx_finish(&m, 2, cases);
}

/*
 * isolation: A receives size with PATTERN_A and releases it; B receives
 * the recycled pages with PATTERN_B and checks every word of every page.
 */
int test_mx_isolation(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive-a", "receive-b" };
	struct rxq a = RXQ_INIT, b = RXQ_INIT;
	struct zcpool_stats st0, st;
	long foreign = 0, shown = 0;
	struct mx m;
	size_t i, pages;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, true) || mx_enter(m.cg) ||
	    rxq_open(&a, cfg->size) || rxq_stats(&a, &st0))
		goto out;
	ok = rxq_all_mapped(&a, rxq_receive(&a, cfg->size, PATTERN_A,
					    CHUNK_PAGES * ZCP_PAGE,
					    CHUNK_PAGES * ZCP_PAGE, NULL, NULL),
			    cfg->size);
	rxq_unmap(&a);
	if (rxq_reclaim(&a, NULL))
		ok = false;
	rxq_close(&a);
	mx_case(&m, ok, cases[0]);

	/* B's payload is the measurement: its headers are not a guest check. */
	if (mx_enter(m.cg_b) || rxq_open(&b, cfg->size))
		goto out;
	ok = rxq_receive(&b, cfg->size, PATTERN_B, CHUNK_PAGES * ZCP_PAGE,
			 CHUNK_PAGES * ZCP_PAGE, NULL, NULL) == 0 &&
	     b.off == cfg->size;
	if (rxq_stats(&b, &st))
		goto out;
	pages = b.off / ZCP_PAGE;
	for (i = 0; i < pages; i++) {
		const unsigned char *p = b.map + i * ZCP_PAGE;
		long bad = zcp_page_check(p, b.id, b.first_seq + i, PATTERN_B);
		uint64_t hdr[ZCPOOL_HDR_WORDS];

		if (bad < 0)
			continue;
		foreign++;
		if (shown++ < 3) {
			memcpy(hdr, p, sizeof(hdr));
			ktap_print_msg("page %zu: word %ld differs; header queue %llu seq %llu pattern %#llx",
				       i, bad,
				       (unsigned long long)le64toh(hdr[1]),
				       (unsigned long long)le64toh(hdr[2]),
				       (unsigned long long)le64toh(hdr[3]));
		}
	}
	ktap_metric("size", cfg->size);
	ktap_metric("pages_checked", pages);
	ktap_metric("foreign_pages", foreign);
	ktap_metric("mod.recycles", st.pool.recycles - st0.pool.recycles);
	mx_case(&m, ok, cases[1]);
out:
	rxq_close(&a);
	rxq_close(&b);
	return mx_finish(&m, 2, cases);
}

/*
 * unload: receive, munmap, RECLAIM, close, then rmmod: does any charge
 * outlive the module? Then load it again with the same variant.
 */
int test_mx_unload(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "reload" };
	struct zcpool_stats st = { 0 };
	struct mx m;
	struct rxq q = RXQ_INIT;
	char params[64];
	int rmmod_errno;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_open_receive(&q, cfg->size, PATTERN_A);
	rxq_unmap(&q);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &st))
		ok = false;
	rxq_close(&q);
	mx_case(&m, ok, cases[0]);
	ktap_metric("mod.pool_total_before", st.pool_total);
	ktap_metric("mod.pool_out_before", st.pool.out);

	rmmod_errno = zcp_module_unload() ? errno : 0;
	ktap_metric("rmmod_errno", rmmod_errno);
	if (mx_sample(&m, m.cg, "unloaded", NULL) < 0)
		goto out;
	if (rmmod_errno) {
		ktap_print_msg("delete_module: %s", strerror(rmmod_errno));
		ok = true;
	} else {
		snprintf(params, sizeof(params), "variant=%s", m.variant);
		ok = !zcp_module_load(params) &&
		     !zcp_wait_path(ZCPOOL_DEVICE, 5000);
		if (!ok)
			ktap_print_msg("load zcpool.ko %s: %m", params);
	}
	mx_case(&m, ok, cases[1]);
out:
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}
