/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One zero-copy transfer over loopback, measured in the receiver's cgroup
 * of a struct mx (matrix/matrix.h): the sender in m->cg_b, the receiver in
 * m->cg. The real-path matrix (designs.c) and livepatch-safety (safety.c)
 * use it.
 */
#ifndef ZCBENCH_TRANSFER_H
#define ZCBENCH_TRANSFER_H

#include <stdbool.h>
#include <sys/mman.h>

#include "matrix/matrix.h"
#include "tcp.h"
#include "zctcp_util.h"

struct transfer {
	struct mx *m;
	struct zc_link link;
	unsigned char *region, *copybuf;
	struct zc_rx_stats st;
	long mod[ZCTCP_NR_COUNTERS];	/* the livepatch's, at the baseline */
	bool patched;			/* zctcp was loaded at the start */
};

#define TRANSFER_INIT(mx) { .m = (mx), .link = ZC_LINK_INIT, \
			    .region = MAP_FAILED, .copybuf = MAP_FAILED }

/*
 * Start the sender, join m->cg, listen, sample "baseline" (the sockets
 * open, nothing sent yet), accept, receive cfg->size into one mapping and
 * print the receive's metrics (size, patched, received, mapped, copied,
 * zc_calls, enomem_calls). True if everything arrived intact.
 */
bool transfer_receive(struct transfer *t);

/* The livepatch's counters since the baseline, as mod.<counter>. */
void transfer_counters(struct transfer *t);

/* Unmap what was received and close the sockets (the copy buffer stays). */
void transfer_release(struct transfer *t);

/* transfer_release(), and unmap the copy buffer. */
void transfer_close(struct transfer *t);

#endif /* ZCBENCH_TRANSFER_H */
