// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-zerocopy's payload: a stream both ends can compute at any offset.
 */
#include <endian.h>
#include <string.h>

#include "tcp.h"

/* The payload, as 64-bit words: splitmix64 of the word index. */
static uint64_t pattern_word(uint64_t idx)
{
	uint64_t x = idx + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The payload byte at stream offset off. */
static unsigned char pattern_byte(uint64_t off)
{
	return pattern_word(off / 8) >> (off % 8 * 8);
}

void pattern_fill(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t w = htole64(pattern_word(i / 8));

		memcpy(buf + i, &w, sizeof(w));
	}
}

size_t pattern_check(const unsigned char *buf, uint64_t off, size_t len)
{
	size_t i = 0;

	/* Whole words while buf starts on a word of the stream, then bytes. */
	if (off % 8 == 0) {
		for (; i + 8 <= len; i += 8) {
			uint64_t w;

			memcpy(&w, buf + i, sizeof(w));
			if (w != htole64(pattern_word((off + i) / 8)))
				break;
		}
	}
	for (; i < len; i++) {
		if (buf[i] != pattern_byte(off + i))
			break;
	}
	return i;
}
