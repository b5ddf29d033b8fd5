// SPDX-License-Identifier: GPL-2.0
/*
 * The real-path matrix's double-charge (designs.c has the others): how
 * much of a TCP_ZEROCOPY_RECEIVE call the receiver's cgroup pays twice.
 *
 * tcp_zerocopy_receive() frees the skbs it consumed, and their socket
 * charge, only after its last batch: a design that charges the pages as
 * it inserts them holds both charges until then. For each call size, one
 * connection: the sender sends WARMUP_BYTES and then exactly that many
 * pages, to a receiver whose SO_RCVBUF lets them all in (rmem_max raised
 * for the scenario). The receiver maps the warm-up (as every transfer does: the
 * receive window grows, and the call's data starts at a page of a
 * whole-page frag) and unmaps it, waits until all the call's pages are
 * queued (socket-charged, to its own cgroup), samples "p<n>.baseline",
 * then makes the call from a second thread (started before it) with the
 * livepatch's pause point armed (debugfs zctcp/pause): each batch stops
 * once inserted and charged, and the first thread samples the cgroup
 * there and resumes it.
 * The sample at the call's last stop is "p<n>.inserted": all its pages
 * charged, none of its skbs freed. On the stock kernel (no livepatch)
 * there is no stop: the sample follows the call, when nothing is charged
 * twice either.
 *
 * A call that maps less than all its pages (a frag of the stream that is
 * not a whole page: seen on 6.12 after the warm-up) is made again on a
 * new connection, at most ATTEMPTS times.
 *
 * Per call: p<n>.attempts, p<n>.baseline.*, p<n>.inserted.* (memcg samples), p<n>.stops,
 * p<n>.stopped_bytes (what the call had inserted at its last stop, the
 * livepatch's word), p<n>.mapped (what the call returned), p<n>.charged
 * (the livepatch's pages_charged over the call), p<n>.errno. The host
 * judges; the case "calls" says each call was made and, patched, stopped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "transfer.h"
#include "zcpool_util.h"

#define PAGE			4096UL
#define WAIT_MS			10000
#define WARMUP_BYTES		(1UL << 20)
#define ATTEMPTS		4
/*
 * SO_RCVBUF, so that a whole call's pages fit in the window; capped at
 * rmem_max, which the scenario raises for its duration.
 */
#define RCVBUF_BYTES		(4 << 20)

/* Calls of this many pages: within one batch, a whole batch, several. */
static const unsigned int call_pages[] = { 8, 32, 128 };

/*
 * One TCP_ZEROCOPY_RECEIVE, made by the second thread. The thread is
 * started before the baseline and ends after the last sample: a thread's
 * kernel stack and task are kernel memory of the cgroup, charged at
 * clone() and uncharged some time after it exits.
 */
struct call {
	int fd;
	unsigned char *region;
	size_t len;
	struct tcp_zerocopy_receive zc;
	int err;		/* errno of getsockopt(), 0 if it succeeded */
	int go;			/* set to make the call; -1: do not */
	int done;		/* set once getsockopt() returned */
	int end;		/* set to let the thread exit */
};

static void sleep_ms(unsigned int ms)
{
	const struct timespec t = { .tv_nsec = ms * 1000000L };

	nanosleep(&t, NULL);
}

/* Wait until *flag is non-zero, polling: a futex or a pipe may allocate. */
static int wait_flag(const int *flag)
{
	int v;

	while (!(v = __atomic_load_n(flag, __ATOMIC_ACQUIRE)))
		sleep_ms(1);
	return v;
}

static void *call_thread(void *arg)
{
	struct call *c = arg;
	socklen_t len = sizeof(c->zc);

	if (wait_flag(&c->go) > 0) {
		memset(&c->zc, 0, sizeof(c->zc));
		c->zc.address = (uintptr_t)c->region;
		c->zc.length = c->len;
		c->err = getsockopt(c->fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE,
				    &c->zc, &len) ? errno : 0;
	}
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	wait_flag(&c->end);
	return NULL;
}

/* Let the thread go (make the call if call) and wait until the call returned. */
static void call_finish(struct call *c, pthread_t thread)
{
	__atomic_store_n(&c->go, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->end, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
}

/* The pause point's state (kernel/uapi/zctcp.h). */
struct pause_state {
	int stopped;
	unsigned long stops, inserted;
};

/* Read the state through fd, opened before: nothing allocated. */
static int pause_read(int fd, struct pause_state *s)
{
	char buf[128];
	int armed;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sscanf(buf, "armed %d stopped %d stops %lu inserted %lu", &armed,
		      &s->stopped, &s->stops, &s->inserted) == 4 ? 0 : -1;
}

static int pause_write(int fd, const char *cmd)
{
	return pwrite(fd, cmd, strlen(cmd), 0) == (ssize_t)strlen(cmd) ? 0 : -1;
}

/* <prefix>.<name> */
static void call_metric(const char *prefix, const char *name, long value)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s.%s", prefix, name);
	ktap_metric(buf, value);
}

/*
 * While c runs: at each new stop, sample f into *at, note the bytes
 * inserted, resume. Returns the stops seen, or -1 (said) if the call
 * neither returned nor stopped within WAIT_MS.
 */
static long observe(struct call *c, int pause_fd, struct memcg_files *f,
		    const struct zc_config *cfg, struct memcg_sample *at,
		    unsigned long *stopped_bytes)
{
	struct pause_state s = { 0 };
	unsigned long last, idle = 0;
	long seen = 0;

	if (pause_read(pause_fd, &s))
		return -1;
	last = s.stops;
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		if (!pause_read(pause_fd, &s) && s.stopped && s.stops != last) {
			last = s.stops;
			if (memcg_files_sample(f, cfg, at))
				return -1;
			*stopped_bytes = s.inserted;
			seen++;
			idle = 0;
			if (pause_write(pause_fd, "resume"))
				return -1;
			continue;
		}
		if (++idle > WAIT_MS) {
			ktap_print_msg("the call neither returned nor stopped in %d ms",
				       WAIT_MS);
			return -1;
		}
		sleep_ms(1);
	}
	return seen;
}

/*
 * One call of pages pages on a connection of its own, attempt number try:
 * 1 if it was measured (printed), 0 if it mapped less than all its pages
 * without an error and not the last of ATTEMPTS (said; the caller tries a
 * new connection: the stream's frags are not always whole pages where the
 * warm-up ends), -1 if it failed.
 */
static int measure_call(struct mx *m, unsigned int pages, bool patched,
			unsigned char *copybuf, unsigned int try)
{
	struct zc_rx_stats warm = ZC_RX_STATS_INIT;
	struct memcg_files f = MEMCG_FILES_INIT;
	struct zc_link link = ZC_LINK_INIT;
	struct call c = { .region = MAP_FAILED, .len = pages * PAGE };
	long before[ZCTCP_NR_COUNTERS], after[ZCTCP_NR_COUNTERS];
	struct memcg_sample base, at;
	unsigned long stopped_bytes = 0;
	unsigned char *warmup = MAP_FAILED;
	char prefix[16], point[32], arm[32];
	bool started = false;
	int ret = -1;
	unsigned int charged = zct_counter_index("pages_charged");
	long stops = 0;
	int pause_fd = -1;
	pthread_t thread;

	snprintf(prefix, sizeof(prefix), "p%u", pages);
	/* The sender is forked outside the cgroup: its memory is not ours. */
	if (cg_enter(CG_ROOT, 0) ||
	    zc_link_start(&link, m->cg_b, WARMUP_BYTES + c.len) ||
	    mx_enter(m->cg) || zc_link_listen(&link))
		goto out;
	if (zc_link_rcvbuf(&link, RCVBUF_BYTES) || zc_link_accept(&link))
		goto out;
	warmup = mmap(NULL, WARMUP_BYTES, PROT_READ, MAP_SHARED, link.fd, 0);
	c.region = mmap(NULL, c.len, PROT_READ, MAP_SHARED, link.fd, 0);
	if (warmup == MAP_FAILED || c.region == MAP_FAILED) {
		ktap_print_msg("mmap of the socket: %m");
		goto out;
	}
	if (zc_receive(link.fd, warmup, WARMUP_BYTES, 0, copybuf, &warm))
		goto out;
	munmap(warmup, WARMUP_BYTES);
	warmup = MAP_FAILED;
	c.fd = link.fd;
	if (zc_wait_queued(link.fd, c.len, WAIT_MS) || memcg_files_open(&f, m->cg))
		goto out;
	if (patched) {
		pause_fd = open(DEBUGFS "/" ZCTCP_DEBUGFS_PAUSE, O_RDWR | O_CLOEXEC);
		snprintf(arm, sizeof(arm), "arm %d", getpid());
		if (pause_fd < 0 || zct_counters(before) ||
		    pause_write(pause_fd, arm)) {
			ktap_print_msg("arm %s: %m", ZCTCP_DEBUGFS_PAUSE);
			goto out;
		}
	}
	if (pthread_create(&thread, NULL, call_thread, &c)) {
		ktap_print_msg("pthread_create: %m");
		goto out;
	}
	started = true;
	if (memcg_files_sample(&f, m->cfg, &base))
		goto out;
	__atomic_store_n(&c.go, 1, __ATOMIC_RELEASE);
	if (patched) {
		stops = observe(&c, pause_fd, &f, m->cfg, &at, &stopped_bytes);
		if (pause_write(pause_fd, "off"))
			ktap_print_msg("off %s: %m", ZCTCP_DEBUGFS_PAUSE);
	}
	wait_flag(&c.done);
	/* Stock kernel: after the call, nothing stopped it. */
	if (!patched && memcg_files_sample(&f, m->cfg, &at))
		goto out;
	call_finish(&c, thread);
	started = false;
	if (stops < 0 || (patched && zct_counters(after)))
		goto out;
	if (!c.err && c.zc.length < c.len && try < ATTEMPTS) {
		ktap_print_msg("%s: attempt %u mapped %u of %zu bytes (skip hint %u): again on a new connection",
			       prefix, try, c.zc.length, c.len, c.zc.recv_skip_hint);
		ret = 0;
		goto out;
	}

	call_metric(prefix, "attempts", try);
	call_metric(prefix, "warmup_mapped", warm.mapped);
	snprintf(point, sizeof(point), "%s.baseline", prefix);
	memcg_sample_print(point, &base);
	if (!patched || stops > 0) {
		snprintf(point, sizeof(point), "%s.inserted", prefix);
		memcg_sample_print(point, &at);
	}
	call_metric(prefix, "stops", stops);
	call_metric(prefix, "stopped_bytes", stopped_bytes);
	call_metric(prefix, "errno", c.err);
	call_metric(prefix, "mapped", c.err ? 0 : c.zc.length);
	call_metric(prefix, "skip_hint", c.err ? 0 : c.zc.recv_skip_hint);
	if (patched)
		call_metric(prefix, "charged", after[charged] - before[charged]);
	if (c.err)
		ktap_print_msg("%s: TCP_ZEROCOPY_RECEIVE: %s", prefix, strerror(c.err));
	else if (patched && !stops)
		ktap_print_msg("%s: the call mapped %u bytes and never stopped",
			       prefix, c.zc.length);
	ret = !c.err && (stops > 0 || !patched) ? 1 : -1;
out:
	if (started) {
		if (pause_fd >= 0)
			pause_write(pause_fd, "off");
		call_finish(&c, thread);
	}
	if (pause_fd >= 0)
		close(pause_fd);
	/* Everything received: the sender must have seen every completion. */
	if (ret == 1 && c.zc.length == c.len && !zc_link_finish(&link, true))
		ret = -1;
	memcg_files_close(&f);
	if (warmup != MAP_FAILED)
		munmap(warmup, WARMUP_BYTES);
	if (c.region != MAP_FAILED)
		munmap(c.region, c.len);
	zc_link_close(&link);
	return ret;
}

/* double-charge: calls of call_pages[] pages, each on its own connection. */
int test_tcpmx_double_charge(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "calls" };
	bool patched = zct_loaded(), ok = false;
	unsigned char *copybuf = MAP_FAILED;
	char rmem_max[32] = "";
	struct mx m;
	size_t i;

	if (mx_setup(&m, name, cfg, 1, true))
		goto out;
	ktap_metric("patched", patched);
	if (zc_rmem_max_raise(RCVBUF_BYTES, rmem_max, sizeof(rmem_max)))
		goto out;
	copybuf = mmap(NULL, ZC_COPY_BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copybuf == MAP_FAILED) {
		ktap_print_msg("mmap: %m");
		goto out;
	}
	ok = true;
	ktap_metric("calls", ARRAY_SIZE(call_pages));
	for (i = 0; i < ARRAY_SIZE(call_pages); i++) {
		char metric[32];

		snprintf(metric, sizeof(metric), "call.%zu", i);
		ktap_metric(metric, call_pages[i]);
		unsigned int try = 1;
		int ret;

		while (!(ret = measure_call(&m, call_pages[i], patched, copybuf,
					    try)))
			try++;
		ok &= ret > 0;
	}
out:
	mx_case(&m, ok, "calls");
	if (copybuf != MAP_FAILED)
		munmap(copybuf, ZC_COPY_BUF_SIZE);
	zc_rmem_max_restore(rmem_max);
	return mx_finish(&m, 1, cases);
}
