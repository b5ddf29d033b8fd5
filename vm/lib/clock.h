/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Time: waiting and measuring.
 */
#ifndef ZCBENCH_CLOCK_H
#define ZCBENCH_CLOCK_H

#include <stdint.h>

/* Sleep for ms milliseconds. */
void settle(unsigned int ms);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t monotonic_ns(void);

/* Milliseconds and microseconds since start_ns, a monotonic_ns() reading. */
long ms_since(int64_t start_ns);
long us_since(int64_t start_ns);

#endif /* ZCBENCH_CLOCK_H */
