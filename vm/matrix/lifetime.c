// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: what outlives a receiver. Its memcg, once the process and
 * its cgroup are gone (zombie), and charges, once the module is unloaded
 * (unload).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "clock.h"
#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

#define ZOMBIE_WAIT_MS		10000
#define ZOMBIE_POLL_MS		20

/* zombie's receiver, in its own cgroup: receive size and exit, no cleanup. */
static int zombie_receiver(const char *cg, size_t size)
{
	struct rxq q = RXQ_INIT;

	if (mx_enter(cg) || !rxq_open_receive(&q, size, PATTERN_A))
		return 1;
	return 0;
}

/*
 * zombie: receive size in a child cgroup and exit (the mapping and the
 * queue go with the process), RECLAIM, rmdir the cgroup, then poll the
 * parent's nr_dying_descendants: does anything of the module keep the dead
 * memcg around?
 */
int test_mx_zombie(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "rmdir" };
	long dying0 = -1, dying = -1, waited;
	char child[PATH_MAX] = "";
	int fd = -1, status = 0;
	struct mx m;
	pid_t pid;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false))
		goto out;
	if (snprintf(child, sizeof(child), "%s/rx", m.cg) >=
	    (int)sizeof(child)) {
		ktap_print_msg("cgroup path too long");
		*child = '\0';
		goto out;
	}
	if (cg_write(m.cg, "cgroup.subtree_control", "+memory") ||
	    (cg_create(child) && errno != EEXIST)) {
		ktap_print_msg("%s: %m", child);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ktap_print_msg("fork: %m");
		goto out;
	}
	if (!pid)
		_exit(zombie_receiver(child, cfg->size));
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	mx_case(&m, ok, cases[0]);

	/* A queue of the root cgroup, for RECLAIM only. */
	fd = zcp_open();
	if (fd < 0 || zcp_reclaim(fd, &(struct zcpool_reclaim){ 0 })) {
		ktap_print_msg("RECLAIM: %m");
		goto out;
	}
	ok = !cg_destroy(child);
	if (!ok)
		ktap_print_msg("rmdir %s: %m", child);
	dying0 = cg_read_key_long(m.cg, "cgroup.stat", "nr_dying_descendants");
	for (waited = 0, dying = dying0; dying > 0 && waited < ZOMBIE_WAIT_MS;
	     waited += ZOMBIE_POLL_MS) {
		settle(ZOMBIE_POLL_MS);
		dying = cg_read_key_long(m.cg, "cgroup.stat",
					 "nr_dying_descendants");
	}
	ktap_metric("size", cfg->size);
	ktap_metric("dying_initial", dying0);
	ktap_metric("dying_final", dying);
	ktap_metric("wait_ms", waited);
	mx_case(&m, ok && dying0 >= 0 && dying >= 0, cases[1]);
out:
	if (fd >= 0)
		close(fd);
	if (*child && cg_destroy(child))
		ktap_print_msg("remove %s: %m", child);
	return mx_finish(&m, 2, cases);
}

/*
 * unload: receive, munmap, RECLAIM, close, then rmmod: does any charge
 * outlive the module? Then load it again with the same variant.
 */
int test_mx_unload(const char *name, const struct zc_config *cfg)
{
	static const char *const cases[] = { "receive", "reload" };
	struct zcpool_stats st = { 0 };
	struct mx m;
	struct rxq q = RXQ_INIT;
	char params[64];
	int rmmod_errno;
	bool ok;

	if (mx_setup(&m, name, cfg, 2, false) || mx_enter(m.cg) ||
	    mx_sample(&m, m.cg, "baseline", NULL) < 0)
		goto out;
	ok = rxq_open_receive(&q, cfg->size, PATTERN_A);
	rxq_unmap(&q);
	if (rxq_reclaim(&q, NULL) || rxq_stats(&q, &st))
		ok = false;
	rxq_close(&q);
	mx_case(&m, ok, cases[0]);
	ktap_metric("mod.pool_total_before", st.pool_total);
	ktap_metric("mod.pool_out_before", st.pool.out);

	rmmod_errno = zcp_module_unload() ? errno : 0;
	ktap_metric("rmmod_errno", rmmod_errno);
	if (mx_sample(&m, m.cg, "unloaded", NULL) < 0)
		goto out;
	if (rmmod_errno) {
		ktap_print_msg("delete_module: %s", strerror(rmmod_errno));
		ok = true;
	} else {
		snprintf(params, sizeof(params), "variant=%s", m.variant);
		ok = !zcp_module_load(params) &&
		     !zcp_wait_path(ZCPOOL_DEVICE, 5000);
		if (!ok)
			ktap_print_msg("load zcpool.ko %s: %m", params);
	}
	mx_case(&m, ok, cases[1]);
out:
	rxq_close(&q);
	return mx_finish(&m, 2, cases);
}
