/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp-zerocopy's parts: the payload both ends agree on, the loopback
 * network, and the MSG_ZEROCOPY sender. The receiver is the scenario itself
 * (tcp_zerocopy.c).
 */
#ifndef ZCBENCH_TCP_H
#define ZCBENCH_TCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* No progress for this long on either side fails the transfer. */
#define IO_TIMEOUT_MS		30000

/* payload.c: the stream, as 64-bit words: splitmix64 of the word index. */

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

#endif /* ZCBENCH_TCP_H */
