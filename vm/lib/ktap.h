/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP version 1 output (Documentation/dev-tools/ktap.rst).
 *
 * Every line goes out with a single write() so that lines of forked
 * processes sharing the results fd never interleave mid-line.
 */
#ifndef ZCBENCH_KTAP_H
#define ZCBENCH_KTAP_H

#include <stdbool.h>

/* Send output to fd, at the top level. */
void ktap_init(int fd);

/* "KTAP version 1" of the current level. */
void ktap_print_header(void);

/* Open a nested subtest: indent one level, header and "# Subtest: name". */
void ktap_begin_subtest(const char *name);

/* "1..n" */
void ktap_print_plan(unsigned int n);

/* A diagnostic line, "# " followed by the message. */
void ktap_print_msg(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* "# metric <name>=<value>", see docs/guest-protocol.md. */
void ktap_metric(const char *name, long value);

/* "ok n name" or "not ok n name", with " # directive" if not NULL. */
void ktap_test_result(bool ok, unsigned int n, const char *name,
		      const char *directive);

/* "Bail out! reason": the run cannot go on. */
void ktap_bail_out(const char *reason);

#endif /* ZCBENCH_KTAP_H */
