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
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "memcg.h"
#include "scenario.h"
#include "tcp.h"

#define SENDER_CGROUP		"zc-sender"

int test_tcp_zerocopy(const char *name, const struct zc_config *cfg)
{
	char rx_cg[PATH_MAX], tx_cg[PATH_MAX], cg[NAME_MAX + 1];
	struct zc_rx_stats st = ZC_RX_STATS_INIT;
	struct memcg_sample before, mapped, after;
	struct zc_link link = ZC_LINK_INIT;
	unsigned char *region = MAP_FAILED;
	unsigned char *copybuf = MAP_FAILED;
	bool transferred = false, verified = false;
	int64_t start, unmap_start;
	int sample_err = 0, received;

	ktap_print_plan(2);
	ktap_metric("size", cfg->size);
	ktap_metric("page_size", sysconf(_SC_PAGESIZE));
	ktap_metric("nr_cpus", sysconf(_SC_NPROCESSORS_ONLN));

	snprintf(cg, sizeof(cg), "zc-%s", name);
	cg_name(rx_cg, cg);
	cg_name(tx_cg, SENDER_CGROUP);
	if (cg_create(rx_cg) || cg_create(tx_cg)) {
		ktap_print_msg("create cgroups: %m");
		goto cleanup;
	}

	/* Fork before joining, so the sender's own memory is not ours. */
	if (zc_link_start(&link, tx_cg, cfg->size))
		goto cleanup;
	/* From here on, every charge of the receiver goes to rx_cg. */
	if (cg_enter(rx_cg, 0)) {
		ktap_print_msg("join %s: %m", rx_cg);
		goto cleanup;
	}
	copybuf = mmap(NULL, ZC_COPY_BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copybuf == MAP_FAILED) {
		ktap_print_msg("mmap copy buffer: %m");
		goto cleanup;
	}
	if (zc_link_listen(&link))
		goto cleanup;

	sample_err |= memcg_sample(rx_cg, cfg, &before);
	memcg_sample_print("before", &before);

	if (zc_link_accept(&link))
		goto cleanup;
	region = mmap(NULL, cfg->size, PROT_READ, MAP_SHARED, link.fd, 0);
	if (region == MAP_FAILED) {
		ktap_print_msg("mmap of the socket: %m");
		goto cleanup;
	}

	start = monotonic_ns();
	received = !zc_receive(link.fd, region, cfg->size, 0, copybuf, &st);
	ktap_print_msg("received %zu bytes in %ld ms", st.received,
		       ms_since(start));
	ktap_metric("received", st.received);
	ktap_metric("mapped", st.mapped);
	ktap_metric("copied", st.copied);
	ktap_metric("zc_calls", st.zc_calls);
	ktap_metric("zc_ns", st.zc_ns);

	transferred = zc_link_finish(&link, received) && received;
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
		munmap(copybuf, ZC_COPY_BUF_SIZE);
	zc_link_close(&link);
	if (cg_enter(CG_ROOT, 0) || cg_destroy(rx_cg) || cg_destroy(tx_cg))
		ktap_print_msg("remove cgroups: %m");

	ktap_test_result(transferred, 1, "transfer", NULL);
	ktap_test_result(verified, 2, "payload-verified", NULL);
	return transferred && verified && !sample_err ? 0 : 1;
}
