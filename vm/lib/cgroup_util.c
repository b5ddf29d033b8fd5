// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"

char *cg_name(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", CG_ROOT, name);
	return buf;
}

int cg_create(const char *cgroup)
{
	return mkdir(cgroup, 0755);
}

/*
 * rmdir fails with EBUSY while exiting tasks are still being removed from
 * the cgroup, so retry for a while like the selftests do.
 */
int cg_destroy(const char *cgroup)
{
	const struct timespec delay = { .tv_nsec = 10 * 1000 * 1000 };
	int tries = 500;

	while (rmdir(cgroup)) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || !--tries)
			return -1;
		nanosleep(&delay, NULL);
	}
	return 0;
}

int cg_enter(const char *cgroup, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid ? pid : getpid());
	return cg_write(cgroup, "cgroup.procs", buf);
}

int cg_open(const char *cgroup, const char *control, int flags)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", cgroup, control) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, flags | O_CLOEXEC);
}

ssize_t cg_fd_read(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n = 0;

	if (!len) {
		errno = EINVAL;
		return -1;
	}
	while (off < len - 1) {
		n = pread(fd, buf + off, len - 1 - off, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	if (n < 0)
		return -1;
	buf[off] = '\0';
	return off;
}

ssize_t cg_read(const char *cgroup, const char *control, char *buf,
		size_t len)
{
	ssize_t n;
	int fd, err;

	fd = cg_open(cgroup, control, O_RDONLY);
	if (fd < 0)
		return -1;
	n = cg_fd_read(fd, buf, len);
	err = errno;
	close(fd);
	errno = err;
	return n;
}

int cg_fd_write(int fd, const char *buf)
{
	size_t len = strlen(buf);
	ssize_t n = pwrite(fd, buf, len, 0);

	if (n >= 0 && (size_t)n != len)
		errno = EIO;
	return n == (ssize_t)len ? 0 : -1;
}

int cg_write(const char *cgroup, const char *control, const char *buf)
{
	int fd, ret, err;

	fd = cg_open(cgroup, control, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = cg_fd_write(fd, buf);
	err = errno;
	if (close(fd) && !ret)
		return -1;
	errno = err;
	return ret;
}

static long parse_long(const char *s)
{
	char *end;
	long val;

	errno = 0;
	val = strtol(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n')) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	return val;
}

long cg_read_long(const char *cgroup, const char *control)
{
	char buf[64];

	if (cg_read(cgroup, control, buf, sizeof(buf)) < 0)
		return -1;
	return parse_long(buf);
}

long cg_fd_read_long(int fd, const char *key)
{
	char buf[CG_STAT_BYTES];

	if (cg_fd_read(fd, buf, sizeof(buf)) < 0)
		return -1;
	return key ? cg_key_long(buf, key) : parse_long(buf);
}

long cg_read_key_long(const char *cgroup, const char *control,
		      const char *key)
{
	char buf[CG_STAT_BYTES];

	if (cg_read(cgroup, control, buf, sizeof(buf)) < 0)
		return -1;
	return cg_key_long(buf, key);
}

long cg_key_long(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *line = buf;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return parse_long(line + klen + 1);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	errno = ENOENT;
	return -1;
}
