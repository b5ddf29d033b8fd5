// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-zerocopy's sender: the payload over loopback with MSG_ZEROCOPY, from
 * a cgroup of its own, waiting for every completion before the buffer goes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>		/* struct timespec, for linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "tcp.h"

#define SEND_CHUNK		(256 * 1024)

/* Count the MSG_ZEROCOPY completions queued on fd, without blocking. */
static int zc_drain_completions(int fd, unsigned long *completed)
{
	char control[128];
	struct msghdr msg = {
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct sock_extended_err *serr;
	struct cmsghdr *cm;

	for (;;) {
		msg.msg_controllen = sizeof(control);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_IP ||
			    cm->cmsg_type != IP_RECVERR)
				continue;
			serr = (struct sock_extended_err *)CMSG_DATA(cm);
			if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY ||
			    serr->ee_errno) {
				errno = serr->ee_errno ? serr->ee_errno : EPROTO;
				return -1;
			}
			*completed += serr->ee_data - serr->ee_info + 1;
		}
	}
}

/* Wait up to timeout_ms for completions to arrive, then count them. */
static int zc_wait_completions(int fd, unsigned long *completed,
			       int timeout_ms)
{
	struct pollfd pfd = { .fd = fd };	/* POLLERR is always polled */

	if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
		return -1;
	return zc_drain_completions(fd, completed);
}

/* A connected MSG_ZEROCOPY socket to port on 127.0.0.1, or -1 (printed). */
static int zc_connect(in_port_t port)
{
	struct timeval timeout = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	struct sockaddr_in addr;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
		       sizeof(timeout))) {
		ktap_print_msg("sender: zerocopy socket: %m");
		return -1;
	}
	loopback_addr(&addr, port);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ktap_print_msg("sender: connect: %m");
		return -1;
	}
	return fd;
}

int zc_sender(int port_fd, const char *cgroup, size_t size)
{
	unsigned long sends = 0, completed = 0;
	unsigned char *buf;
	int64_t progress;
	size_t off = 0;
	in_port_t port;
	int fd;

	if (cg_enter(cgroup, 0)) {
		ktap_print_msg("sender: join %s: %m", cgroup);
		return 1;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		ktap_print_msg("sender: mmap: %m");
		return 1;
	}
	pattern_fill(buf, size);

	if (read(port_fd, &port, sizeof(port)) != sizeof(port)) {
		ktap_print_msg("sender: no port from the receiver");
		return 1;
	}
	fd = zc_connect(port);
	if (fd < 0)
		return 1;

	progress = monotonic_ns();
	while (off < size) {
		size_t len = size - off < SEND_CHUNK ? size - off : SEND_CHUNK;
		ssize_t n;

		n = send(fd, buf + off, len, MSG_ZEROCOPY | MSG_NOSIGNAL);
		if (n < 0 && errno == ENOBUFS &&
		    ms_since(progress) < IO_TIMEOUT_MS) {
			/* Out of optmem for notifications: reap some. */
			if (zc_wait_completions(fd, &completed, 100))
				goto err_send;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err_send;
		off += n;
		sends++;
		progress = monotonic_ns();
		if (zc_drain_completions(fd, &completed))
			goto err_send;
	}

	/* The buffer must stay untouched until the kernel is done with it. */
	progress = monotonic_ns();
	while (completed < sends && ms_since(progress) < IO_TIMEOUT_MS) {
		if (zc_wait_completions(fd, &completed, 100))
			goto err_send;
	}
	if (completed != sends)
		ktap_print_msg("sender: %lu of %lu zerocopy completions",
			       completed, sends);
	close(fd);
	return 0;

err_send:
	ktap_print_msg("sender: send after %zu of %zu bytes: %m", off, size);
	return 1;
}
