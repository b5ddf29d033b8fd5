// SPDX-License-Identifier: GPL-2.0
/*
 * The loopback connection of a zero-copy transfer: the MSG_ZEROCOPY sender
 * in its own process and cgroup, the receiver's listening and accepted
 * sockets in the caller's (tcp.h). Each step says what failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "tcp.h"
#include "zcpool_util.h"

#define RMEM_MAX	"/proc/sys/net/core/rmem_max"

int zc_link_start(struct zc_link *l, const char *tx_cg, size_t size)
{
	int pipefd[2];

	if (lo_setup(LO_MTU)) {
		ktap_print_msg("lo: mtu %d and up: %m", LO_MTU);
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		ktap_print_msg("pipe: %m");
		return -1;
	}
	l->sender = fork();
	if (l->sender < 0) {
		ktap_print_msg("fork: %m");
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (!l->sender) {
		close(pipefd[1]);
		_exit(zc_sender(pipefd[0], tx_cg, size));
	}
	close(pipefd[0]);
	l->port_fd = pipefd[1];
	return 0;
}

int zc_link_listen(struct zc_link *l)
{
	l->lfd = listen_loopback(&l->port);
	if (l->lfd < 0) {
		ktap_print_msg("listen on 127.0.0.1: %m");
		return -1;
	}
	return 0;
}

int zc_link_accept(struct zc_link *l)
{
	if (write(l->port_fd, &l->port, sizeof(l->port)) != sizeof(l->port)) {
		ktap_print_msg("send port to the sender: %m");
		return -1;
	}
	close(l->port_fd);
	l->port_fd = -1;
	l->fd = accept_timeout(l->lfd, IO_TIMEOUT_MS);
	if (l->fd < 0) {
		ktap_print_msg("accept: %m");
		return -1;
	}
	return 0;
}

bool zc_link_finish(struct zc_link *l, bool complete)
{
	int status;

	if (l->sender <= 0)
		return false;
	if (!complete)
		kill(l->sender, SIGKILL);
	while (waitpid(l->sender, &status, 0) < 0) {
		if (errno != EINTR) {
			ktap_print_msg("wait for the sender: %m");
			return false;
		}
	}
	l->sender = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ktap_print_msg("sender failed, wait status %#x", status);
		return false;
	}
	return true;
}

void zc_link_close(struct zc_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->port_fd >= 0)
		close(l->port_fd);
	if (l->sender > 0) {
		kill(l->sender, SIGKILL);
		waitpid(l->sender, NULL, 0);
	}
	*l = (struct zc_link)ZC_LINK_INIT;
}

int zc_link_rcvbuf(struct zc_link *l, int bytes)
{
	if (setsockopt(l->lfd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes))) {
		ktap_print_msg("SO_RCVBUF %d: %m", bytes);
		return -1;
	}
	return 0;
}

int zc_wait_queued(int fd, size_t want, int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000000L };
	int waited, inq = 0;

	for (waited = 0; waited < timeout_ms; waited += 10) {
		if (ioctl(fd, SIOCINQ, &inq)) {
			ktap_print_msg("SIOCINQ: %m");
			return -1;
		}
		if ((size_t)inq >= want)
			return 0;
		nanosleep(&tick, NULL);
	}
	ktap_print_msg("%d of %zu bytes queued after %d ms", inq, want,
		       timeout_ms);
	return -1;
}

int zc_rmem_max_raise(int bytes, char *saved, size_t size)
{
	char value[32];

	snprintf(value, sizeof(value), "%d", bytes);
	if (zcp_read_line(RMEM_MAX, saved, size) ||
	    zcp_write_file(RMEM_MAX, value)) {
		ktap_print_msg("%s: %m", RMEM_MAX);
		saved[0] = '\0';
		return -1;
	}
	return 0;
}

void zc_rmem_max_restore(const char *saved)
{
	if (saved[0] && zcp_write_file(RMEM_MAX, saved))
		ktap_print_msg("restore %s: %m", RMEM_MAX);
}
