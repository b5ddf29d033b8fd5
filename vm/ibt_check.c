// SPDX-License-Identifier: GPL-2.0
/*
 * module-ibt-check: zcpool loaded with ibt_check=1, which makes it check,
 * as it does when IBT is on, that every function it calls through a
 * pointer starts with ENDBR. QEMU's TCG has no CET, so a guest cannot turn
 * IBT on; the parameter forces the check. The module must refuse to load
 * and name each function without ENDBR; loaded without it, it loads.
 *
 * Reports the refused load's errno and the module's messages; the host
 * judges. Not part of `zcbench check`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"
#include "ktap.h"
#include "scenario.h"
#include "zcpool_util.h"

/* Print the module's ENDBR lines logged since kmsg was opened; how many refused. */
static long print_refusals(int kmsg)
{
	const char *text;
	char rec[1024];
	long refused = 0;

	while ((text = kmsg_next(kmsg, rec, sizeof(rec)))) {
		if (!strstr(text, "zcpool") || !strstr(text, "ENDBR"))
			continue;
		ktap_print_msg("kernel: %.300s", text);
		refused += strstr(text, "refusing to load: ") != NULL;
	}
	return refused;
}

int test_module_ibt_check(const char *name, const struct zc_config *cfg)
{
	char variant[32] = "", params[64] = "";
	bool unloaded, reloaded;
	long refused;
	int kmsg, err;

	(void)name;
	(void)cfg;
	ktap_print_plan(2);
	/* The module comes back as it was: the variant in force now. */
	if (!zcp_get_variant(variant, sizeof(variant)))
		snprintf(params, sizeof(params), "variant=%s", variant);
	unloaded = !zcp_module_unload();
	if (!unloaded)
		ktap_print_msg("delete_module: %m");

	kmsg = kmsg_open();
	if (kmsg < 0)
		ktap_print_msg("/dev/kmsg: %m");
	err = zcp_module_load("ibt_check=1") ? errno : 0;
	if (!err)
		zcp_module_unload();
	ktap_metric("forced.load_errno", err);
	refused = print_refusals(kmsg);
	ktap_metric("forced.refused_symbols", refused);
	if (kmsg >= 0)
		close(kmsg);
	ktap_test_result(unloaded && kmsg >= 0, 1, "forced-load", NULL);

	err = zcp_module_load(params) ? errno : 0;
	reloaded = !err && !zcp_wait_path(ZCPOOL_DEVICE, 5000);
	ktap_metric("plain.load_errno", err);
	ktap_test_result(reloaded, 2, "reload", NULL);
	return unloaded && reloaded ? 0 : 1;
}
