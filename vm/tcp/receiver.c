// SPDX-License-Identifier: GPL-2.0
/*
 * The receiving side of TCP_ZEROCOPY_RECEIVE, like
 * tools/testing/selftests/net/tcp_mmap.c: poll, map what the kernel maps,
 * read() exactly the recv_skip_hint bytes it leaves, and, when a call maps
 * nothing and fails with ENOMEM (a design whose charge was refused),
 * read() what is queued instead (tcp.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "ktap.h"
#include "tcp.h"

#define PAGE			4096UL
/* Page aligned bound for the __u32 length of TCP_ZEROCOPY_RECEIVE. */
#define ZC_MAX_LENGTH		(1U << 30)

/* read() exactly len bytes, as TCP_ZEROCOPY_RECEIVE's recv_skip_hint says. */
static int zc_copy(int fd, unsigned char *buf, size_t len,
		   struct zc_rx_stats *st)
{
	while (len) {
		size_t chunk = len < ZC_COPY_BUF_SIZE ? len : ZC_COPY_BUF_SIZE;
		ssize_t n;
		size_t bad;

		n = read(fd, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ktap_print_msg("read of a %zu byte skip hint: %s", len,
				       n ? strerror(errno) : "EOF");
			return -1;
		}
		bad = pattern_check(buf, st->received, n);
		if (bad < (size_t)n && st->bad_offset < 0)
			st->bad_offset = st->received + bad;
		st->copied += n;
		st->received += n;
		len -= n;
	}
	return 0;
}

/*
 * After a call that mapped nothing for want of a charge: read what is
 * queued, whole pages of it (so the stream stays page aligned for the
 * next map), at most one copy buffer.
 */
static int zc_copy_queued(int fd, unsigned char *buf, size_t left,
			  struct zc_rx_stats *st)
{
	int inq = 0;
	size_t len;

	if (ioctl(fd, SIOCINQ, &inq) || inq <= 0) {
		ktap_print_msg("SIOCINQ after ENOMEM: %s",
			       inq ? strerror(errno) : "nothing queued");
		return -1;
	}
	len = (size_t)inq < ZC_COPY_BUF_SIZE ? (size_t)inq : ZC_COPY_BUF_SIZE;
	if (len > left)
		len = left;
	if (len >= PAGE)
		len &= ~(PAGE - 1);
	return zc_copy(fd, buf, len, st);
}

int zc_receive(int fd, unsigned char *region, size_t size, size_t call_bytes,
	       unsigned char *copybuf, struct zc_rx_stats *st)
{
	size_t call_max = call_bytes && call_bytes < ZC_MAX_LENGTH ?
			  call_bytes : ZC_MAX_LENGTH;

	while (st->received < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct tcp_zerocopy_receive zc;
		socklen_t zc_len = sizeof(zc);
		int64_t t0;
		int ret;

		ret = poll(&pfd, 1, IO_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ktap_print_msg("poll after %zu of %zu bytes: %s",
				       st->received, size,
				       ret ? strerror(errno) : "timed out");
			return -1;
		}

		memset(&zc, 0, sizeof(zc));
		zc.address = (uintptr_t)(region + st->mapped);
		/* Never past size: what follows is another reader's. */
		zc.length = size - st->received < call_max ?
			    size - st->received : call_max;
		t0 = monotonic_ns();
		st->in_call = 1;
		ret = getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc,
				 &zc_len);
		st->in_call = 0;
		st->zc_ns += monotonic_ns() - t0;
		st->zc_calls++;
		if (ret && errno == ENOMEM) {
			st->enomem_calls++;
			if (zc_copy_queued(fd, copybuf, size - st->received, st))
				return -1;
			continue;
		}
		if (ret) {
			ktap_print_msg("TCP_ZEROCOPY_RECEIVE after %zu of %zu bytes: %s",
				       st->received, size,
				       errno == EIO ? "connection closed" :
						      strerror(errno));
			return -1;
		}
		if (zc.err) {
			ktap_print_msg("socket error: %s", strerror(-zc.err));
			return -1;
		}
		if (zc.length) {
			size_t bad;

			bad = pattern_check(region + st->mapped, st->received,
					    zc.length);
			if (bad < zc.length && st->bad_offset < 0)
				st->bad_offset = st->received + bad;
			st->mapped += zc.length;
			st->received += zc.length;
		}
		if (zc.recv_skip_hint &&
		    zc_copy(fd, copybuf, zc.recv_skip_hint < size - st->received ?
					 zc.recv_skip_hint : size - st->received, st))
			return -1;
	}
	return 0;
}
