// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: unloading the module. Refused while a queue or a mapping
 * is open; done while pages received sit pinned in a pipe, which still
 * reads their payload and keeps their charge until it lets them go; then
 * the module loads again and works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "device.h"
#include "ktap.h"
#include "rxq.h"

#define PINNED_PAGES		256

bool t_unload_refused_while_open(struct dev_ctx *c)
{
	bool ok;
	int fd;

	(void)c;
	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	ok = expect_errno(zcp_module_unload(), EAGAIN,
			  "delete_module with a queue open");
	close(fd);
	return ok;
}

/* 16 pages received and kept mapped, the queue's file closed. */
static bool unload_while_mapped(struct rxq *q)
{
	bool ok = rxq_feed_receive(q, PAGES(16), PATTERN_A);

	close(q->fd);
	q->fd = -1;
	ok &= expect_errno(zcp_module_unload(), EAGAIN,
			   "delete_module with a mapping, file closed");
	return ok;
}

bool t_unload_refused_while_mapped(struct dev_ctx *c)
{
	(void)c;
	return with_queue(16, unload_while_mapped);
}

/*
 * Receive PINNED_PAGES on q, vmsplice them into the pipe pfd (sized for
 * them), unmap, RECLAIM (they stay outstanding) and close the queue.
 */
static bool pin_pages(struct rxq *q, int pfd[2])
{
	struct zcpool_reclaim rc;
	size_t n;

	if (rxq_open(q, PAGES(PINNED_PAGES)))
		return false;
	if (!rxq_feed_receive(q, PAGES(PINNED_PAGES), PATTERN_A) ||
	    pipe2(pfd, O_CLOEXEC) ||
	    fcntl(pfd[1], F_SETPIPE_SZ, (int)PAGES(PINNED_PAGES)) < 0) {
		ktap_print_msg("receive/pipe: %m");
		return false;
	}
	n = rxq_vmsplice(q, 0, PAGES(PINNED_PAGES), pfd[1]);
	if (n < PAGES(PINNED_PAGES)) {
		ktap_print_msg("vmsplice after %zu bytes: %m", n);
		return false;
	}
	rxq_unmap(q);
	if (zcp_reclaim(q->fd, &rc) || rc.outstanding < PINNED_PAGES) {
		ktap_print_msg("RECLAIM with pages pinned: outstanding %llu (%m)",
			       (unsigned long long)rc.outstanding);
		return false;
	}
	rxq_close(q);
	return true;
}

static bool receive_16(struct rxq *q)
{
	return rxq_feed_receive(q, PAGES(16), PATTERN_B);
}

/* Load the module again; a queue of it receives. */
static bool reload_and_receive(struct dev_ctx *c)
{
	bool ok = expect_ok(dev_reload(c), "finit_module") &&
		  !zcp_wait_path(ZCPOOL_DEVICE, 5000);

	c->module_gone = !ok;
	return ok && with_queue(16, receive_16);
}

/*
 * Pages received, pinned in a pipe with vmsplice, unmapped, queue closed:
 * the module unloads; the pipe still reads the payload; the page charge of
 * the variant in force stays with the pinned pages until the pipe lets
 * them go; then the module loads again.
 */
bool t_unload_with_pinned_pages(struct dev_ctx *c)
{
	static unsigned char buf[PAGES(PINNED_PAGES)];
	struct rxq q = RXQ_INIT;
	int pfd[2] = { -1, -1 };
	long base, pinned, freed;
	size_t off = 0;

	if (zcp_set_variant(c->variant))
		return expect_ok(-1, "variant");
	/*
	 * The pipe is read into buf: fault it in before the baseline. And
	 * recycle what the earlier tests left idle: a page of theirs still
	 * charged at the baseline and recycled by pin_pages()'s RECLAIM would
	 * hide as much of the pinned charge (seen once: 66 pages, 8 KiB past
	 * the tolerance).
	 */
	memset(buf, 1, sizeof(buf));
	if (zcp_reclaim_any(&(struct zcpool_reclaim){ 0 }))
		return expect_ok(-1, "RECLAIM before the baseline");
	base = cg_read_long(c->cg_main, "memory.current");
	if (!pin_pages(&q, pfd)) {
		if (pfd[0] >= 0) {
			close(pfd[0]);
			close(pfd[1]);
		}
		rxq_close(&q);
		return false;
	}

	c->pinned_unload = expect_ok(zcp_module_unload(),
				     "delete_module with pages pinned");
	c->module_gone = c->pinned_unload;
	pinned = cg_read_long(c->cg_main, "memory.current");

	while (off < sizeof(buf)) {
		ssize_t n = read(pfd[0], buf + off, sizeof(buf) - off);

		if (n <= 0)
			break;
		off += n;
	}
	c->pinned_payload = off == sizeof(buf) &&
			    zcp_pages_check(buf, PINNED_PAGES, q.id,
					    q.first_seq, PATTERN_A) < 0;
	close(pfd[0]);
	close(pfd[1]);
	freed = cg_read_long(c->cg_main, "memory.current");

	ktap_metric("pinned.base.memory_current", base);
	ktap_metric("pinned.unloaded.memory_current", pinned);
	ktap_metric("pinned.released.memory_current", freed);
	c->pinned_charge = pinned - base >= (long)PAGES(PINNED_PAGES) - c->tol &&
			   freed - base <= c->tol;
	if (!c->pinned_charge)
		ktap_print_msg("pinned pages charged %ld bytes after unload, %ld after release (tolerance %ld)",
			       pinned - base, freed - base, c->tol);

	if (c->module_gone)
		c->reload = reload_and_receive(c);
	return c->pinned_unload;
}

bool t_pinned_payload_intact(struct dev_ctx *c)
{
	return c->pinned_payload;
}

bool t_pinned_charge_kept_then_released(struct dev_ctx *c)
{
	return c->pinned_charge;
}

bool t_module_reload(struct dev_ctx *c)
{
	return c->reload;
}
