// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: who may open /dev/zcpool, what a new queue reports, and
 * what its mappings allow (read-only, shared, no write or exec ever; a page
 * not received is no page).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "ktap.h"
#include "rxq.h"

static int child_open_as_nobody(void *arg)
{
	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 2;
	if (zcp_open() >= 0)
		return 1;
	return errno == EACCES ? 0 : 3;
}

bool t_device_root_only(struct dev_ctx *c)
{
	struct stat st;
	int status;

	(void)c;
	if (stat(ZCPOOL_DEVICE, &st)) {
		ktap_print_msg("stat %s: %m", ZCPOOL_DEVICE);
		return false;
	}
	if (!S_ISCHR(st.st_mode) || (st.st_mode & 07777) != 0600 ||
	    st.st_uid != 0) {
		ktap_print_msg("%s: mode %o uid %u, expected a 0600 root char device",
			       ZCPOOL_DEVICE, st.st_mode, st.st_uid);
		return false;
	}
	status = run_child(child_open_as_nobody, NULL);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ktap_print_msg("open as uid 65534: wait status %#x, expected EACCES",
			       status);
		return false;
	}
	return true;
}

/* A new queue: an id, the variant the module reports, the opener's memcg. */
bool t_open_queue_stats(struct dev_ctx *c)
{
	struct zcpool_stats st;
	struct stat cgst;
	bool ok = true;
	int fd;

	fd = zcp_open();
	if (fd < 0 || zcp_stats(fd, &st) || stat(c->cg_main, &cgst)) {
		ktap_print_msg("open/stats: %m");
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	if (!st.queue_id || st.variant != zcp_variant_index(c->variant)) {
		ktap_print_msg("queue id %llu variant %llu (parameter %s)",
			       (unsigned long long)st.queue_id,
			       (unsigned long long)st.variant, c->variant);
		ok = false;
	}
	if (st.memcg_id != (uint64_t)cgst.st_ino) {
		ktap_print_msg("queue memcg %llu, opener's cgroup is inode %llu",
			       (unsigned long long)st.memcg_id,
			       (unsigned long long)cgst.st_ino);
		ok = false;
	}
	if (st.queue.queued || st.queue.out || st.queue.sock ||
	    st.queue.charged || st.queue.fed) {
		ktap_print_msg("a new queue has non-zero counters");
		ok = false;
	}
	return ok;
}

static bool mmap_errno(int prot, int flags, int err, const char *what)
{
	void *p;
	int fd;

	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	p = mmap(NULL, PAGES(4), prot, flags, fd, 0);
	if (p != MAP_FAILED) {
		munmap(p, PAGES(4));
		close(fd);
		return expect_errno(0, err, what);
	}
	close(fd);
	return expect_errno(-1, err, what);
}

bool t_mmap_write_eperm(struct dev_ctx *c)
{
	(void)c;
	return mmap_errno(PROT_READ | PROT_WRITE, MAP_SHARED, EPERM,
			  "mmap PROT_WRITE");
}

bool t_mmap_exec_eperm(struct dev_ctx *c)
{
	(void)c;
	return mmap_errno(PROT_READ | PROT_EXEC, MAP_SHARED, EPERM,
			  "mmap PROT_EXEC");
}

bool t_mmap_private_einval(struct dev_ctx *c)
{
	(void)c;
	return mmap_errno(PROT_READ, MAP_PRIVATE, EINVAL, "mmap MAP_PRIVATE");
}

static bool mprotect_refused(struct rxq *q)
{
	bool ok;

	ok = expect_errno(mprotect(q->map, PAGES(4), PROT_READ | PROT_WRITE),
			  EACCES, "mprotect PROT_WRITE");
	ok &= expect_errno(mprotect(q->map, PAGES(4), PROT_READ | PROT_EXEC),
			   EACCES, "mprotect PROT_EXEC");
	return ok;
}

bool t_mprotect_write_eacces(struct dev_ctx *c)
{
	(void)c;
	return with_queue(4, mprotect_refused);
}

/* 64 pages received: payload and counters. */
static bool receive_64(struct rxq *q)
{
	struct zcpool_stats st;

	if (!rxq_feed_receive(q, PAGES(64), PATTERN_A))
		return false;
	if (!zcp_stats(q->fd, &st) &&
	    (st.queue.out != 64 || st.queue.mapped != 64 ||
	     st.queue.received != 64 || st.queue.fed != 64 ||
	     st.queue.queued)) {
		ktap_print_msg("stats: out %llu mapped %llu received %llu fed %llu queued %llu",
			       (unsigned long long)st.queue.out,
			       (unsigned long long)st.queue.mapped,
			       (unsigned long long)st.queue.received,
			       (unsigned long long)st.queue.fed,
			       (unsigned long long)st.queue.queued);
		return false;
	}
	return true;
}

bool t_feed_receive_payload(struct dev_ctx *c)
{
	(void)c;
	return with_queue(64, receive_64);
}

static int child_write_page(void *arg)
{
	volatile unsigned char *p = arg;

	p[100] = 1;
	return 0;
}

static int child_read_page(void *arg)
{
	volatile unsigned char *p = arg;

	return p[100] == 0x42 ? 3 : 4;
}

/* Run fn on page in a child; true if the child died of signal sig. */
static bool child_signal(int (*fn)(void *), void *page, int sig,
			 const char *what)
{
	int status = run_child(fn, page);

	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return true;
	ktap_print_msg("%s: wait status %#x, expected signal %d", what,
		       status, sig);
	return false;
}

static bool write_faults(struct rxq *q)
{
	return rxq_feed_receive(q, PAGES(16), PATTERN_A) &&
	       child_signal(child_write_page, q->map, SIGSEGV, "write to a page");
}

bool t_write_to_mapping_sigsegv(struct dev_ctx *c)
{
	(void)c;
	return with_queue(16, write_faults);
}

static bool unreceived_faults(struct rxq *q)
{
	return child_signal(child_read_page, q->map + PAGES(3), SIGBUS,
			    "read of a page not received");
}

bool t_unreceived_page_sigbus(struct dev_ctx *c)
{
	(void)c;
	return with_queue(16, unreceived_faults);
}
