// SPDX-License-Identifier: GPL-2.0
/*
 * One zero-copy transfer measured in the receiver's cgroup (transfer.h):
 * what the real-path matrix (designs.c) and livepatch-safety (safety.c)
 * receive.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"
#include "transfer.h"
#include "zctcp_util.h"

bool transfer_receive(struct transfer *t)
{
	const struct zc_config *cfg = t->m->cfg;
	bool ok;

	t->region = t->copybuf = MAP_FAILED;
	t->st = (struct zc_rx_stats)ZC_RX_STATS_INIT;
	t->link = (struct zc_link)ZC_LINK_INIT;
	t->patched = zct_loaded();
	ktap_metric("size", cfg->size);
	ktap_metric("patched", t->patched);
	if (t->patched && zct_counters(t->mod)) {
		ktap_print_msg("read %s: %m", ZCTCP_DEBUGFS_COUNTERS);
		return false;
	}
	/* Fork the sender before joining, so its memory is not ours. */
	if (zc_link_start(&t->link, t->m->cg_b, cfg->size) ||
	    mx_enter(t->m->cg))
		return false;
	t->copybuf = mmap(NULL, ZC_COPY_BUF_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (t->copybuf == MAP_FAILED) {
		ktap_print_msg("mmap copy buffer: %m");
		return false;
	}
	if (zc_link_listen(&t->link) ||
	    mx_sample(t->m, t->m->cg, "baseline", NULL) < 0 ||
	    zc_link_accept(&t->link))
		return false;
	t->region = mmap(NULL, cfg->size, PROT_READ, MAP_SHARED, t->link.fd, 0);
	if (t->region == MAP_FAILED) {
		ktap_print_msg("mmap of the socket: %m");
		return false;
	}
	ok = !zc_receive(t->link.fd, t->region, cfg->size, 0, t->copybuf,
			&t->st);
	ok = zc_link_finish(&t->link, ok) && ok;
	if (t->st.bad_offset >= 0) {
		ktap_print_msg("payload differs at stream offset %ld",
			       t->st.bad_offset);
		ok = false;
	}
	ktap_metric("received", t->st.received);
	ktap_metric("mapped", t->st.mapped);
	ktap_metric("copied", t->st.copied);
	ktap_metric("zc_calls", t->st.zc_calls);
	ktap_metric("enomem_calls", t->st.enomem_calls);
	return ok;
}

void transfer_counters(struct transfer *t)
{
	long now[ZCTCP_NR_COUNTERS];
	unsigned int i;

	if (!t->patched)
		return;
	if (zct_counters(now)) {
		ktap_print_msg("read %s: %m", ZCTCP_DEBUGFS_COUNTERS);
		return;
	}
	for (i = 0; i < ZCTCP_NR_COUNTERS; i++)
		now[i] -= t->mod[i];
	zct_print_counters("mod", now);
}

void transfer_release(struct transfer *t)
{
	if (t->region != MAP_FAILED)
		munmap(t->region, t->m->cfg->size);
	t->region = MAP_FAILED;
	zc_link_close(&t->link);
}

void transfer_close(struct transfer *t)
{
	transfer_release(t);
	if (t->copybuf != MAP_FAILED)
		munmap(t->copybuf, ZC_COPY_BUF_SIZE);
	t->copybuf = MAP_FAILED;
}
