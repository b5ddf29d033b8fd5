// SPDX-License-Identifier: GPL-2.0
/*
 * The real-path matrix's memory-max (designs.c has the others): a
 * receiver whose cgroup reaches its memory.max while it maps what it
 * receives. Which design's charge fails gracefully, so that the receiver
 * copies the rest, and which one invokes the memcg OOM killer from inside
 * getsockopt()?
 *
 * The receiver is a child, so that an OOM kill ends it and not the
 * measurement; the parent, outside the cgroup, sets the limit and reads
 * memory.events. The child opens its sockets in the sender's cgroup
 * zc-<design>-memory-max-b, so that their memory (the receive queue) is
 * charged there, gives every page table of its mapping a first page (one
 * TCP_ZEROCOPY_RECEIVE of a page per 2 MiB, those bytes dropped again with
 * MADV_DONTNEED, the tables kept), locks what it has mapped, prefaults its
 * stack, and only then moves into zc-<design>-memory-max: at the limit,
 * only the design's charge of the pages it maps is left to meet it. (With
 * the sockets in the limited cgroup too, TCP's own charge of the receive
 * queue - GFP_KERNEL in process context, when release_sock() processes
 * the backlog - invokes the OOM killer at the limit under any design that
 * charges the mapped pages: measured, docs/matrix-protocol.md.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "scenario.h"
#include "transfer.h"

#define PMD_SPAN		(2UL << 20)
#define PAGE			4096UL

/* What the child reports through shared memory. */
struct limited {
	struct zc_rx_stats st;
	size_t prefault;	/* bytes received to populate page tables */
};

/*
 * Map one page at each PMD_SPAN of region (size bytes), copying whatever
 * cannot be mapped, then drop them: the page tables stay. 0 or -1.
 */
static int prefault_tables(int fd, unsigned char *region, size_t size,
			   unsigned char *copybuf, struct limited *lim)
{
	size_t slot;

	for (slot = 0; slot < size; slot += PMD_SPAN) {
		for (;;) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			struct tcp_zerocopy_receive zc = {
				.address = (uintptr_t)(region + slot),
				.length = PAGE,
			};
			socklen_t len = sizeof(zc);
			ssize_t n;

			if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0 ||
			    getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &len)) {
				ktap_print_msg("page tables: receive at +%zu: %m", slot);
				return -1;
			}
			if (zc.length) {
				lim->prefault += zc.length;
				break;
			}
			n = read(fd, copybuf, zc.recv_skip_hint ? zc.recv_skip_hint : PAGE);
			if (n <= 0) {
				ktap_print_msg("page tables: read: %m");
				return -1;
			}
			lim->prefault += n;
		}
	}
	lim->st.received = lim->prefault;
	if (madvise(region, size, MADV_DONTNEED)) {
		ktap_print_msg("MADV_DONTNEED: %m");
		return -1;
	}
	return 0;
}

/* Tell the other process c. */
static void say(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* Wait for want; false at a timeout, the end of the pipe or another byte. */
static bool hear(int fd, char want, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	return read(fd, &c, 1) == 1 && c == want;
}

/* How one phase receives: its name and the most each call asks for. */
struct phase {
	const char *name;
	size_t call_bytes;
};

/*
 * 32 KiB calls: batches of at most 8 pages, a charge the memcg OOM killer
 * acts on (try_charge() skips it above PAGE_ALLOC_COSTLY_ORDER); then
 * calls of what the mapping has left, as tcp_mmap does: batches of up to
 * 32 pages, one skb's worth here.
 */
static const struct phase phases[] = {
	{ "small", 8 * PAGE },
	{ "large", 0 },
};

/* The receiver of a phase, in its own process, ends in the cgroup rx_cg. */
static void __attribute__((noreturn))
receiver(struct mx *m, const char *rx_cg, const struct phase *ph,
	 struct zc_link *l, struct limited *lim, int up, int down)
{
	const size_t size = m->cfg->size;
	unsigned char *copybuf, *region;

	if (mx_enter(m->cg_b))
		_exit(1);
	copybuf = mmap(NULL, ZC_COPY_BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copybuf == MAP_FAILED || zc_link_listen(l) || zc_link_accept(l))
		_exit(1);
	region = mmap(NULL, size, PROT_READ, MAP_SHARED, l->fd, 0);
	if (region == MAP_FAILED ||
	    prefault_tables(l->fd, region, size, copybuf, lim) ||
	    mx_lock_memory() || mx_enter(rx_cg))
		_exit(1);
	say(up, 'r');
	if (!hear(down, 'g', IO_TIMEOUT_MS))
		_exit(1);
	zc_receive(l->fd, region, size, ph->call_bytes, copybuf, &lim->st);
	say(up, 'd');
	/* Hold the mapping until the parent has read the cgroup. */
	hear(down, 'x', IO_TIMEOUT_MS);
	_exit(0);
}

/* <phase>.<name> */
static void phase_metric(const struct phase *ph, const char *name, long value)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s.%s", ph->name, name);
	ktap_metric(buf, value);
}

/*
 * One phase in the fresh cgroup rx_cg: the receiver ready, memory.max =
 * baseline + size/4, receive size bytes keeping all that was mapped
 * mapped, the cgroup read. Prints its cases <phase>-ready and
 * <phase>-receive (a kill is a result, not a failure) and its metrics
 * <phase>.*.
 */
static void run_phase(struct mx *m, const struct phase *ph, const char *rx_cg,
		      struct limited *lim)
{
	struct mx_limit limit = MX_LIMIT_INIT;
	struct zc_link link = ZC_LINK_INIT;
	int up[2] = { -1, -1 }, down[2] = { -1, -1 };
	const size_t size = m->cfg->size;
	bool ready = false, done = false, killed = false;
	char point[32], name[32];
	pid_t child = -1;
	long baseline;
	int status, i;

	*lim = (struct limited){ .st = ZC_RX_STATS_INIT };
	limit.prefix = point;
	snprintf(point, sizeof(point), "%s.", ph->name);
	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC)) {
		ktap_print_msg("pipes: %m");
		goto out;
	}
	if (zc_link_start(&link, m->cg_b, size))
		goto out;
	child = mx_fork();
	if (!child)
		receiver(m, rx_cg, ph, &link, lim, up[1], down[0]);
	close(up[1]);
	up[1] = -1;
	close(link.port_fd);
	link.port_fd = -1;
	if (child < 0)
		goto out;

	ready = hear(up[0], 'r', 2 * IO_TIMEOUT_MS);
	if (!ready || mx_limit_open(&limit, rx_cg))
		goto out;
	snprintf(point, sizeof(point), "%s.baseline", ph->name);
	baseline = mx_sample(m, rx_cg, point, NULL);
	if (baseline < 0 || mx_limit_set(&limit, baseline + size / 4))
		goto out;
	say(down[1], 'g');
	/* 'd', or the end of the pipe: the receiver died. */
	done = hear(up[0], 'd', 4 * IO_TIMEOUT_MS);
	snprintf(point, sizeof(point), "%s.", ph->name);
	mx_limit_lift(&limit);
	say(down[1], 'x');
	if (waitpid(child, &status, 0) == child) {
		killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		child = -1;
	}
	phase_metric(ph, "call_bytes", ph->call_bytes);
	phase_metric(ph, "killed", killed);
	phase_metric(ph, "killed_in_call", killed && lim->st.in_call);
	phase_metric(ph, "prefault", lim->prefault);
	phase_metric(ph, "received", lim->st.received);
	phase_metric(ph, "mapped", lim->st.mapped);
	phase_metric(ph, "copied", lim->st.copied);
	phase_metric(ph, "zc_calls", lim->st.zc_calls);
	phase_metric(ph, "enomem_calls", lim->st.enomem_calls);
	if (lim->st.bad_offset >= 0)
		ktap_print_msg("%s: payload differs at stream offset %ld",
			       ph->name, lim->st.bad_offset);
	if (killed)
		ktap_print_msg("%s: the receiver was killed (SIGKILL)%s", ph->name,
			       lim->st.in_call ? " inside getsockopt(TCP_ZEROCOPY_RECEIVE)" : "");
	zc_link_finish(&link, done && lim->st.received == size);
out:
	snprintf(name, sizeof(name), "%s-ready", ph->name);
	mx_case(m, ready, name);
	snprintf(name, sizeof(name), "%s-receive", ph->name);
	mx_case(m, ready && ((done && lim->st.received == size &&
			      lim->st.bad_offset < 0) || killed), name);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	mx_limit_close(&limit);
	zc_link_close(&link);
	for (i = 0; i < 2; i++) {
		if (up[i] >= 0)
			close(up[i]);
		if (down[i] >= 0)
			close(down[i]);
	}
}

/*
 * memory-max: each phase in a cgroup of its own, zc-<design>-memory-max-<phase>
 * (memory.peak cannot be reset on 6.1).
 */
int test_tcpmx_memory_max(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = {
		"small-ready", "small-receive", "large-ready", "large-receive",
	};
	struct limited *lim = MAP_FAILED;
	char rx_cg[PATH_MAX];
	struct mx m;
	size_t i;

	if (mx_setup(&m, name, cfg, ARRAY_SIZE(cases), true))
		goto out;
	ktap_metric("size", cfg->size);
	ktap_metric("patched", zct_loaded());
	lim = mmap(NULL, sizeof(*lim), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (lim == MAP_FAILED) {
		ktap_print_msg("shared page: %m");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		if (snprintf(rx_cg, sizeof(rx_cg), "%s-%s", m.cg,
			     phases[i].name) >= (int)sizeof(rx_cg) ||
		    (cg_create(rx_cg) && errno != EEXIST)) {
			ktap_print_msg("create %s: %m", rx_cg);
			break;
		}
		run_phase(&m, &phases[i], rx_cg, lim);
		if (cg_destroy(rx_cg))
			ktap_print_msg("remove %s: %m", rx_cg);
	}
out:
	if (lim != MAP_FAILED)
		munmap(lim, sizeof(*lim));
	return mx_finish(&m, ARRAY_SIZE(cases), cases);
}
