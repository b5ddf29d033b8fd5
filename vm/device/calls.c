// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: FEED, RECEIVE, STATS, RECLAIM and read() with arguments
 * they must refuse, each with its exact errno, and their edge cases (a
 * RECEIVE onto pages still mapped, of an empty queue; the copy fallback).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "device.h"
#include "ktap.h"
#include "rxq.h"

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

bool t_feed_zero_bytes_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = 0 };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED of 0 bytes");
}

bool t_feed_unaligned_bytes_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = ZCP_PAGE + 1 };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED of a page + 1 byte");
}

bool t_feed_too_large_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = { .bytes = ZCPOOL_MAX_IO_BYTES + ZCP_PAGE };
	struct zcpool_feed g = { .bytes = ~0ULL & ~(ZCP_PAGE - 1) };

	(void)c;
	return feed_errno(&f, EINVAL, "FEED above ZCPOOL_MAX_IO_BYTES") &&
	       feed_errno(&g, EINVAL, "FEED of 2^64 - 4096 bytes");
}

bool t_feed_unit_pages_einval(struct dev_ctx *c)
{
	struct zcpool_feed f = {
		.bytes = ZCP_PAGE,
		.unit_pages = ZCPOOL_MAX_UNIT_PAGES + 1,
	};

	(void)c;
	return feed_errno(&f, EINVAL, "FEED with 65-page units");
}

bool t_feed_flags_einval(struct dev_ctx *c)
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

bool t_feed_bad_pointer_efault(struct dev_ctx *c)
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
	struct rxq q = RXQ_INIT;
	bool ok = false;

	if (rxq_open(&q, PAGES(16)))
		return false;
	if (zcp_feed(q.fd, PAGES(16), PATTERN_A, NULL)) {
		ktap_print_msg("FEED: %m");
	} else {
		if (!absolute)
			r->address += (uintptr_t)q.map;
		ok = expect_errno(ioctl(q.fd, ZCPOOL_IOC_RECEIVE, r), err,
				  what);
	}
	rxq_close(&q);
	return ok;
}

bool t_receive_unaligned_address_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .address = 8, .length = ZCP_PAGE };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE at map + 8");
}

bool t_receive_unaligned_length_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE + 8 };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE of a page + 8");
}

bool t_receive_zero_length_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = 0 };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE of 0 bytes");
}

bool t_receive_flags_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE, .flags = 1 };

	(void)c;
	return receive_errno(&r, false, EINVAL, "RECEIVE with flags");
}

bool t_receive_outside_mapping_einval(struct dev_ctx *c)
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

bool t_receive_other_queue_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .length = ZCP_PAGE };
	struct rxq other = RXQ_INIT;
	bool ok;

	(void)c;
	if (rxq_open(&other, PAGES(4)))
		return false;
	r.address = (uintptr_t)other.map;
	ok = receive_errno(&r, true, EINVAL,
			   "RECEIVE into another queue's mapping");
	rxq_close(&other);
	return ok;
}

bool t_receive_beyond_mapping_einval(struct dev_ctx *c)
{
	struct zcpool_receive r = { .address = PAGES(12), .length = PAGES(8) };

	(void)c;
	return receive_errno(&r, false, EINVAL,
			     "RECEIVE of 8 pages at page 12 of 16");
}

bool t_receive_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_RECEIVE, "RECEIVE at address 16");
}

/* RECEIVE onto pages still mapped: nothing mapped, EBUSY, skip them all. */
static bool receive_onto_mapped(struct rxq *q)
{
	struct zcpool_receive r;
	bool ok;

	if (!rxq_feed_receive(q, PAGES(4), PATTERN_A) ||
	    zcp_feed(q->fd, PAGES(16), PATTERN_A, NULL) ||
	    zcp_receive(q->fd, q->map, PAGES(8), &r)) {
		ktap_print_msg("feed/receive: %m");
		return false;
	}
	ok = r.mapped == 0 && r.stop_errno == EBUSY && r.skip_hint == PAGES(16);
	if (!ok)
		ktap_print_msg("RECEIVE onto mapped pages: mapped %llu stop errno %llu skip hint %llu",
			       (unsigned long long)r.mapped,
			       (unsigned long long)r.stop_errno,
			       (unsigned long long)r.skip_hint);
	return ok;
}

bool t_receive_busy_pte_ebusy(struct dev_ctx *c)
{
	(void)c;
	return with_queue(16, receive_onto_mapped);
}

static bool receive_nothing(struct rxq *q)
{
	struct zcpool_receive r;

	if (!expect_ok(zcp_receive(q->fd, q->map, PAGES(4), &r), "RECEIVE"))
		return false;
	if (r.mapped || r.stop_errno || r.skip_hint) {
		ktap_print_msg("empty queue: mapped %llu stop errno %llu",
			       (unsigned long long)r.mapped,
			       (unsigned long long)r.stop_errno);
		return false;
	}
	return true;
}

bool t_receive_empty_queue(struct dev_ctx *c)
{
	(void)c;
	return with_queue(4, receive_nothing);
}

bool t_stats_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_STATS, "STATS at address 16");
}

bool t_reclaim_bad_pointer_efault(struct dev_ctx *c)
{
	(void)c;
	return ioctl_efault(ZCPOOL_IOC_RECLAIM, "RECLAIM at address 16");
}

bool t_unknown_ioctl_enotty(struct dev_ctx *c)
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

bool t_read_copy_fallback(struct dev_ctx *c)
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

/* A queue with a page queued, or -1 (printed). */
static int queue_with_a_page(void)
{
	int fd = zcp_open();

	if (fd >= 0 && !zcp_feed(fd, PAGES(1), PATTERN_B, NULL))
		return fd;
	expect_ok(-1, "open/FEED");
	if (fd >= 0)
		close(fd);
	return -1;
}

bool t_read_unaligned_einval(struct dev_ctx *c)
{
	char buf[100];
	bool ok;
	int fd;

	(void)c;
	fd = queue_with_a_page();
	if (fd < 0)
		return false;
	ok = expect_errno(read(fd, buf, sizeof(buf)), EINVAL,
			  "read of 100 bytes");
	close(fd);
	return ok;
}

bool t_read_bad_buffer_efault(struct dev_ctx *c)
{
	bool ok;
	int fd;

	(void)c;
	fd = queue_with_a_page();
	if (fd < 0)
		return false;
	/* The raw system call: the libc wrapper knows 16 is no buffer. */
	ok = expect_errno(syscall(SYS_read, fd, (void *)16, ZCP_PAGE), EFAULT,
			  "read into address 16");
	close(fd);
	return ok;
}
