// SPDX-License-Identifier: GPL-2.0
/*
 * zcpool-device: the contract of /dev/zcpool, one KTAP case per check.
 *
 * Each ioctl and each of its error paths (with the exact errno), the
 * read-only mapping, payload isolation between queues across recycling,
 * pool exhaustion, the variant switch, unload refused while a queue or a
 * mapping is open, unload with pages pinned in a pipe and reload, and a
 * concurrency smoke test from threads and processes. The scenario runs in
 * cgroup zc-<scenario>/main; the charge-failure case uses
 * zc-<scenario>/limited. The host checks the console for warnings.
 *
 * It runs with the variant the module has when it starts (the module's
 * default, as the runner loaded it) and leaves that one in force. The cases
 * are in the files of device/ by concern (device.h); this file has their
 * table, in KTAP order, and what they share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "device.h"
#include "ktap.h"
#include "rxq.h"
#include "scenario.h"

bool expect_errno(int ret, int err, const char *what)
{
	if (ret == -1 && errno == err)
		return true;
	if (ret == -1)
		ktap_print_msg("%s: %s, expected %s", what, strerror(errno),
			       strerror(err));
	else
		ktap_print_msg("%s: succeeded, expected %s", what,
			       strerror(err));
	return false;
}

bool expect_ok(int ret, const char *what)
{
	if (!ret)
		return true;
	ktap_print_msg("%s: %m", what);
	return false;
}

int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

bool with_queue(size_t pages, bool (*check)(struct rxq *q))
{
	struct rxq q = RXQ_INIT;
	bool ok;

	if (rxq_open(&q, PAGES(pages)))
		return false;
	ok = check(&q);
	rxq_close(&q);
	return ok;
}

int dev_reload(const struct dev_ctx *c)
{
	char params[64];

	snprintf(params, sizeof(params), "variant=%s", c->variant);
	return zcp_module_load(params);
}

static const struct {
	const char *name;
	bool (*fn)(struct dev_ctx *c);
} tests[] = {
	{ "device-root-only", t_device_root_only },
	{ "open-queue-stats", t_open_queue_stats },
	{ "mmap-write-eperm", t_mmap_write_eperm },
	{ "mmap-exec-eperm", t_mmap_exec_eperm },
	{ "mmap-private-einval", t_mmap_private_einval },
	{ "mprotect-write-eacces", t_mprotect_write_eacces },
	{ "feed-receive-payload", t_feed_receive_payload },
	{ "write-to-mapping-sigsegv", t_write_to_mapping_sigsegv },
	{ "unreceived-page-sigbus", t_unreceived_page_sigbus },
	{ "feed-zero-bytes-einval", t_feed_zero_bytes_einval },
	{ "feed-unaligned-bytes-einval", t_feed_unaligned_bytes_einval },
	{ "feed-too-large-einval", t_feed_too_large_einval },
	{ "feed-unit-pages-einval", t_feed_unit_pages_einval },
	{ "feed-flags-einval", t_feed_flags_einval },
	{ "feed-bad-pointer-efault", t_feed_bad_pointer_efault },
	{ "receive-unaligned-address-einval", t_receive_unaligned_address_einval },
	{ "receive-unaligned-length-einval", t_receive_unaligned_length_einval },
	{ "receive-zero-length-einval", t_receive_zero_length_einval },
	{ "receive-flags-einval", t_receive_flags_einval },
	{ "receive-outside-mapping-einval", t_receive_outside_mapping_einval },
	{ "receive-other-queue-einval", t_receive_other_queue_einval },
	{ "receive-beyond-mapping-einval", t_receive_beyond_mapping_einval },
	{ "receive-bad-pointer-efault", t_receive_bad_pointer_efault },
	{ "receive-busy-pte-ebusy", t_receive_busy_pte_ebusy },
	{ "receive-empty-queue", t_receive_empty_queue },
	{ "stats-bad-pointer-efault", t_stats_bad_pointer_efault },
	{ "reclaim-bad-pointer-efault", t_reclaim_bad_pointer_efault },
	{ "unknown-ioctl-enotty", t_unknown_ioctl_enotty },
	{ "read-copy-fallback", t_read_copy_fallback },
	{ "read-unaligned-einval", t_read_unaligned_einval },
	{ "read-bad-buffer-efault", t_read_bad_buffer_efault },
	{ "reclaim-recycles", t_reclaim_recycles },
	{ "payload-isolation-after-recycling", t_payload_isolation_after_recycling },
	{ "receive-charge-failure-skip-hint", t_receive_charge_failure_skip_hint },
	{ "pool-exhausted-enobufs", t_pool_exhausted_enobufs },
	{ "variant-switch-busy", t_variant_switch_busy },
	{ "unload-refused-while-open", t_unload_refused_while_open },
	{ "unload-refused-while-mapped", t_unload_refused_while_mapped },
	{ "concurrency-smoke", t_concurrency_smoke },
	{ "debugfs-stats", t_debugfs_stats },
	{ "unload-with-pinned-pages", t_unload_with_pinned_pages },
	{ "pinned-payload-intact", t_pinned_payload_intact },
	{ "pinned-charge-kept-then-released", t_pinned_charge_kept_then_released },
	{ "module-reload", t_module_reload },
};

static int dev_setup(struct dev_ctx *c, const char *name)
{
	char cg[NAME_MAX + 1];

	snprintf(cg, sizeof(cg), "zc-%s", name);
	cg_name(c->cg, cg);
	if (snprintf(c->cg_main, sizeof(c->cg_main), "%s/main", c->cg) >=
	    (int)sizeof(c->cg_main) ||
	    snprintf(c->cg_limited, sizeof(c->cg_limited), "%s/limited",
		     c->cg) >= (int)sizeof(c->cg_limited) ||
	    cg_create(c->cg) ||
	    cg_write(c->cg, "cgroup.subtree_control", "+memory") ||
	    cg_create(c->cg_main) || cg_create(c->cg_limited) ||
	    cg_enter(c->cg_main, 0)) {
		ktap_print_msg("cgroups under %s: %m", c->cg);
		return -1;
	}
	if (zcp_get_variant(c->variant, sizeof(c->variant))) {
		ktap_print_msg("variant parameter: %m");
		return -1;
	}
	return 0;
}

static void dev_cleanup(struct dev_ctx *c)
{
	if (c->module_gone && dev_reload(c))
		ktap_print_msg("reload zcpool.ko: %m");
	if (cg_enter(CG_ROOT, 0) || cg_destroy(c->cg_limited) ||
	    cg_destroy(c->cg_main) || cg_destroy(c->cg))
		ktap_print_msg("remove cgroups: %m");
}

int test_zcpool_device(const char *name, const struct zc_config *cfg)
{
	struct dev_ctx c = { .cfg = cfg };
	size_t i, n = ARRAY_SIZE(tests);
	bool setup, all = true;

	ktap_print_plan(n);
	c.tol = 64 * ZCP_PAGE * sysconf(_SC_NPROCESSORS_ONLN);
	setup = !dev_setup(&c, name);
	for (i = 0; i < n; i++) {
		bool ok = setup && tests[i].fn(&c);

		ktap_test_result(ok, i + 1, tests[i].name, NULL);
		all &= ok;
	}
	dev_cleanup(&c);
	return all ? 0 : 1;
}
