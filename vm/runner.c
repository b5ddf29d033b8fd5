// SPDX-License-Identifier: GPL-2.0
/*
 * zcrunner: run the zcbench scenarios and print KTAP (docs/guest-protocol.md,
 * docs/matrix-protocol.md).
 *
 *   zcrunner [-o results_fd] [-m module_errno] [scenario...]
 *
 * init starts it with the results port (ttyS1) as results_fd and the errno of
 * loading zcpool.ko. Without scenario arguments it runs zcbench.scenarios of
 * the kernel command line. Test 1 is the module load, then one subtest per
 * scenario that runs once, then for each variant of zcbench.variants the
 * test <variant>/reload (zcpool.ko loaded again with variant=<variant>) and
 * one subtest <variant>/<scenario> per matrix scenario. Without
 * zcbench.variants the matrix scenarios run once, with the variant loaded,
 * unless zcbench.tcp_designs names designs: then only the real path's.
 * Then, for each design of zcbench.tcp_designs, the test <design>/patch
 * (the zctcp livepatch loaded with design=<design>, or unloaded for the
 * stock kernel's tcp-unaccounted and for a design the kernel was built
 * with, zcbench.tcp_kernel) and one subtest <design>/<scenario> per
 * real-path scenario in the list: a name may be in both matrices. A design
 * built into the kernel skips double-charge (KTAP SKIP: no pause point).
 * Every load of zcpool in the run (the runner's, the scenarios') carries
 * zcbench.fault, which the module loaded at boot is given first.
 * Each subtest runs in its own process so that a crash fails only that
 * scenario; the metric elapsed_ms before its result line is its wall time
 * (also before each reload and patch: part of what a variant costs a run).
 * Exits 0 if every test passed, 1 otherwise, 2 on bad usage or parameters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zcpool.h>

#include "clock.h"
#include "cmdline.h"
#include "ktap.h"
#include "memcg.h"
#include "protocol.h"
#include "scenario.h"
#include "zcpool_util.h"
#include "zctcp_util.h"

#define MODULE_VERSION_PATH	"/sys/module/zcpool/version"
#define DEFAULT_SIZE_MIB	32
#define DEFAULT_SETTLE_MS	0
#define MAX_SIZE_MIB		4096
#define MAX_SETTLE_MS		60000
#define MAX_SCENARIOS		64
#define MAX_VARIANTS		ZCPOOL_NR_VARIANTS
#define MAX_DESIGNS		ZCTCP_NR_DESIGNS

/* Scenarios that run once, before the matrix. */
static const struct scenario scenarios[] = {
	{ "tcp-zerocopy", test_tcp_zerocopy },
	{ "zcpool-device", test_zcpool_device },
	{ "zcpool-variants", test_zcpool_variants },
	{ "zcpool-cost", test_zcpool_cost },
	{ "tcp-cost", test_tcp_cost },
	{ "zcpool-fuzz", test_zcpool_fuzz },
	{ "module-ibt-check", test_module_ibt_check },
	{ "livepatch-safety", test_livepatch_safety },
	{ "exec", test_exec },
	{ "fault-panic", test_fault_panic },
	{ "fault-hang", test_fault_hang },
};

/* The matrix scenarios, run once per variant as <variant>/<name>. */
static const struct scenario matrix[] = {
	{ "steady", test_mx_steady },
	{ "release", test_mx_release },
	{ "double-charge", test_mx_double_charge },
	{ "under-charge", test_mx_under_charge },
	{ "memory-max", test_mx_memory_max },
	{ "nofail-overshoot", test_mx_nofail_overshoot },
	{ "cross-cgroup", test_mx_cross_cgroup },
	{ "vmsplice-pin", test_mx_vmsplice_pin },
	{ "fork", test_mx_fork },
	{ "zombie", test_mx_zombie },
	{ "unload", test_mx_unload },
};

/* The real-path matrix, run once per design as <design>/<name>. */
static const struct scenario tcp_matrix[] = {
	{ "steady", test_tcpmx_steady },
	{ "release", test_tcpmx_release },
	{ "double-charge", test_tcpmx_double_charge },
	{ "memory-max", test_tcpmx_memory_max },
	{ "vmsplice-pin", test_tcpmx_vmsplice_pin },
	{ "fork", test_tcpmx_fork },
	{ "unload", test_tcpmx_unload },
};

static const struct scenario *find(const struct scenario *table, size_t n,
				   const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(table[i].name, name))
			return &table[i];
	}
	return NULL;
}

static const struct scenario *matrix_find(const char *name)
{
	return find(matrix, ARRAY_SIZE(matrix), name);
}

static const struct scenario *tcp_matrix_find(const char *name)
{
	return find(tcp_matrix, ARRAY_SIZE(tcp_matrix), name);
}

static bool test_module_load(unsigned int n, int err)
{
	char version[64];
	bool ok = false;

	if (err) {
		ktap_print_msg("finit_module(%s): %s (errno %d)", ZCB_PATH_MODULE,
			       strerror(err), err);
	} else if (zcp_read_line(MODULE_VERSION_PATH, version, sizeof(version))) {
		ktap_print_msg("%s: %m", MODULE_VERSION_PATH);
	} else {
		ktap_print_msg("zcpool version %s", version);
		ok = !strcmp(version, ZCPOOL_VERSION);
		if (!ok)
			ktap_print_msg("expected zcpool version %s",
				       ZCPOOL_VERSION);
	}
	ktap_test_result(ok, n, "module-load", NULL);
	return ok;
}

/* Run sc in its own process as the subtest name, numbered n. */
static bool run_scenario(unsigned int n, const char *name,
			 const struct scenario *sc, const struct zc_config *cfg)
{
	int64_t start = monotonic_ns();
	int status;
	pid_t pid;

	if (!sc) {
		ktap_test_result(false, n, name, "unknown scenario");
		return false;
	}

	pid = fork();
	if (pid < 0) {
		ktap_print_msg("%s: fork: %m", name);
		ktap_test_result(false, n, name, NULL);
		return false;
	}
	if (!pid) {
		ktap_begin_subtest(name);
		_exit(sc->run(sc->name, cfg) ? 1 : 0);
	}

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ktap_print_msg("%s: waitpid: %m", name);
			ktap_test_result(false, n, name, NULL);
			return false;
		}
	}
	if (WIFSIGNALED(status))
		ktap_print_msg("%s: killed by signal %d (%s)", name,
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
	ktap_metric("elapsed_ms", ms_since(start));
	ktap_test_result(WIFEXITED(status) && !WEXITSTATUS(status), n, name,
			 NULL);
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

/*
 * Load zcpool.ko again with variant=<variant>: delete_module (not loaded
 * is fine), finit_module, wait for the device. Prints the test <variant>/reload
 * numbered n; returns whether it passed.
 */
static bool reload_module(unsigned int n, const char *variant)
{
	char params[96], name[64], loaded[32] = "";
	int64_t start = monotonic_ns();
	bool ok = false;

	snprintf(name, sizeof(name), "%s/reload", variant);
	snprintf(params, sizeof(params), "variant=%s", variant);
	if (zcp_module_unload() && errno != ENOENT) {
		ktap_print_msg("delete_module(zcpool): %s (errno %d)",
			       strerror(errno), errno);
	} else if (zcp_module_load(params)) {
		ktap_print_msg("finit_module(%s, \"%s\"): %s (errno %d)",
			       ZCB_PATH_MODULE, params, strerror(errno), errno);
	} else if (zcp_wait_path(ZCPOOL_DEVICE, 5000)) {
		ktap_print_msg("%s did not appear (errno %d)", ZCPOOL_DEVICE,
			       ETIMEDOUT);
	} else if (zcp_get_variant(loaded, sizeof(loaded)) ||
		   strcmp(loaded, variant)) {
		ktap_print_msg("variant parameter is \"%s\", not %s", loaded,
			       variant);
	} else {
		ok = true;
	}
	ktap_metric("elapsed_ms", ms_since(start));
	ktap_test_result(ok, n, name, NULL);
	return ok;
}

/* The matrix scenarios of one variant, numbered from n; returns all passed. */
static bool run_variant(unsigned int n, const char *variant,
			const struct scenario **mx, unsigned int nmx,
			struct zc_config cfg, bool reload)
{
	char name[128];
	unsigned int i;
	bool ok = true;

	if (reload && !reload_module(n++, variant)) {
		for (i = 0; i < nmx; i++) {
			snprintf(name, sizeof(name), "%s/%s", variant,
				 mx[i]->name);
			ktap_test_result(false, n + i, name,
					 "SKIP zcpool reload failed");
		}
		return false;
	}
	cfg.variant = variant;
	for (i = 0; i < nmx; i++) {
		snprintf(name, sizeof(name), "%s/%s", variant, mx[i]->name);
		ok &= run_scenario(n + i, name, mx[i], &cfg);
	}
	return ok;
}

/*
 * double-charge samples memory.current at the livepatch's pause point,
 * inside the call (kernel/zctcp/pause.c); a design built into the kernel
 * has none, and a sample after the call would not see the window.
 */
#define IN_KERNEL_NO_PAUSE \
	"SKIP the design is built into the kernel: no pause point inside the call to sample at"

/*
 * Make design the one in force on the real path: the test <design>/patch
 * numbered n, then its scenarios, numbered from n + 1. Returns all passed.
 */
static bool run_design(unsigned int n, const char *design,
		       const struct scenario **tmx, unsigned int ntmx,
		       struct zc_config cfg)
{
	int64_t start = monotonic_ns();
	char name[128];
	unsigned int i;
	bool patched, ok = true;

	snprintf(name, sizeof(name), "%s/patch", design);
	patched = !zct_switch(design, NULL);
	ktap_metric("elapsed_ms", ms_since(start));
	ktap_test_result(patched, n++, name, NULL);
	if (!patched) {
		for (i = 0; i < ntmx; i++) {
			snprintf(name, sizeof(name), "%s/%s", design,
				 tmx[i]->name);
			ktap_test_result(false, n + i, name,
					 "SKIP zctcp patch failed");
		}
		return false;
	}
	cfg.variant = design;
	for (i = 0; i < ntmx; i++) {
		snprintf(name, sizeof(name), "%s/%s", design, tmx[i]->name);
		if (zct_in_kernel(design) &&
		    tmx[i]->run == test_tcpmx_double_charge)
			ktap_test_result(true, n + i, name, IN_KERNEL_NO_PAUSE);
		else
			ok &= run_scenario(n + i, name, tmx[i], &cfg);
	}
	return ok;
}

/* Append name to names unless full; returns the new count, full or not. */
static unsigned int add_scenario(const char **names, unsigned int count,
				 const char *name)
{
	if (count < MAX_SCENARIOS)
		names[count] = name;
	return count + 1;
}

/* Split list at commas into names, at most max; returns the count. */
static unsigned int split_list(char *list, const char **names,
			       unsigned int max)
{
	unsigned int count = 0;
	char *tok, *save;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (count < max)
			names[count] = tok;
		count++;
	}
	return count;
}

static int parse_int(const char *s, int *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 0x7fffffff)
		return -1;
	*val = v;
	return 0;
}

/*
 * Append "name=value" to the parameters every load of zcpool gets (params,
 * len bytes), and set it in the module loaded now.
 */
static void module_default(char *params, size_t len, const char *name,
			   const char *value)
{
	size_t used = strlen(params);

	snprintf(params + used, len - used, "%s%s=%s", used ? " " : "", name,
		 value);
	if (zcp_param_set(name, value))
		ktap_print_msg("zcpool %s=%s: %m", name, value);
}

/*
 * What every load of zcpool in this run carries, whoever loads it, and the
 * module loaded now too: pool_pages, where the scenarios hold more than
 * the module's default out of the pool (up to twice the receive size:
 * cross-cgroup, vmsplice-pin), and the fault of zcbench.fault.
 */
static void module_defaults(size_t size)
{
	unsigned long pool_pages = 2 * (size / 4096) + 4096;
	char params[128] = "", value[32];

	if (pool_pages > ZCPOOL_DEFAULT_POOL_PAGES) {
		snprintf(value, sizeof(value), "%lu", pool_pages);
		module_default(params, sizeof(params), "pool_pages", value);
	}
	if (cmdline_get(ZCB_KEY_FAULT, value, sizeof(value)))
		module_default(params, sizeof(params), "fault", value);
	zcp_module_defaults(params);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zcrunner [-o results_fd] [-m module_errno] [scenario...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *names[MAX_SCENARIOS], *variants[MAX_VARIANTS];
	const char *designs[MAX_DESIGNS];
	const struct scenario *mx[MAX_SCENARIOS], *tmx[MAX_SCENARIOS];
	char list[1024], vlist[256], dlist[256], current[32];
	unsigned int i, n, count = 0, nvar = 0, nmx = 0, nonce = 0, plan;
	unsigned int ndes = 0, ntmx = 0;
	int results_fd = 1, module_err = -1;
	struct zc_config cfg = { 0 };
	long size_mib, settle_ms;
	bool ok, reload = true;
	int opt;

	while ((opt = getopt(argc, argv, "o:m:")) != -1) {
		switch (opt) {
		case 'o':
			if (parse_int(optarg, &results_fd))
				usage();
			break;
		case 'm':
			if (parse_int(optarg, &module_err))
				usage();
			break;
		default:
			usage();
		}
	}
	/* Started by hand: judge the module load by what is loaded. */
	if (module_err < 0)
		module_err = access("/sys/module/zcpool", F_OK) ? ENOENT : 0;

	if (optind < argc) {
		for (; optind < argc; optind++)
			count = add_scenario(names, count, argv[optind]);
	} else if (cmdline_get(ZCB_KEY_SCENARIOS, list, sizeof(list))) {
		count = split_list(list, names, MAX_SCENARIOS);
	}
	if (cmdline_get(ZCB_KEY_VARIANTS, vlist, sizeof(vlist)))
		nvar = split_list(vlist, variants, MAX_VARIANTS);
	if (cmdline_get(ZCB_KEY_TCP_DESIGNS, dlist, sizeof(dlist)))
		ndes = split_list(dlist, designs, MAX_DESIGNS);

	ktap_init(results_fd);
	ktap_print_header();
	if (count > MAX_SCENARIOS || nvar > MAX_VARIANTS || ndes > MAX_DESIGNS) {
		ktap_bail_out("too many scenarios, variants or designs");
		return 2;
	}

	size_mib = cmdline_get_long(ZCB_KEY_SIZE_MIB, DEFAULT_SIZE_MIB);
	settle_ms = cmdline_get_long(ZCB_KEY_SETTLE_MS, DEFAULT_SETTLE_MS);
	if (size_mib <= 0 || size_mib > MAX_SIZE_MIB || settle_ms < 0 ||
	    settle_ms > MAX_SETTLE_MS) {
		ktap_bail_out("bad " ZCB_PARAM_PREFIX ZCB_KEY_SIZE_MIB " or "
			      ZCB_PARAM_PREFIX ZCB_KEY_SETTLE_MS);
		return 2;
	}
	cfg.size = (size_t)size_mib << 20;
	cfg.settle_ms = settle_ms;
	module_defaults(cfg.size);
	cfg.flush_stats = cmdline_get_long(ZCB_KEY_FLUSH_STATS, 1) != 0;

	/*
	 * Matrix scenarios out of the list, in order, for the simulated path
	 * and, with designs, the real path; the others run once.
	 */
	for (i = 0; i < count; i++) {
		/* Designs without variants: no simulated path. */
		bool sim = matrix_find(names[i]) && (nvar || !ndes);
		bool real = ndes && tcp_matrix_find(names[i]);

		if (sim)
			mx[nmx++] = matrix_find(names[i]);
		if (real)
			tmx[ntmx++] = tcp_matrix_find(names[i]);
		if (!sim && !real)
			names[nonce++] = names[i];
	}
	if (nmx && !nvar) {
		/* By hand: the variant loaded now, no reload. */
		if (zcp_get_variant(current, sizeof(current)))
			snprintf(current, sizeof(current), "none");
		variants[nvar++] = current;
		reload = false;
	}

	plan = 1 + nonce;
	if (nmx)
		plan += nvar * (nmx + reload);
	if (ntmx)
		plan += ndes * (ntmx + 1);
	ktap_print_plan(plan);
	guest_memory_init();
	ok = test_module_load(1, module_err);
	for (i = 0, n = 2; i < nonce; i++, n++) {
		ok &= run_scenario(n, names[i],
				   find(scenarios, ARRAY_SIZE(scenarios),
					names[i]), &cfg);
	}
	for (i = 0; nmx && i < nvar; i++, n += nmx + reload)
		ok &= run_variant(n, variants[i], mx, nmx, cfg, reload);
	for (i = 0; ntmx && i < ndes; i++, n += ntmx + 1)
		ok &= run_design(n, designs[i], tmx, ntmx, cfg);
	guest_memory_print();

	return ok ? 0 : 1;
}
