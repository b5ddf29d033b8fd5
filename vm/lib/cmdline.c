// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench.* parameters of the kernel command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "protocol.h"

static const char *cmdline_read(void)
{
	static char cmdline[4096];
	static int loaded;
	ssize_t n;
	int fd;

	if (loaded)
		return cmdline;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	cmdline[n] = '\0';
	loaded = 1;
	return cmdline;
}

const char *cmdline_get(const char *key, char *buf, size_t len)
{
	const char *p = cmdline_read();
	size_t klen = strlen(key);
	const char *found = NULL;
	size_t flen = 0;

	if (!p || !len)
		return NULL;

	while (*p) {
		size_t tlen;

		p += strspn(p, " \t\n");
		tlen = strcspn(p, " \t\n");
		if (tlen > strlen(ZCB_PARAM_PREFIX) + klen &&
		    !strncmp(p, ZCB_PARAM_PREFIX, strlen(ZCB_PARAM_PREFIX)) &&
		    !strncmp(p + strlen(ZCB_PARAM_PREFIX), key, klen) &&
		    p[strlen(ZCB_PARAM_PREFIX) + klen] == '=') {
			found = p + strlen(ZCB_PARAM_PREFIX) + klen + 1;
			flen = tlen - strlen(ZCB_PARAM_PREFIX) - klen - 1;
		}
		p += tlen;
	}
	if (!found)
		return NULL;

	if (flen >= len)
		flen = len - 1;
	memcpy(buf, found, flen);
	buf[flen] = '\0';
	return buf;
}

long cmdline_get_long(const char *key, long def)
{
	char buf[32], *end;
	long val;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return def;

	errno = 0;
	val = strtol(buf, &end, 10);
	if (errno || end == buf || *end || val < 0) {
		fprintf(stderr, "zcbench: bad value " ZCB_PARAM_PREFIX "%s=%s\n", key, buf);
		return -1;
	}
	return val;
}
