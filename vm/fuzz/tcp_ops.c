// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-fuzz's TCP operations, drawn by a real-path design's threads
 * (the zctcp livepatch loaded with it, or the stock kernel for
 * tcp-unaccounted): a loopback connection opened, or closed (either end or
 * both), a send of a random length (whole pages or not, MSG_ZEROCOPY or
 * not, never blocking), and TCP_ZEROCOPY_RECEIVE with a random address and
 * length, now and then random flags, a copy buffer or a short option
 * length, then a read() of the skip hint. The receiving sockets are also
 * what pick_fd() gives such a thread half the time, so mmap, munmap,
 * mremap, madvise, touch, fork and vmsplice act on the socket's mappings
 * too. Arguments are drawn in an order that must not change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "tcp/tcp.h"
#include "zcpool_util.h"

/* The most a send moves at once. */
#define TCP_MAX_BYTES	(FUZZ_MAX_PAGES * ZCP_PAGE)

/* What every thread of a process sends from: page-aligned, read only. */
static unsigned char send_buf[TCP_MAX_BYTES] __attribute__((aligned(4096)));

static void conn_close(struct fuzz_conn *c, bool rx, bool tx)
{
	if (rx && c->rx >= 0) {
		close(c->rx);
		c->rx = -1;
	}
	if (tx && c->tx >= 0) {
		close(c->tx);
		c->tx = -1;
	}
}

void fuzz_tcp_release(struct fuzz_thread *t)
{
	int i;

	for (i = 0; i < FUZZ_TCP; i++)
		conn_close(&t->conns[i], true, true);
}

/*
 * A connection over loopback into c: 0, or -1 with both ends closed. Both
 * ends non-blocking: pick_fd() gives the receiving end to read() and the
 * rest, which must never wait for ever. Both closed with a reset
 * (SO_LINGER 0): no orphan socket outlives the run holding memory charged
 * to its cgroup, which the checks would take for a leak.
 */
static int conn_open(struct fuzz_conn *c)
{
	const struct linger abort = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in addr;
	int lfd, one = 1, err;
	in_port_t port;

	lfd = listen_loopback(&port);
	if (lfd < 0)
		return -1;
	loopback_addr(&addr, port);
	c->tx = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->tx < 0 ||
	    setsockopt(c->tx, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) ||
	    setsockopt(c->tx, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort)) ||
	    connect(c->tx, (struct sockaddr *)&addr, sizeof(addr)))
		goto fail;
	c->rx = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c->rx < 0 || fcntl(c->tx, F_SETFL, O_NONBLOCK) ||
	    setsockopt(c->rx, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort)))
		goto fail;
	close(lfd);
	return 0;
fail:
	err = errno;
	close(lfd);
	conn_close(c, true, true);
	errno = err;
	return -1;
}

int op_tcp_connect(struct fuzz_thread *t, const struct op_args *a)
{
	int ci = fuzz_below(t, FUZZ_TCP);
	struct fuzz_conn *c = &t->conns[ci];
	int which;

	(void)a;
	if (c->rx < 0 && c->tx < 0) {
		TRACE(t, "conn%d = connect over loopback", ci);
		return conn_open(c);
	}
	/* Close one end (the other sees EOF, or a reset), or both. */
	which = fuzz_below(t, 3);
	TRACE(t, "close(conn%d%s)", ci, which == 0 ? ", receiving end" : which == 1 ? ", sending end" : "");
	conn_close(c, which != 1, which != 0);
	return 0;
}

/* Reap MSG_ZEROCOPY completions without waiting, so optmem does not run out. */
static void drain_errqueue(int fd)
{
	char control[128];
	struct msghdr msg = { .msg_control = control };
	int i;

	for (i = 0; i < 8; i++) {
		msg.msg_controllen = sizeof(control);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
	}
}

int op_tcp_send(struct fuzz_thread *t, const struct op_args *a)
{
	int ci = fuzz_below(t, FUZZ_TCP);
	size_t len;
	bool zerocopy;
	int fd, ret;

	/* One draw after another, in this order: a seed names the sequence. */
	len = fuzz_below(t, 4) ? (1 + fuzz_below(t, FUZZ_MAX_PAGES)) * ZCP_PAGE
			       : fuzz_below(t, 2 * ZCP_PAGE + 1);
	zerocopy = fuzz_below(t, 2);
	fd = fuzz_below(t, 16) ? t->conns[ci].tx : t->conns[ci].rx;

	(void)a;
	TRACE(t, "send(conn%d %s, %#zx bytes, MSG_DONTWAIT%s)", ci, fd == t->conns[ci].tx ? "tx" : "rx", len,
	      zerocopy ? "|MSG_ZEROCOPY" : "");
	ret = send(fd, send_buf, len, MSG_DONTWAIT | MSG_NOSIGNAL | (zerocopy ? MSG_ZEROCOPY : 0)) < 0 ? -1 : 0;
	if (fd >= 0)
		drain_errqueue(fd);
	return ret;
}

int op_tcp_zc_receive(struct fuzz_thread *t, const struct op_args *a)
{
	static const socklen_t short_lens[] = { 0, 8, 16, 24, 36, 44 };
	static __thread unsigned char copybuf[2 * ZCP_PAGE];
	struct tcp_zerocopy_receive zc = { 0 };
	socklen_t zc_len = sizeof(zc);
	int ci = fuzz_below(t, FUZZ_TCP);
	char addr[40];
	ssize_t n;
	int fd, ret;

	/* One draw after another, in this order: a seed names the sequence. */
	fd = fuzz_below(t, 8) ? t->conns[ci].rx : pick_fd(t);
	zc.address = fuzz_addr(t);
	zc.length = (__u32)fuzz_len(t);
	if (!fuzz_below(t, 8))
		zc.flags = fuzz_below(t, 2) ? TCP_RECEIVE_ZEROCOPY_FLAG_TLB_CLEAN_HINT : (__u32)fuzz_next(t);
	if (!fuzz_below(t, 4)) {
		zc.copybuf_address = (uintptr_t)copybuf;
		zc.copybuf_len = fuzz_below(t, sizeof(copybuf) + 1);
	}
	if (!fuzz_below(t, 16))
		zc_len = short_lens[fuzz_below(t, sizeof(short_lens) / sizeof(short_lens[0]))];

	(void)a;
	TRACE(t, "TCP_ZEROCOPY_RECEIVE(fd %d, address %s, length %#x, flags %#x, copybuf %#x, optlen %u)", fd,
	      where(t, zc.address, addr, sizeof(addr)), zc.length, zc.flags, zc.copybuf_len, zc_len);
	ret = getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zc_len);
	if (ret)
		return -1;
	if (t->trace)
		snprintf(t->what + strlen(t->what), sizeof(t->what) - strlen(t->what),
			 ", mapped %#x, skip hint %#x", zc.length, zc.recv_skip_hint);
	if (zc.length >= ZCP_PAGE && !zc.err)
		__atomic_add_fetch(&t->counts->zc_mapped, 1, __ATOMIC_RELAXED);
	/* What it could not map, as a receiver copies it (never waiting). */
	while (zc.recv_skip_hint) {
		n = recv(fd, copybuf, zc.recv_skip_hint < sizeof(copybuf) ? zc.recv_skip_hint : sizeof(copybuf),
			 MSG_DONTWAIT);
		if (n <= 0)
			break;
		zc.recv_skip_hint -= n;
	}
	return 0;
}
