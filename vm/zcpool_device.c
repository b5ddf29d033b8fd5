// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: the contract of /dev/zcpool, one KTAP case per check.
 *
 * Each ioctl and each of its error paths (with the exact errno), the
 * read-only mapping, payload isolation between queues across recycling,
 * pool exhaustion, the variant switch, unload refused while a queue or a
 * mapping is open, unload with pages pinned in a pipe and reload, and a
 * concurrency smoke test from threads and processes. The scenario runs in
 * cgroup zc-<scenario>/main; the charge-failure case uses
 * zc-<scenario>/limited. The host checks the console for warnings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

#define PAGES(n)		((size_t)(n) * ZCP_PAGE)
#define PATTERN_A		0xa5a5a5a5a5a5a5a5ULL
#define PATTERN_B		0x5b5b5b5b5b5b5b5bULL
#define PINNED_PAGES		256

struct dev_ctx {
	const struct zc_config *cfg;
	char cg[PATH_MAX];		/* zc-<name>, no processes */
	char cg_main[PATH_MAX];		/* the scenario's own */
	char cg_limited[PATH_MAX];	/* for the charge failure */
	long tol;			/* bytes: 64 pages per cpu */
	bool module_gone;		/* unloaded and not back */
	/* results of the pinned-pages sequence, reported case by case */
	bool pinned_unload, pinned_payload, pinned_charge, reload;
};

/* ret == -1 with errno err, or print what happened instead. */
static bool expect_errno(int ret, int err, const char *what)
{
	if (ret == -1 && errno == err)
		return true;
	if (ret == -1)
		ktap_print_msg("%s: %s, expected %s", what, strerror(errno),
			       strerror(err));
	else
		ktap_print_msg("%s: succeeded, expected %s", what,
			       strerror(err));
	return false;
}

static bool expect_ok(int ret, const char *what)
{
	if (!ret)
		return true;
	ktap_print_msg("%s: %m", what);
	return false;
}

/* A fresh queue with a mapping of pages pages; false (printed) on failure. */
static bool queue_map(int *fd, void **map, size_t pages)
{
	*map = NULL;
	*fd = zcp_open();
	if (*fd < 0) {
		ktap_print_msg("open %s: %m", ZCPOOL_DEVICE);
		return false;
	}
	*map = zcp_map(*fd, PAGES(pages));
	if (!*map) {
		ktap_print_msg("mmap: %m");
		close(*fd);
		*fd = -1;
		return false;
	}
	return true;
}

static void queue_unmap(int fd, void *map, size_t pages)
{
	if (map)
		munmap(map, PAGES(pages));
	if (fd >= 0)
		close(fd);
}

/* Feed and receive pages pages at map; checks payload; returns ok. */
static bool feed_receive(int fd, void *map, size_t pages, uint64_t pattern,
			 uint64_t *first_seq)
{
	struct zcpool_receive r;
	struct zcpool_stats st;
	struct zcpool_feed f;

	if (zcp_feed(fd, PAGES(pages), pattern, &f) ||
	    zcp_receive(fd, map, PAGES(pages), &r) || zcp_stats(fd, &st)) {
		ktap_print_msg("feed/receive/stats: %m");
		return false;
	}
	if (r.mapped != PAGES(pages) || r.first_seq != f.first_seq) {
		ktap_print_msg("mapped %llu of %zu bytes, first seq %llu (fed %llu), stop errno %llu",
			       (unsigned long long)r.mapped, PAGES(pages),
			       (unsigned long long)r.first_seq,
			       (unsigned long long)f.first_seq,
			       (unsigned long long)r.stop_errno);
		return false;
	}
	if (first_seq)
		*first_seq = f.first_seq;
	return zcp_pages_check(map, pages, st.queue_id, f.first_seq,
			       pattern) < 0;
}

/* Run fn in a child process; returns its wait status, -1 if fork failed. */
static int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int child_open_as_nobody(void *arg)
{
	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 2;
	if (zcp_open() >= 0)
		return 1;
	return errno == EACCES ? 0 : 3;
}

static bool t_device_root_only(struct dev_ctx *c)
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

static bool t_open_queue_stats(struct dev_ctx *c)
{
	struct zcpool_stats st;
	char variant[32];
	struct stat cgst;
	bool ok = true;
	int fd, v;

	fd = zcp_open();
	if (fd < 0 || zcp_stats(fd, &st) ||
	    zcp_param_get("variant", variant, sizeof(variant)) ||
	    stat(c->cg_main, &cgst)) {
		ktap_print_msg("open/stats/variant: %m");
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	v = strcmp(variant, "pool-free") ? -1 : ZCPOOL_VARIANT_POOL_FREE;
	if (!st.queue_id || (int)st.variant != v) {
		ktap_print_msg("queue id %llu variant %llu (parameter %s)",
			       (unsigned long long)st.queue_id,
			       (unsigned long long)st.variant, variant);
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

static bool t_mmap_write_eperm(struct dev_ctx *c)
{
	(void)c;
	return mmap_errno(PROT_READ | PROT_WRITE, MAP_SHARED, EPERM,
			  "mmap PROT_WRITE");
}

static bool t_mmap_exec_eperm(struct dev_ctx *c)
{
	(void)c;
	return mmap_errno(PROT_READ | PROT_EXEC, MAP_SHARED, EPERM,
			  "mmap PROT_EXEC");
}

static bool t_mmap_private_einval(struct dev_ctx *c)
{
	(void)c;
	return mmap_errno(PROT_READ, MAP_PRIVATE, EINVAL, "mmap MAP_PRIVATE");
}

static bool t_mprotect_write_eacces(struct dev_ctx *c)
{
	bool ok;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 4))
		return false;
	ok = expect_errno(mprotect(p, PAGES(4), PROT_READ | PROT_WRITE),
			  EACCES, "mprotect PROT_WRITE");
	ok &= expect_errno(mprotect(p, PAGES(4), PROT_READ | PROT_EXEC),
			   EACCES, "mprotect PROT_EXEC");
	queue_unmap(fd, p, 4);
	return ok;
}

static bool t_feed_receive_payload(struct dev_ctx *c)
{
	struct zcpool_stats st;
	bool ok;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 64))
		return false;
	ok = feed_receive(fd, p, 64, PATTERN_A, NULL);
	if (ok && !zcp_stats(fd, &st) &&
	    (st.queue.out != 64 || st.queue.mapped != 64 ||
	     st.queue.received != 64 || st.queue.fed != 64 ||
	     st.queue.queued)) {
		ktap_print_msg("stats: out %llu mapped %llu received %llu fed %llu queued %llu",
			       (unsigned long long)st.queue.out,
			       (unsigned long long)st.queue.mapped,
			       (unsigned long long)st.queue.received,
			       (unsigned long long)st.queue.fed,
			       (unsigned long long)st.queue.queued);
		ok = false;
	}
	queue_unmap(fd, p, 64);
	return ok;
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

static bool t_write_to_mapping_sigsegv(struct dev_ctx *c)
{
	bool ok;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 16))
		return false;
	ok = feed_receive(fd, p, 16, PATTERN_A, NULL) &&
	     child_signal(child_write_page, p, SIGSEGV, "write to a page");
	queue_unmap(fd, p, 16);
	return ok;
}

static bool t_unreceived_page_sigbus(struct dev_ctx *c)
{
	bool ok;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 16))
		return false;
	ok = child_signal(child_read_page, (char *)p + PAGES(3), SIGBUS,
			  "read of a page not received");
	queue_unmap(fd, p, 16);
	return ok;
}

/* FEED with f as given; expects errno err. */
static bool feed_errno(struct zcpool_feed *f, int err, const char *what)
{
	bool ok;
	int fd;

	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	ok = expect_errno(ioctl(fd, ZCPOOL_IOC_FEED, f), err, what);
	close(fd);
	return ok;
}

static bool t_feed_zero_bytes_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = 0 };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED of 0 bytes");
}

static bool t_feed_unaligned_bytes_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = ZCP_PAGE + 1 };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED of a page + 1 byte");
}

static bool t_feed_too_large_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = ZCPOOL_MAX_IO_BYTES + ZCP_PAGE };
	struct zcpool_feed g = { .bytes = ~0ULL & ~(ZCP_PAGE - 1) };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED above ZCPOOL_MAX_IO_BYTES") &&
	       feed_errno(&g, EINVAL, "FEED of 2^64 - 4096 bytes");
}

static bool t_feed_unit_pages_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = {
		.bytes = ZCP_PAGE,
		.unit_pages = ZCPOOL_MAX_UNIT_PAGES + 1,
	};

	(void)c;
	return feed_errno(&f, EINVAL, "FEED with 65-page units");
}

static bool t_feed_flags_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = ZCP_PAGE, .flags = 1 };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED with flags");
}

static bool ioctl_efault(unsigned long cmd, const char *what)
{
	bool ok;
	int fd;

	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	ok = expect_errno(ioctl(fd, cmd, (void *)16), EFAULT, what);
	close(fd);
	return ok;
}

static bool t_feed_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_FEED, "FEED at address 16");
}

/*
 * RECEIVE r on a queue with 16 pages queued and a 16-page mapping (r's
 * address is relative to the mapping unless absolute); expects errno err.
 */
static bool receive_errno(struct zcpool_receive *r, bool absolute, int err,
			  const char *what)
{
	bool ok = false;
	void *p;
	int fd;

	if (!queue_map(&fd, &p, 16))
		return false;
	if (zcp_feed(fd, PAGES(16), PATTERN_A, NULL)) {
		ktap_print_msg("FEED: %m");
	} else {
		if (!absolute)
			r->address += (uintptr_t)p;
		ok = expect_errno(ioctl(fd, ZCPOOL_IOC_RECEIVE, r), err,
				  what);
	}
	queue_unmap(fd, p, 16);
	return ok;
}

static bool t_receive_unaligned_address_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .address = 8, .length = ZCP_PAGE };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE at map + 8");
}

static bool t_receive_unaligned_length_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE + 8 };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE of a page + 8");
}

static bool t_receive_zero_length_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = 0 };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE of 0 bytes");
}

static bool t_receive_flags_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE, .flags = 1 };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE with flags");
}

static bool t_receive_outside_mapping_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE };
	bool ok;
	void *anon;

	(void)c;
	anon = mmap(NULL, PAGES(4), PROT_READ, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (anon == MAP_FAILED)
		return expect_ok(-1, "mmap anonymous");
	r.address = (uintptr_t)anon;
	ok = receive_errno(&r, true, EINVAL, "RECEIVE into an anonymous mapping");
	r.address = 0x1000;
	r.length = ZCP_PAGE;
	ok &= receive_errno(&r, true, EINVAL, "RECEIVE at address 0x1000");
	r.address = ~0ULL & ~(ZCP_PAGE - 1);
	r.length = ZCP_PAGE;
	ok &= receive_errno(&r, true, EINVAL, "RECEIVE at the top of the address space");
	munmap(anon, PAGES(4));
	return ok;
}

static bool t_receive_other_queue_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE };
	bool ok;
	void *other;
	int fd;

	(void)c;
	if (!queue_map(&fd, &other, 4))
		return false;
	r.address = (uintptr_t)other;
	ok = receive_errno(&r, true, EINVAL,
			   "RECEIVE into another queue's mapping");
	queue_unmap(fd, other, 4);
	return ok;
}

static bool t_receive_beyond_mapping_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .address = PAGES(12), .length = PAGES(8) };

	(void)c;
	return receive_errno(&r, false, EINVAL,
			     "RECEIVE of 8 pages at page 12 of 16");
}

static bool t_receive_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_RECEIVE, "RECEIVE at address 16");
}

static bool t_receive_busy_pte_ebusy(struct dev_ctx *c)
{
	struct zcpool_receive r;
	bool ok = false;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 16))
		return false;
	if (feed_receive(fd, p, 4, PATTERN_A, NULL) &&
	    !zcp_feed(fd, PAGES(16), PATTERN_A, NULL) &&
	    !zcp_receive(fd, p, PAGES(8), &r)) {
		ok = r.mapped == 0 && r.stop_errno == EBUSY &&
		     r.skip_hint == PAGES(16);
		if (!ok)
			ktap_print_msg("RECEIVE onto mapped pages: mapped %llu stop errno %llu skip hint %llu",
				       (unsigned long long)r.mapped,
				       (unsigned long long)r.stop_errno,
				       (unsigned long long)r.skip_hint);
	} else {
		ktap_print_msg("feed/receive: %m");
	}
	queue_unmap(fd, p, 16);
	return ok;
}

static bool t_receive_empty_queue(struct dev_ctx *c)
{
	struct zcpool_receive r;
	bool ok;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 4))
		return false;
	ok = expect_ok(zcp_receive(fd, p, PAGES(4), &r), "RECEIVE");
	if (ok && (r.mapped || r.stop_errno || r.skip_hint)) {
		ktap_print_msg("empty queue: mapped %llu stop errno %llu",
			       (unsigned long long)r.mapped,
			       (unsigned long long)r.stop_errno);
		ok = false;
	}
	queue_unmap(fd, p, 4);
	return ok;
}

static bool t_stats_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_STATS, "STATS at address 16");
}

static bool t_reclaim_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_RECLAIM, "RECLAIM at address 16");
}

static bool t_unknown_ioctl_enotty(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = ZCP_PAGE };
	bool ok;
	int fd;

	(void)c;
	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	ok = expect_errno(ioctl(fd, _IOWR(ZCPOOL_IOC_MAGIC, 99, f), &f),
			  ENOTTY, "ioctl number 99");
	/* FEED's number with a smaller size is another command. */
	ok &= expect_errno(ioctl(fd, _IOWR(ZCPOOL_IOC_MAGIC, 1, uint64_t), &f),
			   ENOTTY, "FEED with an 8-byte argument");
	close(fd);
	return ok;
}

static bool t_read_copy_fallback(struct dev_ctx *c)
{
	static unsigned char buf[PAGES(2)] __attribute__((aligned(4096)));
	struct zcpool_stats st;
	struct zcpool_feed f;
	bool ok = false;
	ssize_t n;
	int fd;

	(void)c;
	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	if (zcp_feed(fd, PAGES(16), PATTERN_B, &f)) {
		ktap_print_msg("FEED: %m");
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n != (ssize_t)sizeof(buf) || zcp_stats(fd, &st)) {
		ktap_print_msg("read of 2 pages: %zd (%m)", n);
		goto out;
	}
	ok = zcp_pages_check(buf, 2, st.queue_id, f.first_seq, PATTERN_B) < 0;
	if (st.queue.copied != 2 || st.queue.queued != 14) {
		ktap_print_msg("copied %llu queued %llu, expected 2 and 14",
			       (unsigned long long)st.queue.copied,
			       (unsigned long long)st.queue.queued);
		ok = false;
	}
out:
	close(fd);
	return ok;
}

static bool t_read_unaligned_einval(struct dev_ctx *c)
{
	char buf[100];
	bool ok;
	int fd;

	(void)c;
	fd = zcp_open();
	if (fd < 0 || zcp_feed(fd, PAGES(1), PATTERN_B, NULL))
		return expect_ok(-1, "open/FEED");
	ok = expect_errno(read(fd, buf, sizeof(buf)), EINVAL,
			  "read of 100 bytes");
	close(fd);
	return ok;
}

static bool t_read_bad_buffer_efault(struct dev_ctx *c)
{
	bool ok;
	int fd;

	(void)c;
	fd = zcp_open();
	if (fd < 0 || zcp_feed(fd, PAGES(1), PATTERN_B, NULL))
		return expect_ok(-1, "open/FEED");
	/* The raw system call: the libc wrapper knows 16 is no buffer. */
	ok = expect_errno(syscall(SYS_read, fd, (void *)16, ZCP_PAGE), EFAULT,
			  "read into address 16");
	close(fd);
	return ok;
}

static bool t_reclaim_recycles(struct dev_ctx *c)
{
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	bool ok = false;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 32))
		return false;
	if (!feed_receive(fd, p, 32, PATTERN_A, NULL))
		goto out;
	if (zcp_reclaim(fd, &rc) || zcp_stats(fd, &st)) {
		ktap_print_msg("RECLAIM/STATS: %m");
		goto out;
	}
	if (st.queue.out != 32 || rc.outstanding < 32) {
		ktap_print_msg("while mapped: out %llu outstanding %llu",
			       (unsigned long long)st.queue.out,
			       (unsigned long long)rc.outstanding);
		goto out;
	}
	munmap(p, PAGES(32));
	p = NULL;
	if (zcp_reclaim(fd, &rc) || zcp_stats(fd, &st)) {
		ktap_print_msg("RECLAIM/STATS: %m");
		goto out;
	}
	ok = st.queue.out == 0 && st.queue.recycles == 32 &&
	     st.queue.charged == 0 && rc.recycled >= 32;
	if (!ok)
		ktap_print_msg("after munmap: out %llu recycles %llu charged %llu recycled %llu",
			       (unsigned long long)st.queue.out,
			       (unsigned long long)st.queue.recycles,
			       (unsigned long long)st.queue.charged,
			       (unsigned long long)rc.recycled);
out:
	queue_unmap(fd, p, 32);
	return ok;
}

/*
 * Queue A receives pages with pattern A, unmaps them and recycles; queue B
 * then gets the same pages (the pool does not grow) and must see only its
 * own payload.
 */
static bool t_payload_isolation_after_recycling(struct dev_ctx *c)
{
	struct zcpool_stats before, after;
	struct zcpool_reclaim rc;
	int fda = -1, fdb = -1;
	void *pa = NULL, *pb = NULL;
	bool ok = false;

	(void)c;
	if (!queue_map(&fda, &pa, 128) ||
	    !feed_receive(fda, pa, 128, PATTERN_A, NULL))
		goto out;
	munmap(pa, PAGES(128));
	pa = NULL;
	if (zcp_reclaim(fda, &rc) || zcp_stats(fda, &before)) {
		ktap_print_msg("RECLAIM/STATS: %m");
		goto out;
	}
	close(fda);
	fda = -1;
	if (before.pool_free < 128) {
		ktap_print_msg("only %llu pages free after recycling",
			       (unsigned long long)before.pool_free);
		goto out;
	}
	if (!queue_map(&fdb, &pb, 128) ||
	    !feed_receive(fdb, pb, 128, PATTERN_B, NULL) ||
	    zcp_stats(fdb, &after))
		goto out;
	ok = after.pool_total == before.pool_total;
	if (!ok)
		ktap_print_msg("pool grew from %llu to %llu pages: nothing was recycled",
			       (unsigned long long)before.pool_total,
			       (unsigned long long)after.pool_total);
out:
	queue_unmap(fda, pa, 128);
	queue_unmap(fdb, pb, 128);
	return ok;
}

struct limited_args {
	const char *cg;
	size_t pages;
};

/* In cgroup a->cg: exit 0 if RECEIVE stops on a charge failure properly. */
static int child_charge_failure(void *arg)
{
	const struct limited_args *a = arg;
	size_t region = 2UL << 20, pages = a->pages;
	unsigned char *map, *aligned, *buf;
	struct zcpool_receive r;
	struct zcpool_stats st;
	struct zcpool_feed f;
	char max[32];
	long cur;
	int fd, ret = 1;

	buf = mmap(NULL, PAGES(pages), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || cg_enter(a->cg, 0))
		return 10;
	if (zcp_set_variant("pool-free") && errno != EBUSY)
		return 11;
	fd = zcp_open();
	if (fd < 0)
		return 12;
	map = zcp_map(fd, 2 * region);
	if (!map)
		return 13;
	/* One page first, so the page table is there before the limit. */
	aligned = (unsigned char *)(((uintptr_t)map + region - 1) &
				    ~(region - 1));
	if (zcp_feed(fd, ZCP_PAGE, PATTERN_A, NULL) ||
	    zcp_receive(fd, aligned, ZCP_PAGE, &r) || r.mapped != ZCP_PAGE)
		return 14;
	if (zcp_feed(fd, PAGES(pages), PATTERN_A, &f) || zcp_stats(fd, &st))
		return 15;

	cur = cg_read_long(a->cg, "memory.current");
	snprintf(max, sizeof(max), "%ld", cur + (long)PAGES(8));
	if (cur < 0 || cg_write(a->cg, "memory.max", max))
		return 16;
	if (zcp_receive(fd, aligned + ZCP_PAGE, PAGES(pages), &r))
		ret = 17;
	cg_write(a->cg, "memory.max", "max");
	if (ret != 1)
		return ret;

	ktap_print_msg("limited to memory.current + 8 pages: mapped %llu of %zu pages, stop errno %llu, skip hint %llu",
		       (unsigned long long)(r.mapped / ZCP_PAGE), pages,
		       (unsigned long long)r.stop_errno,
		       (unsigned long long)r.skip_hint);
	if (r.stop_errno != ENOMEM || r.mapped >= PAGES(pages) ||
	    !r.skip_hint || r.skip_hint % ZCP_PAGE)
		return 18;
	if (zcp_pages_check(aligned + ZCP_PAGE, r.mapped / ZCP_PAGE,
			    st.queue_id, f.first_seq, PATTERN_A) >= 0)
		return 19;
	/* The copy fallback takes what could not be mapped. */
	if (read(fd, buf, r.skip_hint) != (ssize_t)r.skip_hint)
		return 20;
	if (zcp_pages_check(buf, r.skip_hint / ZCP_PAGE, st.queue_id,
			    f.first_seq + r.mapped / ZCP_PAGE, PATTERN_A) >= 0)
		return 21;
	if (zcp_stats(fd, &st) || st.queue.charge_failures != 1)
		return 22;
	return 0;
}

static bool t_receive_charge_failure_skip_hint(struct dev_ctx *c)
{
	struct limited_args a = { .cg = c->cg_limited, .pages = 256 };
	int status = run_child(child_charge_failure, &a);

	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	ktap_print_msg("charge-failure child: wait status %#x (exit code = step)",
		       status);
	return false;
}

static bool t_pool_exhausted_enobufs(struct dev_ctx *c)
{
	struct zcpool_stats st;
	char before[32];
	bool ok = false;
	int fd;

	(void)c;
	if (zcp_param_get("pool_pages", before, sizeof(before)))
		return expect_ok(-1, "read pool_pages");
	if (zcp_param_set("pool_pages", "64"))
		return expect_ok(-1, "set pool_pages=64");
	fd = zcp_open();
	if (fd < 0) {
		ktap_print_msg("open: %m");
		goto out;
	}
	if (zcp_feed(fd, PAGES(64), PATTERN_A, NULL)) {
		ktap_print_msg("FEED of 64 pages into a 64-page pool: %m");
		goto out;
	}
	ok = expect_errno(zcp_feed(fd, PAGES(16), PATTERN_A, NULL), ENOBUFS,
			  "FEED beyond pool_pages");
	if (!zcp_stats(fd, &st) && (st.pool_total > 64 || st.queue.fed != 64)) {
		ktap_print_msg("pool total %llu fed %llu",
			       (unsigned long long)st.pool_total,
			       (unsigned long long)st.queue.fed);
		ok = false;
	}
out:
	if (fd >= 0)
		close(fd);
	if (zcp_param_set("pool_pages", before))
		ok = expect_ok(-1, "restore pool_pages");
	return ok;
}

static bool t_variant_switch_busy(struct dev_ctx *c)
{
	char v[32];
	bool ok;
	int fd;

	(void)c;
	fd = zcp_open();
	if (fd < 0)
		return expect_ok(-1, "open");
	ok = expect_errno(zcp_set_variant("steal"), EBUSY,
			  "switch variant with a queue open");
	close(fd);
	ok &= expect_errno(zcp_set_variant("no-such-variant"), EINVAL,
			   "switch to an unknown variant");
	ok &= expect_ok(zcp_set_variant("steal"), "switch with no queue open");
	ok &= !zcp_param_get("variant", v, sizeof(v)) && !strcmp(v, "steal");
	ok &= expect_ok(zcp_set_variant("pool-free"), "switch back");
	return ok;
}

static bool t_unload_refused_while_open(struct dev_ctx *c)
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

static bool t_unload_refused_while_mapped(struct dev_ctx *c)
{
	bool ok;
	void *p;
	int fd;

	(void)c;
	if (!queue_map(&fd, &p, 16))
		return false;
	ok = feed_receive(fd, p, 16, PATTERN_A, NULL);
	close(fd);
	ok &= expect_errno(zcp_module_unload(), EAGAIN,
			   "delete_module with a mapping, file closed");
	munmap(p, PAGES(16));
	return ok;
}

/* Concurrency smoke: threads and processes on queues at once. */
#define SMOKE_THREADS	4
#define SMOKE_ITERS	40
#define SMOKE_PAGES	32

struct smoke {
	int fd;
	volatile bool stop;
	volatile int errors;
	unsigned char *shared;		/* received at start, read by forks */
};

static void *smoke_rx_thread(void *arg)
{
	struct smoke *s = arg;
	struct zcpool_receive r;
	int i;

	for (i = 0; i < SMOKE_ITERS; i++) {
		unsigned char *p = zcp_map(s->fd, PAGES(SMOKE_PAGES));
		size_t j;

		if (!p || zcp_feed(s->fd, PAGES(SMOKE_PAGES / 2),
				   PATTERN_A + i, NULL) ||
		    zcp_receive(s->fd, p, PAGES(SMOKE_PAGES), &r)) {
			ktap_print_msg("smoke: map/feed/receive: %m");
			s->errors++;
			if (p)
				munmap(p, PAGES(SMOKE_PAGES));
			continue;
		}
		for (j = 0; j < r.mapped / ZCP_PAGE; j++) {
			uint64_t hdr[4];

			memcpy(hdr, p + PAGES(j), sizeof(hdr));
			if (zcp_page_check(p + PAGES(j), hdr[1], hdr[2],
					   hdr[3]) >= 0 ||
			    hdr[0] != ZCPOOL_PAGE_MAGIC) {
				ktap_print_msg("smoke: bad page");
				s->errors++;
			}
		}
		munmap(p, PAGES(SMOKE_PAGES));
	}
	return NULL;
}

static void *smoke_fork_thread(void *arg)
{
	struct smoke *s = arg;
	int status;

	while (!s->stop) {
		pid_t pid = fork();

		if (!pid) {
			/* The child's copy of the mapping, then exit. */
			_exit(s->shared[0] == (ZCPOOL_PAGE_MAGIC & 0xff) ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			ktap_print_msg("smoke: fork child status %#x", status);
			s->errors++;
		}
	}
	return NULL;
}

static void *smoke_reclaim_thread(void *arg)
{
	struct smoke *s = arg;
	struct zcpool_reclaim rc;

	while (!s->stop) {
		if (zcp_reclaim(s->fd, &rc)) {
			s->errors++;
			break;
		}
		usleep(1000);
	}
	return NULL;
}

/* One process of the smoke test; returns the number of errors. */
static int smoke_run(void)
{
	pthread_t rx[SMOKE_THREADS], forker, reclaimer;
	struct smoke s = { .fd = -1 };
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	int i;

	if (!queue_map(&s.fd, (void **)&s.shared, 4) ||
	    !feed_receive(s.fd, s.shared, 4, PATTERN_B, NULL))
		return 1;
	if (pthread_create(&forker, NULL, smoke_fork_thread, &s) ||
	    pthread_create(&reclaimer, NULL, smoke_reclaim_thread, &s))
		return 1;
	for (i = 0; i < SMOKE_THREADS; i++) {
		if (pthread_create(&rx[i], NULL, smoke_rx_thread, &s))
			return 1;
	}
	for (i = 0; i < SMOKE_THREADS; i++)
		pthread_join(rx[i], NULL);
	s.stop = true;
	pthread_join(forker, NULL);
	pthread_join(reclaimer, NULL);

	munmap(s.shared, PAGES(4));
	if (zcp_reclaim(s.fd, &rc) || zcp_stats(s.fd, &st))
		return 1;
	if (st.queue.out) {
		ktap_print_msg("smoke: %llu pages still out after munmap and RECLAIM",
			       (unsigned long long)st.queue.out);
		s.errors++;
	}
	close(s.fd);
	return s.errors;
}

static int child_smoke(void *arg)
{
	(void)arg;
	return smoke_run() ? 1 : 0;
}

static bool t_concurrency_smoke(struct dev_ctx *c)
{
	int errors, status;
	pid_t pid;

	(void)c;
	pid = fork();
	if (pid < 0)
		return expect_ok(-1, "fork");
	if (!pid)
		_exit(child_smoke(NULL));
	errors = smoke_run();
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ktap_print_msg("smoke: other process, wait status %#x", status);
		errors++;
	}
	return !errors;
}

static bool t_debugfs_stats(struct dev_ctx *c)
{
	char buf[2048];
	ssize_t n;
	int fd;

	(void)c;
	fd = open(DEBUGFS "/" ZCPOOL_DEBUGFS_STATS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return expect_ok(-1, "open " DEBUGFS "/" ZCPOOL_DEBUGFS_STATS);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return expect_ok(-1, "read debugfs stats");
	buf[n] = '\0';
	if (!strstr(buf, "pool_total ") || !strstr(buf, "double_peak ") ||
	    !strstr(buf, "variant pool-free")) {
		ktap_print_msg("debugfs stats: %s", buf);
		return false;
	}
	return true;
}

/*
 * Pages received, pinned in a pipe with vmsplice, unmapped, queue closed:
 * the module unloads; the pipe still reads the payload; the pool-free kmem
 * charge stays with the pinned pages until the pipe lets them go; then the
 * module loads again.
 */
static bool t_unload_with_pinned_pages(struct dev_ctx *c)
{
	static unsigned char buf[PAGES(PINNED_PAGES)];
	struct zcpool_reclaim rc;
	struct zcpool_stats st;
	int fd, pfd[2] = { -1, -1 };
	long base, pinned, freed;
	uint64_t seq;
	size_t off = 0;
	void *p;

	if (zcp_set_variant("pool-free"))
		return expect_ok(-1, "variant pool-free");
	/* The pipe is read into buf: fault it in before the baseline. */
	memset(buf, 1, sizeof(buf));
	base = cg_read_long(c->cg_main, "memory.current");
	if (!queue_map(&fd, &p, PINNED_PAGES))
		return false;
	if (!feed_receive(fd, p, PINNED_PAGES, PATTERN_A, &seq) ||
	    zcp_stats(fd, &st) || pipe2(pfd, O_CLOEXEC) ||
	    fcntl(pfd[1], F_SETPIPE_SZ, (int)PAGES(PINNED_PAGES)) < 0) {
		ktap_print_msg("receive/pipe: %m");
		goto err;
	}
	while (off < PAGES(PINNED_PAGES)) {
		struct iovec iov = {
			.iov_base = (char *)p + off,
			.iov_len = PAGES(PINNED_PAGES) - off,
		};
		ssize_t n = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);

		if (n <= 0) {
			ktap_print_msg("vmsplice after %zu bytes: %m", off);
			goto err;
		}
		off += n;
	}
	munmap(p, PAGES(PINNED_PAGES));
	p = NULL;
	if (zcp_reclaim(fd, &rc) || rc.outstanding < PINNED_PAGES) {
		ktap_print_msg("RECLAIM with pages pinned: outstanding %llu (%m)",
			       (unsigned long long)rc.outstanding);
		goto err;
	}
	close(fd);
	fd = -1;

	c->pinned_unload = expect_ok(zcp_module_unload(),
				     "delete_module with pages pinned");
	c->module_gone = c->pinned_unload;
	pinned = cg_read_long(c->cg_main, "memory.current");

	off = 0;
	while (off < sizeof(buf)) {
		ssize_t n = read(pfd[0], buf + off, sizeof(buf) - off);

		if (n <= 0)
			break;
		off += n;
	}
	c->pinned_payload = off == sizeof(buf) &&
			    zcp_pages_check(buf, PINNED_PAGES, st.queue_id,
					    seq, PATTERN_A) < 0;
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

	if (c->module_gone) {
		c->reload = expect_ok(zcp_module_load(""), "finit_module") &&
			    !zcp_wait_path(ZCPOOL_DEVICE, 5000);
		c->module_gone = !c->reload;
		if (c->reload) {
			if (!queue_map(&fd, &p, 16)) {
				c->reload = false;
			} else {
				c->reload = feed_receive(fd, p, 16, PATTERN_B,
							 NULL);
				queue_unmap(fd, p, 16);
			}
		}
	}
	return c->pinned_unload;

err:
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	queue_unmap(fd, p, PINNED_PAGES);
	return false;
}

static bool t_pinned_payload_intact(struct dev_ctx *c)
{
	return c->pinned_payload;
}

static bool t_pinned_charge_kept_then_released(struct dev_ctx *c)
{
	return c->pinned_charge;
}

static bool t_module_reload(struct dev_ctx *c)
{
	return c->reload;
}

static const struct {
	const char *name;
	bool (*fn)(struct dev_ctx *c);
} tests[] = {
	{ "device-root-only", t_device_root_only },
	{ "open-queue-stats", t_open_queue_stats },
	{ "mmap-write-eperm", t_mmap_write_eperm },
	{ "mmap-exec-eperm", t_mmap_exec_eperm },
	{ "mmap-private-einval", t_mmap_private_einval },
	{ "mprotect-write-eacces", t_mprotect_write_eacces },
	{ "feed-receive-payload", t_feed_receive_payload },
	{ "write-to-mapping-sigsegv", t_write_to_mapping_sigsegv },
	{ "unreceived-page-sigbus", t_unreceived_page_sigbus },
	{ "feed-zero-bytes-einval", t_feed_zero_bytes_einval },
	{ "feed-unaligned-bytes-einval", t_feed_unaligned_bytes_einval },
	{ "feed-too-large-einval", t_feed_too_large_einval },
	{ "feed-unit-pages-einval", t_feed_unit_pages_einval },
	{ "feed-flags-einval", t_feed_flags_einval },
	{ "feed-bad-pointer-efault", t_feed_bad_pointer_efault },
	{ "receive-unaligned-address-einval", t_receive_unaligned_address_einval },
	{ "receive-unaligned-length-einval", t_receive_unaligned_length_einval },
	{ "receive-zero-length-einval", t_receive_zero_length_einval },
	{ "receive-flags-einval", t_receive_flags_einval },
	{ "receive-outside-mapping-einval", t_receive_outside_mapping_einval },
	{ "receive-other-queue-einval", t_receive_other_queue_einval },
	{ "receive-beyond-mapping-einval", t_receive_beyond_mapping_einval },
	{ "receive-bad-pointer-efault", t_receive_bad_pointer_efault },
	{ "receive-busy-pte-ebusy", t_receive_busy_pte_ebusy },
	{ "receive-empty-queue", t_receive_empty_queue },
	{ "stats-bad-pointer-efault", t_stats_bad_pointer_efault },
	{ "reclaim-bad-pointer-efault", t_reclaim_bad_pointer_efault },
	{ "unknown-ioctl-enotty", t_unknown_ioctl_enotty },
	{ "read-copy-fallback", t_read_copy_fallback },
	{ "read-unaligned-einval", t_read_unaligned_einval },
	{ "read-bad-buffer-efault", t_read_bad_buffer_efault },
	{ "reclaim-recycles", t_reclaim_recycles },
	{ "payload-isolation-after-recycling", t_payload_isolation_after_recycling },
	{ "receive-charge-failure-skip-hint", t_receive_charge_failure_skip_hint },
	{ "pool-exhausted-enobufs", t_pool_exhausted_enobufs },
	{ "variant-switch-busy", t_variant_switch_busy },
	{ "unload-refused-while-open", t_unload_refused_while_open },
	{ "unload-refused-while-mapped", t_unload_refused_while_mapped },
	{ "concurrency-smoke", t_concurrency_smoke },
	{ "debugfs-stats", t_debugfs_stats },
	{ "unload-with-pinned-pages", t_unload_with_pinned_pages },
	{ "pinned-payload-intact", t_pinned_payload_intact },
	{ "pinned-charge-kept-then-released", t_pinned_charge_kept_then_released },
	{ "module-reload", t_module_reload },
};

static int dev_setup(struct dev_ctx *c, const char *name)
{
	char cg[NAME_MAX + 1];

	snprintf(cg, sizeof(cg), "zc-%s", name);
	cg_name(c->cg, cg);
	if (snprintf(c->cg_main, sizeof(c->cg_main), "%s/main", c->cg) >=
	    (int)sizeof(c->cg_main) ||
	    snprintf(c->cg_limited, sizeof(c->cg_limited), "%s/limited",
		     c->cg) >= (int)sizeof(c->cg_limited) ||
	    cg_create(c->cg) ||
	    cg_write(c->cg, "cgroup.subtree_control", "+memory") ||
	    cg_create(c->cg_main) || cg_create(c->cg_limited) ||
	    cg_enter(c->cg_main, 0)) {
		ktap_print_msg("cgroups under %s: %m", c->cg);
		return -1;
	}
	if (zcp_set_variant("pool-free")) {
		ktap_print_msg("variant pool-free: %m");
		return -1;
	}
	return 0;
}

static void dev_cleanup(struct dev_ctx *c)
{
	if (c->module_gone && zcp_module_load(""))
		ktap_print_msg("reload zcpool.ko: %m");
	if (cg_enter(CG_ROOT, 0) || cg_destroy(c->cg_limited) ||
	    cg_destroy(c->cg_main) || cg_destroy(c->cg))
		ktap_print_msg("remove cgroups: %m");
}

int test_zcpool_device(const char *name, const struct zc_config *cfg)
{
	struct dev_ctx c = { .cfg = cfg };
	size_t i, n = sizeof(tests) / sizeof(tests[0]);
	bool setup, all = true;

	ktap_print_plan(n);
	c.tol = 64 * ZCP_PAGE * sysconf(_SC_NPROCESSORS_ONLN);
	setup = !dev_setup(&c, name);
	for (i = 0; i < n; i++) {
		bool ok = setup && tests[i].fn(&c);

		ktap_test_result(ok, i + 1, tests[i].name, NULL);
		all &= ok;
	}
	dev_cleanup(&c);
	return all ? 0 : 1;
}
