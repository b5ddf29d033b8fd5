// SPDX-License-Identifier: GPL-2.0
/*
 * livepatch-safety: what the zctcp livepatch refuses to patch. Each load
 * below must fail, leave the kernel unpatched and say why on the console:
 *   build-id     build_id= of another kernel (all zeros): it was not built
 *                for this one (ENOEXEC);
 *   stock        design=tcp-unaccounted, the stock kernel itself (EINVAL);
 *   ibt-check    ibt_check=1: the ENDBR check it makes when IBT is on,
 *                forced (QEMU's TCG has no CET); Debian's kernels give
 *                the functions it calls through pointers no callable ENDBR
 *                (6.1 is built without IBT, 6.12 seals them): ENOEXEC,
 *                naming each.
 * Then a plain load patches the kernel and is removed again. The errnos
 * and the livepatch's own lines (as "kernel: ...") are reported; the host
 * judges. What a removal leaves behind is the real-path matrix's unload.
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
#include "zctcp_util.h"

#define ZERO_BUILD_ID	"0000000000000000000000000000000000000000"

/*
 * Print zctcp's lines logged since kmsg was opened; how many of them
 * contain match.
 */
static long print_kernel_lines(int kmsg, const char *match)
{
	const char *text;
	char rec[1024];
	long matched = 0;

	while ((text = kmsg_next(kmsg, rec, sizeof(rec)))) {
		if (strncmp(text, "zctcp: ", 7))
			continue;
		ktap_print_msg("kernel: %.300s", text);
		matched += strstr(text, match) != NULL;
	}
	return matched;
}

/*
 * Load with params, which must be refused: the case name, its errno and
 * its lines containing match as metrics <name>.load_errno and
 * <name>.lines. True if refused and nothing is left loaded.
 */
static bool refused(unsigned int n, const char *name, const char *params,
		    const char *match)
{
	char metric[64];
	bool loaded;
	int kmsg, err;

	kmsg = kmsg_open();
	if (kmsg < 0)
		ktap_print_msg("/dev/kmsg: %m");
	err = zct_load(params) ? errno : 0;
	loaded = zct_loaded();
	if (loaded && zct_unload())
		ktap_print_msg("%s: could not remove what was loaded", name);
	snprintf(metric, sizeof(metric), "%s.load_errno", name);
	ktap_metric(metric, err);
	snprintf(metric, sizeof(metric), "%s.lines", name);
	ktap_metric(metric, print_kernel_lines(kmsg, match));
	if (kmsg >= 0)
		close(kmsg);
	ktap_test_result(err && !loaded && kmsg >= 0, n, name, NULL);
	return err && !loaded;
}

int test_livepatch_safety(const char *name, const struct zc_config *cfg)
{
	bool ok = true, patched;

	(void)name;
	(void)cfg;
	ktap_print_plan(4);
	if (zct_unload())
		return 1;
	ok &= refused(1, "build-id", "design=tcp-kmem build_id=" ZERO_BUILD_ID,
		      "refusing to load: built for the kernel with build ID " ZERO_BUILD_ID);
	ok &= refused(2, "stock", "design=tcp-unaccounted",
		      "tcp-unaccounted is the stock kernel");
	ok &= refused(3, "ibt-check", "design=tcp-kmem ibt_check=1",
		      "has no ENDBR and IBT is on");
	patched = !zct_switch("tcp-kmem", NULL) && !zct_unload();
	ktap_test_result(patched, 4, "patch-and-remove", NULL);
	return ok && patched ? 0 : 1;
}
