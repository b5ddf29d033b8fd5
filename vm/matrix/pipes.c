// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix: pipes that hold received pages after the receiver unmaps
 * them, as vmsplice() leaves them (vmsplice-pin, unload).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "ktap.h"
#include "matrix.h"
#include "rxq.h"

/*
 * What a pipe holds: the default pipe-max-size, or more where MX_PIPES_MAX
 * pipes of it would not hold the receive.
 */
#define PIPE_BYTES		(1UL << 20)

int mx_pipes_open(struct mx_pipes *p, size_t size)
{
	size_t i, n;

	p->n = 0;
	for (p->bytes = PIPE_BYTES; (size + p->bytes - 1) / p->bytes > MX_PIPES_MAX; )
		p->bytes *= 2;
	n = (size + p->bytes - 1) / p->bytes;
	for (i = 0; i < n; i++) {
		if (pipe2(p->fd[i], O_CLOEXEC)) {
			ktap_print_msg("pipe: %m");
			return -1;
		}
		p->n++;
		if (fcntl(p->fd[i][1], F_SETPIPE_SZ, (int)p->bytes) < 0) {
			ktap_print_msg("pipe of %zu bytes: %m", p->bytes);
			return -1;
		}
	}
	return 0;
}

size_t mx_pipes_fill(struct mx_pipes *p, const struct rxq *q)
{
	return mx_pipes_fill_range(p, q->map, q->off);
}

size_t mx_pipes_fill_range(struct mx_pipes *p, const void *addr, size_t size)
{
	size_t i, done = 0;

	for (i = 0; i < p->n && done < size; i++) {
		size_t len = size - done, n;

		if (len > p->bytes)
			len = p->bytes;
		n = vmsplice_range((const unsigned char *)addr + done, len,
				   p->fd[i][1]);
		done += n;
		if (n < len) {
			ktap_print_msg("vmsplice into pipe %zu after %zu bytes: %m",
				       i, n);
			break;
		}
	}
	return done;
}

void mx_pipes_close(struct mx_pipes *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		close(p->fd[i][0]);
		close(p->fd[i][1]);
	}
	p->n = 0;
}
