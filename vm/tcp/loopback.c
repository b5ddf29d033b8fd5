// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-zerocopy's network: lo, and a connection over it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp.h"

int lo_setup(int mtu)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	ifr.ifr_mtu = mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) || ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto err;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		goto err;

	close(fd);
	return 0;
err:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

void loopback_addr(struct sockaddr_in *addr, in_port_t port)
{
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr->sin_port = port;
}

int listen_loopback(in_port_t *port)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	loopback_addr(&addr, 0);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&addr, &len)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	*port = addr.sin_port;
	return fd;
}

int accept_timeout(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -1;
	if (!ret) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}
