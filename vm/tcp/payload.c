// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-zerocopy's payload: a stream both ends can compute at any offset.
 */
#include <endian.h>
#include <string.h>

#include "tcp.h"

/*
 * The payload, as 64-bit words: word idx is (idx + 1) * PAYLOAD_STEP, as
 * zcpool's pages step through theirs (ZCPOOL_PAYLOAD_STEP). The step is
 * odd, so no two words of a stream shorter than 2^67 bytes are equal: a
 * byte out of place, a page mapped twice or a page of zeros is found. It
 * is one addition a word to make and to check: the receive checks all it
 * gets, and a pattern of two multiplications a word cost a third of a
 * real-path matrix cell's guest instructions.
 */
#define PAYLOAD_STEP	0x9e3779b97f4a7c15ULL

static uint64_t pattern_word(uint64_t idx)
{
	return (idx + 1) * PAYLOAD_STEP;
}

/* The payload byte at stream offset off. */
static unsigned char pattern_byte(uint64_t off)
{
	return pattern_word(off / 8) >> (off % 8 * 8);
}

void pattern_fill(unsigned char *buf, size_t len)
{
	uint64_t word = pattern_word(0);
	size_t i;

	for (i = 0; i < len; i += 8, word += PAYLOAD_STEP) {
		uint64_t w = htole64(word);

		memcpy(buf + i, &w, sizeof(w));
	}
}

size_t pattern_check(const unsigned char *buf, uint64_t off, size_t len)
{
	size_t i = 0;

	/* Whole words while buf starts on a word of the stream, then bytes. */
	if (off % 8 == 0) {
		uint64_t word = pattern_word(off / 8);

		for (; i + 8 <= len; i += 8, word += PAYLOAD_STEP) {
			uint64_t w;

			memcpy(&w, buf + i, sizeof(w));
			if (w != htole64(word))
				break;
		}
	}
	for (; i < len; i++) {
		if (buf[i] != pattern_byte(off + i))
			break;
	}
	return i;
}
