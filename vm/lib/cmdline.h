/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcbench.* parameters of the kernel command line (docs/guest-protocol.md);
 * their keys are the ZCB_KEY_* of protocol.h.
 */
#ifndef ZCBENCH_CMDLINE_H
#define ZCBENCH_CMDLINE_H

#include <stddef.h>

/*
 * Copy the value of zcbench.<key> into buf. The last occurrence wins, like
 * for kernel parameters. Returns buf, or NULL if the parameter is absent.
 */
const char *cmdline_get(const char *key, char *buf, size_t len);

/*
 * The value of zcbench.<key> as a non-negative integer, def when absent.
 * Returns -1 (and prints why) if the value is not a valid number.
 */
long cmdline_get_long(const char *key, long def);

#endif /* ZCBENCH_CMDLINE_H */
