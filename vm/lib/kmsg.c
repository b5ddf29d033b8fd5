// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log through /dev/kmsg (kmsg.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

const char *kmsg_next(int fd, char *buf, size_t len)
{
	ssize_t n;
	char *text;

	while (fd >= 0 && len > 1) {
		n = read(fd, buf, len - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on with the next */
		if (n <= 0)
			return NULL;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		text = strchr(buf, ';');
		return text ? text + 1 : buf;
	}
	return NULL;
}
