// SPDX-License-Identifier: GPL-2.0
/*
 * A receive queue of /dev/zcpool with its mapping.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ktap.h"
#include "rxq.h"

#define PMD_BYTES		(2UL << 20)

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

void rxq_unmap(struct rxq *q)
{
	if (q->map)
		munmap(q->map, q->len);
	q->map = NULL;
}

int rxq_open(struct rxq *q, size_t len)
{
	struct zcpool_stats st;

	q->fd = zcp_open();
	q->len = len;
	if (q->fd < 0 || !(q->map = zcp_map(q->fd, len)) ||
	    zcp_stats(q->fd, &st)) {
		ktap_print_msg("open/mmap/STATS of %s: %m", ZCPOOL_DEVICE);
		rxq_unmap(q);
		if (q->fd >= 0)
			close(q->fd);
		q->fd = -1;
		return -1;
	}
	q->id = st.queue_id;
	return 0;
}

int rxq_open_copy(struct rxq *q, size_t len)
{
	q->copybuf = mmap(NULL, RXQ_CHUNK, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->copybuf == MAP_FAILED) {
		q->copybuf = NULL;
		ktap_print_msg("mmap copy buffer: %m");
		return -1;
	}
	return rxq_open(q, len);
}

void rxq_close(struct rxq *q)
{
	rxq_unmap(q);
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	if (q->copybuf)
		munmap(q->copybuf, RXQ_CHUNK);
	q->copybuf = NULL;
}

int rxq_stats(struct rxq *q, struct zcpool_stats *st)
{
	if (zcp_stats(q->fd, st)) {
		ktap_print_msg("STATS: %m");
		return -1;
	}
	return 0;
}

int rxq_reclaim(struct rxq *q, struct zcpool_reclaim *rc)
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
 * read() len bytes (at most RXQ_CHUNK) from the head of the queue, as the
 * copy fallback does. Returns the bytes copied (fewer if fewer are
 * queued), or -1 (printed).
 */
static long rxq_read(struct rxq *q, size_t len, uint64_t pattern)
{
	ssize_t n;

	if (!q->copybuf || len > RXQ_CHUNK) {
		ktap_print_msg("no room to read() %zu bytes", len);
		return -1;
	}
	n = read(q->fd, q->copybuf, len);
	if (n < 0) {
		ktap_print_msg("read() of %zu bytes: %m", len);
		return -1;
	}
	if (!headers_ok(q->copybuf, n / ZCP_PAGE, q->id, q->next_seq, pattern))
		q->bad_payload = true;
	q->next_seq += n / ZCP_PAGE;
	q->copied += n;
	return n;
}

/*
 * The RECEIVE r of len bytes mapped less, with stop_errno set: read() its
 * skip hint, the rest of the unit it could not map. Returns the bytes
 * copied, or -1 (printed) if it stopped for another reason than a failed
 * charge.
 */
static long rxq_skip(struct rxq *q, const struct zcpool_receive *r,
		     size_t len, uint64_t pattern)
{
	long n;

	if (r->stop_errno != ENOMEM || !r->skip_hint ||
	    r->skip_hint > len - r->mapped) {
		ktap_print_msg("RECEIVE stopped: errno %llu, skip hint %llu",
			       (unsigned long long)r->stop_errno,
			       (unsigned long long)r->skip_hint);
		return -1;
	}
	n = rxq_read(q, r->skip_hint, pattern);
	if (n >= 0 && n != (long)r->skip_hint) {
		ktap_print_msg("read() of a %llu-byte skip hint: %ld",
			       (unsigned long long)r->skip_hint, n);
		return -1;
	}
	q->skip_hints++;
	return n;
}

long rxq_receive_once(struct rxq *q, size_t len, uint64_t pattern)
{
	struct zcpool_receive r;
	long n;

	if (q->off + len > q->len) {
		ktap_print_msg("mapping of %zu bytes full", q->len);
		return -1;
	}
	if (zcp_receive(q->fd, q->map + q->off, len, &r)) {
		/* A failed call of more than a batch may have mapped some. */
		if (errno != ENOMEM || !q->copybuf || len > RXQ_BATCH) {
			ktap_print_msg("RECEIVE %zu bytes: %m", len);
			return -1;
		}
		q->receive_enomem++;
		return rxq_read(q, min_size(len, RXQ_UNIT), pattern);
	}
	if (!headers_ok(q->map + q->off, r.mapped / ZCP_PAGE, q->id,
			r.first_seq, pattern))
		q->bad_payload = true;
	if (r.mapped || r.stop_errno)
		q->next_seq = r.first_seq + r.mapped / ZCP_PAGE;
	q->off += r.mapped;
	if (r.mapped == len || !r.stop_errno)
		return r.mapped;
	n = rxq_skip(q, &r, len, pattern);
	return n < 0 ? -1 : (long)r.mapped + n;
}

/* RECEIVE left bytes of a FEED, call bytes per call; 0 or -1. */
static int rxq_receive_fed(struct rxq *q, size_t left, uint64_t pattern,
			   size_t call, rx_hook hook, void *arg)
{
	while (left) {
		long n = rxq_receive_once(q, min_size(call, left), pattern);

		if (n < 0)
			return -1;
		if (!n) {
			ktap_print_msg("queue empty with %zu bytes fed left", left);
			return -1;
		}
		left -= n;
		if (hook)
			hook(q, arg);
	}
	return 0;
}

int rxq_receive(struct rxq *q, size_t bytes, uint64_t pattern,
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
		if (rxq_receive_fed(q, left, pattern, call, hook, arg))
			return -1;
	}
	return 0;
}

bool rxq_all_mapped(const struct rxq *q, int ret, size_t size)
{
	if (!ret && q->off == size && !q->copied && !q->bad_payload)
		return true;
	ktap_print_msg("receive of %zu bytes: %zu mapped, %zu copied, %zu dropped%s",
		       size, q->off, q->copied, q->dropped,
		       q->bad_payload ? ", wrong payload" : "");
	return false;
}

bool rxq_receive_chunks(struct rxq *q, size_t size, uint64_t pattern)
{
	return rxq_all_mapped(q, rxq_receive(q, size, pattern, RXQ_CHUNK,
					     RXQ_CHUNK, NULL, NULL),
			      size);
}

bool rxq_open_receive(struct rxq *q, size_t size, uint64_t pattern)
{
	if (rxq_open_copy(q, size))
		return false;
	return rxq_receive_chunks(q, size, pattern);
}

bool rxq_feed_receive(struct rxq *q, size_t bytes, uint64_t pattern)
{
	size_t before = q->off;
	int ret = rxq_receive(q, bytes, pattern, bytes, bytes, NULL, NULL);

	return rxq_all_mapped(q, ret, before + bytes) &&
	       rxq_payload_ok(q, pattern);
}

bool rxq_payload_ok(const struct rxq *q, uint64_t pattern)
{
	return zcp_pages_check(q->map, q->off / ZCP_PAGE, q->id, q->first_seq,
			       pattern) < 0;
}

size_t rxq_vmsplice(const struct rxq *q, size_t off, size_t len, int pipe_wr)
{
	return vmsplice_range((const unsigned char *)q->map + off, len, pipe_wr);
}

size_t vmsplice_range(const void *addr, size_t len, int pipe_wr)
{
	size_t done = 0;

	while (done < len) {
		struct iovec iov = {
			.iov_base = (unsigned char *)addr + done,
			.iov_len = len - done,
		};
		ssize_t n = vmsplice(pipe_wr, &iov, 1, SPLICE_F_NONBLOCK);

		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

int rxq_prefault_tables(struct rxq *q)
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
		q->next_seq = r.first_seq + 1;
	}
	if (madvise(q->map, q->len, MADV_DONTNEED)) {
		ktap_print_msg("MADV_DONTNEED: %m");
		return -1;
	}
	return rxq_reclaim(q, NULL);
}
