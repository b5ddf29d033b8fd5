// SPDX-License-Identifier: GPL-2.0
/*
 * Time: waiting and measuring.
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

void settle(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long ms_since(int64_t start_ns)
{
	return (monotonic_ns() - start_ns) / 1000000;
}

long us_since(int64_t start_ns)
{
	return (monotonic_ns() - start_ns) / 1000;
}
