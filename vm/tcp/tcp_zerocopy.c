// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-zerocopy: the kernel's own TCP zero-copy receive path, no module.
 *
 * A sender outside the receiver's cgroup sends a verifiable pattern over
 * loopback with MSG_ZEROCOPY; the receiver, in cgroup zc-<scenario>, maps
 * it with TCP_ZEROCOPY_RECEIVE and copies what cannot be mapped, like
 * tools/testing/selftests/net/tcp_mmap.c. The receiver's memory counters
 * are sampled before the transfer, while the payload is mapped and after
 * munmap. The host judges the accounting from the metrics; this file only
 * checks the transfer itself. The sender, the loopback network and the
 * payload are in the other files of tcp/ (tcp.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "memcg.h"
#include "scenario.h"
#include "tcp.h"

/*
 * 15 pages of payload per segment: 15 * 4096 + 20 (IPv4) + 32 (TCP with
 * timestamps), so that received frags can be whole pages.
 */
#define LO_MTU			61492
#define SENDER_CGROUP		"zc-sender"
#define COPY_BUF_SIZE		(256 * 1024)
/* Page aligned bound for the __u32 length of TCP_ZEROCOPY_RECEIVE. */
#define ZC_MAX_LENGTH		(1U << 30)

struct zc_rx_stats {
	size_t mapped;		/* bytes mapped by TCP_ZEROCOPY_RECEIVE */
	size_t copied;		/* bytes read() as recv_skip_hint asked */
	long zc_calls;		/* getsockopt(TCP_ZEROCOPY_RECEIVE) calls */
	long long zc_ns;	/* time spent in those calls */
	long bad_offset;	/* stream offset of the first wrong byte, or -1 */
};

/* read() exactly len bytes, as TCP_ZEROCOPY_RECEIVE's recv_skip_hint says. */
static int zc_copy(int fd, unsigned char *buf, size_t len, size_t *received,
		   struct zc_rx_stats *st)
{
	while (len) {
		size_t chunk = len < COPY_BUF_SIZE ? len : COPY_BUF_SIZE;
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
		bad = pattern_check(buf, *received, n);
		if (bad < (size_t)n && st->bad_offset < 0)
			st->bad_offset = *received + bad;
		st->copied += n;
		*received += n;
		len -= n;
	}
	return 0;
}

/*
 * Receive size bytes on fd: map as much as possible into region (size bytes,
 * mmap()ed on fd) and copy the rest. Returns the number of bytes received.
 */
static size_t zc_receive(int fd, unsigned char *region, size_t size,
			 unsigned char *copybuf, struct zc_rx_stats *st)
{
	size_t received = 0;

	while (received < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct tcp_zerocopy_receive zc;
		int64_t t0;
		socklen_t zc_len = sizeof(zc);
		int ret;

		ret = poll(&pfd, 1, IO_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ktap_print_msg("poll after %zu of %zu bytes: %s",
				       received, size,
				       ret ? strerror(errno) : "timed out");
			break;
		}

		memset(&zc, 0, sizeof(zc));
		t0 = monotonic_ns();
		zc.address = (uintptr_t)(region + st->mapped);
		zc.length = size - st->mapped < ZC_MAX_LENGTH ?
			    size - st->mapped : ZC_MAX_LENGTH;
		if (getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc,
			       &zc_len)) {
			ktap_print_msg("TCP_ZEROCOPY_RECEIVE after %zu of %zu bytes: %s",
				       received, size,
				       errno == EIO ? "connection closed" :
						      strerror(errno));
			break;
		}
		st->zc_ns += monotonic_ns() - t0;
		st->zc_calls++;
		if (zc.err) {
			ktap_print_msg("socket error: %s", strerror(-zc.err));
			break;
		}

		if (zc.length) {
			size_t bad;

			bad = pattern_check(region + st->mapped, received,
					    zc.length);
			if (bad < zc.length && st->bad_offset < 0)
				st->bad_offset = received + bad;
			st->mapped += zc.length;
			received += zc.length;
		}
		if (zc.recv_skip_hint &&
		    zc_copy(fd, copybuf, zc.recv_skip_hint, &received, st))
			break;
	}
	return received;
}

int test_tcp_zerocopy(const char *name, const struct zc_config *cfg)
{
	char rx_cg[PATH_MAX], tx_cg[PATH_MAX], cg[NAME_MAX + 1];
	struct zc_rx_stats st = { .bad_offset = -1 };
	struct memcg_sample before, mapped, after;
	unsigned char *region = MAP_FAILED;
	unsigned char *copybuf = MAP_FAILED;
	int lfd = -1, fd = -1, pipefd[2] = { -1, -1 };
	bool transferred = false, verified = false;
	int sample_err = 0, status;
	int64_t start, unmap_start;
	size_t received = 0;
	pid_t sender = -1;
	in_port_t port;

	ktap_print_plan(2);
	ktap_metric("size", cfg->size);
	ktap_metric("page_size", sysconf(_SC_PAGESIZE));
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));

	snprintf(cg, sizeof(cg), "zc-%s", name);
	cg_name(rx_cg, cg);
	cg_name(tx_cg, SENDER_CGROUP);

	if (lo_setup(LO_MTU)) {
		ktap_print_msg("lo: mtu %d and up: %m", LO_MTU);
		goto cleanup;
	}
	if (cg_create(rx_cg) || cg_create(tx_cg)) {
		ktap_print_msg("create cgroups: %m");
		goto cleanup;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		ktap_print_msg("pipe: %m");
		goto cleanup;
	}

	/* Fork before joining, so the sender's own memory is not ours. */
	sender = fork();
	if (sender < 0) {
		ktap_print_msg("fork: %m");
		goto cleanup;
	}
	if (!sender) {
		close(pipefd[1]);
		_exit(zc_sender(pipefd[0], tx_cg, cfg->size));
	}
	close(pipefd[0]);
	pipefd[0] = -1;

	/* From here on, every charge of the receiver goes to rx_cg. */
	if (cg_enter(rx_cg, 0)) {
		ktap_print_msg("join %s: %m", rx_cg);
		goto cleanup;
	}
	copybuf = mmap(NULL, COPY_BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copybuf == MAP_FAILED) {
		ktap_print_msg("mmap copy buffer: %m");
		goto cleanup;
	}
	lfd = listen_loopback(&port);
	if (lfd < 0) {
		ktap_print_msg("listen on 127.0.0.1: %m");
		goto cleanup;
	}

	sample_err |= memcg_sample(rx_cg, cfg, &before);
	memcg_sample_print("before", &before);

	if (write(pipefd[1], &port, sizeof(port)) != sizeof(port)) {
		ktap_print_msg("send port to the sender: %m");
		goto cleanup;
	}
	close(pipefd[1]);
	pipefd[1] = -1;

	fd = accept_timeout(lfd, IO_TIMEOUT_MS);
	if (fd < 0) {
		ktap_print_msg("accept: %m");
		goto cleanup;
	}
	region = mmap(NULL, cfg->size, PROT_READ, MAP_SHARED, fd, 0);
	if (region == MAP_FAILED) {
		ktap_print_msg("mmap of the socket: %m");
		goto cleanup;
	}

	start = monotonic_ns();
	received = zc_receive(fd, region, cfg->size, copybuf, &st);
	ktap_print_msg("received %zu bytes in %ld ms", received,
		       ms_since(start));
	ktap_metric("received", received);
	ktap_metric("mapped", st.mapped);
	ktap_metric("copied", st.copied);
	ktap_metric("zc_calls", st.zc_calls);
	ktap_metric("zc_ns", st.zc_ns);

	if (received < cfg->size)
		kill(sender, SIGKILL);
	if (waitpid(sender, &status, 0) == sender) {
		sender = -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ktap_print_msg("sender failed, wait status %#x",
				       status);
		else
			transferred = received == cfg->size;
	}
	if (st.bad_offset >= 0)
		ktap_print_msg("payload differs at stream offset %ld",
			       st.bad_offset);
	verified = transferred && st.bad_offset < 0;

	sample_err |= memcg_sample(rx_cg, cfg, &mapped);
	memcg_sample_print("mapped", &mapped);

	unmap_start = monotonic_ns();
	munmap(region, cfg->size);
	region = MAP_FAILED;
	ktap_metric("munmap_ns", monotonic_ns() - unmap_start);

	sample_err |= memcg_sample(rx_cg, cfg, &after);
	memcg_sample_print("after", &after);

cleanup:
	if (region != MAP_FAILED)
		munmap(region, cfg->size);
	if (copybuf != MAP_FAILED)
		munmap(copybuf, COPY_BUF_SIZE);
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (sender > 0) {
		kill(sender, SIGKILL);
		waitpid(sender, NULL, 0);
	}
	if (cg_enter(CG_ROOT, 0) || cg_destroy(rx_cg) || cg_destroy(tx_cg))
		ktap_print_msg("remove cgroups: %m");

	ktap_test_result(transferred, 1, "transfer", NULL);
	ktap_test_result(verified, 2, "payload-verified", NULL);
	return transferred && verified && !sample_err ? 0 : 1;
}
