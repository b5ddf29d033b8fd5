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
 * checks the transfer itself.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "ktap.h"
#include "scenario.h"

/*
 * 15 pages of payload per segment: 15 * 4096 + 20 (IPv4) + 32 (TCP with
 * timestamps), so that received frags can be whole pages.
 */
#define LO_MTU			61492
#define SENDER_CGROUP		"zc-sender"
#define SEND_CHUNK		(256 * 1024)
#define COPY_BUF_SIZE		(256 * 1024)
/* Page aligned bound for the __u32 length of TCP_ZEROCOPY_RECEIVE. */
#define ZC_MAX_LENGTH		(1U << 30)
/* No progress for this long on either side fails the transfer. */
#define IO_TIMEOUT_MS		30000

struct zc_rx_stats {
	size_t mapped;		/* bytes mapped by TCP_ZEROCOPY_RECEIVE */
	size_t copied;		/* bytes read() as recv_skip_hint asked */
	long zc_calls;		/* getsockopt(TCP_ZEROCOPY_RECEIVE) calls */
	long long zc_ns;	/* time spent in those calls */
	long bad_offset;	/* stream offset of the first wrong byte, or -1 */
};

/* The payload, as 64-bit words: splitmix64 of the word index. */
static uint64_t pattern_word(uint64_t idx)
{
	uint64_t x = idx + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The payload byte at stream offset off. */
static unsigned char pattern_byte(uint64_t off)
{
	return pattern_word(off / 8) >> (off % 8 * 8);
}

/* Fill buf with the payload from stream offset 0; len is a multiple of 8. */
static void pattern_fill(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t w = htole64(pattern_word(i / 8));

		memcpy(buf + i, &w, sizeof(w));
	}
}

/* Index of the first byte of buf not matching stream offset off, or len. */
static size_t pattern_check(const unsigned char *buf, uint64_t off,
			    size_t len)
{
	size_t i = 0;

	/* Whole words while buf starts on a word of the stream, then bytes. */
	if (off % 8 == 0) {
		for (; i + 8 <= len; i += 8) {
			uint64_t w;

			memcpy(&w, buf + i, sizeof(w));
			if (w != htole64(pattern_word((off + i) / 8)))
				break;
		}
	}
	for (; i < len; i++) {
		if (buf[i] != pattern_byte(off + i))
			break;
	}
	return i;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Set the MTU of lo and bring it up; that also gives it 127.0.0.1/8. */
static int lo_setup(int mtu)
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

static void loopback_addr(struct sockaddr_in *addr, in_port_t port)
{
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr->sin_port = port;
}

/* A listening socket on 127.0.0.1 and an ephemeral port (network order). */
static int listen_loopback(in_port_t *port)
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

/* accept() a connection on lfd, failing with ETIMEDOUT after timeout_ms. */
static int accept_timeout(int lfd, int timeout_ms)
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

/*
 * The sender process: join the sender cgroup, wait for the receiver's port
 * on port_fd, send size bytes of pattern with MSG_ZEROCOPY and wait for all
 * completions. Returns the process exit status.
 */
static int zc_sender(int port_fd, const char *cgroup, size_t size)
{
	struct timeval timeout = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	unsigned long sends = 0, completed = 0;
	struct sockaddr_in addr;
	struct timespec progress;
	unsigned char *buf;
	size_t off = 0;
	in_port_t port;
	int fd, one = 1;

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
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
		       sizeof(timeout))) {
		ktap_print_msg("sender: zerocopy socket: %m");
		return 1;
	}
	loopback_addr(&addr, port);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ktap_print_msg("sender: connect: %m");
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &progress);
	while (off < size) {
		size_t len = size - off < SEND_CHUNK ? size - off : SEND_CHUNK;
		ssize_t n;

		n = send(fd, buf + off, len, MSG_ZEROCOPY | MSG_NOSIGNAL);
		if (n < 0 && errno == ENOBUFS &&
		    elapsed_ms(&progress) < IO_TIMEOUT_MS) {
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
		clock_gettime(CLOCK_MONOTONIC, &progress);
		if (zc_drain_completions(fd, &completed))
			goto err_send;
	}

	/* The buffer must stay untouched until the kernel is done with it. */
	clock_gettime(CLOCK_MONOTONIC, &progress);
	while (completed < sends && elapsed_ms(&progress) < IO_TIMEOUT_MS) {
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
	struct timespec start;
	int64_t unmap_start;
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

	clock_gettime(CLOCK_MONOTONIC, &start);
	received = zc_receive(fd, region, cfg->size, copybuf, &st);
	ktap_print_msg("received %zu bytes in %ld ms", received,
		       elapsed_ms(&start));
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
