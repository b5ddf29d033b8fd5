// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP version 1 output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

#define KTAP_INDENT 4

static int ktap_fd = 1;
static unsigned int ktap_level;

void ktap_init(int fd)
{
	ktap_fd = fd;
	ktap_level = 0;
}

/* Write prefix and the formatted message as one indented line. */
static void ktap_vprint(const char *prefix, const char *fmt, va_list ap)
{
	size_t len, avail, plen = strlen(prefix), off = 0;
	char line[1024];
	int n;

	len = ktap_level * KTAP_INDENT;
	memset(line, ' ', len);
	memcpy(line + len, prefix, plen);
	len += plen;
	avail = sizeof(line) - len - 1;		/* room for the newline */
	n = vsnprintf(line + len, avail, fmt, ap);
	if (n < 0)
		return;
	len += (size_t)n < avail ? (size_t)n : avail - 1;
	line[len++] = '\n';

	while (off < len) {
		ssize_t w = write(ktap_fd, line + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += w;
	}
}

static void __attribute__((format(printf, 1, 2)))
ktap_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vprint("", fmt, ap);
	va_end(ap);
}

void ktap_print_header(void)
{
	ktap_print("KTAP version 1");
}

void ktap_begin_subtest(const char *name)
{
	ktap_level++;
	ktap_print_header();
	ktap_print("# Subtest: %s", name);
}

void ktap_print_plan(unsigned int n)
{
	ktap_print("1..%u", n);
}

void ktap_print_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vprint("# ", fmt, ap);
	va_end(ap);
}

void ktap_metric(const char *name, long value)
{
	ktap_print("# metric %s=%ld", name, value);
}

void ktap_test_result(bool ok, unsigned int n, const char *name,
		      const char *directive)
{
	ktap_print("%s %u %s%s%s", ok ? "ok" : "not ok", n, name,
		   directive ? " # " : "", directive ? directive : "");
}

void ktap_bail_out(const char *reason)
{
	ktap_print("Bail out! %s", reason);
}
