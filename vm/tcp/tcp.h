/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of a zero-copy transfer over loopback: the payload both ends
 * agree on, the loopback network, the MSG_ZEROCOPY sender, the connection
 * between them and the receiving loop. The scenarios are tcp_zerocopy.c
 * (the stock kernel, no module) and designs.c (the real-path matrix, with
 * the zctcp livepatch).
 */
#ifndef ZCBENCH_TCP_H
#define ZCBENCH_TCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* No progress for this long on either side fails the transfer. */
#define IO_TIMEOUT_MS		30000
/*
 * lo's MTU: 15 pages of payload per segment, 15 * 4096 + 20 (IPv4) + 32
 * (TCP with timestamps), so that received frags can be whole pages.
 */
#define LO_MTU			61492
#define ZC_COPY_BUF_SIZE	(256 * 1024)

/* payload.c: the stream, as 64-bit words: word idx is (idx + 1) * an odd step. */

/* Fill buf with the payload from stream offset 0; len is a multiple of 8. */
void pattern_fill(unsigned char *buf, size_t len);

/* Index of the first byte of buf not matching stream offset off, or len. */
size_t pattern_check(const unsigned char *buf, uint64_t off, size_t len);

/* loopback.c */

/* Set the MTU of lo and bring it up; that also gives it 127.0.0.1/8. */
int lo_setup(int mtu);

/* 127.0.0.1 and port (network order). */
void loopback_addr(struct sockaddr_in *addr, in_port_t port);

/* A listening socket on 127.0.0.1 and an ephemeral port (network order). */
int listen_loopback(in_port_t *port);

/* accept() a connection on lfd, failing with ETIMEDOUT after timeout_ms. */
int accept_timeout(int lfd, int timeout_ms);

/* sender.c */

/*
 * The sender process: join the sender cgroup, wait for the receiver's port
 * on port_fd, send size bytes of pattern with MSG_ZEROCOPY and wait for all
 * completions. Returns the process exit status.
 */
int zc_sender(int port_fd, const char *cgroup, size_t size);

/* link.c: the connection; each step says what failed before returning -1. */
struct zc_link {
	pid_t sender;
	int port_fd;		/* the sender waits for the port on it */
	int lfd, fd;		/* listening, accepted */
	in_port_t port;
};

#define ZC_LINK_INIT { .sender = -1, .port_fd = -1, .lfd = -1, .fd = -1 }

/*
 * Bring lo up with LO_MTU and fork the sender of size bytes, which joins
 * tx_cg: before the caller joins its own cgroup.
 */
int zc_link_start(struct zc_link *l, const char *tx_cg, size_t size);

/* Listen on 127.0.0.1: the sockets are charged to the caller's cgroup. */
int zc_link_listen(struct zc_link *l);

/* Give the sender the port and accept its connection as l->fd. */
int zc_link_accept(struct zc_link *l);

/*
 * Wait for the sender, killed first unless complete (everything was
 * received). True if it sent everything and saw every completion.
 */
bool zc_link_finish(struct zc_link *l, bool complete);

/* Close what is open, kill and reap a sender still there. */
void zc_link_close(struct zc_link *l);

/*
 * SO_RCVBUF of bytes on the listening socket, which the connection
 * inherits: a receiver that lets bytes queue before it reads (the kernel
 * caps it at net.core.rmem_max: see zc_rmem_max_raise()).
 */
int zc_link_rcvbuf(struct zc_link *l, int bytes);

/* Wait until fd has want bytes queued; 0 or -1 (said) after timeout_ms. */
int zc_wait_queued(int fd, size_t want, int timeout_ms);

/*
 * Raise net.core.rmem_max to bytes, keeping the value it had in saved
 * (size bytes) for zc_rmem_max_restore(); saved is "" if it failed (said).
 */
int zc_rmem_max_raise(int bytes, char *saved, size_t size);

/* Put back what zc_rmem_max_raise() saved, unless "". */
void zc_rmem_max_restore(const char *saved);

/* receiver.c: what a receive did; shared with a parent where it may die. */
struct zc_rx_stats {
	size_t received;	/* bytes, mapped and copied, in stream order */
	size_t mapped;		/* bytes mapped by TCP_ZEROCOPY_RECEIVE */
	size_t copied;		/* bytes read() */
	long zc_calls;		/* getsockopt(TCP_ZEROCOPY_RECEIVE) calls */
	long enomem_calls;	/* of those, failed with ENOMEM: copied instead */
	long long zc_ns;	/* time spent in those calls */
	long bad_offset;	/* stream offset of the first wrong byte, or -1 */
	int in_call;		/* inside getsockopt() now */
};

#define ZC_RX_STATS_INIT { .bad_offset = -1 }

/*
 * Receive size bytes on fd, as tools/testing/selftests/net/tcp_mmap.c:
 * map as much as possible into region (size bytes, mmap()ed on fd), each
 * call asking for at most call_bytes (0: what the mapping has left), read()
 * the rest into copybuf (ZC_COPY_BUF_SIZE bytes) as recv_skip_hint says,
 * and after a call that fails with ENOMEM (nothing mapped, for want of a
 * charge), read() what is queued instead. Never receives past size bytes
 * (a sender may send more, for another reader). Checks the payload on the
 * way.
 * 0 once size bytes arrived, -1 (printed) otherwise; st says how far.
 */
int zc_receive(int fd, unsigned char *region, size_t size, size_t call_bytes,
	       unsigned char *copybuf, struct zc_rx_stats *st);

#endif /* ZCBENCH_TCP_H */
