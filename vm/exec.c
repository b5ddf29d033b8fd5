// SPDX-License-Identifier: GPL-2.0
/*
 * exec: the user's own program (zcbench exec), run in a memory cgroup of
 * its own with zcpool loaded.
 *
 * The host puts the program and its --put files in ZCB_PATH_EXEC_DIR and
 * the argument vector, NUL-terminated strings, in ZCB_PATH_EXEC_ARGV. With
 * zcbench.variants=V, queues get variant V (zcp_set_variant()). The program
 * runs in /sys/fs/cgroup/zc-exec, in ZCB_PATH_EXEC_DIR, with stdin
 * /dev/null and stdout and stderr on the program port (ZCB_PATH_PROGRAM,
 * raw), which the host streams as it arrives. It may run as long as the
 * runner may (zcbench.runner_timeout_s).
 *
 * Metrics: before.* and after.* - memory_current and each memory.stat key
 * as stat.<key>, sampled (after a flush through zcpool) with the cgroup
 * empty before the program starts and once it has exited -, after's
 * memory_peak (the most the cgroup held while the program ran, where the
 * kernel has memory.peak), exit_status or, killed, signal. Cases: setup
 * (cgroup, port, variant), started (the program was executed), exited (it
 * exited by itself, any status).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "cmdline.h"
#include "ktap.h"
#include "memcg.h"
#include "protocol.h"
#include "scenario.h"
#include "zcpool_util.h"

#define EXEC_CGROUP	"zc-exec"
#define EXEC_MAX_ARGS	256
#define EXEC_ARGV_BYTES	65536

static const char *const exec_cases[] = { "setup", "started", "exited" };

/* Read the argv file into buf, fill argv (NULL-terminated); argc or -1. */
static int exec_read_argv(char *buf, size_t len, char **argv)
{
	ssize_t n, at = 0;
	int fd, argc = 0;

	fd = open(ZCB_PATH_EXEC_ARGV, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ktap_print_msg("%s: %m", ZCB_PATH_EXEC_ARGV);
		return -1;
	}
	while ((n = read(fd, buf + at, len - 1 - at)) > 0)
		at += n;
	close(fd);
	if (n < 0 || !at || buf[at - 1] != '\0') {
		ktap_print_msg("%s: not a list of NUL-terminated arguments",
			       ZCB_PATH_EXEC_ARGV);
		return -1;
	}
	for (ssize_t i = 0; i < at && argc < EXEC_MAX_ARGS;
	     i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	return argc;
}

/* Print memory.current and every memory.stat line of cg as <point>.*. */
static int exec_sample(const char *cg, const char *point)
{
	static char stat[CG_STAT_BYTES];
	char name[160], key[96];
	long current, value;
	char *line;
	int off;

	if (memcg_flush())
		ktap_print_msg("flushing memcg stats: %m (memory.stat as flushed last)");
	current = cg_read_long(cg, "memory.current");
	if (current < 0 || cg_read(cg, "memory.stat", stat, sizeof(stat)) < 0) {
		ktap_print_msg("reading %s's memory files: %m", cg);
		return -1;
	}
	snprintf(name, sizeof(name), "%s.memory_current", point);
	ktap_metric(name, current);
	if (!strcmp(point, "after") &&
	    (value = cg_read_long(cg, "memory.peak")) >= 0)
		ktap_metric("after.memory_peak", value);
	for (line = stat; *line; line += off) {
		if (sscanf(line, "%95s %ld%n", key, &value, &off) != 2)
			break;
		snprintf(name, sizeof(name), "%s.stat.%s", point, key);
		ktap_metric(name, value);
		if (line[off] == '\n')
			off++;
	}
	return 0;
}

/* The program port, raw (no CR added to a NL), or -1. */
static int exec_open_port(void)
{
	struct termios tio;
	int fd = open(ZCB_PATH_PROGRAM, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || tcgetattr(fd, &tio)) {
		ktap_print_msg("%s: %m", ZCB_PATH_PROGRAM);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cfmakeraw(&tio);
	if (tcsetattr(fd, TCSANOW, &tio)) {
		ktap_print_msg("tcsetattr %s: %m", ZCB_PATH_PROGRAM);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Fork the program into cg with its output on port; *exec_err gets the
 * errno of a failed execve() (0: it ran). Returns its wait status or -1.
 */
static int exec_run(const char *cg, int port, char **argv, int *exec_err)
{
	int status, err = 0, fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		close(fds[0]);
		if (cg_enter(cg, 0) || chdir(ZCB_PATH_EXEC_DIR) || null < 0 ||
		    dup2(null, 0) < 0 || dup2(port, 1) < 0 || dup2(port, 2) < 0)
			err = errno;
		else
			execv(argv[0], argv);
		err = err ? err : errno;
		if (write(fds[1], &err, sizeof(err)) != sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(fds[1]);
	if (read(fds[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(fds[0]);
	*exec_err = err;
	return waitpid(pid, &status, 0) < 0 ? -1 : status;
}

int test_exec(const char *name, const struct zc_config *cfg)
{
	static char argbuf[EXEC_ARGV_BYTES];
	char cg[4096], variant[64], *argv[EXEC_MAX_ARGS + 1];
	bool ok[3] = { false, false, false };
	int status = -1, exec_err = 0, port = -1, i;

	(void)name;
	(void)cfg;
	ktap_print_plan(3);
	cg_name(cg, EXEC_CGROUP);
	if (exec_read_argv(argbuf, sizeof(argbuf), argv) < 1)
		goto out;
	if (cmdline_get(ZCB_KEY_VARIANTS, variant, sizeof(variant)) &&
	    zcp_set_variant(variant)) {
		ktap_print_msg("zcpool variant %s: %m", variant);
		goto out;
	}
	if (cg_create(cg)) {
		ktap_print_msg("mkdir %s: %m", cg);
		goto out;
	}
	port = exec_open_port();
	if (port < 0 || exec_sample(cg, "before"))
		goto out;
	ok[0] = true;
	status = exec_run(cg, port, argv, &exec_err);
	if (status < 0 || exec_err) {
		ktap_print_msg("running %s: %s", argv[0],
			       strerror(status < 0 ? errno : exec_err));
		goto out;
	}
	ok[1] = true;
	if (WIFEXITED(status)) {
		ok[2] = true;
		ktap_metric("exit_status", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		ktap_print_msg("%s was killed by signal %d", argv[0],
			       WTERMSIG(status));
		ktap_metric("signal", WTERMSIG(status));
	}
	exec_sample(cg, "after");
out:
	if (port >= 0) {
		tcdrain(port);
		close(port);
	}
	for (i = 0; i < 3; i++)
		ktap_test_result(ok[i], i + 1, exec_cases[i], NULL);
	cg_destroy(cg);
	return ok[0] && ok[1] && ok[2] ? 0 : 1;
}
