// SPDX-License-Identifier: GPL-2.0
/*
 * zcrunner: run the zcbench scenarios and print KTAP (docs/guest-protocol.md).
 *
 *   zcrunner [-o results_fd] [-m module_errno] [scenario...]
 *
 * init starts it with the results port (ttyS1) as results_fd and the errno of
 * loading zcpool.ko. Without scenario arguments it runs zcbench.scenarios of
 * the kernel command line. Test 1 is the module load, then one subtest per
 * scenario, each run in its own process so that a crash fails only that
 * scenario. Exits 0 if every test passed, 1 otherwise, 2 on bad usage or
 * parameters.
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

#include "cmdline.h"
#include "ktap.h"
#include "scenario.h"

#define MODULE_PATH		"/lib/modules/zcpool.ko"
#define MODULE_VERSION_PATH	"/sys/module/zcpool/version"
#define DEFAULT_SIZE_MIB	32
#define DEFAULT_SETTLE_MS	2500
#define MAX_SIZE_MIB		4096
#define MAX_SETTLE_MS		60000
#define MAX_SCENARIOS		64

static const struct scenario scenarios[] = {
	{ "tcp-zerocopy", test_tcp_zerocopy },
	{ "zcpool-device", test_zcpool_device },
	{ "zcpool-variants", test_zcpool_variants },
};

static const struct scenario *scenario_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	}
	return NULL;
}

/* Read the first line of path into buf, without the newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool test_module_load(unsigned int n, int err)
{
	char version[64];
	bool ok = false;

	if (err) {
		ktap_print_msg("finit_module(%s): %s (errno %d)", MODULE_PATH,
			       strerror(err), err);
	} else if (read_line(MODULE_VERSION_PATH, version, sizeof(version))) {
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

static bool run_scenario(unsigned int n, const char *name,
			 const struct zc_config *cfg)
{
	const struct scenario *sc = scenario_find(name);
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
		_exit(sc->run(name, cfg) ? 1 : 0);
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
	ktap_test_result(WIFEXITED(status) && !WEXITSTATUS(status), n, name,
			 NULL);
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

/* Append name to names unless full; returns the new count, full or not. */
static unsigned int add_scenario(const char **names, unsigned int count,
				 const char *name)
{
	if (count < MAX_SCENARIOS)
		names[count] = name;
	return count + 1;
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

static void usage(void)
{
	fprintf(stderr,
		"usage: zcrunner [-o results_fd] [-m module_errno] [scenario...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *names[MAX_SCENARIOS];
	char list[1024], *tok, *save;
	struct zc_config cfg;
	unsigned int i, count = 0;
	int results_fd = 1, module_err = -1;
	long size_mib, settle_ms;
	bool ok;
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
	} else if (cmdline_get("scenarios", list, sizeof(list))) {
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			count = add_scenario(names, count, tok);
	}

	ktap_init(results_fd);
	ktap_print_header();
	if (count > MAX_SCENARIOS) {
		ktap_bail_out("too many scenarios");
		return 2;
	}

	size_mib = cmdline_get_long("size_mib", DEFAULT_SIZE_MIB);
	settle_ms = cmdline_get_long("settle_ms", DEFAULT_SETTLE_MS);
	if (size_mib <= 0 || size_mib > MAX_SIZE_MIB || settle_ms < 0 ||
	    settle_ms > MAX_SETTLE_MS) {
		ktap_bail_out("bad zcbench.size_mib or zcbench.settle_ms");
		return 2;
	}
	cfg.size = (size_t)size_mib << 20;
	cfg.settle_ms = settle_ms;

	ktap_print_plan(1 + count);
	ok = test_module_load(1, module_err);
	for (i = 0; i < count; i++)
		ok &= run_scenario(i + 2, names[i], &cfg);

	return ok ? 0 : 1;
}
