// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench guest init, PID 1 of the initramfs (docs/guest-protocol.md).
 *
 * Mounts the pseudo file systems, enables the memory controller, loads
 * /lib/modules/zcpool.ko and then, by zcbench.mode:
 *   run    runs /bin/zcrunner with the results port (ttyS1), kills it after
 *          zcbench.runner_timeout_s (first printing every task's stack on
 *          the console), writes "# zcbench-exit <status>" to the results
 *          port and powers off;
 *   shell  runs /bin/sh on the console and powers off when it exits.
 * PID 1 must never exit: on any error it reports on the console and powers
 * off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "protocol.h"

#define SHELL_PATH			"/bin/sh"
#define CGROUP_ROOT			"/sys/fs/cgroup"
#define DEFAULT_RUNNER_TIMEOUT_S	600
/* How long a killed runner may take to go away before init gives up. */
#define KILL_GRACE_S			10

static char *const child_env[] = {
	"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
	"HOME=/",
	"TERM=linux",
	NULL,
};

/* A message on the console. */
static void __attribute__((format(printf, 1, 2))) msg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "zcbench-init: %s\n", buf);
}

static void __attribute__((noreturn)) power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	msg("power off: %m");
	for (;;)
		pause();
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	msg("fatal: %s", buf);
	power_off();
}

/* mount(2) of a type on target, made first; dies if it cannot be made. */
static int mount_at(const char *type, const char *target, unsigned long flags,
		    const char *data)
{
	if (mkdir(target, 0755) && errno != EEXIST)
		die("mkdir %s: %m", target);
	return mount(type, target, type, flags, data);
}

static void mount_fs(const char *type, const char *target,
		     unsigned long flags)
{
	if (mount_at(type, target, flags, NULL))
		die("mount %s on %s: %m", type, target);
}

/*
 * cgroup2, with favordynmods: a write to cgroup.procs (every scenario moves
 * its processes between cgroups several times) then no longer waits for an
 * RCU grace period, which on this idle one-vCPU guest is time spent doing
 * nothing (measured: 0.8 s of a check's 2.2 s of idle per boot). The price,
 * in fork and exit, is outside anything timed; memcg accounting is the same.
 * A kernel without the option (before 6.0) gets the plain mount, said so.
 */
static void mount_cgroup2(void)
{
	const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (!mount_at("cgroup2", CGROUP_ROOT, flags, "favordynmods"))
		return;
	if (errno != EINVAL)
		die("mount cgroup2 on %s: %m", CGROUP_ROOT);
	msg("cgroup2: no favordynmods in this kernel, mounted without it");
	mount_fs("cgroup2", CGROUP_ROOT, flags);
}

static void write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %m", path);
	if (write(fd, val, len) != (ssize_t)len)
		die("write %s to %s: %m", val, path);
	close(fd);
}

/* Give stdin/out/err the console if the kernel could not open it for us. */
static void open_console(void)
{
	int fd;

	if (fcntl(STDERR_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* The results port, raw: bytes go out exactly as written. */
static int open_results(void)
{
	struct termios tio;
	int fd;

	fd = open(ZCB_PATH_RESULTS, O_WRONLY | O_NOCTTY);
	if (fd < 0)
		die("open %s: %m", ZCB_PATH_RESULTS);
	if (tcgetattr(fd, &tio))
		die("tcgetattr %s: %m", ZCB_PATH_RESULTS);
	cfmakeraw(&tio);
	if (tcsetattr(fd, TCSANOW, &tio))
		die("tcsetattr %s: %m", ZCB_PATH_RESULTS);
	return fd;
}

/* Returns 0 or the errno of loading the module. */
static int load_module(const char *path)
{
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		if (syscall(SYS_finit_module, fd, "", 0))
			err = errno;
		close(fd);
	}
	if (err)
		msg("load %s: %s", path, strerror(err));
	else
		msg("loaded %s", path);
	return err;
}

static long timespec_ms(const struct timespec *ts)
{
	return ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/*
 * A sysrq command, for the kernel to print what it knows (the mask of
 * kernel.sysrq binds the keyboard only, not this file).
 */
static void sysrq(char key)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, &key, 1) != 1)
		msg("sysrq '%c': %s", key, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Wait for the runner, reaping every other child too (orphans come to PID 1).
 * After timeout_s, kill the runner's process group. Returns the runner's
 * wait status, or -1 if it did not go away even after SIGKILL.
 */
static int wait_runner(pid_t pid, long timeout_s, const sigset_t *sigchld)
{
	struct timespec now;
	bool killed = false;
	long deadline_ms;
	int status;
	pid_t w;

	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline_ms = timespec_ms(&now) + timeout_s * 1000;
	for (;;) {
		struct timespec left;
		long left_ms;

		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w == pid)
				return status;
		}
		if (w < 0 && errno != EINTR)
			die("waitpid: %m");

		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = deadline_ms - timespec_ms(&now);
		if (left_ms <= 0) {
			if (killed)
				return -1;
			msg("%s still running after %ld s: every task's state and stack (sysrq 't'), then killing it",
			    ZCB_PATH_RUNNER, timeout_s);
			sysrq('t');
			kill(-pid, SIGKILL);
			killed = true;
			deadline_ms = timespec_ms(&now) + KILL_GRACE_S * 1000;
			continue;
		}
		left.tv_sec = left_ms / 1000;
		left.tv_nsec = left_ms % 1000 * 1000000;
		sigtimedwait(sigchld, NULL, &left);
	}
}

/* Run zcrunner, report its exit status on the results port. */
static void run_tests(int module_err)
{
	char fd_arg[16], err_arg[16];
	sigset_t sigchld, oldmask;
	int results, status, code;
	long timeout_s;
	pid_t pid;

	timeout_s = cmdline_get_long(ZCB_KEY_RUNNER_TIMEOUT_S,
				     DEFAULT_RUNNER_TIMEOUT_S);
	if (timeout_s <= 0)
		die("bad " ZCB_PARAM_PREFIX ZCB_KEY_RUNNER_TIMEOUT_S);
	results = open_results();

	/* Blocked, SIGCHLD stays pending for sigtimedwait() even in PID 1. */
	sigemptyset(&sigchld);
	sigaddset(&sigchld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigchld, &oldmask);

	snprintf(fd_arg, sizeof(fd_arg), "%d", results);
	snprintf(err_arg, sizeof(err_arg), "%d", module_err);
	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (!pid) {
		char *argv[] = { "zcrunner", "-o", fd_arg, "-m", err_arg, NULL };

		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		setpgid(0, 0);
		execve(ZCB_PATH_RUNNER, argv, child_env);
		msg("exec %s: %m", ZCB_PATH_RUNNER);
		_exit(127);
	}
	setpgid(pid, 0);

	status = wait_runner(pid, timeout_s, &sigchld);
	if (status < 0) {
		msg("%s did not exit after SIGKILL", ZCB_PATH_RUNNER);
		code = 128 + SIGKILL;
	} else if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
	} else {
		code = 128 + WTERMSIG(status);
	}
	msg("%s exit status %d", ZCB_PATH_RUNNER, code);

	dprintf(results, "# " ZCB_LINE_EXIT "%d\n", code);
	tcdrain(results);
	fsync(results);
	close(results);
}

/* The console's real tty, as busybox cttyhack finds it: /dev/console cannot
 * be a controlling tty.
 */
static void console_tty(char *path, size_t len)
{
	char buf[48], *name;
	ssize_t n;
	int fd;

	snprintf(path, len, "/dev/console");
	fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	/* With several consoles, /dev/console is the last one. */
	name = strrchr(buf, ' ');
	name = name ? name + 1 : buf;
	if (*name)
		snprintf(path, len, "/dev/%s", name);
}

/* Run an interactive shell on the console, with job control. */
static void run_shell(void)
{
	char tty[64];
	int status;
	pid_t pid;

	console_tty(tty, sizeof(tty));
	msg("shell mode on %s: 'zcrunner [scenario...]' runs scenarios, "
	    "exit the shell to power off", tty);

	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (!pid) {
		char *argv[] = { "sh", NULL };
		int fd;

		setsid();
		fd = open(tty, O_RDWR);
		if (fd < 0) {
			msg("open %s: %m", tty);
			_exit(127);
		}
		if (ioctl(fd, TIOCSCTTY, 0))
			msg("%s: TIOCSCTTY: %m", tty);
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
		execve(SHELL_PATH, argv, child_env);
		msg("exec %s: %m", SHELL_PATH);
		_exit(127);
	}

	/* Reap orphans along the way until the shell itself exits. */
	for (;;) {
		pid_t w = waitpid(-1, &status, 0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("waitpid: %m");
	}
}

/*
 * The kernel's clock at init's start: boot time, whatever the loglevel.
 * Init's first line, the host reads it (ZCB_LINE_INIT_STARTED).
 */
static void report_uptime(void)
{
	char buf[64] = "";
	int fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			buf[strcspn(buf, " ")] = '\0';
		close(fd);
	}
	dprintf(STDERR_FILENO, ZCB_LINE_INIT_STARTED "%s s\n",
		buf[0] ? buf : "unknown");
}

int main(void)
{
	char mode[16] = ZCB_MODE_RUN;
	int module_err;

	mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("devtmpfs", "/dev", MS_NOSUID);
	open_console();
	report_uptime();
	mount_cgroup2();
	/* zcpool's stats and memcg flush files (DEBUGFS of lib/zcpool_util.h). */
	mount_fs("debugfs", "/sys/kernel/debug", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");

	cmdline_get(ZCB_KEY_MODE, mode, sizeof(mode));
	if (strcmp(mode, ZCB_MODE_RUN) && strcmp(mode, ZCB_MODE_SHELL))
		die("unknown " ZCB_PARAM_PREFIX ZCB_KEY_MODE "=%s", mode);

	module_err = load_module(ZCB_PATH_MODULE);
	if (!strcmp(mode, ZCB_MODE_RUN))
		run_tests(module_err);
	else
		run_shell();

	power_off();
}
